"""Public notices (公示) for any service: a period in working days, masked entries, objections (异议) that
bureau staff answer. See docs/adr/0015-public-notices.md and docs/workflows/notices.md.

A service publishes a :class:`Notice` with one :class:`NoticeEntry` per case on it
(``portal.notices.services.notice_publish``); each entry carries a masked name and only the public
fields of :data:`PUBLIC_FIELDS` — never an ID number, a hardship reason or a disability. Anyone signed in
may raise an :class:`Objection` during the period; the entry's case waits until the period is over and no
objection to the notice is open (``portal.notices.selectors``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

# The keys a service may put in an entry's public fields. Anything else is refused by notice_publish
# (and by NoticeEntry.clean): an allow-list, so that no new key can carry an ID number or a reason.
PUBLIC_FIELDS = frozenset(
    {
        "entry_no",  # the entry's number on the notice (序号)
        "stage",  # kindergarten / primary / junior
        "how",  # how the place was given (zone school, redistributed …)
        "tier",  # the admission tier letter (A–E)
        "class",  # class (班级)
        "scheme",  # an aid scheme's name
        "level",  # an aid level (一档, 二档 …)
        "amount",  # an amount granted
        "year",
    }
)


class NoticeStatus(models.TextChoices):
    PUBLISHED = "published", pgettext_lazy("public notice", "Published")
    WITHDRAWN = "withdrawn", pgettext_lazy("public notice", "Withdrawn")


class NoticeAction(models.TextChoices):
    """Typed case-event actions (portal.cases.actions), registered in NoticesConfig.ready."""

    WITHDRAWN = "notices.withdrawn", _("Public notice withdrawn")
    OBJECTION_RAISED = "notices.objection_raised", _("Objection raised")
    OBJECTION_UPHELD = "notices.objection_upheld", _("Objection upheld")
    OBJECTION_DISMISSED = "notices.objection_dismissed", _("Objection dismissed")


class Notice(ConcurrentTransitionMixin, models.Model):
    """One public notice (公示) of a service: its title, scope and period (``starts_on`` … ``ends_on``,
    both days included; ``ends_on`` is ``period_working_days`` working days after ``starts_on``)."""

    service = models.ForeignKey(
        "catalog.ServiceItem", on_delete=models.PROTECT, related_name="notices", verbose_name=_("service")
    )
    title = models.CharField(_("title"), max_length=200)
    district = models.ForeignKey(
        "orgs.District", on_delete=models.PROTECT, related_name="notices", verbose_name=_("district")
    )
    school = models.ForeignKey(
        "orgs.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("school"),
    )
    source = models.CharField(
        _("published for"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("What the service published the notice for, in its own terms (e.g. admission-round:12)."),
    )
    period_working_days = models.PositiveSmallIntegerField(_("period in working days"))
    starts_on = models.DateField(_("on notice from"))
    ends_on = models.DateField(_("objections until"))
    status = FSMField(
        _("status"),
        max_length=16,
        choices=NoticeStatus.choices,
        default=NoticeStatus.PUBLISHED,
        protected=True,
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["status", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="notice_ends_after_start"
            )
        ]
        verbose_name = _("public notice (公示)")
        verbose_name_plural = _("public notices (公示)")

    def __str__(self):
        return self.title

    @transition(field=status, source=NoticeStatus.PUBLISHED, target=NoticeStatus.WITHDRAWN)
    def withdraw(self):
        """The service takes the notice down (published in error); its cases no longer wait for it."""


class NoticeEntry(models.Model):
    """One case on a notice, as the public sees it: masked name, school, grade and allowed fields."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="entries")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="notice_entries")
    position = models.PositiveIntegerField(_("entry number"))
    name = models.CharField(_("name (masked)"), max_length=100)
    school_name = models.CharField(_("school"), max_length=200, blank=True)
    grade = models.CharField(_("grade"), max_length=32, blank=True)
    public = models.JSONField(_("public fields"), default=dict, blank=True)

    class Meta:
        ordering = ["notice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "position"], name="one_entry_per_position"),
            models.UniqueConstraint(fields=["notice", "case"], name="one_entry_per_case_and_notice"),
        ]
        verbose_name = _("notice entry")
        verbose_name_plural = _("notice entries")

    def __str__(self):
        return f"{self.position}. {self.name}"


class ObjectionState(models.TextChoices):
    OPEN = "open", pgettext_lazy("objection", "Under review")
    UPHELD = "upheld", pgettext_lazy("objection", "Upheld")
    DISMISSED = "dismissed", pgettext_lazy("objection", "Dismissed")


def _may_answer(objection, user) -> bool:
    """Bureau staff of the notice's district (or a superuser) answer objections."""
    from portal.accounts.models import Role

    if user is None:
        return True  # the system
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or (
        user.role == Role.BUREAU and user.district_id == objection.notice.district_id
    )


class Objection(ConcurrentTransitionMixin, models.Model):
    """Someone's objection (异议) to a notice — to one entry, or to the notice as a whole — raised during
    the period. It opens a review case that the district's bureau staff answer: upheld or dismissed,
    with the reasons the objector reads."""

    notice = models.ForeignKey(
        Notice, on_delete=models.PROTECT, related_name="objections", verbose_name=_("public notice")
    )
    entry = models.ForeignKey(
        NoticeEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objections",
        verbose_name=_("entry objected to"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="notice_objections",
        verbose_name=_("raised by"),
    )
    case = models.OneToOneField(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notice_objection",
        verbose_name=_("review case"),
    )
    text = models.TextField(_("facts and reason"))
    state = FSMField(
        _("state"), max_length=16, choices=ObjectionState.choices, default=ObjectionState.OPEN, protected=True
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["notice", "state"])]
        verbose_name = _("objection (异议)")
        verbose_name_plural = _("objections (异议)")

    def __str__(self):
        return self.case.reference_no if self.case_id else f"#{self.pk}"

    @transition(field=state, source=ObjectionState.OPEN, target=ObjectionState.UPHELD, permission=_may_answer)
    def uphold(self, *, answer: str, answered_by):
        """The bureau finds the objection justified; the service's handler acts on it (admission revokes
        the contested placement). Sets the answer, who answered and when."""
        self._answered(answer, answered_by)

    @transition(
        field=state, source=ObjectionState.OPEN, target=ObjectionState.DISMISSED, permission=_may_answer
    )
    def dismiss(self, *, answer: str, answered_by):
        """The bureau finds the notice correct. Sets the answer, who answered and when."""
        self._answered(answer, answered_by)

    def _answered(self, answer: str, by) -> None:
        from django.utils import timezone

        self.answer = answer
        self.answered_by = by
        self.answered_at = timezone.now()
