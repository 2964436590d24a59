"""The data migration that encrypts existing phone numbers (accounts 0003, notify 0002): rows written before
it are encrypted and hashed, ``p<phone>`` user names renamed, axes records re-keyed; and it runs back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from portal.core import pii

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("accounts", "0002_labels_and_full_id_permission"),
    ("notify", "0001_initial"),
    ("axes", "0010_accessattemptexpiration"),
]
AFTER = [("accounts", "0003_phone_encrypted"), ("notify", "0002_delivery_address_encrypted")]
PHONE = "13800007777"


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_numbers_are_encrypted_hashed_and_renamed_and_back():
    old = migrate(BEFORE)
    user = old.get_model("accounts", "User").objects.create(username=f"p{PHONE}", phone=PHONE)
    staff = old.get_model("accounts", "User").objects.create(username="clerk9", phone=None)
    old.get_model("accounts", "OneTimeCode").objects.create(
        phone=PHONE, code="x", expires_at="2027-01-01T00:00Z"
    )
    message = old.get_model("notify", "Message").objects.create(recipient_id=user.pk, subject="s", body="b")
    old.get_model("notify", "Delivery").objects.create(message=message, channel="sms", address=PHONE)
    old.get_model("axes", "AccessAttempt").objects.create(
        username=PHONE,
        ip_address="192.0.2.1",
        user_agent="",
        http_accept="",
        path_info="/",
        failures_since_start=1,
    )

    new = migrate(AFTER)
    with connection.cursor() as cursor:
        cursor.execute("SELECT username, phone, phone_hash FROM accounts_user WHERE id = %s", [user.pk])
        username, phone, phone_hash = cursor.fetchone()
        cursor.execute("SELECT phone, phone_hash FROM accounts_onetimecode")
        otp_phone, otp_hash = cursor.fetchone()
        cursor.execute("SELECT address FROM notify_delivery")
        (address,) = cursor.fetchone()
    assert PHONE not in username and username.startswith("c")
    assert pii.decrypt_str(phone) == PHONE and phone_hash == pii.keyed_hash(PHONE)
    assert pii.decrypt_str(otp_phone) == PHONE and otp_hash == pii.keyed_hash(PHONE)
    assert pii.decrypt_str(address) == PHONE
    assert new.get_model("accounts", "User").objects.get(pk=staff.pk).phone_hash is None
    assert list(new.get_model("axes", "AccessAttempt").objects.values_list("username", flat=True)) == [
        "tel:" + pii.keyed_hash(PHONE)
    ]

    back = migrate(BEFORE)
    assert back.get_model("accounts", "User").objects.get(pk=user.pk).phone == PHONE
    assert back.get_model("notify", "Delivery").objects.get().address == PHONE
    migrate(AFTER)
