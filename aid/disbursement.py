"""Disbursement (资助资金发放): batches to the bank per scheme and term, the bank's file, its return file.

A batch takes the approved cases of a scheme that have a bank account and are in no open batch. The bank
gets an xlsx with the full account numbers (screens show them masked); its return file says per line paid
or failed with its reason. Paid lines make their cases ``paid``; failed lines are listed and their cases
can go into the next batch. Nothing is paid twice: a case has at most one pending line (database
constraint ``aid_case_in_one_open_batch``), and a paid case is never approved again.
"""

import io
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aid.catalogue import AidAction
from aid.models import (
    AidApplication,
    AidState,
    BatchLine,
    BatchState,
    DisbursementBatch,
    LineStatus,
    Scheme,
    Term,
)
from payments.money import FEN_PER_YUAN, format_yuan
from portal.accounts.models import Role, User
from portal.cases import services as cases
from portal.cases.workflow import ActionNotAllowed, perform
from portal.notify.services import message_send

BANK_HEADER = ["序号", "办件编号", "户名", "账号", "金额（元）", "摘要"]
RETURN_HEADER = ["序号", "办件编号", "结果", "失败原因"]
PAID_WORDS = {"成功", "已支付", "paid", "success", "ok"}
FAILED_WORDS = {"失败", "failed", "fail", "error"}


def _require_bureau(scheme: Scheme, by: User) -> None:
    if by is None or not (
        by.is_superuser or (by.role == Role.BUREAU and by.district_id == scheme.district_id)
    ):
        raise PermissionDenied(_("Only bureau staff of the scheme's district pay out aid."))


@dataclass
class BatchResult:
    batch: DisbursementBatch | None
    without_account: list[str] = field(default_factory=list)


def batch_create(*, scheme: Scheme, term: str, by: User) -> BatchResult:
    """A batch of the scheme's approved cases with a bank account that no open batch holds. Cases without
    an account are listed (the guardian adds it). ``409`` when there is nothing to pay."""
    _require_bureau(scheme, by)
    if term not in Term.values:
        raise ValidationError({"term": [_("Choose the whole year, the autumn or the spring term.")]})
    with transaction.atomic():
        Scheme.objects.select_for_update().get(pk=scheme.pk)  # one batch built at a time per scheme
        due = list(
            AidApplication.objects.filter(scheme=scheme, state=AidState.APPROVED)
            .exclude(batch_lines__status=LineStatus.PENDING)
            .select_related("case")
            .order_by("school_id", "pk")
        )
        without = [a.case.reference_no for a in due if not a.bank_account]
        payable = [a for a in due if a.bank_account]
        if not payable:
            raise ActionNotAllowed(
                _("No approved case is waiting for payment with a bank account."), code="nothing_to_pay"
            )
        batch = DisbursementBatch.objects.create(scheme=scheme, term=term, created_by=by)
        try:
            with transaction.atomic():
                BatchLine.objects.bulk_create(
                    [
                        BatchLine(
                            batch=batch,
                            application=a,
                            amount_fen=a.amount_fen,
                            account_name=a.account_name,
                            bank_account=a.bank_account,
                        )
                        for a in payable
                    ]
                )
        except IntegrityError:
            raise ActionNotAllowed(
                _("Another batch took these cases at the same time; try again."), code="race"
            ) from None
        for application in payable:
            cases.case_log_event(
                case=application.case, action=AidAction.IN_BATCH, by=by, data={"batch": batch.pk}
            )
            cases.case_set_next_step(case=application.case, text=_("The payment is with the bank."))
    return BatchResult(batch=batch, without_account=without)


