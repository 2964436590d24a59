"""Daily reconciliation (对账) against the platform's statement file.

Each night the statement of the day before is fetched and compared line by line with the portal:

- a payment on the statement whose order is still unpaid here — its notification was lost — is recorded
  through :func:`payments.services.order_confirm_paid` (the same exactly-once path as a notification) and
  noted as *repaired*; likewise a refund still "requested" here is booked;
- anything else that differs is a *mismatch*: a line for an order or refund the portal does not know, a
  different amount or transaction, a payment for a bill that expired or was closed here, a payment or
  refund recorded here but missing from the statement. Mismatches are listed in the admin
  (Payments › Reconciliations), written to each order's case trace, and reported to the bureau staff of
  the district concerned.

Running a day again is harmless: what was repaired stays repaired (and listed), mismatches are computed
afresh.

Statement file (CSV, UTF-8, header row)::

    type,out_trade_no,trade_no,payment_code,amount_fen,time,refund_no,platform_refund_no
    PAY,JF20270510…,T2027…,3304…,120000,2027-05-10T09:30:12+08:00,,
    REFUND,JF20270510…,T2027…,3304…,50000,2027-05-10T15:02:40+08:00,TK20270510…01,R2027…
"""

import csv
import datetime as dt
import hashlib
import io
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from payments import platform, refunds, services
from payments.catalogue import PaymentAction
from payments.models import (
    PAID_STATES,
    IssueKind,
    NotificationOutcome,
    Order,
    PaidVia,
    ReconciliationIssue,
    ReconciliationRun,
    ReconciliationStatus,
    Refund,
    RefundState,
)
from payments.money import format_yuan
from portal.accounts.models import Role, User
from portal.cases import services as cases
from portal.orgs.models import District

log = logging.getLogger(__name__)

COLUMNS = [
    "type",
    "out_trade_no",
    "trade_no",
    "payment_code",
    "amount_fen",
    "time",
    "refund_no",
    "platform_refund_no",
]


class StatementError(ValueError):
    """The statement file cannot be read."""


@dataclass(frozen=True)
class Line:
    type: str
    out_trade_no: str
    trade_no: str
    payment_code: str
    amount_fen: int
    time: dt.datetime
    refund_no: str = ""
    platform_refund_no: str = ""


def parse_statement(content: bytes) -> list[Line]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StatementError("the statement is not UTF-8") from exc
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != COLUMNS:
        raise StatementError(f"unexpected columns: {reader.fieldnames}")
    lines = []
    for number, row in enumerate(reader, start=2):
        try:
            kind = row["type"].strip()
            amount = int(row["amount_fen"])
            when = parse_datetime(row["time"].strip())
            if kind not in ("PAY", "REFUND") or amount <= 0 or when is None or when.tzinfo is None:
                raise ValueError(row)
            if not row["out_trade_no"].strip() or (kind == "REFUND" and not row["refund_no"].strip()):
                raise ValueError(row)
        except (KeyError, TypeError, ValueError) as exc:
            raise StatementError(f"line {number} is malformed") from exc
        lines.append(
            Line(
                type=kind,
                out_trade_no=row["out_trade_no"].strip(),
                trade_no=row["trade_no"].strip(),
                payment_code=row["payment_code"].strip(),
                amount_fen=amount,
                time=when,
                refund_no=row["refund_no"].strip(),
                platform_refund_no=row["platform_refund_no"].strip(),
            )
        )
    return lines


@dataclass
class Findings:
    issues: list[ReconciliationIssue] = field(default_factory=list)

    def add(
        self, kind, *, order_no="", order=None, reference="", platform_fen=None, portal_fen=None, detail=""
    ):
        self.issues.append(
            ReconciliationIssue(
                kind=kind,
                order_no=order_no or (order.order_no if order else ""),
                order=order,
                reference=reference,
                platform_fen=platform_fen,
                portal_fen=portal_fen,
                detail=str(detail)[:300],
            )
        )


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=cases.BUREAU_TZ)
    return start, start + dt.timedelta(days=1)


