"""The case kernel's actions: one keyword-only function per action (STYLE.md, DESIGN.md).

Each action runs in ``transaction.atomic``, locks the case row (``select_for_update``), changes it, writes
a typed event, and sends its messages through :func:`portal.notify.services.message_send`. That writes the
site message in the same transaction as the change (so a rolled-back action leaves no message, and a
committed one cannot lose it) and queues the SMS / e-mail deliveries with ``transaction.on_commit``.

Services never see ``request``. Actions return the fresh, locked copy of the case they changed and also
refresh the instance passed in, so callers holding ``application.case`` do not keep a stale status.
"""

import datetime as dt
import hashlib
import secrets
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.accounts.models import Role, User
from portal.cases import workdays, workflow
from portal.cases.actions import CaseAction, validate_action
from portal.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    Channel,
    ClockPause,
    Rating,
    RatingLevel,
    RectificationStatus,
    RectificationTask,
    ReferenceCounter,
)
from portal.cases.scoping import can_handle, is_applicant
from portal.cases.signals import case_closed
from portal.cases.workflow import ActionNotAllowed
from portal.catalog.models import DecisionMode, ServiceItem
from portal.core.filetypes import sniff_content_type
from portal.core.idcodes import normalize_id_number
from portal.core.pdfinspect import PDF_READ_ERRORS, inspect_pdf
from portal.notify.services import message_send

BUREAU_TZ = ZoneInfo("Asia/Shanghai")
SYSTEM_ACTOR_LABEL = "系统"
# 好差评: a rating of 1 or 2 opens a rectification task that must be closed within 15 working days.
RECTIFICATION_WORKING_DAYS = 15
LOW_RATING_MAX = RatingLevel.BAD

