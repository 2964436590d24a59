"""A delivery from creation to the door, driven by the sandbox courier's signed callbacks over HTTP."""

import pytest
from django.core.exceptions import ValidationError

from portal.cases.models import CaseEvent
from portal.deliveries.models import CallbackOutcome, CourierCallback, Delivery, DeliveryStatus
from portal.deliveries.selectors import delivery_for_case
from portal.notify.models import Message
from sandbox.courier.models import CourierFault, CourierNotification, CourierShipment
from tests.i18n import zh

pytestmark = pytest.mark.django_db


def events(case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("action", flat=True))


def test_created_in_transit_delivered_from_the_sandbox_couriers_callbacks(send, courier, case, applicant):
    delivery = send()
    assert delivery.status == DeliveryStatus.CREATED
    assert delivery.tracking_no.startswith("SB")  # registered with the courier over HTTP after commit
    shipment = CourierShipment.objects.get(tracking_no=delivery.tracking_no)
    assert shipment.order_no == delivery.order_no and shipment.phone == "13900001111"
    assert delivery_for_case(case) == {
        "carrier": "EMS",
        "tracking_no": delivery.tracking_no,
        "status": "created",
    }

    courier.advance(delivery, "in_transit")
    assert delivery.status == DeliveryStatus.IN_TRANSIT and delivery.in_transit_at is not None
    courier.advance(delivery)  # the next step: signed for
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.delivered_at is not None
    assert delivery_for_case(case)["status"] == "delivered"

    assert list(CourierCallback.objects.order_by("pk").values_list("outcome", flat=True)) == ["applied"] * 2
    assert CourierNotification.objects.filter(delivered_at__isnull=False).count() == 2
    assert events(case) == [
        "deliveries.created",
        "deliveries.registered",
        "deliveries.in_transit",
        "deliveries.delivered",
    ]
    # the applicant was told of the tracking number and of each status change
    assert Message.objects.filter(recipient=applicant, case=case).count() == 3


def test_personal_data_is_encrypted_at_rest_and_shown_masked(send, case):
    from django.db import connection

    delivery = send()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT recipient_phone, address FROM deliveries_delivery WHERE id = %s", [delivery.pk]
        )
        phone, address = cursor.fetchone()
    assert "13900001111" not in phone and "洪兴路" not in address
    assert delivery.masked_phone == "139****1111" and delivery.masked_recipient == "李*明"


def test_a_replayed_callback_changes_nothing_and_is_logged(send, courier, applicant):
    delivery = send()
    report = courier.report(delivery, "in_transit")
    first = courier.callback(report)
    assert first.status_code == 200
    messages = Message.objects.filter(recipient=applicant).count()
    again = courier.callback(report, headers=first.signed_headers)
    assert again.status_code == 401  # byte for byte the same request: its nonce is spent
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.IN_TRANSIT
    assert Message.objects.filter(recipient=applicant).count() == messages
    assert CourierCallback.objects.order_by("-pk").first().outcome == CallbackOutcome.REPLAYED


def test_the_courier_resending_a_report_is_a_harmless_duplicate(
    send, courier, case, django_capture_on_commit_callbacks
):
    from sandbox.courier.delivery import send as resend

    delivery = send()
    courier.advance(delivery, "in_transit")
    notification = CourierNotification.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert resend(notification.pk) == "delivered"  # a fresh request (new nonce), the same report
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.IN_TRANSIT
    assert list(CourierCallback.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "applied",
        "duplicate",
    ]
    assert events(case).count("deliveries.in_transit") == 1


