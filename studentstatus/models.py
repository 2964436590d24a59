"""Student status (学籍): the student record every school service reads, its history, and the cases that
change it — transfers (转学), suspensions (休学), resumptions (复学) and corrections (信息更正).

A platform (DESIGN.md, layer 2): it imports no service. Admission creates records through
:func:`studentstatus.services.record_enrol`. See docs/workflows/studentstatus.md.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from portal.cases.workflow import refusal
from portal.core import pii
from portal.core.fields import EncryptedTextField
from portal.core.models import AppendOnlyModel
from portal.orgs.models import Stage

GRADES = {Stage.PRIMARY: range(1, 7), Stage.JUNIOR: range(7, 10)}
GRADUATING_GRADE = {Stage.PRIMARY: 6, Stage.JUNIOR: 9}


class RecordStatus(models.TextChoices):
    ENROLLED = "enrolled", pgettext_lazy("student record", "Enrolled")
    SUSPENDED = "suspended", pgettext_lazy("student record", "Suspended")
    GRADUATED = "graduated", pgettext_lazy("student record", "Graduated")
    TRANSFERRED_OUT = "transferred_out", pgettext_lazy("student record", "Transferred out")


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


def _is_school_clerk(user, school_id) -> bool:
    return user is None or user.is_superuser or (user.role == "clerk" and user.school_id == school_id)


def _is_bureau(user, district_id) -> bool:
    return user is None or user.is_superuser or (user.role == "bureau" and user.district_id == district_id)


class StudentRecord(ConcurrentTransitionMixin, models.Model):
    """The 学籍: 学籍号 = "G" + the child's ID number, one per child. A later admission (primary → junior)
    moves the same record to the new school; every change is kept in :class:`StudentRecordHistory`."""

    student_no = EncryptedTextField(_("student number (学籍号)"))
    student_no_hash = models.CharField(max_length=64, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    school = models.ForeignKey("orgs.School", on_delete=models.PROTECT, related_name="student_records")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    entry_year = models.PositiveSmallIntegerField(_("entry year"))
    grade = models.PositiveSmallIntegerField(_("grade"), default=1)
    class_name = models.CharField(_("class"), max_length=40, blank=True)
    status = FSMField(
        _("status"),
        max_length=16,
        choices=RecordStatus.choices,
        default=RecordStatus.ENROLLED,
        protected=True,
    )
    source_case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case it was created or last enrolled from"),
    )
    graduated_on = models.DateField(_("graduated on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["school", "entry_year", "pk"]
        indexes = [models.Index(fields=["school", "grade", "status"])]
        verbose_name = _("student record (学籍)")
        verbose_name_plural = _("student records (学籍)")

    def __str__(self):
        return f"{self.masked_student_no} {self.school}"

    def save(self, *args, **kwargs):
        self.student_no_hash = pii.keyed_hash(self.student_no)
        super().save(*args, **kwargs)

    @property
    def id_number(self) -> str:
        return self.student_no[1:]

    @property
    def masked_student_no(self) -> str:
        return "G" + pii.mask_id(self.student_no[1:])

    @property
    def in_graduating_year(self) -> bool:
        return self.grade == GRADUATING_GRADE.get(self.stage)

    # --- transitions: state only; services save and keep the history ---------------------------------

    # No permission= on the record's own transitions: the case that causes them (a transfer, a suspension,
    # an admission) has decided who may act; only the services call them.

    @transition(field=status, source="*", target=RecordStatus.ENROLLED)
    def enrol(self):
        """An admission (or a school's roster) puts the child on a school's roll."""

    @transition(field=status, source=RecordStatus.ENROLLED, target=RecordStatus.SUSPENDED)
    def suspend(self):
        """An approved suspension (休学): the child keeps the school place but is off the roll."""

    @transition(field=status, source=RecordStatus.SUSPENDED, target=RecordStatus.ENROLLED)
    def resume(self, *, grade: int):
        """An approved resumption (复学): back on the roll in the grade the school assigned."""
        self.grade = grade

    @transition(field=status, source=RecordStatus.ENROLLED, target=RecordStatus.GRADUATED)
    def graduate(self, *, on):
        """The bureau's graduation run of the school's graduating year."""
        self.graduated_on = on

    @transition(
        field=status,
        source=[RecordStatus.ENROLLED, RecordStatus.SUSPENDED],
        target=RecordStatus.TRANSFERRED_OUT,
    )
    def transfer_out(self):
        """The pupil left the county (the receiving county takes the record over)."""


class HistoryAction(models.TextChoices):
    CREATED = "created", _("Record created")
    ENROLLED = "enrolled", _("Enrolled at a school")
    LOADED = "loaded", _("Loaded from a school roster")
    MOVED = "moved", _("Moved to another school (transfer)")
    SUSPENDED = "suspended", _("Suspended")
    RESUMED = "resumed", _("Resumed")
    CORRECTED = "corrected", _("Information corrected")
    GRADUATED = "graduated", _("Graduated")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out of the county")


class StudentRecordHistory(AppendOnlyModel):
    """One change of a record: what changed (``changes``: field → [before, after]), who, why, from which
    case. Written in the transaction of the change; never edited."""

    record = models.ForeignKey(StudentRecord, on_delete=models.PROTECT, related_name="history")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(_("what"), max_length=20, choices=HistoryAction.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["record", "at", "pk"]
        verbose_name = _("student record change")
        verbose_name_plural = _("student record history")

    def __str__(self):
        return f"{self.record_id} {self.action} {self.at:%Y-%m-%d}"


# --- transfers (转学) -----------------------------------------------------------------------------------


class TransferState(models.TextChoices):
    AWAITING_RECEIVING = "awaiting_receiving_school", _("Awaiting the receiving school")
    AWAITING_SENDING = "awaiting_sending_school", _("Awaiting the sending school")
    AWAITING_BUREAU = "awaiting_bureau", _("Awaiting the bureau")
    COMPLETED = "completed", pgettext_lazy("transfer", "Completed")
    REJECTED = "rejected", pgettext_lazy("transfer", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("transfer", "Withdrawn")


TRANSFER_RUNNING = (
    TransferState.AWAITING_RECEIVING,
    TransferState.AWAITING_SENDING,
    TransferState.AWAITING_BUREAU,
)


class StepCase(ConcurrentTransitionMixin, models.Model):
    """What the four kinds of case share: the case, the record, a due date for the current step."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey(StudentRecord, on_delete=models.PROTECT, related_name="+")
    step_due = models.DateField(_("current step due"), null=True, blank=True)
    overdue_flagged_on = models.DateField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.case.reference_no

    def is_applicant(self, user) -> bool:
        return user is not None and user.is_authenticated and self.case.applicant_id == user.pk


class Transfer(StepCase):
    """A transfer within the county: the receiving school, then the sending school, then the bureau
    approve; on the bureau's approval the record moves school."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="studentstatus_transfer")
    record = models.ForeignKey(StudentRecord, on_delete=models.PROTECT, related_name="transfers")
    from_school = models.ForeignKey("orgs.School", on_delete=models.PROTECT, related_name="transfers_out")
    to_school = models.ForeignKey("orgs.School", on_delete=models.PROTECT, related_name="transfers_in")
    grade = models.PositiveSmallIntegerField(_("grade"))
    reason = models.TextField(_("reason"))
    state = FSMField(
        _("state"),
        max_length=32,
        choices=TransferState.choices,
        default=TransferState.AWAITING_RECEIVING,
        protected=True,
    )

    class Meta:
        ordering = ["-case__submitted_at"]
        constraints = [
            # the database's own guard against two transfers of one pupil running at once
            models.UniqueConstraint(
                fields=["record"],
                condition=Q(state__in=TRANSFER_RUNNING),
                name="one_running_transfer_per_record",
            )
        ]
        verbose_name = _("transfer (转学)")
        verbose_name_plural = _("transfers (转学)")

    def whose_step(self, user) -> bool:
        if self.state == TransferState.AWAITING_RECEIVING:
            return _is_school_clerk(user, self.to_school_id)
        if self.state == TransferState.AWAITING_SENDING:
            return _is_school_clerk(user, self.from_school_id)
        if self.state == TransferState.AWAITING_BUREAU:
            return _is_bureau(user, self.to_school.district_id)
        # closed: those who took part learn why they cannot act (409), not that they may not (403)
        return (
            _is_school_clerk(user, self.to_school_id)
            or _is_school_clerk(user, self.from_school_id)
            or _is_bureau(user, self.to_school.district_id)
        )

    @refusal(_("The receiving school has no free seat in this grade."))
    def seat_free(self) -> bool:
        from studentstatus import seats

        return seats.has_free_seat(school=self.to_school, stage=self.record.stage, grade=self.grade)

    @transition(
        field=state,
        source=TransferState.AWAITING_RECEIVING,
        target=TransferState.AWAITING_SENDING,
        conditions=[seat_free],
        permission=lambda t, u: t.whose_step(u),
    )
    @transition(
        field=state,
        source=TransferState.AWAITING_SENDING,
        target=TransferState.AWAITING_BUREAU,
        permission=lambda t, u: t.whose_step(u),
    )
    @transition(
        field=state,
        source=TransferState.AWAITING_BUREAU,
        target=TransferState.COMPLETED,
        conditions=[seat_free],
        permission=lambda t, u: t.whose_step(u),
    )
    def approve(self):
        """The school or bureau whose step it is agrees; the next step is due in 10 working days. The
        bureau's approval completes the transfer: the service moves the record and the seat."""

    @transition(
        field=state,
        source=TRANSFER_RUNNING,
        target=TransferState.REJECTED,
        permission=lambda t, u: t.whose_step(u),
    )
    def reject(self):
        """The school or bureau whose step it is refuses (a reason is required)."""

    @transition(
        field=state,
        source=TRANSFER_RUNNING,
        target=TransferState.WITHDRAWN,
        permission=lambda t, u: t.is_applicant(u),
    )
    def withdraw(self):
        """The applicant withdraws before the bureau's decision."""


# --- suspensions (休学) and resumptions (复学) -----------------------------------------------------------


class SuspensionState(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("suspension", "Submitted")
    APPROVED = "approved", pgettext_lazy("suspension", "Approved")
    REJECTED = "rejected", pgettext_lazy("suspension", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("suspension", "Withdrawn")
    ENDED = "ended", pgettext_lazy("suspension", "Ended")


HOSPITAL_CERTIFICATE = "hospital_certificate"
MEDICAL_CERTIFICATE = "medical_certificate"
SUSPENSION_MONTHS = range(3, 13)  # one application: 3 to 12 months (DOMAIN.md: normally a year)
MAX_MONTHS_IN_A_ROW = 24  # with extensions, never more than 2 years in a row


def _has_attachment(case, kind: str) -> bool:
    return case.attachments.filter(kind=kind).exists()


class Suspension(StepCase):
    """A suspension (休学) for 3–12 months with a hospital certificate; the school, then the bureau
    approve. An extension is a further suspension while the first runs; never more than 24 months in a
    row. It ends when a resumption is approved."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="studentstatus_suspension"
    )
    record = models.ForeignKey(StudentRecord, on_delete=models.PROTECT, related_name="suspensions")
    months = models.PositiveSmallIntegerField(
        _("months"), validators=[MinValueValidator(3), MaxValueValidator(12)]
    )
    reason = models.TextField(_("reason"))
    is_extension = models.BooleanField(_("extension"), default=False)
    school_approved_at = models.DateTimeField(null=True, blank=True)
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    reminded_before = models.BooleanField(default=False, editable=False)
    reminded_end = models.BooleanField(default=False, editable=False)
    state = FSMField(
        _("state"),
        max_length=16,
        choices=SuspensionState.choices,
        default=SuspensionState.SUBMITTED,
        protected=True,
    )

    class Meta:
        ordering = ["-case__submitted_at"]
        constraints = [
            # the database's guard: one suspension application of a pupil under review at a time
            models.UniqueConstraint(
                fields=["record"],
                condition=Q(state="submitted"),
                name="one_submitted_suspension_per_record",
            )
        ]
        verbose_name = _("suspension (休学)")
        verbose_name_plural = _("suspensions (休学)")

    def months_in_a_row(self) -> int:
        """Months of the record's running suspensions (approved, not yet ended by a resumption) with this
        one: what the 24-month cap counts."""
        running = Suspension.objects.filter(record_id=self.record_id, state=SuspensionState.APPROVED)
        return sum(running.exclude(pk=self.pk).values_list("months", flat=True)) + self.months

    @refusal(
        lambda s: (
            _("A suspension may last at most %(max)d months in a row; with this one it would be %(n)d.")
            % {"max": MAX_MONTHS_IN_A_ROW, "n": s.months_in_a_row()}
        )
    )
    def within_cap(self) -> bool:
        return self.months_in_a_row() <= MAX_MONTHS_IN_A_ROW

    def whose_step(self, user) -> bool:
        if self.state != SuspensionState.SUBMITTED:  # closed: 409 for those who took part
            return _is_school_clerk(user, self.record.school_id) or _is_bureau(
                user, self.record.school.district_id
            )
        if self.school_approved_at is None:
            return _is_school_clerk(user, self.record.school_id)
        return _is_bureau(user, self.record.school.district_id)

    @refusal(_("Upload the hospital certificate (医院诊断证明) first."))
    def has_certificate(self) -> bool:
        return _has_attachment(self.case, HOSPITAL_CERTIFICATE)

    @transition(
        field=state,
        source=SuspensionState.SUBMITTED,
        target=RETURN_VALUE(SuspensionState.SUBMITTED, SuspensionState.APPROVED),
        conditions=[has_certificate, within_cap],
        permission=lambda s, u: s.whose_step(u),
    )
    def approve(self, *, now=None, today=None):
        """The school agrees (the bureau's step is next, due in 10 working days), then the bureau: the
        suspension is approved and the service suspends the record (or extends the running suspension)."""
        if self.school_approved_at is None:
            self.school_approved_at = now
            return SuspensionState.SUBMITTED
        return SuspensionState.APPROVED

    @transition(
        field=state,
        source=SuspensionState.SUBMITTED,
        target=SuspensionState.REJECTED,
        permission=lambda s, u: s.whose_step(u),
    )
    def reject(self):
        """The school or the bureau refuses (a reason is required)."""

    @transition(
        field=state,
        source=SuspensionState.SUBMITTED,
        target=SuspensionState.WITHDRAWN,
        permission=lambda s, u: s.is_applicant(u),
    )
    def withdraw(self):
        """The applicant withdraws before the decision."""

    @transition(
        field=state,
        source=SuspensionState.APPROVED,
        target=SuspensionState.ENDED,
        permission=lambda s, u: u is None,
    )
    def end(self):
        """A resumption was approved: the suspension is over."""


class ResumptionState(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("resumption", "Submitted")
    APPROVED = "approved", pgettext_lazy("resumption", "Approved")
    REJECTED = "rejected", pgettext_lazy("resumption", "Rejected")


class Resumption(StepCase):
    """A resumption (复学) with a medical certificate; the school approves and assigns the grade."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="studentstatus_resumption"
    )
    record = models.ForeignKey(StudentRecord, on_delete=models.PROTECT, related_name="resumptions")
    grade = models.PositiveSmallIntegerField(_("grade assigned"), null=True, blank=True)
    state = FSMField(
        _("state"),
        max_length=16,
        choices=ResumptionState.choices,
        default=ResumptionState.SUBMITTED,
        protected=True,
    )

    class Meta:
        ordering = ["-case__submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["record"],
                condition=Q(state="submitted"),
                name="one_submitted_resumption_per_record",
            )
        ]
        verbose_name = _("resumption (复学)")
        verbose_name_plural = _("resumptions (复学)")

    def whose_step(self, user) -> bool:
        return _is_school_clerk(user, self.record.school_id)

    @refusal(_("Upload the medical certificate that allows the return to school first."))
    def has_certificate(self) -> bool:
        return _has_attachment(self.case, MEDICAL_CERTIFICATE)

    @refusal(_("The student record is not suspended; there is nothing to resume."))
    def record_suspended(self) -> bool:
        return self.record.status == RecordStatus.SUSPENDED

    @transition(
        field=state,
        source=ResumptionState.SUBMITTED,
        target=ResumptionState.APPROVED,
        conditions=[has_certificate, record_suspended],
        permission=lambda r, u: r.whose_step(u),
    )
    def approve(self, *, grade: int):
        """The school agrees and assigns the grade; the service ends the suspension and resumes the record."""
        self.grade = grade

    @transition(
        field=state,
        source=ResumptionState.SUBMITTED,
        target=ResumptionState.REJECTED,
        permission=lambda r, u: r.whose_step(u),
    )
    def reject(self):
        """The school refuses (a reason is required)."""


# --- corrections (信息更正) ------------------------------------------------------------------------------


class CorrectionField(models.TextChoices):
    NAME = "name", _("Name")
    GENDER = "gender", _("Gender")
    BIRTH_DATE = "birth_date", _("Birth date")
    ETHNICITY = "ethnicity", _("Ethnicity")


class CorrectionState(models.TextChoices):
    VERIFYING = "verifying", _("Checking against the household registry")
    NEEDS_REVIEW = "needs_review", _("Awaiting the school's review")
    APPROVED = "approved", pgettext_lazy("correction", "Approved")
    REJECTED = "rejected", pgettext_lazy("correction", "Rejected")


class Correction(StepCase):
    """A correction of the record: the new value is checked against 户籍; a match is approved at once
    (秒批), a mismatch goes to the school with the registry's value shown."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="studentstatus_correction"
    )
    record = models.ForeignKey(StudentRecord, on_delete=models.PROTECT, related_name="corrections")
    field = models.CharField(_("field"), max_length=16, choices=CorrectionField.choices)
    old_value = models.CharField(_("value on the record"), max_length=100, blank=True)
    new_value = models.CharField(_("new value"), max_length=100)
    registry_value = models.CharField(_("value in the household registry"), max_length=100, blank=True)
    check_result = models.CharField(max_length=16, blank=True)  # pass | fail | unavailable | "" (pending)
    check_reason = models.CharField(max_length=300, blank=True)
    state = FSMField(
        _("state"),
        max_length=16,
        choices=CorrectionState.choices,
        default=CorrectionState.VERIFYING,
        protected=True,
    )

    class Meta:
        ordering = ["-case__submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "field"],
                condition=Q(state__in=("verifying", "needs_review")),
                name="one_running_correction_per_record_field",
            )
        ]
        verbose_name = _("correction (信息更正)")
        verbose_name_plural = _("corrections (信息更正)")

    def whose_step(self, user) -> bool:
        return _is_school_clerk(user, self.record.school_id)

    @transition(
        field=state,
        source=CorrectionState.VERIFYING,
        target=CorrectionState.APPROVED,
        permission=lambda c, u: u is None,
    )
    def match(self):
        """The registry holds the new value: approved at once (秒批); the service corrects the record."""

    @transition(
        field=state,
        source=CorrectionState.VERIFYING,
        target=CorrectionState.NEEDS_REVIEW,
        permission=lambda c, u: u is None,
    )
    def mismatch(self):
        """The registry holds another value (or cannot answer): the school reviews, seeing that value."""

    @transition(
        field=state,
        source=CorrectionState.NEEDS_REVIEW,
        target=CorrectionState.APPROVED,
        permission=lambda c, u: c.whose_step(u),
    )
    def approve(self):
        """The school accepts the new value after seeing the registry's; the service corrects the record."""

    @transition(
        field=state,
        source=CorrectionState.NEEDS_REVIEW,
        target=CorrectionState.REJECTED,
        permission=lambda c, u: c.whose_step(u),
    )
    def reject(self):
        """The school refuses (a reason is required)."""


# --- graduation (毕业) and its certificates: a module of their own, imported here for the app's models ----

from studentstatus.models_graduation import (  # noqa: E402, F401
    GraduationCertificate,
    GraduationRun,
    RunState,
)
