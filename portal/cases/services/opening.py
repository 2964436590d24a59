"""Opening a case: reference number, accepted today, deadline, the submitted event and the message."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from portal.cases.actions import CaseAction
from portal.cases.models import (
    Case,
    Channel,
    NumberSeries,
    ReferenceCounter,
)
from portal.cases.services import common
from portal.cases.services.common import _notify_applicant, compute_deadline
from portal.cases.services.events import case_log_event
from portal.catalog.models import DecisionMode, ServiceItem
from portal.core.idcodes import normalize_id_number


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


def number_take(*, series: str) -> int:
    """The next number of ``series`` (1, 2, …): one ``UPDATE … RETURNING`` takes it and row-locks the
    series until the caller's transaction ends — call it inside that transaction, as late as possible —
    so concurrent takers get consecutive numbers and a rolled-back taker gives its number back
    (PostgreSQL: row lock; SQLite: the IMMEDIATE write lock). The same shape as the reference numbers."""
    table, last = NumberSeries._meta.db_table, connection.ops.quote_name("last")
    key = connection.ops.quote_name("key")
    take = f"UPDATE {table} SET {last} = {last} + 1 WHERE {key} = %s RETURNING {last}"  # noqa: S608 - names from the model
    with connection.cursor() as cursor:
        cursor.execute(take, [series])
        row = cursor.fetchone()
        if row is None:  # the series' first number
            NumberSeries.objects.get_or_create(key=series)
            cursor.execute(take, [series])
            row = cursor.fetchone()
    return row[0]


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
    next_step: str = "",
) -> Iterator[Case]:
    """:func:`case_open` for a caller with more to write about the new case in the same transaction:
    the body of the ``with`` block runs with the case saved under a provisional number, and the reference
    number is taken when the block ends, as the last writes before the caller commits.

    Reference numbers are gapless: the counter row stays locked from the number until the commit, so every
    other opening of the same service and year waits that long. Taken last, the lock covers the number,
    the message that announces it and the commit — not the caller's writes. Use it inside the caller's
    ``transaction.atomic()`` and commit right after; a failure in the block takes no number.
    ``next_step`` (what the applicant should expect next) is written with the case's first insert."""
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

    today = common.local_today()
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
        next_step=(next_step or "").strip()[: Case._meta.get_field("next_step").max_length],
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
