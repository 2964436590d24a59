from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    """Public notices (公示) for any service: period in working days, masked entries, objections."""

    name = "portal.notices"
    label = "notices"
    verbose_name = _("Public notices (公示)")

    def ready(self):
        from portal.cases.actions import register_actions
        from portal.notices import catalogue  # noqa: F401 - registers the generic objection item
        from portal.notices.models import NoticeAction
        from portal.notices.registry import GENERIC_REVIEW_ITEM, register_review_case_view

        register_actions(NoticeAction)
        register_review_case_view(GENERIC_REVIEW_ITEM)
        _register_workflow()


def _register_workflow() -> None:
    from portal.cases import workflow
    from portal.notices.models import Notice, NoticeAction, Objection

    workflow.register(
        Notice,
        # a notice has no case of its own (case → None: no event); the withdrawal is kept on the row
        events={"withdraw": NoticeAction.WITHDRAWN},
        verbs={"withdraw": _("withdrawn")},
        reference=lambda notice: _("The public notice %(title)s") % {"title": notice.title},
        case=lambda notice: None,
        forbidden=_("Only the district's bureau staff may do this."),
        select_related=("service",),
        state_field="status",
    )
    workflow.register(
        Objection,
        events={"uphold": NoticeAction.OBJECTION_UPHELD, "dismiss": NoticeAction.OBJECTION_DISMISSED},
        verbs={"uphold": _("upheld"), "dismiss": _("dismissed")},
        reference=lambda o: _("Objection %(ref)s") % {"ref": o.case.reference_no if o.case_id else o.pk},
        case=lambda o: o.case,
        forbidden=_("Only the district's bureau staff answer objections."),
        select_related=("notice", "notice__service", "entry", "case", "by"),
        case_status={"upheld": "complete", "dismissed": "complete"},
    )