CASE_TRANSITIONS = {
    "start_processing": gettext_lazy("taken up"),
    "complete": gettext_lazy("completed"),
    "reject": gettext_lazy("rejected"),
    "withdraw": gettext_lazy("withdrawn"),
}


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

    While the clock is paused the stored deadline is left as it was (the page shows "paused"); it moves
    when the clock resumes."""
    return workdays.add_working_days(case.accepted_on, case.promised_days + case.paused_working_days)


def _next_reference_no(*, service_code: str, year: int) -> str:
    """``JY-<CODE>-<year>-<seq>``, gapless: one ``UPDATE … RETURNING`` takes the number and row-locks the
    counter until the caller's transaction ends, so two concurrent opens get consecutive numbers and a
    rolled-back open gives its number back (PostgreSQL: row lock; SQLite: the IMMEDIATE write lock)."""
    code = service_code.upper()
    table, last = ReferenceCounter._meta.db_table, connection.ops.quote_name("last")
    take = f"UPDATE {table} SET {last} = {last} + 1 WHERE service_code = %s AND year = %s RETURNING {last}"  # noqa: S608 - names from the model
    with connection.cursor() as cursor:
        cursor.execute(take, [code, year])
        row = cursor.fetchone()
        if row is None:  # the first case of this service and year
            ReferenceCounter.objects.get_or_create(service_code=code, year=year)
            cursor.execute(take, [code, year])
            row = cursor.fetchone()
    return f"JY-{code}-{year}-{row[0]:06d}"


def _close_open_pause(case: Case, today: dt.date) -> tuple[int, ClockPause | None]:
    """End the open pause: count its working days [start, today) into the case and move the deadline."""
    pause = ClockPause.objects.select_for_update().filter(case=case, ended_on__isnull=True).first()
    case.paused_since = None
    if pause is None:
        return 0, None
    days = workdays.working_days_between(pause.started_on, today)
    pause.ended_on, pause.working_days = today, days
    pause.save(update_fields=["ended_on", "working_days"])
    case.paused_working_days += days
    case.deadline = compute_deadline(case)
    return days, pause


# --- events -------------------------------------------------------------------------------------------


# The next seq of a case's trace, taking the case's row lock, in one statement. It never falls behind the
# trace, should an event ever be written another way.
_TAKE_EVENT_SEQ = (
    "UPDATE cases_case SET last_event_seq = {greatest}(last_event_seq, COALESCE("
    "(SELECT MAX(seq) FROM cases_caseevent WHERE case_id = %s), 0)) + 1 "
    "WHERE id = %s RETURNING last_event_seq"
)


def case_log_event(
    *,
    case: Case,
    action,
    by=None,
    note: str = "",
    from_state: str = "",
    to_state: str = "",
    data: dict | None = None,
) -> CaseEvent:
    """Append one entry to the case's trace. ``action`` must be a registered action (see actions.py);
    ``seq`` is the next number for the case, taken with the case's row lock (one ``UPDATE … RETURNING``
    of ``Case.last_event_seq``, see ``_TAKE_EVENT_SEQ``)."""
    action_value = validate_action(action)
    # two-argument MAX is SQLite's GREATEST
    take = _TAKE_EVENT_SEQ.format(greatest="GREATEST" if connection.vendor == "postgresql" else "MAX")
    # no savepoint: a failure here fails the caller's whole action, which is what it should do
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(take, [case.pk, case.pk])
            row = cursor.fetchone()
        if row is None:
            raise Case.DoesNotExist(f"no case {case.pk}")
        case.last_event_seq = row[0]
        return CaseEvent.objects.create(
            case_id=case.pk,
            seq=row[0],
            actor=by,
            actor_label=_actor_label(by),
            action=action_value,
            from_state=str(from_state or ""),
            to_state=str(to_state or ""),
            note=note or "",
            data=data or {},
        )


# --- opening a case -----------------------------------------------------------------------------------


def case_open(**fields) -> Case:
    """Register a new case: reference number, accepted today, deadline in working days, ``submitted``
    event (by ``by``, else the applicant), a message to the applicant. A counter case counts one visit.
    Takes the keyword arguments of :func:`case_opening`."""
    with case_opening(**fields) as case:
        pass
    return case


@contextmanager
def case_opening(
    *,
    service: ServiceItem,
    applicant,
    subject_name: str,
    subject_id_number: str = "",
    channel: str,
    district,
    school=None,
    by=None,
    note: str = "",
) -> Iterator[Case]:
    """:func:`case_open` for a caller with more to write about the new case in the same transaction:
    the body of the ``with`` block runs with the case saved under a provisional number, and the reference
    number is taken when the block ends, as the last writes before the caller commits.

    Reference numbers are gapless: the counter row stays locked from the number until the commit, so every
    other opening of the same service and year waits that long. Taken last, the lock covers the number,
    the message that announces it and the commit — not the caller's writes. Use it inside the caller's
    ``transaction.atomic()`` and commit right after; a failure in the block takes no number."""
    errors: dict[str, list[str]] = {}
    subject_name = (subject_name or "").strip()
    if not subject_name:
        errors["subject_name"] = [_("Enter the name of the person the application is for.")]
    if subject_id_number:
        try:
            subject_id_number = normalize_id_number(subject_id_number)
        except ValidationError as exc:
            errors["subject_id_number"] = exc.messages
    if channel not in Channel.values:
        errors["channel"] = [_("Choose online or counter.")]
    if school is not None and school.district_id != district.pk:
        errors["school"] = [_("The school is not in the case's district.")]
    if errors:
        raise ValidationError(errors)

    today = local_today()
    promised = service.promised_days if service.decision_mode == DecisionMode.PROMISED else 0
    at_counter = channel == Channel.COUNTER
    case = Case(
        # never committed: replaced by the real number before the block's transaction ends
        reference_no=f"JY-{service.code.upper()}-{today.year}-~{secrets.token_hex(8)}",
        service=service,
        applicant=applicant,
        subject_name=subject_name,
        subject_id_number=subject_id_number,
        channel=channel,
        district=district,
        school=school,
        accepted_on=today,
        promised_days=promised,
        visits=1 if at_counter else 0,
    )
    case.deadline = compute_deadline(case)
    # no savepoint: a failure fails the caller's whole action (and takes no number)
    with transaction.atomic(savepoint=False):
        case.save()
        actor = by if by is not None else applicant
        case_log_event(
            case=case,
            action=CaseAction.SUBMITTED,
            by=actor,
            note=note,
            to_state=case.status,
            data={"channel": channel, "promised_days": promised, "deadline": case.deadline.isoformat()},
        )
        if at_counter:
            case_log_event(case=case, action=CaseAction.VISIT_RECORDED, by=actor, data={"visits": 1})
        yield case
        case.reference_no = _next_reference_no(service_code=service.code, year=today.year)
        Case.objects.filter(pk=case.pk).update(reference_no=case.reference_no)
        if promised:
            body = _(
                "%(service)s: your application is registered as %(reference_no)s; the promised "
                "decision date is %(deadline)s."
            )
        else:
            body = _("%(service)s: your application is registered as %(reference_no)s.")
        _notify_applicant(
            case,
            subject=_("Your case %(reference_no)s has been received") % {"reference_no": case.reference_no},
            body=body
            % {"service": service.name, "reference_no": case.reference_no, "deadline": case.deadline},
        )


# --- status -------------------------------------------------------------------------------------------


def case_transition(*, case: Case, transition: str, by, note: str = "") -> Case:
    """Run one coarse-status transition of the case (start_processing / complete / reject / withdraw)
    through :func:`portal.cases.workflow.perform`.

    Refused with :class:`ActionNotAllowed` when the status does not allow it, ``PermissionDenied``
    when ``by`` may not trigger it (see docs/workflows/cases.md; ``by=None`` is the system). A final
    status stamps ``closed_at``, ends a running clock pause and sends :data:`portal.cases.signals.case_closed`
    (the archive packages the case after commit). The applicant gets a message."""
    if transition not in CASE_TRANSITIONS:
        raise ValueError(f"unknown case transition {transition!r}; one of {sorted(CASE_TRANSITIONS)}")
    return workflow.perform(case, transition, by=by, note=note)


def _case_closing(case: Case, from_state: str, by, note: str) -> None:
    """The Case workflow's ``prepare``: a final status stamps ``closed_at`` and ends a running pause."""
    if not case.is_final:
        return
    case.closed_at = timezone.now()
    days, pause = _close_open_pause(case, local_today())
    if pause is not None:
        case_log_event(
            case=case,
            action=CaseAction.CLOCK_RESUMED,
            by=by,
            note=_("The case was closed."),
            data={"working_days": days, "deadline": case.deadline.isoformat()},
        )


