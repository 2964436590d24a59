from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "portal.documents"
    label = "documents"
    verbose_name = _("Issued documents")

    def ready(self):
        from portal.cases.actions import register_actions
        from portal.cases.signals import case_closed
        from portal.documents.models import DocumentAction

        register_actions(DocumentAction)
        _register_workflow()
        case_closed.connect(_revoke_with_case, dispatch_uid="documents.revoke_with_case")


def _register_workflow() -> None:
    from portal.cases import workflow
    from portal.documents.models import DocumentAction, IssuedDocument

    workflow.register(
        IssuedDocument,
        events={"supersede": DocumentAction.SUPERSEDED, "revoke": DocumentAction.REVOKED},
        verbs={"supersede": _("superseded"), "revoke": _("revoked (only a valid document can be)")},
        reference=lambda document: document.title,
        case=lambda document: document.case,
        select_related=("case",),
        state_field="status",
        event_data=lambda document: {"document": document.kind, "id": document.pk},
    )


def _revoke_with_case(sender, case, status, **kwargs):
    """A case closed as withdrawn or rejected: the documents issued on it no longer hold (receipts excepted:
    money paid stays paid until it is refunded). Runs inside the closing transaction; database only."""
    from portal.cases.models import CaseStatus
    from portal.documents.services import document_revoke_for_case

    if status in (CaseStatus.WITHDRAWN, CaseStatus.REJECTED):
        withdrawn = status == CaseStatus.WITHDRAWN
        reason = _("The case was withdrawn.") if withdrawn else _("The case was rejected.")
        document_revoke_for_case(case=case, reason=str(reason))
