"""Proactive invitations: found by a service's finder, idempotent per subject, service and year;
accepting opens the prefilled case; decline; expiry; only the invited person answers."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from portal.cases.models import CaseEvent
from portal.cases.services import case_open, case_transition, local_today
from portal.cases.workflow import ActionNotAllowed
from portal.invitations.models import Invitation, InvitationStatus
from portal.invitations.services import (
    invitation_accept,
    invitation_decline,
    invitations_expire_due,
)
from portal.notify.models import Message
from tests.factories import UserFactory
from tests.i18n import zh

pytestmark = pytest.mark.django_db


def test_running_the_job_twice_invites_nobody_twice(run, parents):
    assert run() == {"invited": 2, "already": 0, "applied": 0, "failed": 0}
    assert run() == {"invited": 0, "already": 2, "applied": 0, "failed": 0}
    assert Invitation.objects.count() == 2
    # the parent found by ID number is matched to their account; each was told once
    assert set(Invitation.objects.values_list("person", flat=True)) == {p.pk for p in parents}
    for parent in parents:
        (message,) = Message.objects.filter(recipient=parent, subject__contains="普惠性幼儿园资助")
        assert zh("You are invited: %(service)s") in message.subject


def test_names_are_masked_and_the_id_number_kept_only_hashed_and_encrypted(run):
    from django.db import connection

    run()
    invitation = Invitation.objects.get(subject_name_masked="王*𠀀")
    with connection.cursor() as cursor:
        cursor.execute("SELECT prefill FROM invitations_invitation WHERE id = %s", [invitation.pk])
        (stored,) = cursor.fetchone()
    assert "王小𠀀" not in stored and "低保" not in stored
    assert invitation.prefill["welfare"] == "低保"


def test_accepting_opens_a_prefilled_case(run, parents, accepted_hook, found):
    run()
    invitation = Invitation.objects.get(person=parents[0])
    case = invitation_accept(invitation=invitation, by=parents[0])
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED and invitation.case == case
    assert case.applicant == parents[0] and case.service.code == "INVT"
    assert case.subject_name == "王小𠀀" and case.subject_id_number == found[0].subject_id_number
    assert case.school == found[0].school and case.reference_no.startswith("JY-INVT-")
    assert accepted_hook == [{"case": case, "prefill": invitation.prefill, "by": parents[0]}]
    assert accepted_hook[0]["prefill"]["amount_yuan"] == 200
    actions = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("action", "data"))
    assert actions[0][0] == "submitted"
    assert actions[1] == (
        "invitations.accepted",
        {"invitation": invitation.pk, "prefilled": ["amount_yuan", "level", "scheme_code", "welfare"]},
    )
    with pytest.raises(ActionNotAllowed):  # only once
        invitation_accept(invitation=invitation, by=parents[0])


def test_decline_and_no_second_invitation_that_year(run, parents):
    run()
    invitation = Invitation.objects.get(person=parents[1])
    invitation_decline(invitation=invitation, by=parents[1])
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED and invitation.case is None
    with pytest.raises(ActionNotAllowed):
        invitation_accept(invitation=invitation, by=parents[1])
    assert run()["invited"] == 0


def test_open_invitations_expire_after_their_last_day(run, parents):
    run()
    invitation = Invitation.objects.get(person=parents[0])
    assert invitation.expires_on == local_today() + dt.timedelta(days=15)
    assert invitations_expire_due(today=invitation.expires_on) == 0  # the last day still counts
    invitation_decline(invitation=Invitation.objects.get(person=parents[1]), by=parents[1])
    assert invitations_expire_due(today=invitation.expires_on + dt.timedelta(days=1)) == 1
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.EXPIRED
    assert Invitation.objects.get(person=parents[1]).status == InvitationStatus.DECLINED


def test_an_invitation_past_its_day_cannot_be_accepted(run, parents):
    run()
    invitation = Invitation.objects.get(person=parents[0])
    Invitation.objects.filter(pk=invitation.pk).update(expires_on=local_today() - dt.timedelta(days=1))
    with pytest.raises(ActionNotAllowed) as caught:
        invitation_accept(invitation=invitation, by=parents[0])
    assert zh("The invitation expired on %(date)s.") in caught.value.messages[0]


def test_only_the_invited_person_may_answer(run, parents):
    run()
    invitation = Invitation.objects.get(person=parents[0])
    with pytest.raises(PermissionDenied):
        invitation_accept(invitation=invitation, by=parents[1])
    with pytest.raises(PermissionDenied):
        invitation_decline(invitation=invitation, by=UserFactory())
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPEN


def test_a_person_who_already_applied_is_not_invited(run, service, parents, found, district):
    case_open(
        service=service,
        applicant=parents[0],
        subject_name=found[0].subject_name,
        subject_id_number=found[0].subject_id_number,
        channel="online",
        district=district,
    )
    assert run() == {"invited": 1, "already": 0, "applied": 1, "failed": 0}
    assert not Invitation.objects.filter(person=parents[0]).exists()


def test_a_withdrawn_application_does_not_count_as_applied(run, service, parents, found, district):
    case = case_open(
        service=service,
        applicant=parents[0],
        subject_name=found[0].subject_name,
        subject_id_number=found[0].subject_id_number,
        channel="online",
        district=district,
    )
    case_transition(case=case, transition="withdraw", by=parents[0])
    assert run()["invited"] == 2


def test_a_finder_that_fails_does_not_stop_the_others(run, service):
    from portal.invitations.registry import register_finder, unregister_finder
    from tests.factories import ServiceItemFactory

    ServiceItemFactory(code="BRKN", name="坏的")

    def broken(year):
        raise RuntimeError("registry down")

    register_finder("BRKN", broken)
    try:
        assert run() == {"invited": 2, "already": 0, "applied": 0, "failed": 1}
    finally:
        unregister_finder("BRKN")


# --- API and page -----------------------------------------------------------------------------------------


def api(client, user):
    client.force_login(user)
    return client


def test_api_lists_the_persons_own_invitations(run, client, parents):
    run()
    body = api(client, parents[0]).get("/api/v1/invitations/").json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["service"] == "INVT" and row["subject"] == "王*𠀀" and row["status"] == "open"
    assert row["case"] is None and "subject_id_number" not in row


def test_api_accept_opens_the_case_and_another_user_gets_403(run, client, parents):
    run()
    invitation = Invitation.objects.get(person=parents[0])
    url = f"/api/v1/invitations/{invitation.pk}/actions/accept/"
    assert api(client, parents[1]).post(url).status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPEN
    response = api(client, parents[0]).post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "accepted" and response.json()["case"].startswith("JY-INVT-")
    again = client.post(url)
    assert again.status_code == 409 and again.json()["detail"]
    decline = client.post(f"/api/v1/invitations/{invitation.pk}/actions/decline/")
    assert decline.status_code == 409
    assert client.post(f"/api/v1/invitations/{invitation.pk}/actions/explode/").status_code == 404
    assert client.post("/api/v1/invitations/999999/actions/accept/").status_code == 404


def test_the_page_lists_invitations_with_buttons_and_accept_goes_to_the_case(run, client, parents):
    run()
    client.force_login(parents[0])
    page = client.get("/my/invitations/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "普惠性幼儿园资助" in html and "王*𠀀" in html and "/accept/" in html
    assert zh("My invitations") in html and zh("Accept") in html and zh("Decline") in html
    invitation = Invitation.objects.get(person=parents[0])
    response = client.post(f"/my/invitations/{invitation.pk}/accept/")
    invitation.refresh_from_db()
    assert response.status_code == 302 and response.url.endswith(f"/my/cases/{invitation.case.reference_no}/")
    other = Invitation.objects.get(person=parents[1])
    assert client.post(f"/my/invitations/{other.pk}/decline/").status_code == 404