def _case_status_changed(case: Case, from_state: str, by, note: str) -> None:
    """The Case workflow's ``after``: the applicant is told; a closed case is announced."""
    status = case.get_status_display()
    body = _("%(service)s, case %(reference_no)s: the status is now %(status)s.") % {
        "service": case.service.name,
        "reference_no": case.reference_no,
        "status": status,
    }
    if note:
        body += "\n" + note
    _notify_applicant(
        case,
        subject=_("Your case %(reference_no)s is now %(status)s")
        % {"reference_no": case.reference_no, "status": status},
        body=body,
    )
    if case.is_final:
        case_closed.send(sender=Case, case=case, status=case.status)


def register_case_workflow() -> None:
    """The coarse status of every case is a workflow of its own (from CasesConfig.ready)."""
    workflow.register(
        Case,
        events=dict.fromkeys(CASE_TRANSITIONS, CaseAction.STATUS_CHANGED),
        verbs=CASE_TRANSITIONS,
        reference=lambda case: _("Case %(reference_no)s") % {"reference_no": case.reference_no},
        case=lambda case: case,
        forbidden=gettext_lazy("You may not change the status of this case."),
        select_related=("service",),
        state_field="status",
        prepare=_case_closing,
        after=_case_status_changed,
    )


# --- the promised-time clock --------------------------------------------------------------------------


