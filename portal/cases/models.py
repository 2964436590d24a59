"""The case registry (办件): one row per application of any service.

Every service app keeps its own model with its own django-fsm ``state`` and a one-to-one link to a
``Case``; the case carries what all services share: reference number, applicant, subject, channel, coarse
status, the promised deadline in Chinese working days (paused while waiting on the citizen), visits, the
append-only event trace, attachments and the rating. See docs/adr/0002-case-kernel.md.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from portal.core import pii
from portal.core.fields import EncryptedTextField
from portal.core.models import AppendOnlyModel


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    COUNTER = "counter", _("Counter")


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


FINAL_STATUSES = {CaseStatus.DONE, CaseStatus.REJECTED, CaseStatus.WITHDRAWN}


class Case(ConcurrentTransitionMixin, models.Model):
    reference_no = models.CharField(_("reference number"), max_length=40, unique=True, editable=False)
    service = models.ForeignKey("catalog.ServiceItem", on_delete=models.PROTECT, related_name="cases")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases", verbose_name=_("applicant")
    )
    subject_name = models.CharField(_("subject"), max_length=200, help_text=_("Whom the case is about."))
    subject_id_number = EncryptedTextField(_("subject ID number"), blank=True, default="")
    subject_id_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.ONLINE)
    status = FSMField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED, protected=True
    )
    district = models.ForeignKey("orgs.District", on_delete=models.PROTECT, related_name="cases")
    school = models.ForeignKey(
        "orgs.School", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    departments = models.ManyToManyField("orgs.Department", blank=True, related_name="cases")
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    accepted_on = models.DateField(_("accepted on"))
    promised_days = models.PositiveSmallIntegerField(_("promised working days"), default=0)
    paused_working_days = models.PositiveSmallIntegerField(_("working days paused"), default=0)
    paused_since = models.DateField(_("clock paused since"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    # A case handled in steps, each promised the same working days (a transfer: receiving school, sending
    # school, bureau), restarts the clock at every step (case_restart_clock); None: it runs from accepted_on.
    clock_started_on = models.DateField(_("clock started on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    visits = models.PositiveSmallIntegerField(_("visits"), default=0)
    next_step = models.CharField(_("what happens next"), max_length=300, blank=True)
    # The trace's last seq. Only case_log_event moves it (UPDATE … RETURNING, which also row-locks the
    # case); save() never writes it back, so a stale copy in memory cannot turn it back.
    last_event_seq = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [models.Index(fields=["district", "status"]), models.Index(fields=["school", "status"])]

    def __str__(self):
        return self.reference_no

    def save(self, *args, **kwargs):
        self.subject_id_hash = pii.keyed_hash(self.subject_id_number) if self.subject_id_number else ""
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None:
                fields = [f.name for f in self._meta.concrete_fields if not f.primary_key]
            kwargs["update_fields"] = [name for name in fields if name != "last_event_seq"]
        super().save(*args, **kwargs)

    @property
    def masked_subject_id(self) -> str:
        return pii.mask_id(self.subject_id_number)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def clock_paused(self) -> bool:
        return self.paused_since is not None

    # --- transitions: state and bookkeeping only; services save, log and message -------------------------
    # ``permission`` is checked by the service (``django_fsm.has_transition_perm``); ``None`` as the user
    # means the system itself (an automatic check, a scheduled job). See docs/workflows/cases.md.

    @transition(
        field=status,
        source=CaseStatus.SUBMITTED,
        target=CaseStatus.IN_PROGRESS,
        permission=lambda case, user: case.may_process(user),
    )
    def start_processing(self):
        """A clerk, reviewer or automatic check has taken the case up."""

    @transition(
        field=status,
        source=[CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS],
        target=CaseStatus.DONE,
        permission=lambda case, user: case.may_process(user),
    )
    def complete(self):
        """The case is decided in the applicant's favour and closed; the clock stops."""
        self.paused_since = None

    @transition(
        field=status,
        source=[CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS],
        target=CaseStatus.REJECTED,
        permission=lambda case, user: case.may_process(user),
    )
    def reject(self):
        """The case is decided against the applicant and closed; the clock stops."""
        self.paused_since = None

    @transition(
        field=status,
        source=[CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS],
        target=CaseStatus.WITHDRAWN,
        permission=lambda case, user: case.may_withdraw(user),
    )
    def withdraw(self):
        """The applicant (or staff on the applicant's written request) withdrew the case; the clock stops."""
        self.paused_since = None

    # --- who may trigger the transitions ---------------------------------------------------------------

    def may_process(self, user) -> bool:
        """Staff who handle the case (clerk of its school, bureau of its district, reviewer of one of its
        departments), or the system when ``user`` is None."""
        from portal.cases.scoping import can_handle

        return user is None or can_handle(user, self)

    def may_withdraw(self, user) -> bool:
        """The applicant, staff who handle the case, or the system."""
        from portal.cases.scoping import is_applicant

        return self.may_process(user) or is_applicant(user, self)


