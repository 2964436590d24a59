"""Teacher certificates (教师资格认定) and the 30-year honours (从教三十年荣誉证书).

Models hold data and pure django-fsm transitions; ``teachers.services`` acts on them through the kernel's
``perform``. The rules that vary (degree and Mandarin minimums per stage, application windows) are tables
bureau staff edit in the admin (DOMAIN.md: configuration, never constants).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from exchange.checks import CheckResult, RegistryCheck
from portal.accounts.models import Role
from portal.cases.scoping import can_handle, is_applicant
from portal.cases.workflow import refusal
from portal.core.fields import EncryptedTextField


class TeacherStage(models.TextChoices):
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior secondary school")
    SENIOR = "senior", _("Senior secondary school")


# the digit of the stage in the certificate number (资格种类)
STAGE_DIGIT = {"kindergarten": "1", "primary": "2", "junior": "3", "senior": "4"}


class DegreeLevel(models.TextChoices):
    """学历 levels, lowest first (the registry's ``degree`` values)."""

    SECONDARY = "secondary", _("Secondary vocational (中专)")
    ASSOCIATE = "associate", _("Associate (大专)")
    BACHELOR = "bachelor", _("Bachelor (本科)")
    MASTER = "master", _("Master (硕士)")
    DOCTOR = "doctor", _("Doctor (博士)")


DEGREE_ORDER = [level.value for level in DegreeLevel]

MANDARIN_LEVELS = ("一级甲等", "一级乙等", "二级甲等", "二级乙等", "三级甲等", "三级乙等")
MANDARIN_CHOICES = [(level, level) for level in MANDARIN_LEVELS]


class StageRequirement(models.Model):
    """What a stage requires (教师法 defaults; the bureau edits them): the lowest degree and Mandarin
    level, and the higher Mandarin level for teachers of Chinese (语文)."""

    stage = models.CharField(_("stage"), max_length=16, choices=TeacherStage.choices, unique=True)
    min_degree = models.CharField(_("lowest degree"), max_length=16, choices=DegreeLevel.choices)
    min_mandarin = models.CharField(
        _("lowest Mandarin level"), max_length=8, choices=MANDARIN_CHOICES, default="二级乙等"
    )
    min_mandarin_chinese = models.CharField(
        _("lowest Mandarin level for Chinese-language teachers"),
        max_length=8,
        choices=MANDARIN_CHOICES,
        default="二级甲等",
    )
    chinese_subjects = models.CharField(
        _("subjects counted as Chinese language"),
        max_length=200,
        default="语文,汉语,对外汉语",
        help_text=_("Comma-separated; these subjects need the higher Mandarin level."),
    )

    class Meta:
        ordering = ["stage"]
        verbose_name = _("stage requirement")
        verbose_name_plural = _("stage requirements")

    def __str__(self):
        return self.get_stage_display()

    def mandarin_for(self, subject: str) -> str:
        chinese = {s.strip() for s in self.chinese_subjects.replace("，", ",").split(",") if s.strip()}
        return self.min_mandarin_chinese if subject.strip() in chinese else self.min_mandarin


class ApplicationWindow(models.Model):
    """A period in which the bureau accepts applications (spring / autumn 认定)."""

    district = models.ForeignKey(
        "orgs.District", on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("E.g. 2026年春季教师资格认定."))
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))

    class Meta:
        ordering = ["opens_on"]
        verbose_name = _("application window")
        verbose_name_plural = _("application windows")
        constraints = [
            models.CheckConstraint(condition=Q(opens_on__lte=models.F("closes_on")), name="window_in_order")
        ]

    def __str__(self):
        return f"{self.name} ({self.opens_on} – {self.closes_on})"


class CertificateState(models.TextChoices):
    VERIFYING = "verifying", pgettext_lazy("teachers", "Verifying")
    NEEDS_REVIEW = "needs_review", pgettext_lazy("teachers", "Needs review")
    APPROVED = "approved", pgettext_lazy("teachers", "Approved")
    REJECTED = "rejected", pgettext_lazy("teachers", "Rejected")
    CERTIFICATE_ISSUED = "certificate_issued", pgettext_lazy("teachers", "Certificate issued")
    DELIVERED = "delivered", pgettext_lazy("teachers", "Delivered")


RUNNING_STATES = (
    CertificateState.VERIFYING,
    CertificateState.NEEDS_REVIEW,
    CertificateState.APPROVED,
    CertificateState.CERTIFICATE_ISSUED,
)