def case_pause_clock(*, case: Case, by, reason: str) -> Case:
    """Stop the clock while waiting on the applicant (e.g. a material to supplement, 补正). Handling staff
    or the system only."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say what the applicant needs to do.")]})
    with transaction.atomic():
        locked = workflow.lock(case)
        if locked.is_final:
            raise ActionNotAllowed(
                _("Case %(reference_no)s is closed; its clock cannot be paused.")
                % {"reference_no": locked.reference_no},
                code="final",
            )
        if locked.clock_paused:
            raise ActionNotAllowed(
                _("The clock of case %(reference_no)s is already paused (since %(since)s).")
                % {"reference_no": locked.reference_no, "since": locked.paused_since},
                code="paused",
            )
        if not locked.may_process(by):
            raise PermissionDenied(_("Only staff handling this case may pause its clock."))
        today = local_today()
        ClockPause.objects.create(case=locked, started_on=today, reason=reason[:300])
        locked.paused_since = today
        locked.save(update_fields=["paused_since"])
        case_log_event(
            case=locked,
            action=CaseAction.CLOCK_PAUSED,
            by=by,
            note=reason,
            data={"since": today.isoformat()},
        )
        _notify_applicant(
            locked,
            subject=_("Case %(reference_no)s is waiting for you") % {"reference_no": locked.reference_no},
            body=_("%(reason)s\nThe processing time is paused until then.") % {"reason": reason},
        )
    return workflow.refreshed(case, locked)


def case_recompute_deadline(*, case: Case, note: str = "") -> bool:
    """Work a running case's deadline out again from the working-day calendar as it now stands — after
    bureau staff entered public holidays or make-up working days (调休) for dates inside its window. A
    change is written to the trace (``deadline_changed``, old and new date) and shown to the applicant
    with the case. A final case, or one whose clock is paused (its deadline moves on resume), is left
    alone. True when the deadline moved."""
    with transaction.atomic():
        locked = workflow.lock(case)
        if locked.is_final or locked.clock_paused or locked.deadline is None or not locked.promised_days:
            return False  # no promised working days: the deadline is not the calendar's (case_set_deadline)
        previous, deadline = locked.deadline, compute_deadline(locked)
        if deadline == previous:
            return False
        Case.objects.filter(pk=locked.pk).update(deadline=deadline)
        locked.deadline = deadline
        case_log_event(
            case=locked,
            action=CaseAction.DEADLINE_CHANGED,
            note=note,
            data={"previous_deadline": previous.isoformat(), "deadline": deadline.isoformat()},
        )
    workflow.refreshed(case, locked)
    return True


def case_resume_clock(*, case: Case, by, note: str = "") -> Case:
    """Restart the clock: the working days in [pause start, today) are added to the case's paused days
    and the deadline moves by exactly that many working days. Handling staff, the applicant (having
    supplied what was asked) or the system."""
    with transaction.atomic():
        locked = workflow.lock(case)
        if locked.is_final:
            raise ActionNotAllowed(
                _("Case %(reference_no)s is closed; its clock cannot be resumed.")
                % {"reference_no": locked.reference_no},
                code="final",
            )
        if not locked.clock_paused:
            raise ActionNotAllowed(
                _("The clock of case %(reference_no)s is running; there is no pause to end.")
                % {"reference_no": locked.reference_no},
                code="running",
            )
        if not (locked.may_process(by) or is_applicant(by, locked)):
            raise PermissionDenied(_("You may not resume the clock of this case."))
        previous = locked.deadline
        days, _pause = _close_open_pause(locked, local_today())
        locked.save(update_fields=["paused_since", "paused_working_days", "deadline"])
        case_log_event(
            case=locked,
            action=CaseAction.CLOCK_RESUMED,
            by=by,
            note=note,
            data={
                "working_days": days,
                "previous_deadline": previous.isoformat() if previous else None,
                "deadline": locked.deadline.isoformat(),
            },
        )
        _notify_applicant(
            locked,
            subject=_("Case %(reference_no)s is being processed again")
            % {"reference_no": locked.reference_no},
            body=_("The promised decision date is now %(deadline)s.") % {"deadline": locked.deadline},
        )
    return workflow.refreshed(case, locked)


# --- visits and next step -----------------------------------------------------------------------------


def case_record_visit(*, case: Case, by, note: str = "") -> Case:
    """Count one visit of the applicant to an office (跑动次数) for the reform figures."""
    with transaction.atomic():
        locked = workflow.lock(case)
        if not locked.may_process(by):
            raise PermissionDenied(_("Only staff handling this case may record a visit."))
        Case.objects.filter(pk=locked.pk).update(visits=F("visits") + 1)
        locked.refresh_from_db(fields=["visits"])
        case_log_event(
            case=locked, action=CaseAction.VISIT_RECORDED, by=by, note=note, data={"visits": locked.visits}
        )
    return workflow.refreshed(case, locked)


def case_assign_school(*, case: Case, school, by=None, note: str = "") -> Case:
    """Make ``school`` responsible for the case (its clerks then see it). System or district staff only."""
    with transaction.atomic():
        locked = workflow.lock(case)
        if by is not None and not locked.may_process(by):
            raise PermissionDenied(_("Only staff handling this case may assign it."))
        if school is not None and school.district_id != locked.district_id:
            raise ValidationError({"school": [_("The school is not in the case's district.")]})
        if locked.school_id == getattr(school, "pk", None):
            return workflow.refreshed(case, locked)
        previous = locked.school.code if locked.school_id else ""
        locked.school = school
        locked.save(update_fields=["school"])
        case_log_event(
            case=locked,
            action=CaseAction.ASSIGNED,
            by=by,
            note=note,
            data={"from": previous, "to": school.code if school else ""},
        )
    return workflow.refreshed(case, locked)


def case_set_next_step(*, case: Case, text: str) -> Case:
    """What the applicant should expect or do next, shown on "my cases" (service apps keep it current
    beside their own events, so this writes no event of its own)."""
    text = (text or "").strip()
    max_length = Case._meta.get_field("next_step").max_length
    if len(text) > max_length:
        raise ValidationError({"next_step": [_("Keep it under %(n)d characters.") % {"n": max_length}]})
    Case.objects.filter(pk=case.pk).update(next_step=text)
    case.next_step = text
    return case


def case_set_deadline(*, case: Case, deadline: dt.date) -> Case:
    """The deadline a service sets itself, for a case with no promised working days (a bill's own case is
    due when the bill is: its 缴费期限). No event: it is set with the case's first writes."""
    if case.promised_days:
        raise ValueError("a case with promised working days has its deadline from the calendar")
    Case.objects.filter(pk=case.pk).update(deadline=deadline)
    case.deadline = deadline
    return case


