"""Admission (录取): draws, seats, placements on public notice (公示), objections and the early-warning
settings. See docs/workflows/admission.md.

Never more admissions than seats, whatever runs at the same time: every placement takes a seat from the
school's :class:`SeatLedger` row, which is locked (``select_for_update``) while seats are taken or given
back, and whose ``taken`` the database itself keeps within ``0 … seats`` (CHECK constraints). A placement
also holds a numbered seat: live placements are unique per (school, year, seat number) and per
application (partial unique constraints), so even a writer that skipped the lock cannot double-book.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from portal.orgs.models import Stage


def default_notice_days() -> int:
    return int(getattr(settings, "ADMISSION_NOTICE_WORKING_DAYS", 5))


class AdmissionRound(models.Model):
    """One district's admission for one entry year and stage: the lottery seed, published before any
    draw, and the length of the public notice."""

    district = models.ForeignKey("orgs.District", on_delete=models.PROTECT, related_name="admission_rounds")
    year = models.PositiveSmallIntegerField(_("entry year"))
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    notice_working_days = models.PositiveSmallIntegerField(
        _("public notice (公示) in working days"),
        default=default_notice_days,
        validators=[MaxValueValidator(30)],
        help_text=_("0: admission is final at once."),
    )
    use_ranking_dates = models.BooleanField(
        _("break ties by the ranking date before the lottery"),
        default=True,
        help_text=_("The 户籍 move-in or property registration date each tier ranks by (enrollment rules)."),
    )
    seed = models.CharField(_("lottery seed"), max_length=64, blank=True)
    seed_published_at = models.DateTimeField(_("seed published at"), null=True, blank=True)
    seed_published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["district", "-year", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year", "stage"], name="one_round_per_year_stage"),
            models.CheckConstraint(
                condition=Q(seed="") | Q(seed_published_at__isnull=False), name="seed_has_publication_time"
            ),
        ]
        verbose_name = _("admission round")
        verbose_name_plural = _("admission rounds")

    def __str__(self):
        return f"{self.district} {self.year} {self.get_stage_display()}"

    @property
    def seed_published(self) -> bool:
        return bool(self.seed)


class SeatLedger(models.Model):
    """The seats (学位) of one school in one entry year and how many are taken. The row is the lock."""

    school = models.ForeignKey("orgs.School", on_delete=models.PROTECT, related_name="seat_ledgers")
    year = models.PositiveSmallIntegerField(_("entry year"))
    seats = models.PositiveIntegerField(_("seats"))
    taken = models.PositiveIntegerField(_("taken"), default=0)

    class Meta:
        ordering = ["school", "year"]
        constraints = [
            models.UniqueConstraint(fields=["school", "year"], name="one_ledger_per_school_year"),
            models.CheckConstraint(condition=Q(taken__lte=F("seats")), name="never_more_taken_than_seats"),
            models.CheckConstraint(condition=Q(taken__gte=0), name="taken_not_negative"),
        ]
        verbose_name = _("seat ledger")
        verbose_name_plural = _("seat ledgers")

    def __str__(self):
        return f"{self.school} {self.year}: {self.taken}/{self.seats}"

    @property
    def free(self) -> int:
        return self.seats - self.taken


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", pgettext_lazy("allocation run", "Done")
    FAILED = "failed", _("Failed")


class RunPhase(models.TextChoices):
    WAITING = "waiting", _("Waiting for a worker")
    LOADING = "loading", _("Loading the applications")
    DRAWING = "drawing", _("Ranking, lottery and redistribution")
    WRITING = "writing", _("Writing the placements")
    FINISHED = "finished", pgettext_lazy("allocation run", "Finished")


def draw_inputs_path(instance, filename):
    return f"admission/draws/{instance.round_id}/{instance.pk or 'new'}-{filename}"


class AllocationRun(models.Model):
    """One allocation (or dry run) of a round: its progress for the bureau page, and once done the seed,
    the published inputs file and the digests anyone can check with ``admission/recompute.py``."""

    round = models.ForeignKey(AdmissionRound, on_delete=models.PROTECT, related_name="runs")
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    phase = models.CharField(_("phase"), max_length=8, choices=RunPhase.choices, default=RunPhase.WAITING)
    progress = models.PositiveSmallIntegerField(
        _("progress %"), default=0, validators=[MaxValueValidator(100)]
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seed = models.CharField(_("lottery seed"), max_length=64, blank=True)
    applicants = models.PositiveIntegerField(_("applicants"), default=0)
    inputs_sha256 = models.CharField(_("inputs SHA-256"), max_length=64, blank=True)
    result_sha256 = models.CharField(_("result digest"), max_length=64, blank=True)
    inputs_file = models.FileField(upload_to=draw_inputs_path, max_length=200, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("allocation run")
        verbose_name_plural = _("allocation runs")

    def __str__(self):
        kind = _("dry run") if self.dry_run else _("allocation")
        return f"{self.round} {kind} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)


class How(models.TextChoices):
    ZONE = "zone", _("Zone school")
    REDISTRIBUTED = "redistributed", _("Redistributed (调剂)")
    MANUAL = "manual", _("Placed by the bureau")


class PlacementState(models.TextChoices):
    ON_NOTICE = "on_notice", _("On public notice (公示中)")
    FINAL = "final", _("Admitted")
    REVOKED = "revoked", _("Revoked")


class Placement(ConcurrentTransitionMixin, models.Model):
    """A seat given to one application: on public notice first, then final (the application is admitted),
    or revoked (the seat goes back to the school)."""

    # No index of their own on these two: (round, state, school) below serves look-ups by round, and
    # nothing looks placements up by run; a draw COPYs ~100,000 rows and every index costs (ADR 0008).
    round = models.ForeignKey(
        AdmissionRound,
        on_delete=models.PROTECT,
        related_name="placements",
        db_index=False,
    )
    run = models.ForeignKey(
        AllocationRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    application = models.ForeignKey(
        "enrollment.Application", on_delete=models.PROTECT, related_name="admission_placements"
    )
    school = models.ForeignKey("orgs.School", on_delete=models.PROTECT, related_name="admission_placements")
    year = models.PositiveSmallIntegerField(_("entry year"))
    seat_no = models.PositiveIntegerField(_("seat"), validators=[MinValueValidator(1)])
    how = models.CharField(_("how"), max_length=16, choices=How.choices)
    rank = models.PositiveIntegerField(_("rank in the draw"), null=True, blank=True)
    lottery = models.CharField(_("lottery number"), max_length=64, blank=True)
    distance_km = models.FloatField(_("distance (km)"), null=True, blank=True)
    state = FSMField(
        _("state"),
        max_length=16,
        choices=PlacementState.choices,
        default=PlacementState.ON_NOTICE,
        protected=True,
    )
    notice_from = models.DateField(_("on notice from"))
    notice_until = models.DateField(_("objections until"))
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(_("why revoked"), max_length=300, blank=True)

    class Meta:
        ordering = ["school", "seat_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=~Q(state="revoked"),
                name="one_live_placement_per_application",
            ),
            models.UniqueConstraint(
                fields=["school", "year", "seat_no"],
                condition=~Q(state="revoked"),
                name="one_live_placement_per_seat",
            ),
            models.CheckConstraint(condition=Q(seat_no__gte=1), name="seat_no_positive"),
        ]
        indexes = [
            models.Index(fields=["round", "state", "school"]),
            models.Index(fields=["state", "notice_until"]),
        ]
        verbose_name = _("placement")
        verbose_name_plural = _("placements")

    def __str__(self):
        return f"{self.school} #{self.seat_no} ({self.state})"

    @transition(field=state, source=PlacementState.ON_NOTICE, target=PlacementState.FINAL)
    def finalise(self):
        """The notice period ended without an upheld objection: the admission is final."""

    @transition(field=state, source=PlacementState.ON_NOTICE, target=PlacementState.REVOKED)
    def revoke(self):
        """An objection was upheld, the family withdrew, or the bureau corrected the placement; the
        service gives the seat back to the ledger."""


class EarlyWarningSettings(models.Model):
    """How a district projects demand for seats (学位预警) and where the colours change."""

    district = models.OneToOneField("orgs.District", on_delete=models.CASCADE, related_name="early_warning")
    purchase_months = models.PositiveSmallIntegerField(
        _("recent home purchases: months back"), default=12, validators=[MinValueValidator(1)]
    )
    children_per_home = models.DecimalField(
        _("entry-age children expected per recently bought home, per year"),
        max_digits=4,
        decimal_places=3,
        default=0.15,
    )
    yellow_ratio = models.DecimalField(
        _("yellow from demand / seats"), max_digits=4, decimal_places=2, default=0.90
    )
    red_ratio = models.DecimalField(
        _("red above demand / seats"), max_digits=4, decimal_places=2, default=1.00
    )

    class Meta:
        verbose_name = _("early-warning settings")
        verbose_name_plural = _("early-warning settings")
        constraints = [
            models.CheckConstraint(condition=Q(yellow_ratio__lte=F("red_ratio")), name="yellow_below_red")
        ]

    def __str__(self):
        return str(self.district)
