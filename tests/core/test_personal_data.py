"""Personal data: encrypted at rest, masked on screens and in logs, full views logged."""

import logging

import pytest
from django.db import connection

from portal.core import pii
from portal.core.models import AppendOnlyError, PersonalDataAccess, record_full_view
from tests.factories import CaseFactory, UserFactory

ID = "360426199101010071"


def test_masking():
    assert pii.mask_id(ID) == "360***********0071"
    assert pii.mask_name("张三明") == "张*明"
    assert pii.mask_name("张三") == "张*"
    assert pii.mask_name("李𠈌") == "李*"  # a rare character outside the BMP counts as one character
    assert pii.mask_name("阿依古丽·买买提") == "阿******提"
    assert pii.mask_phone("13800001234") == "138****1234"


def test_log_lines_never_carry_a_full_id_or_phone(caplog):
    logger = logging.getLogger("portal.test")
    logger.addFilter(pii.MaskPiiLogFilter())
    with caplog.at_level(logging.INFO, logger="portal.test"):
        logger.info("looked up %s for %s", ID, "13800001234")
    assert ID not in caplog.text and "13800001234" not in caplog.text
    assert "360***********0071" in caplog.text


def test_keyed_hash_is_stable_and_case_insensitive():
    assert pii.keyed_hash("11010519491231002x") == pii.keyed_hash("11010519491231002X")
    assert pii.keyed_hash(ID) != pii.keyed_hash("120103198806018241")


@pytest.mark.django_db
def test_a_database_dump_holds_no_plaintext_id_number():
    """Every column of every portal table is read back raw; the sandbox's tables stand for other
    authorities' databases and are not installed in production (SANDBOX_ENABLED=False)."""
    user = UserFactory(id_number=ID)
    CaseFactory(applicant=user, subject_id_number="120103198806018241")
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table.startswith("sandbox_"):
                continue
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names come from introspection
            for row in cursor.fetchall():
                text = " ".join(str(v) for v in row)
                if ID in text or "120103198806018241" in text:
                    found.append(table)
    assert found == []
    user.refresh_from_db()
    assert user.id_number == ID  # and the application still reads it


@pytest.mark.django_db
def test_full_views_are_logged_and_the_log_is_append_only():
    viewer = UserFactory(bureau=True)
    subject = UserFactory(id_number=ID)
    entry = record_full_view(actor=viewer, value=ID, record=subject, field="id_number", reason="核对身份")
    assert entry.subject_masked == "360***********0071"
    assert PersonalDataAccess.objects.filter(subject_hash=pii.keyed_hash(ID)).count() == 1
    with pytest.raises(AppendOnlyError):
        entry.reason = "changed"
        entry.save()
    with pytest.raises(AppendOnlyError):
        PersonalDataAccess.objects.all().delete()


@pytest.mark.django_db
def test_postgres_refuses_raw_updates_of_the_access_log():
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only; SQLite is the single-user demo database")
    from django.db import DatabaseError, transaction

    entry = record_full_view(
        actor=UserFactory(bureau=True), value=ID, record=UserFactory(), field="id_number", reason="x"
    )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_personaldataaccess SET reason = 'y' WHERE id = %s", [entry.pk])
