"""Disbursement batches: the bank's file, its return file (a failed row), nothing paid twice."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from openpyxl import Workbook, load_workbook

from aid.disbursement import batch_create, batch_import_return, batch_xlsx
from aid.models import AidApplication, AidState, BatchLine, LineStatus
from aid.services import application_approve, application_set_account
from portal.cases.workflow import ActionNotAllowed

pytestmark = pytest.mark.django_db

ACCOUNTS = ["6217000010001234567", "6217000010007654321", "6228480010000000001"]


@pytest.fixture
def approved(at_bureau, staff):
    apps = at_bureau(n=3)
    for a, account in zip(apps, ACCOUNTS, strict=True):
        application_approve(application=a, by=staff["bureau"])
        a.refresh_from_db()
        application_set_account(
            application=a, by=a.family.guardian, account_name="李𠈌", bank_account=account
        )
    return [AidApplication.objects.get(pk=a.pk) for a in apps]


def return_file(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "办件编号", "结果", "失败原因"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_bank_file_has_full_accounts_and_the_screen_masks_them(approved, scheme, staff, client):
    result = batch_create(scheme=scheme, term="autumn", by=staff["bureau"])
    assert result.batch.lines.count() == 3 and not result.without_account
    sheet = load_workbook(io.BytesIO(batch_xlsx(result.batch))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "办件编号", "户名", "账号")
    assert {r[3] for r in rows[1:]} == set(ACCOUNTS)
    client.force_login(staff["bureau"])
    page = client.get(f"/aid/batches/{result.batch.pk}/").content.decode()
    assert "4567" in page and ACCOUNTS[0] not in page
    stored = BatchLine.objects.values_list("bank_account", flat=True).first()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select bank_account from aid_batchline")
        raw = [r[0] for r in cursor.fetchall()]
    assert stored in ACCOUNTS and not any(a in raw for a in ACCOUNTS)  # encrypted at rest


def test_the_return_file_pays_and_lists_a_failed_row_for_the_next_batch(approved, scheme, staff):
    batch = batch_create(scheme=scheme, term="autumn", by=staff["bureau"]).batch
    lines = list(batch.lines.select_related("application__case").order_by("pk"))
    rows = [(line.pk, line.application.case.reference_no, "成功", "") for line in lines[:2]]
    rows.append((lines[2].pk, lines[2].application.case.reference_no, "失败", "账户已销户"))
    counts = batch_import_return(batch=batch, data=return_file(rows), by=staff["bureau"])
    assert counts == {"paid": 2, "failed": 1}
    states = {a.pk: a.state for a in AidApplication.objects.filter(pk__in=[a.pk for a in approved])}
    assert sorted(states.values()) == ["approved", "paid", "paid"]
    failed = BatchLine.objects.get(status=LineStatus.FAILED)
    assert failed.bank_reason == "账户已销户"
    # the failed case (only) goes into the next batch; the paid ones never again
    again = batch_create(scheme=scheme, term="autumn", by=staff["bureau"]).batch
    assert list(again.lines.values_list("application_id", flat=True)) == [failed.application_id]
    with pytest.raises(ActionNotAllowed):
        batch_import_return(batch=batch, data=return_file(rows), by=staff["bureau"])


def test_a_bad_return_file_changes_nothing(approved, scheme, staff):
    batch = batch_create(scheme=scheme, term="autumn", by=staff["bureau"]).batch
    lines = list(batch.lines.select_related("application__case").order_by("pk"))
    rows = [(line.pk, line.application.case.reference_no, "成功", "") for line in lines[:2]]
    rows.append((lines[2].pk, "JY-AID-0000-000000", "成功", ""))
    with pytest.raises(ValidationError) as refused:
        batch_import_return(batch=batch, data=return_file(rows), by=staff["bureau"])
    assert (
        "Row 4" in refused.value.messages[0]
        or "第" in refused.value.messages[0]
        or "4" in refused.value.messages[0]
    )
    assert not AidApplication.objects.filter(state=AidState.PAID).exists()
    assert not BatchLine.objects.exclude(status=LineStatus.PENDING).exists()
    with pytest.raises(ValidationError):
        batch_import_return(batch=batch, data=b"not a workbook", by=staff["bureau"])


def test_a_case_is_never_in_two_open_batches(approved, scheme, staff):
    batch = batch_create(scheme=scheme, term="autumn", by=staff["bureau"]).batch
    with pytest.raises(ActionNotAllowed):  # nothing left to pay while the first batch is open
        batch_create(scheme=scheme, term="autumn", by=staff["bureau"])
    line = batch.lines.first()
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database refuses it outright
        BatchLine.objects.create(
            batch=batch, application=line.application, amount_fen=1, account_name="x", bank_account="12345678"
        )


def test_cases_without_an_account_are_listed_not_batched(at_bureau, staff, scheme):
    (application,) = at_bureau()
    application_approve(application=application, by=staff["bureau"])
    with pytest.raises(ActionNotAllowed):
        batch_create(scheme=scheme, term="year", by=staff["bureau"])


def test_only_the_districts_bureau_builds_batches(approved, scheme, staff):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        batch_create(scheme=scheme, term="autumn", by=staff["P1"])
