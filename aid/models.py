"""Student aid (学生资助): schemes the bureau configures, applications (one per student, scheme and year),
their automatic checks, and disbursement batches to the bank.

Models hold data, constraints and pure django-fsm transitions; ``aid.services`` acts on them through the
kernel's ``perform``. What varies by district and year — levels, amounts, which qualification gives which
level, budgets — is edited by bureau staff in the admin (DOMAIN.md: configuration, never constants).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from exchange.checks import RegistryCheck
from portal.accounts.models import Role
from portal.cases.scoping import can_handle, is_applicant
from portal.cases.workflow import refusal
from portal.core import pii
from portal.core.fields import EncryptedTextField
from portal.orgs.models import Stage

# 普惠性幼儿园 subsidy: the default amount per child per year (fen) when the bureau sets up such a scheme
KINDERGARTEN_SUBSIDY_FEN = 20000


class SchemeKind(models.TextChoices):
    HARDSHIP = "hardship", _("Students from families in financial hardship (家庭经济困难学生资助)")
    KINDERGARTEN = "kindergarten", _("Inclusive kindergarten subsidy (普惠性幼儿园补助)")


class Term(models.TextChoices):
    YEAR = "year", _("Whole year")
    AUTUMN = "autumn", _("Autumn term")
    SPRING = "spring", _("Spring term")


class Qualification(models.TextChoices):
    """What makes a family qualify; the first four are fetched from the registries, the last two are
    stated by the family and confirmed by the school."""

    DIBAO = "dibao", _("Minimum living allowance (低保)")
    TEKUN = "tekun", _("Extreme poverty support (特困)")
    DIBIAN = "dibian", _("Near-poverty family (低边)")
    DISABILITY = "disability", _("Disability (残疾)")
    ORPHAN = "orphan", _("Orphan (孤儿)")
    OTHER = "other", _("Other hardship (其他困难)")


FETCHED_QUALIFICATIONS = (
    Qualification.DIBAO,
    Qualification.TEKUN,
    Qualification.DIBIAN,
    Qualification.DISABILITY,
)
DECLARED_QUALIFICATIONS = (Qualification.ORPHAN, Qualification.OTHER)


class Scheme(models.Model):
    """One aid scheme of a district for a school year (or one term of it)."""

    code = models.CharField(_("code"), max_length=32, unique=True, help_text=_("E.g. KN-2026."))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=SchemeKind.choices, default=SchemeKind.HARDSHIP)
    district = models.ForeignKey(
        "orgs.District", on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    stages = models.CharField(
        _("stages"),
        max_length=64,
        default="primary,junior",
        help_text=_("Comma-separated: kindergarten, primary, junior."),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    term = models.CharField(_("term"), max_length=8, choices=Term.choices, default=Term.YEAR)
    opens_on = models.DateField(_("applications open on"))
    closes_on = models.DateField(_("applications close on"))
    budget_fen = models.BigIntegerField(_("budget (fen)"), default=0)
    notice_working_days = models.PositiveSmallIntegerField(_("public notice (working days)"), default=5)

    class Meta:
        ordering = ["-year", "code"]
        verbose_name = _("aid scheme")
        verbose_name_plural = _("aid schemes")
        constraints = [
            models.CheckConstraint(condition=Q(opens_on__lte=models.F("closes_on")), name="aid_scheme_dates"),
            models.CheckConstraint(condition=Q(budget_fen__gte=0), name="aid_scheme_budget"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def stage_list(self) -> list[str]:
        return [s.strip() for s in self.stages.replace("，", ",").split(",") if s.strip()]

    def clean(self):
        unknown = [s for s in self.stage_list if s not in Stage.values]
        if unknown or not self.stage_list:
            raise ValidationError({"stages": _("Use kindergarten, primary and junior, separated by commas.")})
        if self.opens_on and self.closes_on and self.opens_on > self.closes_on:
            raise ValidationError({"closes_on": _("The scheme must close after it opens.")})

    def status_on(self, day) -> str:
        return "open" if self.opens_on <= day <= self.closes_on else "closed"


class SchemeLevel(models.Model):
    """A level (档) of a scheme and its amount per student."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="levels")
    level = models.CharField(_("level"), max_length=16, help_text=_("E.g. 1, 2, 3."))
    name = models.CharField(_("name"), max_length=32, help_text=_("E.g. 一档."))
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))

    class Meta:
        ordering = ["scheme", "-amount_fen", "level"]
        verbose_name = _("aid level")
        verbose_name_plural = _("aid levels")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "level"], name="aid_one_level_code_per_scheme")
        ]

    def __str__(self):
        return self.name


