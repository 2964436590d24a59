"""Ratings (好差评) and the rectification a low rating opens."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Role
from portal.cases import workdays, workflow
from portal.cases.actions import CaseAction
from portal.cases.models import (
    Case,
    CaseEvent,
    Rating,
    RatingLevel,
    RectificationStatus,
    RectificationTask,
)
from portal.cases.scoping import is_applicant
from portal.cases.services import common
from portal.cases.services.common import (
    _notify_applicant,
    _notify_bureau,
)
from portal.cases.services.events import case_log_event
from portal.cases.workflow import ActionNotAllowed

# 好差评: a rating of 1 or 2 opens a rectification task that must be closed within 15 working days.
RECTIFICATION_WORKING_DAYS = 15
LOW_RATING_MAX = RatingLevel.BAD


# --- rating (好差评) and rectification -----------------------------------------------------------------


def case_rate(*, case: Case, by, level: int, comment: str = "") -> Rating:
    """The applicant rates a finished case, once. A rating of 1 or 2 opens a rectification task due
    in 15 working days (the 好差评 rule) and tells the district's bureau staff."""
    with transaction.atomic():
        locked = workflow.lock(case)
        if not is_applicant(by, locked):
            raise PermissionDenied(_("Only the applicant can rate a case."))
        if not locked.is_final:
            raise ActionNotAllowed(
                _("Case %(reference_no)s can be rated when it is finished; it is %(status)s.")
                % {"reference_no": locked.reference_no, "status": locked.get_status_display()},
                code="not_final",
            )
        if isinstance(level, str) and level.strip().isdigit():  # from a form or query string
            level = int(level)
        if isinstance(level, bool) or not isinstance(level, int) or level not in RatingLevel.values:
            raise ValidationError(
                {"level": [_("Choose a rating from 1 (very dissatisfied) to 5 (very satisfied).")]}
            )
        already = ActionNotAllowed(
            _("Case %(reference_no)s has already been rated.") % {"reference_no": locked.reference_no},
            code="rated",
        )
        if Rating.objects.filter(case=locked).exists():
            raise already
        try:
            with transaction.atomic():
                rating = Rating.objects.create(case=locked, level=level, comment=(comment or "").strip())
        except IntegrityError as exc:  # a concurrent rating won the one-to-one constraint
            raise already from exc
        case_log_event(
            case=locked, action=CaseAction.RATED, by=by, note=rating.comment, data={"level": level}
        )
        if level <= LOW_RATING_MAX:
            due = workdays.add_working_days(common.local_today(), RECTIFICATION_WORKING_DAYS)
            task = RectificationTask.objects.create(rating=rating, case=locked, due_on=due)
            case_log_event(
                case=locked,
                action=CaseAction.RECTIFICATION_OPENED,
                data={"task": task.pk, "level": level, "due_on": due.isoformat()},
            )
            _notify_bureau(
                locked,
                subject=_("Low rating for case %(reference_no)s: rectify by %(due)s")
                % {"reference_no": locked.reference_no, "due": due},
                body=_("%(service)s, case %(reference_no)s was rated %(level)s.\n%(comment)s")
                % {
                    "service": locked.service.name,
                    "reference_no": locked.reference_no,
                    "level": rating.get_level_display(),
                    "comment": rating.comment,
                },
            )
    return rating


def is_district_bureau(user, case: Case) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or (user.role == Role.BUREAU and user.district_id == case.district_id)


def rectification_close(*, task: RectificationTask, by, resolution: str) -> RectificationTask:
    """Bureau staff of the case's district record what was done and close the task; the applicant is
    told (整改反馈)."""
    resolution = (resolution or "").strip()
    with transaction.atomic():
        locked_case = workflow.lock(task.case)
        locked = RectificationTask.objects.select_for_update().get(pk=task.pk)
        if not is_district_bureau(by, locked_case):
            raise PermissionDenied(_("Only bureau staff of the case's district may close a rectification."))
        if locked.status != RectificationStatus.OPEN:
            raise ActionNotAllowed(
                _("The rectification of case %(reference_no)s is already closed.")
                % {"reference_no": locked_case.reference_no},
                code="closed",
            )
        if not resolution:
            raise ValidationError({"resolution": [_("Say what was done.")]})
        locked.status = RectificationStatus.DONE
        locked.resolution = resolution
        locked.closed_at = timezone.now()
        locked.closed_by = by
        locked.save(update_fields=["status", "resolution", "closed_at", "closed_by"])
        case_log_event(
            case=locked_case,
            action=CaseAction.RECTIFICATION_CLOSED,
            by=by,
            note=resolution,
            data={"task": locked.pk, "on_time": common.local_today() <= locked.due_on},
        )
        _notify_applicant(
            locked_case,
            subject=_("Your rating of case %(reference_no)s was followed up")
            % {"reference_no": locked_case.reference_no},
            body=resolution,
        )
    task.refresh_from_db()
    return locked


def rectification_flag_overdue(*, task: RectificationTask, today: dt.date | None = None) -> bool:
    """Tell the district's bureau staff, once, that an open rectification is past its due date.
    Returns whether it flagged now (False: not overdue, closed, or flagged before)."""
    with transaction.atomic():
        locked_case = workflow.lock(task.case)
        locked = RectificationTask.objects.select_for_update().get(pk=task.pk)
        today = today or common.local_today()
        if locked.status != RectificationStatus.OPEN or locked.due_on >= today:
            return False
        flagged = CaseEvent.objects.filter(
            case=locked_case, action=CaseAction.RECTIFICATION_OVERDUE, data__task=locked.pk
        ).exists()
        if flagged:
            return False
        case_log_event(
            case=locked_case,
            action=CaseAction.RECTIFICATION_OVERDUE,
            data={"task": locked.pk, "due_on": locked.due_on.isoformat()},
        )
        _notify_bureau(
            locked_case,
            subject=_("Rectification of case %(reference_no)s is overdue (due %(due)s)")
            % {"reference_no": locked_case.reference_no, "due": locked.due_on},
            body=_("The rectification opened by a low rating of case %(reference_no)s is still open.")
            % {"reference_no": locked_case.reference_no},
        )
    return True