def _payments(lines: list[Line], day: dt.date, findings: Findings) -> None:
    on_statement = set()
    for line in (x for x in lines if x.type == "PAY"):
        on_statement.add(line.out_trade_no)
        result = services.order_confirm_paid(
            order_no=line.out_trade_no,
            amount_fen=line.amount_fen,
            trade_no=line.trade_no,
            paid_at=line.time,
            via=PaidVia.RECONCILIATION,
            payment_code=line.payment_code,
        )
        order = result.order
        portal_fen = order.amount_fen if order else None
        common = {"order_no": line.out_trade_no, "order": order, "reference": line.trade_no}
        if result.outcome == NotificationOutcome.APPLIED:
            findings.add(
                IssueKind.REPAIRED_PAYMENT,
                platform_fen=line.amount_fen,
                portal_fen=portal_fen,
                detail=_("Paid at the platform, no notification received; recorded as paid."),
                **common,
            )
        elif result.outcome == NotificationOutcome.UNKNOWN_ORDER:
            findings.add(
                IssueKind.UNKNOWN_ORDER, platform_fen=line.amount_fen, detail=result.detail, **common
            )
        elif result.outcome == NotificationOutcome.AMOUNT_MISMATCH:
            findings.add(
                IssueKind.AMOUNT_MISMATCH,
                platform_fen=line.amount_fen,
                portal_fen=portal_fen,
                detail=result.detail,
                **common,
            )
        elif result.outcome == NotificationOutcome.OUT_OF_ORDER:
            kind = IssueKind.TRADE_MISMATCH if order.state in PAID_STATES else IssueKind.PAID_NOT_PAYABLE
            findings.add(
                kind, platform_fen=line.amount_fen, portal_fen=portal_fen, detail=result.detail, **common
            )
    start, end = _day_bounds(day)
    paid_here = Order.objects.filter(state__in=PAID_STATES, paid_at__gte=start, paid_at__lt=end)
    for order in paid_here.exclude(order_no__in=on_statement).order_by("pk"):
        findings.add(
            IssueKind.MISSING_AT_PLATFORM,
            order=order,
            reference=order.platform_trade_no,
            portal_fen=order.paid_fen,
            detail=_("Recorded here as paid on %(day)s (%(via)s); not on the platform's statement.")
            % {"day": day, "via": order.get_paid_via_display()},
        )


def _refunds(lines: list[Line], day: dt.date, findings: Findings) -> None:
    on_statement = set()
    for line in (x for x in lines if x.type == "REFUND"):
        on_statement.add(line.refund_no)
        refund = Refund.objects.select_related("order").filter(refund_no=line.refund_no).first()
        if refund is None or refund.order.order_no != line.out_trade_no:
            findings.add(
                IssueKind.REFUND_UNKNOWN,
                order_no=line.out_trade_no,
                order=Order.objects.filter(order_no=line.out_trade_no).first(),
                reference=line.refund_no,
                platform_fen=line.amount_fen,
                detail=_("A refund the portal did not request."),
            )
            continue
        common = {"order": refund.order, "reference": line.refund_no, "platform_fen": line.amount_fen}
        if line.amount_fen != refund.amount_fen:
            findings.add(
                IssueKind.AMOUNT_MISMATCH,
                portal_fen=refund.amount_fen,
                detail=_("Refund %(no)s: %(here)s here.")
                % {"no": refund.refund_no, "here": format_yuan(refund.amount_fen)},
                **common,
            )
        elif refund.state == RefundState.FAILED:
            findings.add(
                IssueKind.REFUND_UNKNOWN,
                portal_fen=refund.amount_fen,
                detail=_("Refund %(no)s was refused by the platform's answer but appears on its statement.")
                % {"no": refund.refund_no},
                **common,
            )
        elif refund.state == RefundState.REQUESTED:
            result = refunds.refund_complete(
                refund_no=refund.refund_no, platform_refund_no=line.platform_refund_no
            )
            if result.outcome == NotificationOutcome.APPLIED:
                findings.add(
                    IssueKind.REPAIRED_REFUND,
                    portal_fen=refund.amount_fen,
                    detail=_("Carried out at the platform, its answer was lost; booked."),
                    **common,
                )
    start, end = _day_bounds(day)
    done_here = Refund.objects.filter(
        state=RefundState.SUCCEEDED, completed_at__gte=start, completed_at__lt=end
    )
    for refund in done_here.exclude(refund_no__in=on_statement).select_related("order").order_by("pk"):
        findings.add(
            IssueKind.REFUND_MISSING_AT_PLATFORM,
            order=refund.order,
            reference=refund.refund_no,
            portal_fen=refund.amount_fen,
            detail=_("Booked here as refunded on %(day)s; not on the platform's statement.") % {"day": day},
        )


