"""The sandbox courier as testers use it: its page, its command, and its signed API."""

import pytest
from django.core.management import CommandError, call_command

from portal.deliveries import courier as client
from portal.deliveries.models import DeliveryStatus
from sandbox.courier.models import CourierFault

pytestmark = pytest.mark.django_db


def test_the_page_lists_parcels_with_their_next_steps(send, client):
    delivery = send()
    page = client.get("/sandbox/courier/")
    assert page.status_code == 200
    html = page.content.decode()
    assert delivery.tracking_no in html and "揽收" in html and "签收" in html


def test_the_command_moves_a_parcel_on_and_the_portal_hears_of_it(send, django_capture_on_commit_callbacks):
    delivery = send()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("courier_advance", delivery.tracking_no)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.IN_TRANSIT
    with django_capture_on_commit_callbacks(execute=True):
        call_command("courier_advance", delivery.tracking_no, "--to", "failed", "--reason", "地址错误")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.failure_reason == "地址错误"
    with pytest.raises(CommandError):
        call_command("courier_advance", delivery.tracking_no)
    with pytest.raises(CommandError):
        call_command("courier_advance", "SB-none")


def test_the_same_order_number_gets_the_same_tracking_number_and_bad_keys_are_refused(settings):
    args = {
        "order_no": "JYD-T-1",
        "recipient_name": "王𠀀",
        "phone": "13900001111",
        "address": "秀洲区洪兴路 100 号",
        "item": "证书",
        "callback_url": "http://127.0.0.1:8000/api/v1/deliveries/callback/",
    }
    first = client.create_shipment(**args)
    assert client.create_shipment(**args).tracking_no == first.tracking_no
    settings.SANDBOX_COURIER_SENDERS = {settings.COURIER_APP_KEY: ("the-couriers-copy", "n")}
    with pytest.raises(client.CourierRefused) as refused:
        client.create_shipment(**args)
    assert refused.value.code == "bad_signature"


def test_a_slow_or_down_courier_is_unavailable(settings):
    CourierFault.objects.create(down=True)
    with pytest.raises(client.CourierUnavailable):
        client.create_shipment(
            order_no="JYD-T-2",
            recipient_name="王",
            phone="13900001111",
            address="秀洲区洪兴路 100 号",
            item="证书",
            callback_url="http://127.0.0.1:8000/api/v1/deliveries/callback/",
        )
