"""A bill's own case (FEE) is due on the bill's due date (缴费期限), not on the day it was opened."""

from zoneinfo import ZoneInfo

from django.db import migrations

BUREAU_TZ = ZoneInfo("Asia/Shanghai")


def bill_due_dates(apps, schema_editor):
    Order = apps.get_model("payments", "Order")
    Case = apps.get_model("cases", "Case")
    orders = Order.objects.filter(case__service__code="FEE", case__promised_days=0).order_by("created_at", "pk")
    for order in orders.iterator():
        due = order.expires_at.astimezone(BUREAU_TZ).date()
        Case.objects.filter(pk=order.case_id).update(deadline=due)


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_append_only"), ("cases", "0003_case_last_event_seq")]

    operations = [migrations.RunPython(bill_due_dates, migrations.RunPython.noop)]
