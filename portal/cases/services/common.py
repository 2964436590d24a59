"""What every case action shares: the bureau's date, who acted, messages to the applicant and to the
bureau, the deadline."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Role, User
from portal.cases import workdays
from portal.cases.models import (
    Case,
)
from portal.notify.services import message_send

BUREAU_TZ = ZoneInfo("Asia/Shanghai")
SYSTEM_ACTOR_LABEL = "系统"


# --- helpers ------------------------------------------------------------------------------------------


def local_today() -> dt.date:
    """Today in the bureau's time zone (deadlines are Chinese calendar days, whatever the user's zone)."""
    return timezone.localdate(timezone=BUREAU_TZ)


def _actor_label(user) -> str:
    if user is None:
        return SYSTEM_ACTOR_LABEL
    role = _("Administrator") if user.is_superuser and user.role == Role.CITIZEN else user.get_role_display()
    return f"{user.display_name}（{role}）"[:100]


def _notify_applicant(case: Case, *, subject: str, body: str) -> None:
    message_send(recipient=case.applicant, subject=subject[:200], body=body, case=case)


def _bureau_staff(case: Case):
    return User.objects.filter(role=Role.BUREAU, district_id=case.district_id, is_active=True)


def _notify_bureau(case: Case, *, subject: str, body: str) -> int:
    count = 0
    for user in _bureau_staff(case):
        message_send(recipient=user, subject=subject[:200], body=body, case=case)
        count += 1
    return count


def compute_deadline(case: Case) -> dt.date:
    """Accepted-on date plus the promised working days plus the working days the clock stood still.

    A case whose clock was restarted for a new step (:func:`~portal.cases.services.case_restart_clock`)
    counts from that day instead, and only the pauses since then. While the clock is paused the stored
    deadline is left as it was (the page shows "paused"); it moves when the clock resumes."""
    if case.clock_started_on is None:
        return workdays.add_working_days(case.accepted_on, case.promised_days + case.paused_working_days)
    from django.db.models import Sum

    from portal.cases.models import ClockPause

    paused = (
        ClockPause.objects.filter(case=case, started_on__gte=case.clock_started_on).aggregate(
            days=Sum("working_days")
        )["days"]
        or 0
    )
    return workdays.add_working_days(case.clock_started_on, case.promised_days + paused)
