"""/api/v1/studentstatus/transfers/ as the contract says: 201, 409 with the rule, 404 for another
family, actions 200/403/409, and the case page."""

from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.i18n import zh


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_transfer_through_the_api(family, staff):
    guardian = _client(family.guardian)
    body = {"student_id_number": family.child_id, "to_school_code": "P2", "reason": "搬家"}
    created = guardian.post("/api/v1/studentstatus/transfers/", body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    ref = data["reference_no"]
    assert data["status"] == "awaiting_receiving_school" and data["service"] == "TRF" and data["deadline"]
    assert {"checks", "next_step", "events", "documents"} <= set(data)
    again = guardian.post("/api/v1/studentstatus/transfers/", body, format="json")
    assert (
        again.status_code == 409
        and zh("The student already has a transfer running.") in again.json()["detail"]
    )
    assert _client(UserFactory()).get(f"/api/v1/studentstatus/transfers/{ref}/").status_code == 404
    assert (
        guardian.post(
            f"/api/v1/studentstatus/transfers/{ref}/actions/approve/", {}, format="json"
        ).status_code
        == 403
    )
    for who in ("P2", "P1", "bureau"):
        response = _client(staff[who]).post(
            f"/api/v1/studentstatus/transfers/{ref}/actions/approve/", {"note": "同意"}, format="json"
        )
        assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed" and response.json()["deadline"] is None
    assert (
        guardian.post(
            f"/api/v1/studentstatus/transfers/{ref}/actions/withdraw/", {}, format="json"
        ).status_code
        == 409
    )
    assert guardian.get("/api/v1/studentstatus/transfers/").json()["count"] == 1
    bad = guardian.post("/api/v1/studentstatus/transfers/", {"to_school_code": "P2"}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"student_id_number", "reason"}


def test_case_page_and_queue(family, staff, client):
    client.force_login(family.guardian)
    page = client.post(
        reverse("studentstatus:transfer_apply"),
        {"student_id_number": family.child_id, "to_school_code": "P2", "reason": "搬家"},
    )
    assert page.status_code == 302
    ref = page["Location"].rstrip("/").split("/")[-1]
    assert client.get(page["Location"]).status_code == 200
    client.force_login(staff["P2"])
    queue = client.get(reverse("studentstatus:queue"))
    assert ref in queue.content.decode()
    done = client.post(page["Location"], {"action": "approve", "note": "同意"})
    assert done.status_code == 302
    mine = client.get(page["Location"])
    assert zh("Awaiting the sending school") in mine.content.decode()
