"""Public notices: publish, withdraw, raise an objection, answer it (one function per action)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.accounts.models import Role, User
from portal.cases import services as cases
from portal.cases import workflow
from portal.cases.models import Case, Channel
from portal.cases.workdays import add_working_days
from portal.cases.workflow import ActionNotAllowed
from portal.catalog.models import ServiceItem
from portal.core import pii
from portal.notices.models import (
    PUBLIC_FIELDS,
    Notice,
    NoticeAction,
    NoticeEntry,
    Objection,
    ObjectionState,
)
from portal.notices.registry import handler_for
from portal.notify.services import message_send

TEXT_MIN, TEXT_MAX = 10, 2000
ENTRY_KEYS = {"name", "school", "grade"}  # kept in their own columns; the rest must be PUBLIC_FIELDS
BATCH = 2000


def public_fields_errors(fields: Mapping) -> list[str]:
    """Why ``fields`` may not be shown on a public notice (empty: they may). Keys outside the allow-list
    (an ID number, a hardship reason, a disability …) and values that hold an ID number are refused."""
    problems = []
    for key, value in fields.items():
        if key not in PUBLIC_FIELDS and key not in ENTRY_KEYS:
            problems.append(f"{key!r} is not a public field (allowed: {', '.join(sorted(PUBLIC_FIELDS))})")
        elif not isinstance(value, str | int | float | bool | type(None)):
            problems.append(f"{key!r} must be a plain value")
        elif isinstance(value, str) and pii.mask_text(value) != value:
            problems.append(f"{key!r} holds an ID or phone number")
    return problems


def _entry(notice: Notice, position: int, case: Case, fields: Mapping) -> NoticeEntry:
    problems = public_fields_errors(fields)
    if problems:
        raise ValueError("; ".join(problems))
    public = {k: v for k, v in fields.items() if k not in ENTRY_KEYS}
    return NoticeEntry(
        notice=notice,
        case=case,
        position=int(fields.get("entry_no") or position),
        name=pii.mask_name(fields.get("name") or case.subject_name),
        school_name=str(fields.get("school") or "")[:200],
        grade=str(fields.get("grade") or "")[:32],
        public=public,
    )


def notice_publish(
    *,
    service: ServiceItem | str,
    title: str,
    entries: Iterable[tuple[Case, Mapping]],
    period_working_days: int,
    by,
    district=None,
    school=None,
    starts_on: dt.date | None = None,
    source: str = "",
) -> Notice:
    """Publish a notice (公示) of ``service``: one entry per ``(case, public_fields)``, names masked, the
    period ending ``period_working_days`` working days after ``starts_on`` (today); ``source`` says
    what the service published it for, in its own terms. ``public_fields`` may
    hold ``name`` (masked here), ``school``, ``grade`` and the keys of ``PUBLIC_FIELDS`` only — anything
    else is a programming error (``ValueError``): nothing that identifies or reveals hardship is shown."""
    if isinstance(service, str):
        service = ServiceItem.objects.get(code=service)
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the notice a title.")]
    if not isinstance(period_working_days, int) or not 1 <= period_working_days <= 30:
        errors["period_working_days"] = [_("A notice runs 1 to 30 working days.")]
    if district is None and school is not None:
        district = school.district
    if district is None:
        errors["district"] = [_("Say which district the notice is for.")]
    if errors:
        raise ValidationError(errors)
    starts_on = starts_on or cases.local_today()
    with transaction.atomic():
        notice = Notice.objects.create(
            service=service,
            title=title[:200],
            district=district,
            school=school,
            source=source[:100],
            period_working_days=period_working_days,
            starts_on=starts_on,
            ends_on=add_working_days(starts_on, period_working_days),
            published_by=by,
        )
        rows = [_entry(notice, i, case, fields) for i, (case, fields) in enumerate(entries, start=1)]
        NoticeEntry.objects.bulk_create(rows, batch_size=BATCH)
    return notice


def notice_withdraw(*, notice: Notice, by, note: str) -> Notice:
    """Take a notice down (published in error); its cases no longer wait for it."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say why the notice is withdrawn.")]})
    return workflow.perform(notice, "withdraw", by=by, note=note)


# --- objections --------------------------------------------------------------------------------------


def _require_objector(by) -> None:
    if (
        by is None
        or not by.is_authenticated
        or not by.is_active
        or by.role != Role.CITIZEN
        or not by.is_real_name_verified
    ):
        raise PermissionDenied(_("Sign in with your real-name verified account to raise an objection."))


