"""Phone numbers encrypted at rest with a keyed hash for look-ups (docs/adr/0019-phone-numbers.md).

The columns become text first (ciphertext is longer than 11 characters), existing rows are encrypted and
hashed, then the fields become encrypted fields (no schema change: same text column). Citizens' user
names that were their phone number (``p13800000001``) get a random one; django-axes' records that carry a
plain number as user name get the number's lock-out name instead (portal.accounts.lockout)."""

import re
import secrets

from django.db import migrations, models

import portal.core.fields
from portal.core import pii

PHONE = re.compile(r"^1[3-9]\d{9}$")


def lockout_name(phone: str) -> str:
    # the same as portal.accounts.lockout.lockout_name_for_phone at the time of writing
    return "tel:" + pii.keyed_hash(phone)


def encrypt_phones(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    OneTimeCode = apps.get_model("accounts", "OneTimeCode")
    for user in User.objects.exclude(phone__isnull=True).exclude(phone="").iterator():
        phone = user.phone
        user.phone, user.phone_hash = pii.encrypt_str(phone), pii.keyed_hash(phone)
        fields = ["phone", "phone_hash"]
        if user.username in (phone, f"p{phone}"):
            user.username = f"c{secrets.token_hex(8)}"
            fields.append("username")
        user.save(update_fields=fields)
    for otp in OneTimeCode.objects.iterator():
        phone = otp.phone
        otp.phone, otp.phone_hash = pii.encrypt_str(phone), pii.keyed_hash(phone)
        otp.save(update_fields=["phone", "phone_hash"])
    for model in ("AccessAttempt", "AccessLog", "AccessFailureLog"):
        records = apps.get_model("axes", model).objects
        for phone in {name for name in records.values_list("username", flat=True) if name and PHONE.match(name)}:
            records.filter(username=phone).update(username=lockout_name(phone))


def decrypt_phones(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    OneTimeCode = apps.get_model("accounts", "OneTimeCode")
    for model in (User, OneTimeCode):
        for row in model.objects.exclude(phone__isnull=True).exclude(phone="").iterator():
            row.phone = pii.decrypt_str(row.phone)
            row.save(update_fields=["phone"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_labels_and_full_id_permission"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=models.TextField(blank=True, null=True, verbose_name="mobile phone"),
        ),
        migrations.AlterField(model_name="onetimecode", name="phone", field=models.TextField()),
        migrations.AddField(
            model_name="user",
            name="phone_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="onetimecode",
            name="phone_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(encrypt_phones, decrypt_phones),
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=portal.core.fields.EncryptedTextField(
                blank=True, hash_field="phone_hash", null=True, verbose_name="mobile phone"
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="phone_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="onetimecode",
            name="phone",
            field=portal.core.fields.EncryptedTextField(hash_field="phone_hash"),
        ),
        migrations.AlterField(
            model_name="onetimecode",
            name="phone_hash",
            field=models.CharField(db_index=True, editable=False, max_length=64),
        ),
    ]
