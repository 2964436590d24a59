"""After-school care (课后托管): programmes per school and term, leave-time slots, applications.

A ``Program`` is one school's after-school care for a term: the grades and weekdays it serves, the fee for
the term (a ``payments.FeeItem``), the application window and the teachers. Its ``ProgramSlot`` rows are
the leave-time slots (离校时段, e.g. 16:30 / 17:30 / 18:00) with a capacity each. The status the contract
shows — ``open | full | closed`` — is derived from the seats and the dates (:meth:`Program.status_on`);
the programme's own ``phase`` only records that the school (or the term's end) closed it.

An ``Application`` is one pupil's place request, a case of the ASC service item. A seat of a slot is held
by an application awaiting review, awaiting payment or enrolled; a full slot puts the application on the
slot's waitlist, first come first served by ``queued_at``. A change of slot into a full slot keeps the
current seat and queues the application for the other slot (``requested_slot``, same queue). Seats are
counted and taken under the programme's row lock (``workflow.lock(Program, pk)``), always taken before
the application's, so two guardians for the last seat cannot both get it.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from portal.accounts.models import Role
from portal.cases.scoping import can_handle
from portal.cases.workflow import refusal
from portal.core import pii
from portal.core.fields import EncryptedTextField

WEEKDAY_NAMES = "一二三四五六日"


def parse_numbers(text: str, *, low: int, high: int) -> list[int]:
    """``"1-3,5"`` → ``[1, 2, 3, 5]``; ValueError for anything outside ``low``–``high``."""
    numbers: set[int] = set()
    for part in (text or "").replace("，", ",").replace(" ", "").split(","):
        if not part:
            continue
        first_text, _sep, last_text = part.partition("-")
        first, last = int(first_text), int(last_text or first_text)
        if not (low <= first <= last <= high):
            raise ValueError(part)
        numbers.update(range(first, last + 1))
    if not numbers:
        raise ValueError(text)
    return sorted(numbers)


class ProgramStatus(models.TextChoices):
    """The contract's status of a programme (derived, never stored)."""

    OPEN = "open", pgettext_lazy("programme", "Open")
    FULL = "full", pgettext_lazy("programme", "Full")
    CLOSED = "closed", pgettext_lazy("programme", "Closed")


class ProgramPhase(models.TextChoices):
    RUNNING = "running", _("Running")
    CLOSED = "closed", pgettext_lazy("programme", "Closed")