@pytest.mark.parametrize("forge", ["wrong-key", "unsigned", "tampered"])
def test_a_forged_callback_changes_nothing_and_is_logged(send, courier, applicant, forge):
    delivery = send()
    messages = Message.objects.filter(recipient=applicant).count()
    report = courier.report(delivery, "delivered")
    if forge == "wrong-key":
        response = courier.callback(report, secret="not-the-couriers-secret")
    elif forge == "unsigned":
        response = courier.callback(report, headers={})
    else:
        signed = courier.callback(
            courier.report(delivery, "failed", reason="x"), secret="other"
        ).signed_headers
        body = courier.callback(report, headers=signed)  # valid-looking headers over another body
        response = body
    assert response.status_code == 401
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.CREATED
    assert Message.objects.filter(recipient=applicant).count() == messages
    assert set(CourierCallback.objects.values_list("outcome", flat=True)) == {CallbackOutcome.BAD_SIGNATURE}


def test_delivered_before_in_transit_ends_delivered_and_the_late_report_is_stale(send, courier, case):
    delivery = send()
    assert courier.callback(courier.report(delivery, "delivered")).status_code == 200
    late = courier.callback(courier.report(delivery, "in_transit"))
    assert late.status_code == 200 and late.json()["code"] == "success"  # acknowledged: stop re-sending
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert list(CourierCallback.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "applied",
        "stale",
    ]
    assert "deliveries.in_transit" not in events(case)


def test_a_failed_delivery_keeps_the_reason_and_tells_the_applicant(send, courier, applicant):
    CourierFault.objects.create(fail_deliveries=True, failure_reason="收件人拒收")
    delivery = send()
    courier.advance(delivery)  # picked up
    courier.advance(delivery)  # the fault turns the signature into a failed delivery
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.failure_reason == "收件人拒收"
    assert delivery_for_case(delivery.case)["failure_reason"] == "收件人拒收"
    last = Message.objects.filter(recipient=applicant).order_by("-pk").first()
    assert "收件人拒收" in last.body
    failed = "%(item)s (tracking number %(tracking_no)s) could not be delivered: %(reason)s. "
    assert zh(failed + "The office will contact you.") in last.body
    # a report after the end changes nothing
    assert courier.callback(courier.report(delivery, "delivered")).status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_a_courier_that_is_down_leaves_the_delivery_waiting_and_the_sweep_registers_it(send, run_sweep):
    fault = CourierFault.objects.create(down=True)
    delivery = send()
    assert delivery.tracking_no == "" and "503" in delivery.last_error
    fault.down = False
    fault.save()
    assert run_sweep() == 1
    delivery.refresh_from_db()
    assert delivery.tracking_no and delivery.last_error == ""
    assert run_sweep() == 0


@pytest.fixture
def run_sweep(django_capture_on_commit_callbacks):
    from portal.deliveries.tasks import sweep

    def _run():
        with django_capture_on_commit_callbacks(execute=True):
            return sweep.delay().get()

    return _run


def test_registering_twice_asks_the_courier_once(send):
    from portal.deliveries.services import delivery_register

    delivery = send()
    assert delivery_register(delivery_id=delivery.pk) == "already"
    assert CourierShipment.objects.count() == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"phone": "12345"}, "phone"),
        ({"address": "杭州"}, "address"),
        ({"recipient_name": "  "}, "recipient_name"),
        ({"item": ""}, "item"),
    ],
)
def test_bad_input_is_a_field_error(send, change, field):
    with pytest.raises(ValidationError) as caught:
        send(**change)
    assert field in caught.value.message_dict
    assert not Delivery.objects.exists()


def test_malformed_and_unknown_callbacks_are_refused(send, courier):
    delivery = send()
    assert courier.callback(b"not json").status_code == 400
    assert courier.callback(courier.report(delivery, "lost")).status_code == 400
    assert (
        courier.callback(courier.report(delivery, "delivered", tracking_no="SB000", order_no="x")).status_code
        == 404
    )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.CREATED


def test_the_case_page_shows_the_delivery(send, courier, client, applicant, case):
    delivery = send()
    courier.advance(delivery, "in_transit")
    client.force_login(applicant)
    page = client.get(f"/my/cases/{case.reference_no}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert delivery.tracking_no in html and "139****1111" in html and "13900001111" not in html
    assert zh("Tracking number") in html and "运输中" in html