class LevelRule(models.Model):
    """Which level a qualification gives in a scheme (several found: the highest amount wins)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="rules")
    qualification = models.CharField(_("qualification"), max_length=16, choices=Qualification.choices)
    level = models.ForeignKey(
        SchemeLevel, on_delete=models.CASCADE, related_name="+", verbose_name=_("level")
    )

    class Meta:
        ordering = ["scheme", "qualification"]
        verbose_name = _("level rule")
        verbose_name_plural = _("level rules")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "qualification"], name="aid_one_rule_per_qualification")
        ]

    def __str__(self):
        return f"{self.get_qualification_display()} → {self.level}"

    def clean(self):
        if self.level_id and self.scheme_id and self.level.scheme_id != self.scheme_id:
            raise ValidationError({"level": _("Choose a level of this scheme.")})


class AidState(models.TextChoices):
    VERIFYING = "verifying", pgettext_lazy("aid", "Verifying")
    AWAITING_SCHOOL = "awaiting_school", pgettext_lazy("aid", "Awaiting the school")
    IN_PUBLIC_NOTICE = "in_public_notice", pgettext_lazy("aid", "In public notice")
    AWAITING_BUREAU = "awaiting_bureau", pgettext_lazy("aid", "Awaiting the bureau")
    APPROVED = "approved", pgettext_lazy("aid", "Approved")
    REJECTED = "rejected", pgettext_lazy("aid", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("aid", "Withdrawn")
    PAID = "paid", pgettext_lazy("aid", "Paid")


LIVE_STATES = (
    AidState.VERIFYING,
    AidState.AWAITING_SCHOOL,
    AidState.IN_PUBLIC_NOTICE,
    AidState.AWAITING_BUREAU,
    AidState.APPROVED,
    AidState.PAID,
)
GRANTED_STATES = (AidState.APPROVED, AidState.PAID)


def school_reviewer(instance, user) -> bool:
    """Clerks of the student's school (or a superuser) review at the school step."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return (
        user.role == Role.CLERK and user.school_id == instance.school_id and can_handle(user, instance.case)
    )


