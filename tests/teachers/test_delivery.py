"""A failed delivery is shown to the holder and sent again (the holder with a corrected address, or the
bureau), through the sandbox courier's signed callbacks."""

import pytest
from django.core.exceptions import PermissionDenied

from portal.cases.workflow import ActionNotAllowed
from portal.deliveries.models import Delivery
from teachers.models import CertificateState
from teachers.services import certificate_resend
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NEW_ADDRESS = "浙江省嘉兴市秀洲区王店镇建设路 8 号"


def deliveries(application):
    return list(Delivery.objects.filter(case=application.case).order_by("created_at", "pk"))


@pytest.fixture
def failed(apply, courier):
    """An issued certificate whose parcel the courier could not deliver."""
    application = apply()
    (delivery,) = deliveries(application)
    courier(delivery, "in_transit")
    courier(delivery, "failed", reason="收件人电话无人接听")
    assert delivery.status == "failed"
    application.refresh_from_db()
    return application


def test_the_holder_sees_the_failure_and_sends_it_again_to_a_corrected_address(
    failed, teacher, client, courier, django_capture_on_commit_callbacks
):
    ref = failed.case.reference_no
    client.force_login(teacher)
    page = client.get(f"/teachers/certificates/{ref}/").content.decode()
    assert "投递失败" in page and "收件人电话无人接听" in page and "重新寄送" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/teachers/certificates/{ref}/resend/", {"resend-delivery_address": NEW_ADDRESS}
        )
    assert response.status_code == 302
    first, second = deliveries(failed)
    assert first.status == "failed" and second.status == "created"
    assert second.address == NEW_ADDRESS and second.tracking_no and second.tracking_no != first.tracking_no
    failed.refresh_from_db()
    assert failed.delivery_address == NEW_ADDRESS and failed.state == CertificateState.CERTIFICATE_ISSUED
    assert "teachers.resent" in set(failed.case.events.values_list("action", flat=True))
    page = client.get(f"/teachers/certificates/{ref}/").content.decode()
    assert second.tracking_no in page and 'data-delivery-status="created"' in page
    assert "重新寄送</button>" not in page  # the failure notice and its form are gone (the trace keeps it)
    courier(second, "delivered")
    failed.refresh_from_db()
    assert failed.state == CertificateState.DELIVERED and failed.case.status == "done"


def test_the_bureau_sends_it_again_from_the_review_page(
    failed, bureau, client, django_capture_on_commit_callbacks
):
    ref = failed.case.reference_no
    client.force_login(bureau)
    assert "投递失败" in client.get(f"/teachers/review/{ref}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/teachers/certificates/{ref}/resend/", {"next": "review"})
    first, second = deliveries(failed)
    assert second.address == first.address and second.status == "created"


def test_only_after_a_failure(apply, teacher):
    application = apply()
    with pytest.raises(ActionNotAllowed) as refused:
        certificate_resend(application=application, by=teacher)
    assert "失败" in refused.value.messages[0] or "failed" in refused.value.messages[0]
    assert len(deliveries(application)) == 1


def test_not_twice_for_one_failure(failed, teacher):
    certificate_resend(application=failed, by=teacher)
    with pytest.raises(ActionNotAllowed):
        certificate_resend(application=failed, by=teacher)
    assert len(deliveries(failed)) == 2


def test_a_bad_address_is_a_field_error(failed, teacher):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as bad:
        certificate_resend(application=failed, by=teacher, address="x")
    assert "delivery_address" in bad.value.message_dict


def test_a_stranger_cannot(failed):
    with pytest.raises(PermissionDenied):
        certificate_resend(application=failed, by=UserFactory())


def test_an_honour_sent_again(school, courier, django_capture_on_commit_callbacks, client):
    import datetime as dt

    from portal.invitations.models import Invitation
    from portal.invitations.services import invitations_run_finders
    from sandbox import models as reg
    from teachers.services import honour_accept
    from tests.factories import make_id_number

    id_number = make_id_number(dt.date(1970, 1, 1), 2)
    reg.Person.objects.create(id_number=id_number, name="王芳", gender="F", birth_date=dt.date(1970, 1, 1))
    reg.TeacherEmployment.objects.create(
        id_number=id_number, school_code=school.code, service_start=dt.date(1996, 9, 1)
    )
    invitations_run_finders(year=2026)
    teacher = UserFactory(real_name="王芳", id_number=id_number, phone="13900002222")
    invitation = Invitation.objects.get(service__code="HON", person_id_hash=teacher.id_number_hash)
    with django_capture_on_commit_callbacks(execute=True):
        honour = honour_accept(invitation=invitation, delivery_address="嘉兴市秀洲区洪兴路 1 号", by=teacher)
    delivery = Delivery.objects.get(case=honour.case)
    courier(delivery, "failed", reason="地址不详")
    client.force_login(teacher)
    ref = honour.case.reference_no
    assert "地址不详" in client.get(f"/teachers/honours/{ref}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/teachers/honours/{ref}/resend/", {"resend-delivery_address": NEW_ADDRESS})
    latest = Delivery.objects.filter(case=honour.case).order_by("-pk").first()
    assert latest.pk != delivery.pk and latest.address == NEW_ADDRESS
    courier(latest, "delivered")
    honour.refresh_from_db()
    assert honour.state == "delivered"