def period_refusal(notice: Notice, today: dt.date) -> str | None:
    """The rule that refuses an objection to ``notice`` today (in the user's language), or None."""
    if notice.status != "published":
        return _("This public notice was withdrawn; it takes no objections.")
    if not notice.starts_on <= today <= notice.ends_on:
        return _("Objections are taken only during the public notice period, %(start)s to %(end)s.") % {
            "start": notice.starts_on.isoformat(),
            "end": notice.ends_on.isoformat(),
        }
    return None


def objection_raise(*, notice: Notice, by: User, text: str, entry: NoticeEntry | None = None) -> Objection:
    """Someone signed in (a real-name verified citizen) objects to ``notice`` — to ``entry`` on it, or to
    the notice as a whole — during its period. Opens a review case for the district's bureau staff, who
    each get a message; the notice's cases wait until it is answered."""
    _require_objector(by)
    text = (text or "").strip()
    errors: dict[str, list[str]] = {}
    if len(text) < TEXT_MIN:
        errors["text"] = [
            _("Describe the facts and your reason (at least %(n)d characters).") % {"n": TEXT_MIN}
        ]
    elif len(text) > TEXT_MAX:
        errors["text"] = [_("Keep it under %(n)d characters.") % {"n": TEXT_MAX}]
    if entry is not None and entry.notice_id != notice.pk:
        errors["entry"] = [_("That entry is not on this notice.")]
    if errors:
        raise ValidationError(errors)
    handler = handler_for(notice.service.code)
    review_item = ServiceItem.objects.get(code=handler.review_item)
    with transaction.atomic():
        locked = workflow.lock(notice)  # one open objection per person and notice, whatever runs at once
        refusal = period_refusal(locked, cases.local_today())
        if refusal:
            raise ActionNotAllowed(refusal, code="period")
        if Objection.objects.filter(notice=locked, by=by, state=ObjectionState.OPEN).exists():
            raise ActionNotAllowed(
                _("Your objection to this notice is still under review."), code="duplicate"
            )
        case = cases.case_open(
            service=review_item,
            applicant=by,
            subject_name=_("Public notice: %(title)s") % {"title": locked.title},
            channel=Channel.ONLINE,
            district=locked.district,
        )
        objection = Objection.objects.create(notice=locked, entry=entry, by=by, case=case, text=text)
        cases.case_log_event(
            case=case,
            action=NoticeAction.OBJECTION_RAISED,
            by=by,
            note=text,
            data={"notice": locked.pk, "entry": entry.position if entry else None},
        )
        cases.case_transition(case=case, transition="start_processing", by=None)
        cases.case_set_next_step(
            case=case,
            text=_("The bureau reviews your objection; the cases on the notice wait until it answers."),
        )
        staff = User.objects.filter(role=Role.BUREAU, district_id=locked.district_id, is_active=True)
        for person in staff:
            message_send(
                recipient=person,
                subject=_("Objection %(ref)s to the notice %(title)s")
                % {"ref": case.reference_no, "title": locked.title},
                body=text,
                case=case,
            )
    return objection


def objection_answer(*, objection: Objection, upheld: bool, answer: str, by) -> Objection:
    """Bureau staff of the notice's district answer an objection: upheld (the service's handler acts on
    it, e.g. admission revokes the placement) or dismissed, with the reasons. The objector is told; the
    review case is done."""
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": [_("Give the reasons for the answer; the objector reads them.")]})
    if len(answer) > TEXT_MAX:
        raise ValidationError({"answer": [_("Keep it under %(n)d characters.") % {"n": TEXT_MAX}]})

    def then(locked: Objection) -> None:
        if upheld:
            handler = handler_for(locked.notice.service.code).on_upheld
            if handler is not None:
                handler(locked, by=by)
        if locked.case is not None:
            cases.case_set_next_step(
                case=locked.case, text=_("Answered: %(answer)s") % {"answer": answer[:250]}
            )
        message_send(
            recipient=locked.by,
            subject=_("Your objection to %(title)s: %(outcome)s")
            % {"title": locked.notice.title, "outcome": locked.get_state_display()},
            body=answer,
            case=locked.case,
        )

    return workflow.perform(
        objection,
        "uphold" if upheld else "dismiss",
        by=by,
        note=answer,
        data={"notice": objection.notice_id, "entry": objection.entry_id},
        then=then,
        answer=answer,
        answered_by=by,
    )
