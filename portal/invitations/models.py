"""Proactive invitations (免申即享 / 应助尽助): the portal asks a person who qualifies to accept a service
instead of waiting for them to apply.

A service registers a finder (``portal.invitations.registry``); a periodic job runs it and writes one
``Invitation`` per service, subject and year (a unique constraint: running the job again invites nobody
twice). Accepting opens the case, prefilled with what the registries already hold. The subject's ID
number is kept only as a keyed hash and inside the encrypted ``prefill``; names are shown masked. See
docs/adr/0014-invitations.md and docs/workflows/invitations.md.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from portal.cases.workflow import refusal
from portal.core.fields import EncryptedJSONField


class InvitationStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("invitation", "Open")
    ACCEPTED = "accepted", pgettext_lazy("invitation", "Accepted")
    DECLINED = "declined", pgettext_lazy("invitation", "Declined")
    EXPIRED = "expired", pgettext_lazy("invitation", "Expired")


class InvitationAction(models.TextChoices):
    """Typed case-event actions (portal.cases.actions), registered in InvitationsConfig.ready."""

    ACCEPTED = "invitations.accepted", _("Invitation accepted (免申即享)")
    DECLINED = "invitations.declined", _("Invitation declined")
    EXPIRED = "invitations.expired", _("Invitation expired")


class Invitation(ConcurrentTransitionMixin, models.Model):
    service = models.ForeignKey(
        "catalog.ServiceItem", on_delete=models.PROTECT, related_name="invitations", verbose_name=_("service")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("invited person"),
        help_text=_("Empty while the person has no account; matched by ID number when they sign in."),
    )
    person_id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    subject_name_masked = models.CharField(_("for"), max_length=100)
    subject_id_hash = models.CharField(max_length=64, editable=False)
    district = models.ForeignKey("orgs.District", on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(
        "orgs.School", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = FSMField(
        _("status"),
        max_length=16,
        choices=InvitationStatus.choices,
        default=InvitationStatus.OPEN,
        protected=True,
    )
    summary = models.CharField(_("what is offered"), max_length=300, blank=True)
    prefill = EncryptedJSONField(_("what the registries hold"), default=dict)
    expires_on = models.DateField(_("open until"))
    case = models.OneToOneField(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitation",
        verbose_name=_("case opened"),
    )
    created_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "subject_id_hash", "year"], name="one_invitation_per_subject_service_year"
            )
        ]

    def __str__(self):
        return f"{self.service.code} {self.year} {self.subject_name_masked}"

    def is_past_due(self, today=None) -> bool:
        from portal.cases.services import local_today

        return (today or local_today()) > self.expires_on

    @refusal(lambda invitation: _("The invitation expired on %(date)s.") % {"date": invitation.expires_on})
    def is_still_open(self) -> bool:
        """Not past its last day (the condition of accept and decline)."""
        return not self.is_past_due()

    def may_answer(self, user) -> bool:
        """Only the invited person answers: the account invited, or (invited before they had an account)
        the person whose ID number was invited."""
        if user is None or not user.is_authenticated:
            return False
        if self.person_id is not None:
            return self.person_id == user.pk
        return bool(self.person_id_hash) and self.person_id_hash == user.id_number_hash

    # --- transitions: state and bookkeeping only; services save, open the case and message -------------

    @transition(
        field=status,
        source=InvitationStatus.OPEN,
        target=InvitationStatus.ACCEPTED,
        conditions=[is_still_open],
        permission=lambda invitation, user: invitation.may_answer(user),
    )
    def accept(self, *, person, at):
        """The person accepts; the service opens the case (kept in ``case``)."""
        self.person, self.answered_at = person, at

    @transition(
        field=status,
        source=InvitationStatus.OPEN,
        target=InvitationStatus.DECLINED,
        conditions=[is_still_open],
        permission=lambda invitation, user: invitation.may_answer(user),
    )
    def decline(self, *, person, at):
        """The person says no; they are not invited again for this service and year."""
        self.person, self.answered_at = person, at

    @transition(field=status, source=InvitationStatus.OPEN, target=InvitationStatus.EXPIRED)
    def expire(self):
        """Nobody answered by ``expires_on``. The sweep (``invitations_expire_due``) checks the date against
        the day it runs for, so it carries no condition of its own here."""