def _report(run: ReconciliationRun, mismatches: list[ReconciliationIssue]) -> None:
    """Trace each known order's mismatch on its case, and send one message to the bureau staff of each
    district concerned. A line the portal cannot place (an order it never issued) concerns every
    district: it is added to each district's message."""
    placed, unplaced = defaultdict(list), []
    for issue in mismatches:
        if issue.order is None:
            unplaced.append(issue)
            continue
        services.log_event(
            issue.order,
            PaymentAction.MISMATCH,
            note=issue.detail,
            data={"statement_date": run.statement_date.isoformat(), "kind": issue.kind},
        )
        placed[issue.order.district_id].append(issue)
    districts = set(placed)
    if unplaced:
        districts |= set(
            User.objects.filter(role=Role.BUREAU, is_active=True, district__isnull=False).values_list(
                "district_id", flat=True
            )
        )
    for district in District.objects.filter(pk__in=districts).order_by("pk"):
        issues = placed.get(district.pk, []) + unplaced
        lines = [
            _("%(no)s: %(kind)s (platform %(platform)s, portal %(portal)s)")
            % {
                "no": issue.order_no or "—",
                "kind": issue.get_kind_display(),
                "platform": format_yuan(issue.platform_fen) or "—",
                "portal": format_yuan(issue.portal_fen) or "—",
            }
            for issue in issues
        ]
        services.notify_bureau(
            district=district,
            subject=_("Payment reconciliation %(day)s: %(n)d mismatch(es)")
            % {"day": run.statement_date, "n": len(issues)},
            body=_(
                "The platform's statement of %(day)s does not match the portal:\n%(lines)s\n"
                "See Payments › Reconciliations in the admin."
            )
            % {"day": run.statement_date, "lines": "\n".join(lines)},
        )


def reconcile(*, day: dt.date) -> ReconciliationRun:
    """Fetch the statement of ``day`` and reconcile it (see the module docstring). A statement that
    cannot be fetched or read leaves the run ``failed`` with the reason (the task retries)."""
    started = timezone.now()
    try:
        content = platform.statement(date=day)
        lines = parse_statement(content)
    except (platform.PlatformError, StatementError) as exc:
        run, _created = ReconciliationRun.objects.update_or_create(
            statement_date=day,
            defaults={
                "status": ReconciliationStatus.FAILED,
                "started_at": started,
                "error": str(exc)[:300],
                "finished_at": timezone.now(),
            },
        )
        log.warning("reconciliation of %s failed: %s", day, exc)
        return run

    findings = Findings()
    _payments(lines, day, findings)
    _refunds(lines, day, findings)
    mismatches = [i for i in findings.issues if i.is_mismatch]
    with transaction.atomic():
        run, _created = ReconciliationRun.objects.select_for_update().get_or_create(
            statement_date=day, defaults={"status": ReconciliationStatus.BALANCED, "started_at": started}
        )
        run.issues.exclude(kind__in=[IssueKind.REPAIRED_PAYMENT, IssueKind.REPAIRED_REFUND]).delete()
        for issue in findings.issues:
            issue.run = run
        ReconciliationIssue.objects.bulk_create(findings.issues)
        pays = [x for x in lines if x.type == "PAY"]
        backs = [x for x in lines if x.type == "REFUND"]
        run.payments, run.payments_fen = len(pays), sum(x.amount_fen for x in pays)
        run.refunds, run.refunds_fen = len(backs), sum(x.amount_fen for x in backs)
        run.repaired = run.issues.filter(
            kind__in=[IssueKind.REPAIRED_PAYMENT, IssueKind.REPAIRED_REFUND]
        ).count()
        run.mismatches = len(mismatches)
        run.statement_sha256 = hashlib.sha256(content).hexdigest()
        run.started_at, run.finished_at, run.error = started, timezone.now(), ""
        if mismatches:
            run.status = ReconciliationStatus.MISMATCHES
        elif run.repaired:
            run.status = ReconciliationStatus.REPAIRED
        else:
            run.status = ReconciliationStatus.BALANCED
        run.save()
        if mismatches:
            _report(run, mismatches)
    log.info(
        "reconciled %s: %s lines, %s repaired, %s mismatches", day, len(lines), run.repaired, run.mismatches
    )
    return run


def yesterday() -> dt.date:
    return cases.local_today() - dt.timedelta(days=1)
