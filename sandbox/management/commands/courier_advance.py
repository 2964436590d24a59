"""``manage.py courier_advance TRACKING_NO [--to in_transit|delivered|failed] [--reason …]``: move a
sandbox parcel on, as the courier would, which sends the signed status callback to the portal."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sandbox.courier import delivery
from sandbox.courier.models import CourierShipment


class Command(BaseCommand):
    help = "Move a sandbox courier shipment to its next (or the given) status and send the callback."

    def add_arguments(self, parser):
        parser.add_argument("tracking_no")
        parser.add_argument("--to", choices=["in_transit", "delivered", "failed"])
        parser.add_argument("--reason", default="")

    def handle(self, *args, tracking_no, to, reason, **options):
        with transaction.atomic():
            shipment = CourierShipment.objects.select_for_update().filter(tracking_no=tracking_no).first()
            if shipment is None:
                raise CommandError(f"no shipment {tracking_no}")
            sent = delivery.advance(shipment, to=to, reason=reason)
        if sent is None:
            raise CommandError(f"{tracking_no} cannot move from {shipment.status}")
        self.stdout.write(f"{tracking_no}: {shipment.status} (callback {sent.notify_id} queued)")
