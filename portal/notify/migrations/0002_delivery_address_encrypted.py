"""Delivery addresses (mobile numbers, e-mail addresses) encrypted at rest (docs/adr/0019-phone-numbers.md):
the column becomes text, existing rows are encrypted, then the field is an encrypted field."""

from django.db import migrations, models

import portal.core.fields
from portal.core import pii


def encrypt(apps, schema_editor):
    Delivery = apps.get_model("notify", "Delivery")
    for delivery in Delivery.objects.exclude(address="").iterator():
        delivery.address = pii.encrypt_str(delivery.address)
        delivery.save(update_fields=["address"])


def decrypt(apps, schema_editor):
    Delivery = apps.get_model("notify", "Delivery")
    for delivery in Delivery.objects.exclude(address="").iterator():
        delivery.address = pii.decrypt_str(delivery.address)
        delivery.save(update_fields=["address"])


class Migration(migrations.Migration):
    dependencies = [("notify", "0001_initial")]

    operations = [
        migrations.AlterField(model_name="delivery", name="address", field=models.TextField()),
        migrations.RunPython(encrypt, decrypt),
        migrations.AlterField(
            model_name="delivery", name="address", field=portal.core.fields.EncryptedTextField()
        ),
    ]