def bureau_in_scope(instance, user) -> bool:
    """Bureau staff of the case's district (or a superuser) decide teacher certificates."""
    if user is None or not (user.is_superuser or getattr(user, "role", None) == Role.BUREAU):
        return False
    return can_handle(user, instance.case)


def holder_or_bureau(instance, user) -> bool:
    """The person the certificate is for (their own case) or bureau staff of the district."""
    return is_applicant(user, instance.case) or bureau_in_scope(instance, user)


def _last_delivery_failed(case) -> bool:
    from portal.deliveries.models import DeliveryStatus
    from portal.deliveries.selectors import latest_delivery

    last = latest_delivery(case)
    return last is not None and last.status == DeliveryStatus.FAILED


def _valid_document(kind: str, subject_key: str) -> bool:
    from portal.documents.models import DocumentStatus, IssuedDocument

    return IssuedDocument.objects.filter(
        kind=kind, subject_key=subject_key, status=DocumentStatus.VALID
    ).exists()


class CertificateApplication(ConcurrentTransitionMixin, models.Model):
    """An application for a teacher certificate (教师资格认定申请) for one stage and subject."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="teacher_certificate")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="teacher_certificate_applications",
        verbose_name=_("applicant"),
    )
    applicant_id_hash = models.CharField(max_length=64, db_index=True, editable=False)
    stage = models.CharField(_("stage"), max_length=16, choices=TeacherStage.choices)
    subject = models.CharField(_("subject"), max_length=64)
    exam_pass_no = models.CharField(_("exam pass certificate number"), max_length=64)
    mandarin_cert_no = models.CharField(_("Mandarin certificate number"), max_length=64)
    medical_report_no = models.CharField(_("medical report number"), max_length=64)
    delivery_address = EncryptedTextField(_("delivery address"))
    state = FSMField(
        _("state"),
        max_length=24,
        choices=CertificateState.choices,
        default=CertificateState.VERIFYING,
        protected=True,
    )
    certificate_no = models.CharField(
        _("certificate number"), max_length=32, null=True, blank=True, unique=True, editable=False
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    verify_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("teacher certificate application")
        verbose_name_plural = _("teacher certificate applications")
        constraints = [
            # one running application per person and stage, also under concurrent submissions
            models.UniqueConstraint(
                fields=["applicant_id_hash", "stage"],
                condition=Q(state__in=["verifying", "needs_review", "approved", "certificate_issued"]),
                name="one_running_certificate_application_per_stage",
            ),
        ]

    def __str__(self):
        return self.case.reference_no

    # --- conditions -----------------------------------------------------------------------------------

    @refusal(_("Every automatic check must have passed."))
    def all_checks_passed(self) -> bool:
        return self.checks.exists() and not self.checks.exclude(result=CheckResult.PASS).exists()

    @refusal(_("The certificate has no number yet."))
    def has_certificate_no(self) -> bool:
        return bool(self.certificate_no)

    @refusal(_("The courier has not reported the last delivery failed; it cannot be sent again."))
    def last_delivery_failed(self) -> bool:
        return _last_delivery_failed(self.case)

    @refusal(_("The certificate is not valid (already revoked, or never issued)."))
    def certificate_valid(self) -> bool:
        return _valid_document("teacher_certificate", self.subject_key)

    @property
    def subject_key(self) -> str:
        """What the issued document (portal.documents) is about."""
        return f"teachers.certificate:{self.pk}"

    @staticmethod
    def the_applicant(instance, user) -> bool:
        return is_applicant(user, instance.case)

    # --- transitions: state and bookkeeping only -----------------------------------------------------

    @transition(
        field=state,
        source=CertificateState.VERIFYING,
        target=CertificateState.APPROVED,
        conditions=[all_checks_passed],
    )
    def approve_automatically(self, *, at):
        """秒批: every registry check passed; the certificate is issued next."""
        self.decided_at = at

    @transition(field=state, source=CertificateState.VERIFYING, target=CertificateState.NEEDS_REVIEW)
    def send_to_review(self):
        """A check failed or a registry did not answer: bureau staff decide (never a silent pass)."""

    @transition(
        field=state,
        source=CertificateState.NEEDS_REVIEW,
        target=CertificateState.APPROVED,
        permission=bureau_in_scope,
    )
    def approve(self, *, at):
        """Bureau staff approve after review; the certificate is issued next."""
        self.decided_at = at

    @transition(
        field=state,
        source=[CertificateState.VERIFYING, CertificateState.NEEDS_REVIEW],
        target=CertificateState.REJECTED,
        permission=bureau_in_scope,
    )
    def reject(self, *, at):
        """Bureau staff reject with a reason (the note)."""
        self.decided_at = at

    @transition(
        field=state,
        source=CertificateState.APPROVED,
        target=CertificateState.CERTIFICATE_ISSUED,
        conditions=[has_certificate_no],
    )
    def issue_certificate(self):
        """The numbered certificate is rendered, registered as an issued document and given to the
        courier."""

    @transition(field=state, source=CertificateState.CERTIFICATE_ISSUED, target=CertificateState.DELIVERED)
    def mark_delivered(self):
        """The courier reported the certificate delivered (签收); the case is done."""

    @transition(
        field=state,
        source=CertificateState.CERTIFICATE_ISSUED,
        target=None,
        permission=holder_or_bureau,
        conditions=[last_delivery_failed],
    )
    def resend(self, *, address: str = ""):
        """The courier could not deliver: the certificate is posted again (a new kernel delivery, to a
        corrected ``address`` when given). The state stays ``certificate_issued``."""
        if address:
            self.delivery_address = address

    @transition(
        field=state,
        source=[CertificateState.CERTIFICATE_ISSUED, CertificateState.DELIVERED],
        target=None,
        permission=bureau_in_scope,
        conditions=[certificate_valid],
    )
    def revoke_certificate(self):
        """The bureau revokes the certificate (撤销教师资格; the reason is the note): its issued document is
        revoked, so verification says so, and the holder is told. The state stays where it was."""


class CertificateCheck(RegistryCheck):
    """One automatic check of an application, with the reason shown to the applicant and the bureau."""

    application = models.ForeignKey(CertificateApplication, on_delete=models.CASCADE, related_name="checks")

    class Meta(RegistryCheck.Meta):
        constraints = [
            models.UniqueConstraint(fields=["application", "name"], name="one_result_per_teacher_check")
        ]
        verbose_name = _("check")
        verbose_name_plural = _("checks")


class HonourState(models.TextChoices):
    OFFERED = "offered", pgettext_lazy("teachers", "Offered")
    ACCEPTED = "accepted", pgettext_lazy("teachers", "Accepted")
    ISSUED = "issued", pgettext_lazy("teachers", "Issued")
    DELIVERED = "delivered", pgettext_lazy("teachers", "Delivered")


class Honour(ConcurrentTransitionMixin, models.Model):
    """从教三十年荣誉证书: offered through the kernel's invitations to a teacher who reaches 30 years of
    service this year; written when the teacher answers the invitation."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="teacher_honour")
    invitation = models.OneToOneField(
        "invitations.Invitation", on_delete=models.PROTECT, related_name="teacher_honour"
    )
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="teacher_honours"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    school_code = models.CharField(_("school code"), max_length=32, blank=True)
    service_start = models.DateField(_("service started on"))
    break_months = models.PositiveIntegerField(_("months of breaks"), default=0)
    delivery_address = EncryptedTextField(_("delivery address"), blank=True, default="")
    state = FSMField(
        _("state"), max_length=16, choices=HonourState.choices, default=HonourState.OFFERED, protected=True
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-year", "-pk"]
        verbose_name = _("teacher honour")
        verbose_name_plural = _("teacher honours")

    def __str__(self):
        return self.case.reference_no

    @staticmethod
    def the_teacher(instance, user) -> bool:
        return user is not None and getattr(user, "pk", None) == instance.teacher_id

    @transition(field=state, source=HonourState.OFFERED, target=HonourState.ACCEPTED, permission=the_teacher)
    def accept(self, *, delivery_address: str, at):
        """The teacher accepts and says where to send the certificate."""
        self.delivery_address, self.accepted_at = delivery_address, at

    @transition(field=state, source=HonourState.ACCEPTED, target=HonourState.ISSUED)
    def issue(self):
        """The honour certificate is registered as an issued document and given to the courier."""

    @transition(field=state, source=HonourState.ISSUED, target=HonourState.DELIVERED)
    def mark_delivered(self):
        """The courier reported it delivered."""

    @refusal(_("The courier has not reported the last delivery failed; it cannot be sent again."))
    def last_delivery_failed(self) -> bool:
        return _last_delivery_failed(self.case)

    @staticmethod
    def teacher_or_bureau(instance, user) -> bool:
        return Honour.the_teacher(instance, user) or bureau_in_scope(instance, user)

    @transition(
        field=state,
        source=HonourState.ISSUED,
        target=None,
        permission=teacher_or_bureau,
        conditions=[last_delivery_failed],
    )
    def resend(self, *, address: str = ""):
        """The courier could not deliver: the honour certificate is posted again (to ``address`` when
        given). The state stays ``issued``."""
        if address:
            self.delivery_address = address