# --- attachments --------------------------------------------------------------------------------------


def _clean_original_name(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cc").strip()
    return name[:255]


def _refuse_unarchivable_pdf(data: bytes) -> None:
    """A PDF the electronic archive would refuse (DA/T 70 usability and security) is refused now, with a
    message the family can act on, rather than keeping their case out of the archive later."""
    try:
        findings = inspect_pdf(data)
    except PDF_READ_ERRORS:
        findings = None
    if findings is None or findings.pages < 1:
        raise ValidationError(
            {
                "file": [
                    _(
                        "This PDF cannot be opened (it is damaged or password-protected). Upload it again, "
                        "or upload a photo or scan (JPEG or PNG)."
                    )
                ]
            }
        )
    if findings.active or findings.embedded_files:
        raise ValidationError(
            {
                "file": [
                    _(
                        "This PDF contains scripts, actions, media or attached files, which the electronic "
                        "archive does not keep. Print it to a new PDF, or upload a photo or scan (JPEG or "
                        "PNG)."
                    )
                ]
            }
        )


def attachment_add(*, case: Case, by, kind: str, uploaded_file) -> Attachment:
    """Store an uploaded material under a random name after checking its size and its real type (from
    its first bytes); keep the original name for display, record its SHA-256 and write an event.

    The applicant or staff who handle the case only; not on a closed case."""
    kind = (kind or "").strip()
    if not kind:
        raise ValidationError({"kind": [_("Say which material this file is.")]})
    if not isinstance(uploaded_file, File):
        uploaded_file = File(uploaded_file, name=getattr(uploaded_file, "name", ""))
    with transaction.atomic():
        locked = workflow.lock(case)
        if not (is_applicant(by, locked) or can_handle(by, locked)):
            raise PermissionDenied(_("You may not add files to this case."))
        if locked.is_final:
            raise ActionNotAllowed(
                _("Case %(reference_no)s is closed; no more files can be added.")
                % {"reference_no": locked.reference_no},
                code="final",
            )
        limit = settings.ATTACHMENT_MAX_BYTES
        too_big = ValidationError(
            {"file": [_("The file is larger than %(mb).0f MB.") % {"mb": limit / (1024 * 1024)}]}
        )
        if uploaded_file.size is not None and uploaded_file.size > limit:
            raise too_big
        uploaded_file.seek(0)
        head = uploaded_file.read(16)
        content_type = sniff_content_type(head)
        allowed = settings.ATTACHMENT_ALLOWED_TYPES
        if not head:
            raise ValidationError({"file": [_("The file is empty.")]})
        if content_type not in allowed:
            raise ValidationError(
                {"file": [_("Only PDF, JPEG and PNG files are accepted; this file is none of them.")]}
            )
        digest, size = hashlib.sha256(), 0
        for chunk in uploaded_file.chunks():
            digest.update(chunk)
            size += len(chunk)
            if size > limit:
                raise too_big
        if content_type == "application/pdf":
            uploaded_file.seek(0)
            _refuse_unarchivable_pdf(uploaded_file.read())
        extension = allowed[content_type]
        attachment = Attachment(
            case=locked,
            kind=kind[:100],
            stored_name=secrets.token_hex(16) + extension,
            original_name=_clean_original_name(uploaded_file.name) or f"{kind[:50]}{extension}",
            content_type=content_type,
            size=size,
            sha256=digest.hexdigest(),
            uploaded_by=by,
        )
        uploaded_file.seek(0)
        attachment.file.save(attachment.stored_name, uploaded_file, save=False)
        try:
            with transaction.atomic():
                attachment.save()
                case_log_event(
                    case=locked,
                    action=CaseAction.ATTACHMENT_ADDED,
                    by=by,
                    note=attachment.original_name,
                    data={"attachment": attachment.pk, "kind": attachment.kind, "sha256": attachment.sha256},
                )
        except BaseException:
            attachment.file.delete(save=False)  # no orphan file when the rows are not written
            raise
    return attachment


# --- rating (好差评) and rectification -----------------------------------------------------------------


def attachments_sweep_orphans(*, older_than: dt.timedelta) -> int:
    """Delete stored attachment files that no attachment row refers to and that are older than
    ``older_than`` — left by a process killed between writing the file and committing its row (a failed
    write already removes its file). They hold personal data nobody can reach, so they are not kept.
    The age keeps a file whose row is still being committed. Returns how many were deleted."""
    from django.core.files.storage import default_storage

    folder = "attachments"
    try:
        _dirs, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return 0
    known: set[str] = set()
    for start in range(0, len(names), 1000):  # bounded IN lists, whatever the folder holds
        chunk = names[start : start + 1000]
        known.update(Attachment.objects.filter(stored_name__in=chunk).values_list("stored_name", flat=True))
    cutoff = timezone.now() - older_than
    deleted = 0
    for name in sorted(set(names) - known):
        path = f"{folder}/{name}"
        try:
            if default_storage.get_modified_time(path) >= cutoff:
                continue
            default_storage.delete(path)
        except FileNotFoundError:  # another sweeper got there first
            continue
        deleted += 1
    return deleted


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
            due = workdays.add_working_days(local_today(), RECTIFICATION_WORKING_DAYS)
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
            data={"task": locked.pk, "on_time": local_today() <= locked.due_on},
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
        today = today or local_today()
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
