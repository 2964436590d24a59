"""Pick-up (接送) actions: the guardian names who else may collect the pupil, the care teacher marks who
collected each pupil and when. One keyword-only function per user action, one transaction each; views
call these and never write the models themselves. The rosters they work on are read by
:func:`afterschool.selectors.roster`.

These are not state changes of the application (its django-fsm state stays as it is): a collector named
or removed is written to the case's trace; a pick-up is a daily record of its own (one per pupil and
day, a correction overwrites it)."""

import datetime as dt
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from afterschool.catalogue import AfterschoolAction
from afterschool.models import LIVE_STATES, MAX_COLLECTORS, Application, Collector, PickUp, State
from afterschool.selectors import is_care_day
from portal.accounts.models import User
from portal.cases import services as cases
from portal.cases import workflow
from portal.cases.workflow import ActionNotAllowed
from portal.core.pii import mask_name

MOBILE = re.compile(r"^1[3-9]\d{9}$")


def _clean_collector(name: str, relation: str, phone: str) -> tuple[str, str, str]:
    name, relation = (name or "").strip(), (relation or "").strip()
    phone = re.sub(r"[\s-]", "", phone or "")
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 50:
        errors["name"] = [_("Give the collector's name (at most 50 characters).")]
    if not relation or len(relation) > 20:
        errors["relation"] = [_("Give their relation to the pupil, e.g. 祖母 (at most 20 characters).")]
    if not MOBILE.match(phone):
        errors["phone"] = [_("Give an 11-digit mobile phone number, e.g. 13800001234.")]
    if errors:
        raise ValidationError(errors)
    return name, relation, phone


def collector_add(*, application: Application, by: User, name: str, relation: str, phone: str) -> Collector:
    """The guardian authorises someone else to collect the pupil (授权接送人): at most four at a time,
    while the application is live."""
    if not Application.the_guardian(application, by):
        raise PermissionDenied(_("Only the guardian who applied can name who may collect the pupil."))
    name, relation, phone = _clean_collector(name, relation, phone)
    with transaction.atomic():
        locked = workflow.lock(application)
        if locked.state not in LIVE_STATES:
            raise ActionNotAllowed(
                _("The application is %(state)s; nobody collects the pupil from after-school care.")
                % {"state": locked.get_state_display()},
                code="not_live",
            )
        active = locked.collectors.filter(removed_at__isnull=True)
        if active.count() >= MAX_COLLECTORS:
            raise ActionNotAllowed(
                _("At most %(n)s people besides you may collect the pupil; remove one first.")
                % {"n": MAX_COLLECTORS},
                code="too_many_collectors",
            )
        if active.filter(name=name).exists():
            raise ValidationError({"name": [_("%(name)s may already collect the pupil.") % {"name": name}]})
        collector = Collector.objects.create(application=locked, name=name, relation=relation, phone=phone)
        cases.case_log_event(
            case=locked.case,
            action=AfterschoolAction.COLLECTOR_ADDED,
            by=by,
            data={"name": mask_name(name), "relation": relation},
        )
    return collector


def collector_remove(*, collector: Collector, by: User) -> Collector:
    """The guardian withdraws someone's authorisation; past pick-ups keep naming them."""
    application = collector.application
    if not Application.the_guardian(application, by):
        raise PermissionDenied(_("Only the guardian who applied can name who may collect the pupil."))
    with transaction.atomic():
        locked = workflow.lock(application)
        fresh = Collector.objects.select_for_update().get(pk=collector.pk, application=locked)
        if fresh.removed_at is None:
            fresh.removed_at = timezone.now()
            fresh.save(update_fields=["removed_at"])
            cases.case_log_event(
                case=locked.case,
                action=AfterschoolAction.COLLECTOR_REMOVED,
                by=by,
                data={"name": mask_name(fresh.name), "relation": fresh.relation},
            )
    collector.refresh_from_db()
    return collector


def _may_mark(application: Application, by) -> bool:
    """The care teacher's account: a clerk of the programme's school (or bureau staff of its district)."""
    return by is not None and Application.school_reviewer(application, by)


def pickup_mark(
    *,
    application: Application,
    day: dt.date,
    by: User,
    collector_id: int | None = None,
    at: dt.time | None = None,
) -> PickUp:
    """The teacher marks that the pupil was collected on ``day`` at ``at`` (now when not given) by the
    guardian who applied (``collector_id`` None) or by one of the collectors they authorised; anyone
    else is refused. Marking the same pupil and day again corrects the record."""
    if not _may_mark(application, by):
        raise PermissionDenied(_("Only the school's staff mark pick-ups."))
    now = timezone.localtime(timezone.now(), cases.BUREAU_TZ)
    program = application.program
    if day > now.date():
        raise ValidationError({"day": [_("A pick-up cannot be marked for a day to come.")]})
    if not is_care_day(program, day):
        raise ValidationError(
            {"day": [_("%(day)s is not a day of %(program)s.") % {"day": day, "program": program.name}]}
        )
    at = at or now.time().replace(second=0, microsecond=0)
    collected_at = dt.datetime.combine(day, at, tzinfo=cases.BUREAU_TZ)
    if collected_at > now + dt.timedelta(minutes=5):
        raise ValidationError({"at": [_("The time of the pick-up is still to come.")]})
    with transaction.atomic():
        locked = workflow.lock(application)
        if locked.state != State.ENROLLED:
            raise ActionNotAllowed(
                _("%(name)s is not enrolled in after-school care (%(state)s).")
                % {"name": locked.student_name, "state": locked.get_state_display()},
                code="not_enrolled",
            )
        collector = None
        if collector_id is None:
            collected_by = locked.guardian.real_name or locked.guardian.display_name
        else:
            collector = locked.collectors.filter(pk=collector_id, removed_at__isnull=True).first()
            if collector is None:
                raise ValidationError(
                    {
                        "collector": [
                            _("Only the guardian or someone they authorised may collect %(name)s.")
                            % {"name": locked.student_name}
                        ]
                    }
                )
            collected_by = f"{collector.name}（{collector.relation}）"
        pickup, _created = PickUp.objects.update_or_create(
            application=locked,
            day=day,
            defaults={
                "leave_at": locked.slot.leave_at,
                "collector": collector,
                "collected_by": collected_by,
                "collected_at": collected_at,
                "marked_by": by,
            },
        )
    return pickup
