"""Admission on the kernel's notices: a draw publishes one kernel notice per school (masked, no ID
number, in the public API), an objection through the kernel API holds the school and, upheld on the
kernel's staff page, revokes the placement; old admission links redirect."""

import datetime as dt
import re

import pytest
from rest_framework.test import APIClient

from admission import services
from admission.models import Placement, PlacementState
from portal.notices.models import Notice, Objection
from tests.admission import factories as F
from tests.admission.conftest import town  # noqa: F401 - the admission test world
from tests.factories import UserFactory

TODAY = dt.date(2027, 5, 10)


@pytest.fixture
def drawn(town, monkeypatch):  # noqa: F811
    from portal.cases import services as case_services

    monkeypatch.setattr(case_services, "local_today", lambda: TODAY)
    d = town["district"]
    apps = [
        F.qualified(d, town["north"], date=f"201{i}-01-01", name=n)
        for i, n in enumerate(["张晓明", "李晓华"])
    ]
    round_ = services.round_for(district=d, year=2027, stage="primary")
    run = services.allocation_start(round_=round_, by=None, seed="kernel-notice", queue=False)
    services.allocation_execute(run_id=run.pk)
    return {**town, "apps": apps, "round": round_}


def test_a_draw_publishes_a_masked_kernel_notice_per_school(drawn):
    notice = Notice.objects.get(school=drawn["north"])
    placement = Placement.objects.filter(school=drawn["north"]).first()
    assert (notice.starts_on, notice.ends_on) == (placement.notice_from, placement.notice_until)
    assert notice.service.code == "ENR" and notice.source == f"admission-round:{drawn['round'].pk}"
    body = APIClient().get("/api/v1/notices/")
    text = body.content.decode()
    names = sorted(e["name"] for r in body.json()["results"] if r["id"] == notice.pk for e in r["entries"])
    assert names == ["张*明", "李*华"]
    for app in drawn["apps"]:
        assert app.child_name not in text and app.child_id_number not in text
    assert not re.search(r"\d{17}[\dXx]", text)


def test_an_upheld_objection_through_the_kernel_revokes_the_placement(drawn, client):
    notice = Notice.objects.get(school=drawn["north"])
    entry = notice.entries.order_by("position").first()
    objector = UserFactory()
    api = APIClient()
    api.force_authenticate(objector)
    created = api.post(
        f"/api/v1/notices/{notice.pk}/objections/",
        {"entry": entry.pk, "text": "该生实际居住地不在本施教区。"},
        format="json",
    )
    assert created.status_code == 201
    objection = Objection.objects.get()
    assert objection.case.service.code == "ADO"
    target = Placement.objects.get(application__case=entry.case)
    after = target.notice_until + dt.timedelta(days=1)
    assert services.placement_finalise(placement_id=target.pk, today=after) == "held"
    bureau = UserFactory(bureau=True, district=drawn["district"])
    client.force_login(bureau)
    assert client.get(f"/admission/objections/{objection.pk}/").url == f"/notices/objections/{objection.pk}/"
    response = client.post(
        f"/notices/objections/{objection.pk}/", {"outcome": "uphold", "answer": "经核查属实，取消该生录取。"}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.state == PlacementState.REVOKED and "经核查属实" in target.revoked_reason
    assert services.finalise_all_due(today=after).get("admitted") == 1  # the other child of NORTH