def batch_xlsx(batch: DisbursementBatch) -> bytes:
    """The file for the bank: one row per line, full account numbers (the bank needs them)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "代发明细"
    sheet.append(BANK_HEADER)
    for line in batch.lines.select_related("application__case").order_by("pk"):
        sheet.append(
            [
                line.pk,
                line.application.case.reference_no,
                line.account_name,
                line.bank_account,
                format_yuan(line.amount_fen, symbol=False),
                f"{batch.scheme.name}{batch.get_term_display()}",
            ]
        )
    sheet.column_dimensions["D"].width = 26
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _read_return(data: bytes) -> list[tuple[int, dict]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable upload is the same field error
        raise ValidationError({"file": [_("The return file is not an xlsx workbook.")]}) from None
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    if not rows:
        raise ValidationError({"file": [_("The return file is empty.")]})
    header = [str(c or "").strip() for c in rows[0]]
    missing = [h for h in RETURN_HEADER if h not in header]
    if missing:
        raise ValidationError(
            {"file": [_("The return file lacks the columns %(cols)s.") % {"cols": "、".join(missing)}]}
        )
    index = {h: header.index(h) for h in RETURN_HEADER}
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c not in (None, "") for c in row):
            continue
        out.append(
            (
                n,
                {
                    h: str(row[i] if i < len(row) and row[i] is not None else "").strip()
                    for h, i in index.items()
                },
            )
        )
    return out


def batch_import_return(*, batch: DisbursementBatch, data: bytes, by: User) -> dict:
    """Import the bank's return file: every line answered, or nothing is written (errors per row)."""
    _require_bureau(batch.scheme, by)
    rows = _read_return(data)
    lines = {line.pk: line for line in batch.lines.select_related("application__case")}
    errors, answers = [], {}
    for n, row in rows:
        try:
            pk = int(float(row["序号"]))
        except ValueError:
            errors.append(_("Row %(n)s: 序号 is not a number.") % {"n": n})
            continue
        line = lines.get(pk)
        if line is None:
            errors.append(_("Row %(n)s: line %(pk)s is not in this batch.") % {"n": n, "pk": pk})
            continue
        if row["办件编号"] != line.application.case.reference_no:
            errors.append(
                _("Row %(n)s: the reference number does not match line %(pk)s.") % {"n": n, "pk": pk}
            )
            continue
        result = row["结果"].lower()
        if result in PAID_WORDS:
            answers[pk] = (LineStatus.PAID, "")
        elif result in FAILED_WORDS:
            answers[pk] = (LineStatus.FAILED, row["失败原因"] or _("No reason given by the bank"))
        else:
            errors.append(_("Row %(n)s: the result must be 成功 or 失败.") % {"n": n})
    unanswered = [pk for pk in lines if pk not in answers]
    if unanswered and not errors:
        errors.append(
            _("The return file does not answer lines %(pks)s.")
            % {"pks": ", ".join(str(p) for p in unanswered[:20])}
        )
    if errors:
        raise ValidationError({"file": errors})
    counts = {"paid": 0, "failed": 0}
    now = timezone.now()
    with transaction.atomic():
        locked = DisbursementBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.state != BatchState.OPEN:
            raise ActionNotAllowed(_("This batch's return file has been imported already."), code="closed")
        for pk, (status, reason) in answers.items():
            line = lines[pk]
            BatchLine.objects.filter(pk=pk).update(status=status, bank_reason=reason[:200])
            application = line.application
            if status == LineStatus.PAID:
                perform(application, "mark_paid", by=by, note=f"{batch} #{pk}", then=_paid, at=now)
                counts["paid"] += 1
            else:
                cases.case_log_event(
                    case=application.case,
                    action=AidAction.PAYMENT_FAILED,
                    by=by,
                    note=reason,
                    data={"batch": batch.pk},
                )
                cases.case_set_next_step(
                    case=application.case,
                    text=_("The bank could not pay: %(reason)s") % {"reason": reason[:150]},
                )
                message_send(
                    recipient=application.guardian,
                    subject=_("Aid payment %(ref)s failed") % {"ref": application.case.reference_no},
                    body=_(
                        "The bank could not pay into the account: %(reason)s. Check the account; the aid "
                        "goes into the next batch."
                    )
                    % {"reason": reason},
                    case=application.case,
                )
                counts["failed"] += 1
        locked.state, locked.returned_at = BatchState.CLOSED, now
        locked.save(update_fields=["state", "returned_at"])
    return counts


def _paid(application: AidApplication) -> None:
    cases.case_set_next_step(case=application.case, text="")
    message_send(
        recipient=application.guardian,
        subject=_("Aid paid: %(ref)s") % {"ref": application.case.reference_no},
        body=_("%(amount)s was paid into the account ending %(tail)s.")
        % {"amount": format_yuan(application.amount_fen), "tail": (application.bank_account or "")[-4:]},
        case=application.case,
    )


def batch_total_fen(batch: DisbursementBatch) -> int:
    return sum(batch.lines.values_list("amount_fen", flat=True))


__all__ = ["FEN_PER_YUAN", "batch_create", "batch_import_return", "batch_xlsx"]
