"""Invitations: the periodic finders' run, accept (opens the prefilled case), decline, expiry.

Keyword-only, one ``transaction.atomic`` per change with the invitation's row locked; messages through
``portal.notify.services.message_send``. A refusal because of the invitation's status is
:class:`~portal.cases.workflow.ActionNotAllowed` (409 in the API); anyone but the invited person gets
``PermissionDenied``. Every answer goes through the kernel's ``perform``.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.cases import workflow
from portal.cases.models import Case, CaseStatus, Channel
from portal.cases.services import case_log_event, case_opening, local_today
from portal.cases.workflow import ActionNotAllowed, perform
from portal.catalog.models import ServiceItem
from portal.core import pii
from portal.invitations.models import Invitation, InvitationAction, InvitationStatus
from portal.invitations.registry import Candidate, Finder, finder_for, finders
from portal.notify.services import message_send

log = logging.getLogger(__name__)

# a case in one of these does not count as having applied (the person may be invited)
_NOT_LIVE = (CaseStatus.WITHDRAWN, CaseStatus.REJECTED)


def has_applied(*, service, subject_id_hash: str, year: int) -> bool:
    """A live case of ``service`` for the subject accepted in ``year`` (withdrawn or rejected ones do
    not count)."""
    return (
        Case.objects.filter(service=service, subject_id_hash=subject_id_hash, accepted_on__year=year)
        .exclude(status__in=_NOT_LIVE)
        .exists()
    )


def _person(candidate: Candidate) -> tuple[User | None, str]:
    if candidate.person is not None:
        return candidate.person, candidate.person.id_number_hash or ""
    if not candidate.person_id_number:
        raise ValidationError({"person": ["A candidate needs the person's account or ID number."]})
    person_hash = pii.keyed_hash(candidate.person_id_number)
    return User.objects.filter(id_number_hash=person_hash).first(), person_hash


def invitation_create(
    *, finder: Finder, service: ServiceItem, candidate: Candidate, year: int, today: dt.date
):
    """Invite ``candidate`` unless already invited (any status) or already applied; returns
    ``(invitation or None, "invited" | "already" | "applied")``. Idempotent by the unique constraint."""
    if not candidate.subject_id_number or not (candidate.subject_name or "").strip():
        raise ValidationError({"subject": ["A candidate needs the subject's name and ID number."]})
    subject_hash = pii.keyed_hash(candidate.subject_id_number)
    if Invitation.objects.filter(service=service, subject_id_hash=subject_hash, year=year).exists():
        return None, "already"
    if has_applied(service=service, subject_id_hash=subject_hash, year=year):
        return None, "applied"
    person, person_hash = _person(candidate)
    valid_days = finder.valid_days or settings.INVITATION_VALID_DAYS
    prefill = {
        **candidate.prefill,
        "subject_name": candidate.subject_name.strip(),
        "subject_id_number": candidate.subject_id_number.strip().upper(),
    }
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                service=service,
                person=person,
                person_id_hash=person_hash,
                subject_name_masked=pii.mask_name(candidate.subject_name.strip()),
                subject_id_hash=subject_hash,
                district=candidate.district,
                school=candidate.school,
                year=year,
                summary=(candidate.summary or "")[:300],
                prefill=prefill,
                expires_on=today + dt.timedelta(days=valid_days),
            )
            if person is not None:
                message_send(
                    recipient=person,
                    subject=_("You are invited: %(service)s") % {"service": service.name},
                    body=_(
                        "%(subject)s qualifies for %(service)s. %(summary)s You do not need to apply: "
                        "accept the invitation under My invitations by %(until)s and the portal fills in "
                        "what the registries already hold."
                    )
                    % {
                        "subject": invitation.subject_name_masked,
                        "service": service.name,
                        "summary": invitation.summary,
                        "until": invitation.expires_on.isoformat(),
                    },
                )
    except IntegrityError:  # a concurrent run invited the same subject first
        return None, "already"
    return invitation, "invited"


def invitations_run_finders(*, year: int | None = None, today: dt.date | None = None) -> dict[str, int]:
    """Run every registered finder once and invite those who qualify and have not applied. A failing
    finder or candidate is logged and skipped; the others go on. Returns the counts."""
    today = today or local_today()
    year = year or today.year
    counts = {"invited": 0, "already": 0, "applied": 0, "failed": 0}
    for finder in finders():
        service = ServiceItem.objects.filter(code=finder.service_code).first()
        if service is None:
            log.error("invitations: finder for unknown service %s", finder.service_code)
            counts["failed"] += 1
            continue
        try:
            candidates = list(finder.find(year))
        except Exception:  # noqa: BLE001 - one service's failing finder must not stop the others
            log.exception("invitations: finder of %s failed", finder.service_code)
            counts["failed"] += 1
            continue
        for candidate in candidates:
            try:
                _invitation, result = invitation_create(
                    finder=finder, service=service, candidate=candidate, year=year, today=today
                )
            except ValidationError as exc:
                log.error("invitations: bad candidate from %s: %s", finder.service_code, exc.messages)
                counts["failed"] += 1
                continue
            counts[result] += 1
    if any(counts.values()):
        log.info("invitations run: %s", counts)
    return counts


def invitation_accept(*, invitation: Invitation, by) -> Case:
    """The invited person accepts: the case is opened for them, prefilled from ``prefill``, and the
    service's ``on_accept`` hook (if any) writes its own application in the same transaction."""
    opened: list[Case] = []

    def then(accepted: Invitation) -> None:
        if has_applied(
            service=accepted.service, subject_id_hash=accepted.subject_id_hash, year=accepted.year
        ):
            raise ActionNotAllowed(_("An application for this service and year already exists."))
        prefill = accepted.prefill or {}
        with case_opening(
            service=accepted.service,
            applicant=by,
            subject_name=prefill.get("subject_name", ""),
            subject_id_number=prefill.get("subject_id_number", ""),
            channel=Channel.ONLINE,
            district=accepted.district,
            school=accepted.school,
            by=by,
            note=_("Opened by accepting an invitation (免申即享)."),
        ) as case:
            accepted.case = case
            accepted.save(update_fields=["case"])
            case_log_event(
                case=case,
                action=InvitationAction.ACCEPTED,
                by=by,
                data={
                    "invitation": accepted.pk,
                    "prefilled": sorted(k for k in prefill if k not in ("subject_name", "subject_id_number")),
                },
            )
            finder = finder_for(accepted.service.code)
            if finder is not None and finder.on_accept is not None:
                finder.on_accept(invitation=accepted, case=case, by=by)
            opened.append(case)

    perform(invitation, "accept", by=by, then=then, person=by, at=timezone.now())
    return opened[0]


def invitation_decline(*, invitation: Invitation, by) -> Invitation:
    return perform(invitation, "decline", by=by, person=by, at=timezone.now())


def invitations_expire_due(*, today: dt.date | None = None) -> int:
    """Close the open invitations past their last day; returns how many."""
    today = today or local_today()
    expired = 0
    for pk in Invitation.objects.filter(status=InvitationStatus.OPEN, expires_on__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            invitation = workflow.lock(Invitation, pk)
            if invitation.status == InvitationStatus.OPEN and invitation.is_past_due(today):
                perform(invitation, "expire", by=None)
                expired += 1
    return expired
