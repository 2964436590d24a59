"""The case kernel's actions: one keyword-only function per action (STYLE.md, DESIGN.md), a module per
concern — opening, status, the clock, progress, attachments, ratings, the event trace.

Each action runs in ``transaction.atomic``, locks the case row (``portal.cases.workflow.lock``), changes it,
writes a typed event, and sends its messages through :func:`portal.notify.services.message_send`. That
writes the site message in the same transaction as the change (so a rolled-back action leaves no message,
and a committed one cannot lose it) and queues the SMS / e-mail deliveries with ``transaction.on_commit``.

Services never see ``request``. Actions return the fresh, locked copy of the case they changed and also
refresh the instance passed in, so callers holding ``application.case`` do not keep a stale status.

Callers import from here (``from portal.cases import services as cases``); the bureau's date is
``common.local_today`` (tests set it with the ``set_today`` fixture, which patches both names).
"""

from portal.cases.services.attachments import attachment_add, attachments_sweep_orphans
from portal.cases.services.clock import (
    case_pause_clock,
    case_recompute_deadline,
    case_restart_clock,
    case_resume_clock,
)
from portal.cases.services.common import (
    BUREAU_TZ,
    SYSTEM_ACTOR_LABEL,
    compute_deadline,
    local_today,
)
from portal.cases.services.events import case_log_event
from portal.cases.services.opening import case_open, case_opening, number_take
from portal.cases.services.progress import (
    case_assign_school,
    case_record_visit,
    case_set_deadline,
    case_set_next_step,
)
from portal.cases.services.ratings import (
    LOW_RATING_MAX,
    RECTIFICATION_WORKING_DAYS,
    case_rate,
    is_district_bureau,
    rectification_close,
    rectification_flag_overdue,
)
from portal.cases.services.status import CASE_TRANSITIONS, case_transition, register_case_workflow
from portal.cases.workflow import ActionNotAllowed

__all__ = [
    "BUREAU_TZ",
    "CASE_TRANSITIONS",
    "LOW_RATING_MAX",
    "RECTIFICATION_WORKING_DAYS",
    "SYSTEM_ACTOR_LABEL",
    "ActionNotAllowed",
    "attachment_add",
    "attachments_sweep_orphans",
    "case_assign_school",
    "case_log_event",
    "case_open",
    "case_opening",
    "case_pause_clock",
    "case_rate",
    "case_record_visit",
    "case_recompute_deadline",
    "case_restart_clock",
    "case_resume_clock",
    "case_set_deadline",
    "case_set_next_step",
    "case_transition",
    "compute_deadline",
    "is_district_bureau",
    "local_today",
    "number_take",
    "rectification_close",
    "rectification_flag_overdue",
    "register_case_workflow",
]