def bureau_in_scope(instance, user) -> bool:
    """Bureau staff of the case's district (or a superuser) decide after the notice."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.role == Role.BUREAU and can_handle(user, instance.case)


def the_system(instance, user) -> bool:
    return user is None


def the_guardian(instance, user) -> bool:
    return is_applicant(user, instance.case)


def bureau_or_system(instance, user) -> bool:
    return user is None or bureau_in_scope(instance, user)


class AidApplication(ConcurrentTransitionMixin, models.Model):
    """An application for aid from one scheme for one student (学生资助申请)."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="aid_application")
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="applications")
    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="aid_applications"
    )
    student_id_number = EncryptedTextField(_("student's ID number"))
    student_hash = models.CharField(max_length=64, db_index=True, editable=False)
    student_name = models.CharField(_("student's name"), max_length=100)
    school = models.ForeignKey(
        "orgs.School", on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    grade = models.PositiveSmallIntegerField(_("grade"), default=1)
    reason = EncryptedTextField(_("hardship statement"), blank=True, default="")
    declared = models.CharField(
        _("declared situations"), max_length=32, blank=True, default="", help_text=_("orphan, other")
    )
    proposed_level = models.ForeignKey(
        SchemeLevel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed level"),
    )
    level = models.ForeignKey(
        SchemeLevel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("level"),
    )
    level_note = models.CharField(_("why the level was changed"), max_length=300, blank=True)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"), default=0)
    account_name = models.CharField(_("account holder"), max_length=100, blank=True)
    bank_account = EncryptedTextField(_("bank account number"), blank=True, default="")
    invitation = models.OneToOneField(
        "invitations.Invitation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="aid_application",
    )
    objection_upheld = models.TextField(_("upheld objection"), blank=True)
    state = FSMField(
        _("state"), max_length=20, choices=AidState.choices, default=AidState.VERIFYING, protected=True
    )
    verify_attempts = models.PositiveSmallIntegerField(default=0)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("aid application")
        verbose_name_plural = _("aid applications")
        constraints = [
            # one live application per student and scheme (a scheme is one year), also under races
            models.UniqueConstraint(
                fields=["scheme", "student_hash"],
                condition=~Q(state__in=["rejected", "withdrawn"]),
                name="aid_one_live_application_per_student_and_scheme",
            ),
        ]

    def __str__(self):
        return self.case.reference_no

    def save(self, *args, **kwargs):
        self.student_hash = pii.keyed_hash(self.student_id_number)
        super().save(*args, **kwargs)

    @property
    def masked_student_id(self) -> str:
        return pii.mask_id(self.student_id_number)

    @property
    def masked_account(self) -> str:
        value = self.bank_account or ""
        return ("*" * max(len(value) - 4, 0) + value[-4:]) if value else ""

    @property
    def declared_list(self) -> list[str]:
        return [d for d in self.declared.split(",") if d]

    # --- conditions -----------------------------------------------------------------------------------

    @refusal(_("Choose the level first: no level was proposed from the registries."))
    def has_level(self) -> bool:
        return self.level_id is not None

    @refusal(_("The public notice is still running or an objection to it is still under review."))
    def notice_done(self) -> bool:
        from portal.notices.selectors import case_held_by_objection, notice_period_over

        return notice_period_over(self.case) and not case_held_by_objection(self.case)

    @refusal(
        lambda a: (
            _("Approving would exceed the scheme's budget by %(over)s.")
            % {"over": "¥%.2f" % (a.budget_overrun_fen() / 100)}
        )
    )
    def within_budget(self) -> bool:
        return self.budget_overrun_fen() <= 0

    def budget_overrun_fen(self) -> int:
        """How far the granted total would pass the budget if this application were approved (≤ 0: not)."""
        granted = (
            AidApplication.objects.filter(scheme_id=self.scheme_id, state__in=GRANTED_STATES)
            .exclude(pk=self.pk)
            .aggregate(total=models.Sum("amount_fen"))["total"]
            or 0
        )
        return granted + self.amount_fen - self.scheme.budget_fen

    # --- transitions: state and bookkeeping only -----------------------------------------------------

    @transition(
        field=state, source=AidState.VERIFYING, target=AidState.AWAITING_SCHOOL, permission=the_system
    )
    def send_to_school(self, *, proposed=None):
        """Checks done (or a registry still down after the retries): the school reviews, with the proposed
        level (None when nothing was found or a registry did not answer) and the reasons on the checks."""
        self.proposed_level = proposed
        if self.level_id is None:
            self.level = proposed
            self.amount_fen = proposed.amount_fen if proposed else 0

    @transition(
        field=state,
        source=AidState.AWAITING_SCHOOL,
        target=AidState.IN_PUBLIC_NOTICE,
        permission=school_reviewer,
        conditions=[has_level],
    )
    @transition(
        field=state,
        source=AidState.AWAITING_BUREAU,
        target=AidState.APPROVED,
        permission=bureau_in_scope,
        conditions=[within_budget],
    )
    def approve(self, *, at):
        """School step: the level is confirmed and the case goes on the public notice (published by the
        service in the same transaction). Bureau step: granted within the scheme's budget."""
        if self.state == AidState.AWAITING_BUREAU:
            self.decided_at = at

    @transition(
        field=state, source=AidState.AWAITING_SCHOOL, target=AidState.REJECTED, permission=school_reviewer
    )
    @transition(
        field=state, source=AidState.AWAITING_BUREAU, target=AidState.REJECTED, permission=bureau_in_scope
    )
    def reject(self, *, at):
        """Not granted; the reason (the note) is told to the family."""
        self.decided_at = at

    @transition(
        field=state,
        source=AidState.IN_PUBLIC_NOTICE,
        target=AidState.AWAITING_BUREAU,
        permission=the_system,
        conditions=[notice_done],
    )
    def close_notice(self):
        """The notice's period is over and no objection to it is open: the bureau decides."""

    @transition(
        field=state,
        source=AidState.IN_PUBLIC_NOTICE,
        target=AidState.AWAITING_BUREAU,
        permission=bureau_or_system,
    )
    def uphold_objection(self, *, answer: str):
        """The bureau upheld an objection to this entry: it leaves the notice and the bureau decides,
        with the objection's answer shown."""
        self.objection_upheld = answer

    @transition(
        field=state,
        source=[AidState.VERIFYING, AidState.AWAITING_SCHOOL],
        target=AidState.WITHDRAWN,
        permission=the_guardian,
    )
    def withdraw(self):
        """The family withdraws before the school's decision."""

    @transition(field=state, source=AidState.APPROVED, target=AidState.PAID, permission=bureau_or_system)
    def mark_paid(self, *, at):
        """The bank's return file says the money reached the account."""
        self.paid_at = at


class AidCheck(RegistryCheck):
    """One automatic check of an application, with the reason shown to the family and the school."""

    application = models.ForeignKey(AidApplication, on_delete=models.CASCADE, related_name="checks")

    class Meta(RegistryCheck.Meta):
        constraints = [
            models.UniqueConstraint(fields=["application", "name"], name="aid_one_result_per_check")
        ]
        verbose_name = _("aid check")
        verbose_name_plural = _("aid checks")


class BatchState(models.TextChoices):
    OPEN = "open", pgettext_lazy("aid batch", "Sent to the bank")
    CLOSED = "closed", pgettext_lazy("aid batch", "Return file imported")


class DisbursementBatch(models.Model):
    """A payment batch to the bank (资助资金发放批次) for one scheme and term."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="batches", verbose_name=_("scheme")
    )
    term = models.CharField(_("term"), max_length=8, choices=Term.choices)
    state = models.CharField(_("state"), max_length=8, choices=BatchState.choices, default=BatchState.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    returned_at = models.DateTimeField(_("return file imported at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("disbursement batch")
        verbose_name_plural = _("disbursement batches")

    def __str__(self):
        return f"{self.scheme.code}-{self.pk}"


class LineStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("aid batch", "Awaiting the bank")
    PAID = "paid", pgettext_lazy("aid batch", "Paid")
    FAILED = "failed", pgettext_lazy("aid batch", "Failed")


class BatchLine(models.Model):
    """One payment of a batch. A case is in at most one open batch: at most one pending line per
    application (the database refuses a second)."""

    batch = models.ForeignKey(DisbursementBatch, on_delete=models.CASCADE, related_name="lines")
    application = models.ForeignKey(AidApplication, on_delete=models.PROTECT, related_name="batch_lines")
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    account_name = models.CharField(_("account holder"), max_length=100)
    bank_account = EncryptedTextField(_("bank account number"))
    status = models.CharField(
        _("status"), max_length=8, choices=LineStatus.choices, default=LineStatus.PENDING
    )
    bank_reason = models.CharField(_("bank's reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["batch", "pk"]
        verbose_name = _("batch line")
        verbose_name_plural = _("batch lines")
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=Q(status="pending"), name="aid_case_in_one_open_batch"
            )
        ]

    def __str__(self):
        return f"{self.batch} #{self.pk}"

    @property
    def masked_account(self) -> str:
        value = self.bank_account or ""
        return "*" * max(len(value) - 4, 0) + value[-4:]