class Program(ConcurrentTransitionMixin, models.Model):
    """One school's after-school care for a term (课后托管项目)."""

    school = models.ForeignKey(
        "orgs.School", on_delete=models.PROTECT, related_name="afterschool_programs", verbose_name=_("school")
    )
    name = models.CharField(_("name"), max_length=100)
    term = models.CharField(_("term"), max_length=40, help_text=_("E.g. 2026学年第一学期."))
    term_starts = models.DateField(_("term starts"))
    term_ends = models.DateField(_("term ends"))
    grades = models.CharField(_("grades"), max_length=20, default="1-6", help_text=_("E.g. 1-3 or 1,2,5."))
    weekdays = models.CharField(_("weekdays"), max_length=20, default="1-5", help_text=_("1 = Monday … 7."))
    fee_item = models.ForeignKey(
        "payments.FeeItem",
        on_delete=models.PROTECT,
        related_name="afterschool_programs",
        verbose_name=_("fee item"),
        help_text=_("The term's fee: a one-off after-school care fee item of the school's district."),
    )
    applications_open = models.DateField(_("applications open"))
    applications_close = models.DateField(_("applications close"))
    teachers = models.CharField(_("teachers"), max_length=300, blank=True)
    description = models.TextField(_("description for families"), blank=True)
    phase = FSMField(
        _("phase"), max_length=16, choices=ProgramPhase.choices, default=ProgramPhase.RUNNING, protected=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["school", "-term_starts", "name"]
        verbose_name = _("after-school programme")
        verbose_name_plural = _("after-school programmes")
        constraints = [
            models.CheckConstraint(
                condition=Q(term_ends__gte=models.F("term_starts")), name="asc_term_order"
            ),
            models.CheckConstraint(
                condition=Q(applications_close__gte=models.F("applications_open")), name="asc_window_order"
            ),
        ]

    def __str__(self):
        return f"{self.school.name} {self.term} {self.name}"

    def clean(self):
        errors = {}
        for field, high in (("grades", 9), ("weekdays", 7)):
            try:
                parse_numbers(getattr(self, field), low=1, high=high)
            except ValueError:
                errors[field] = _("Write numbers as a list or ranges, e.g. 1-3,5.")
        if self.term_starts and self.term_ends and self.term_ends < self.term_starts:
            errors["term_ends"] = _("The term ends before it starts.")
        if (
            self.applications_open
            and self.applications_close
            and self.applications_close < self.applications_open
        ):
            errors["applications_close"] = _("Applications close before they open.")
        if self.fee_item_id and self.school_id:
            fee = self.fee_item
            if fee.district_id != self.school.district_id or (
                fee.school_id and fee.school_id != self.school_id
            ):
                errors["fee_item"] = _("The fee item belongs to another district or school.")
        if errors:
            raise ValidationError(errors)

    @property
    def grade_list(self) -> list[int]:
        return parse_numbers(self.grades, low=1, high=9)

    @property
    def weekday_list(self) -> list[int]:
        return parse_numbers(self.weekdays, low=1, high=7)

    @property
    def weekdays_label(self) -> str:
        return "、".join(f"周{WEEKDAY_NAMES[d - 1]}" for d in self.weekday_list)

    @property
    def fee_fen(self) -> int:
        return self.fee_item.amount_fen

    def accepting_on(self, day: dt.date) -> bool:
        return self.phase == ProgramPhase.RUNNING and self.applications_open <= day <= self.applications_close

    def status_on(self, day: dt.date, *, free_seats: int) -> str:
        """``closed`` outside the application window or once closed; ``full`` when no slot has a seat."""
        if not self.accepting_on(day):
            return ProgramStatus.CLOSED
        return ProgramStatus.FULL if free_seats <= 0 else ProgramStatus.OPEN

    @staticmethod
    def school_staff(instance: "Program", user) -> bool:
        return _school_staff(user, instance.school_id, instance.school.district_id)

    @transition(field=phase, source=ProgramPhase.RUNNING, target=ProgramPhase.CLOSED, permission=school_staff)
    def close(self):
        """The school closes the programme (or the term has ended): no more applications or changes."""
        from django.utils import timezone

        self.closed_at = timezone.now()


def _school_staff(user, school_id: int, district_id: int) -> bool:
    """A clerk of the school, bureau staff of its district, or a superuser; None (the system) too."""
    if user is None:
        return True
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    if user.role == Role.CLERK:
        return user.school_id == school_id
    return user.role == Role.BUREAU and user.district_id == district_id


class ProgramSlot(models.Model):
    """A leave-time slot (离校时段) of a programme and its seats."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="slots")
    leave_at = models.CharField(
        _("leave time"),
        max_length=5,
        help_text=_("HH:MM, e.g. 17:30."),
        validators=[RegexValidator(r"^([01]\d|2[0-3]):[0-5]\d$", _("Give the time as HH:MM, e.g. 17:30."))],
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), validators=[MinValueValidator(0), MaxValueValidator(2000)]
    )

    class Meta:
        ordering = ["program", "leave_at"]
        verbose_name = _("leave-time slot")
        verbose_name_plural = _("leave-time slots")
        constraints = [models.UniqueConstraint(fields=["program", "leave_at"], name="asc_one_slot_per_time")]

    def __str__(self):
        return self.leave_at


class State(models.TextChoices):
    AWAITING_REVIEW = "awaiting_review", _("Awaiting the school's review")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    WAITLISTED = "waitlisted", _("On the waitlist")
    ENROLLED = "enrolled", _("Enrolled")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


SEAT_STATES = (State.AWAITING_REVIEW, State.AWAITING_PAYMENT, State.ENROLLED)
LIVE_STATES = (*SEAT_STATES, State.WAITLISTED)
FINAL_STATES = (State.REJECTED, State.WITHDRAWN)


class Application(ConcurrentTransitionMixin, models.Model):
    """A guardian's application for a pupil's after-school place (a case of the ASC item)."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="afterschool")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="applications")
    slot = models.ForeignKey(ProgramSlot, on_delete=models.PROTECT, related_name="applications")
    requested_slot = models.ForeignKey(
        ProgramSlot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="change_requests",
        verbose_name=_("waiting for slot"),
    )
    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="afterschool_applications"
    )
    student_id_number = EncryptedTextField(_("ID number"))
    student_hash = models.CharField(max_length=64, db_index=True, editable=False)
    student_name = models.CharField(_("pupil"), max_length=100)
    grade = models.PositiveSmallIntegerField(_("grade"))
    state = FSMField(
        _("status"), max_length=20, choices=State.choices, default=State.AWAITING_REVIEW, protected=True
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    queued_at = models.DateTimeField(
        _("in the queue since"),
        null=True,
        blank=True,
        help_text=_("Waitlist order (first come first served)."),
    )
    order = models.ForeignKey(
        "payments.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bill"),
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), null=True, blank=True)
    decided_note = models.CharField(_("reason"), max_length=2000, blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    refund_fen = models.PositiveBigIntegerField(_("refund (fen)"), default=0)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("after-school application")
        verbose_name_plural = _("after-school applications")
        indexes = [models.Index(fields=["slot", "state", "queued_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "student_hash"],
                condition=Q(state__in=LIVE_STATES),
                name="asc_one_live_application_per_pupil",
            )
        ]

    def __str__(self):
        return self.case.reference_no

    def save(self, *args, **kwargs):
        self.student_hash = pii.keyed_hash(self.student_id_number)
        super().save(*args, **kwargs)

    @property
    def masked_id(self) -> str:
        return pii.mask_id(self.student_id_number)

    # --- permissions and conditions ---------------------------------------------------------------------

    @staticmethod
    def school_reviewer(instance: "Application", user) -> bool:
        """A clerk of the programme's school or bureau staff of its district (in the case's scope)."""
        if user is None or not (user.is_authenticated and user.is_active):
            return False
        if not user.is_superuser and user.role not in (Role.CLERK, Role.BUREAU):
            return False
        return can_handle(user, instance.case)

    @staticmethod
    def the_guardian(instance: "Application", user) -> bool:
        return user is not None and user.is_authenticated and user.pk == instance.guardian_id

    @staticmethod
    def the_system(instance: "Application", user) -> bool:
        return user is None

    @refusal(_("The programme is closed; the slot can no longer be changed."))
    def program_running(self) -> bool:
        return self.program.phase == ProgramPhase.RUNNING

    # --- transitions: state and bookkeeping only; afterschool.services locks, saves, bills and messages ---

    @transition(
        field=state, source=State.AWAITING_REVIEW, target=State.AWAITING_PAYMENT, permission=school_reviewer
    )
    def approve(self):
        """The school found the pupil eligible: the term's fee is billed (by the service)."""
        self.decided_note = ""

    @transition(
        field=state,
        source=[State.AWAITING_REVIEW, State.WAITLISTED],
        target=State.REJECTED,
        permission=school_reviewer,
    )
    def reject(self, *, reason: str):
        """Not eligible (the reason is shown to the family); a held seat goes to the waitlist."""
        self.decided_note = reason
        self.requested_slot = None
        self.queued_at = None

    @transition(field=state, source=State.WAITLISTED, target=State.AWAITING_PAYMENT, permission=the_system)
    def promote(self):
        """A seat of the slot freed and this application was first on its waitlist: billed now."""
        self.queued_at = None

    @transition(field=state, source=State.AWAITING_PAYMENT, target=State.ENROLLED, permission=the_system)
    def enroll(self, *, paid_at):
        """The bill was paid: the pupil has the place."""
        self.enrolled_at = paid_at

    @transition(field=state, source=State.AWAITING_PAYMENT, target=State.WITHDRAWN, permission=the_system)
    def lapse(self):
        """The bill expired unpaid: the seat goes to the waitlist."""
        self.requested_slot = None
        self.queued_at = None

    @transition(
        field=state,
        source=[State.AWAITING_REVIEW, State.AWAITING_PAYMENT, State.WAITLISTED, State.ENROLLED],
        target=State.WITHDRAWN,
        permission=the_guardian,
    )
    def withdraw(self, *, on: dt.date, refund_fen: int = 0):
        """The family withdraws; an enrolled pupil is refunded the term's unused part (by the service)."""
        self.withdrawn_on = on
        self.refund_fen = refund_fen
        self.requested_slot = None
        self.queued_at = None

    @transition(
        field=state,
        source=[State.AWAITING_REVIEW, State.AWAITING_PAYMENT, State.ENROLLED, State.WAITLISTED],
        target=None,
        permission=the_guardian,
        conditions=[program_running],
    )
    def change_slot(self, *, slot: ProgramSlot, seat_free: bool, now):
        """Another leave-time slot: taken at once when it has a seat (or the application is waitlisted
        anyway), else the application keeps its seat and queues for the other slot."""
        if seat_free or self.state == State.WAITLISTED:
            self.slot = slot
            self.requested_slot = None
            if self.state == State.WAITLISTED:
                self.queued_at = now  # the end of the new slot's queue
        else:
            self.requested_slot = slot
            self.queued_at = now

    @transition(
        field=state,
        source=[State.AWAITING_REVIEW, State.AWAITING_PAYMENT, State.ENROLLED],
        target=None,
        permission=the_system,
    )
    def move_to_requested_slot(self):
        """A seat freed in the slot this application queued for: it moves there."""
        self.slot = self.requested_slot
        self.requested_slot = None
        self.queued_at = None


# --- pick-up (接送): who may collect a pupil, and who did ---------------------------------------------------

MAX_COLLECTORS = 4


class Collector(models.Model):
    """A person the guardian authorised to collect the pupil (授权接送人), besides the guardian. Removed
    ones are kept (``removed_at``) because past pick-ups name them."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="collectors")
    name = models.CharField(_("name"), max_length=50)
    relation = models.CharField(_("relation to the pupil"), max_length=20, help_text=_("E.g. 祖母, 舅舅."))
    phone = EncryptedTextField(_("mobile phone"))
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        ordering = ["application", "added_at", "pk"]
        verbose_name = _("authorised collector")
        verbose_name_plural = _("authorised collectors")

    def __str__(self):
        return f"{self.name}（{self.relation}）"

    @property
    def masked_phone(self) -> str:
        return pii.mask_phone(self.phone)


class PickUp(models.Model):
    """A pupil collected on a day (接回记录), marked by the care teacher: who collected, when. One per
    pupil and day; a correction overwrites it and keeps who marked it last."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="pickups")
    day = models.DateField(_("day"))
    leave_at = models.CharField(_("leave time"), max_length=5)
    collector = models.ForeignKey(
        Collector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pickups",
        verbose_name=_("authorised collector"),
        help_text=_("Empty: the guardian who applied."),
    )
    collected_by = models.CharField(_("collected by"), max_length=80)
    collected_at = models.DateTimeField(_("collected at"))
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("marked by")
    )
    marked_at = models.DateTimeField(_("marked at"), auto_now=True)

    class Meta:
        ordering = ["day", "leave_at", "application"]
        verbose_name = _("pick-up")
        verbose_name_plural = _("pick-ups")
        constraints = [models.UniqueConstraint(fields=["application", "day"], name="asc_one_pickup_a_day")]

    def __str__(self):
        return f"{self.day} {self.collected_by}"
