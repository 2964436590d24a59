"""Issued documents (出具的文书): every notice, receipt, certificate and licence the bureau issues, registered
once with an unguessable code that its QR code carries (``<SITE_URL>/verify/<code>/``).

A document is ``valid`` when issued; it becomes ``superseded`` when the same document (same kind and
subject) is issued again, or ``revoked`` when what it vouches for no longer holds (the case was withdrawn
or rejected, a receipt was voided by a full refund). Both are final: a document never becomes valid again;
a new one is issued instead. See docs/adr/0012-issued-documents.md and docs/workflows/documents.md.
"""

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

CODE_BYTES = 24  # 192 random bits; the contract asks for at least 128


def new_code() -> str:
    """32 URL-safe characters from the OS's CSPRNG: guessing one is hopeless, even at a sweep's pace."""
    return secrets.token_urlsafe(CODE_BYTES)


class DocumentKind(models.TextChoices):
    """The contract's ``document`` values (contracts/api-services.md, "Public verification")."""

    PLACE_NOTICE = "place_notice", _("Place notice")  # 公办地段学位告知书
    ADMISSION_NOTICE = "admission_notice", _("Admission notice")  # 录取通知书
    RECEIPT = "receipt", _("Receipt")  # 教育收费电子票据
    GRADUATION_CERTIFICATE = "graduation_certificate", _("Graduation certificate")  # 毕业证书
    TEACHER_CERTIFICATE = "teacher_certificate", _("Teacher certificate")  # 教师资格证书
    HONOUR_CERTIFICATE = "honour_certificate", _("Honour certificate")  # 荣誉证书
    SCHOOL_LICENCE = "school_licence", _("School licence")  # 办学许可证


# Kinds that stand whatever becomes of their case: a receipt records money received, which stays received
# when the application it paid for is withdrawn; only a full refund (红冲) voids it.
OUTLIVES_CASE = frozenset({DocumentKind.RECEIPT})


class DocumentStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")
    SUPERSEDED = "superseded", _("Superseded")


class DocumentAction(models.TextChoices):
    """Case trace entries of the documents kernel (registered in the app's ``ready``)."""

    ISSUED = "documents.issued", _("Document issued")
    SUPERSEDED = "documents.superseded", _("Document superseded")
    REVOKED = "documents.revoked", _("Document revoked")


class IssuedDocument(ConcurrentTransitionMixin, models.Model):
    code = models.CharField(
        _("verification code"), max_length=64, unique=True, default=new_code, editable=False
    )
    kind = models.CharField(_("document"), max_length=32, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=100, help_text=_("As printed, e.g. 录取通知书."))
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="documents")
    subject_key = models.CharField(
        _("subject"),
        max_length=120,
        help_text=_("What the document is about, e.g. enrollment.application:12; reissuing supersedes."),
    )
    holder_masked = models.CharField(_("holder (masked)"), max_length=100)
    issued_on = models.DateField(_("issued on"))
    issued_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    facts = models.JSONField(
        _("facts shown on verification"),
        default=dict,
        blank=True,
        help_text=_("Public facts printed on the document (no ID numbers, no full names)."),
    )
    fingerprint = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("What the printed content depends on: a different value means a new document."),
    )
    download_path = models.CharField(_("download path"), max_length=300, blank=True)
    status = FSMField(
        _("status"),
        max_length=16,
        choices=DocumentStatus.choices,
        default=DocumentStatus.VALID,
        protected=True,
    )
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revocation"), max_length=300, blank=True)
    legacy_token = models.CharField(
        _("earlier QR token"),
        max_length=300,
        blank=True,
        help_text=_("The signed token of the QR links printed before codes existed; it redirects here."),
    )

    class Meta:
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_key"],
                condition=Q(status="valid"),
                name="one_valid_document_per_subject",
            ),
            models.UniqueConstraint(
                fields=["legacy_token"], condition=~Q(legacy_token=""), name="one_document_per_legacy_token"
            ),
        ]
        indexes = [models.Index(fields=["subject_key"])]

    def __str__(self):
        return f"{self.title} {self.holder_masked} ({self.get_status_display()})"

    @property
    def is_valid(self) -> bool:
        return self.status == DocumentStatus.VALID

    # --- transitions: state and bookkeeping only ----------------------------------------------------------

    @transition(field=status, source=DocumentStatus.VALID, target=DocumentStatus.SUPERSEDED)
    def supersede(self):
        """The same document is being issued again; the new one counts. The service points
        ``superseded_by`` at it once it is saved (one valid document per subject: this one goes first)."""

    @transition(field=status, source=DocumentStatus.VALID, target=DocumentStatus.REVOKED)
    def revoke(self, *, at, reason: str):
        """What the document vouches for no longer holds; stamps when and why."""
        self.revoked_at = at
        self.revoked_reason = reason[:300]