class ReferenceCounter(models.Model):
    """The last sequence number issued per service and year (row-locked while a number is taken)."""

    service_code = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service_code", "year"], name="one_counter_per_year")]
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self):
        return f"{self.service_code}-{self.year}: {self.last}"


class NumberSeries(models.Model):
    """The last number taken in a series of numbers a service prints on what it issues (certificate
    numbers per year, district and stage …), named by ``key`` (``<app>.<what>:<part>:…``). Taken with
    ``portal.cases.services.number_take``, under the row's lock until the taker commits: gapless, and two
    concurrent takers never get one number."""

    key = models.CharField(_("series"), max_length=100, unique=True)
    last = models.PositiveIntegerField(_("last number taken"), default=0)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
        ordering = ["key"]

    def __str__(self):
        return f"{self.key}: {self.last}"


class CaseEvent(AppendOnlyModel):
    """One entry of a case's processing trace: who, when, what, from which state to which, and why."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField(editable=False)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("by"), max_length=100)
    action = models.CharField(_("action"), max_length=48)
    from_state = models.CharField(_("from"), max_length=32, blank=True)
    to_state = models.CharField(_("to"), max_length=32, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="event_seq_unique_per_case")]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self):
        return f"{self.case_id}#{self.seq} {self.action}"


class ClockPause(models.Model):
    """A period in which the promised-time clock stood still, waiting on the citizen (容缺补正)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=300)
    working_days = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["case", "started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(ended_on__isnull=True), name="one_open_pause_per_case"
            )
        ]
        verbose_name = _("clock pause")
        verbose_name_plural = _("clock pauses")

    def __str__(self):
        return f"{self.case_id} {self.started_on}–{self.ended_on or ''}"


class CalendarDay(models.Model):
    """A bureau's override of the working-day calendar (for a year the calendar package does not know
    yet, or a local arrangement). ``is_workday`` wins over the package and over weekends."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self):
        return f"{self.date} {'work' if self.is_workday else 'rest'}"


def attachment_path(instance, filename):  # the stored name is random; the original name is kept in a field
    return f"attachments/{instance.stored_name}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(_("material"), max_length=100)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    stored_name = models.CharField(max_length=120, unique=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class RatingLevel(models.IntegerChoices):
    VERY_BAD = 1, _("Very dissatisfied (非常不满意)")
    BAD = 2, _("Dissatisfied (不满意)")
    FAIR = 3, _("Fairly satisfied (基本满意)")
    GOOD = 4, _("Satisfied (满意)")
    VERY_GOOD = 5, _("Very satisfied (非常满意)")


class Rating(models.Model):
    """好差评: one per case, by its applicant."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="rating")
    level = models.PositiveSmallIntegerField(
        _("rating"), choices=RatingLevel.choices, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    rated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="level_1_5")
        ]

    def __str__(self):
        return f"{self.case_id}: {self.level}"


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Rectified")


class RectificationTask(models.Model):
    """Opened by a low rating (1 or 2); due in 15 working days; closed with what was done."""

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="rectification")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="rectifications")
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=8, choices=RectificationStatus.choices, default=RectificationStatus.OPEN
    )
    resolution = models.TextField(_("what was done"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_on"]
        verbose_name = _("rectification task")
        verbose_name_plural = _("rectification tasks")

    def __str__(self):
        return f"{self.case_id} due {self.due_on}"
