"""The exchange stand-in refuses what a real exchange would: forged, replayed or unsigned requests."""

import json

import pytest
from django.conf import settings
from django.core.management import call_command

from portal.core.http import sign_headers
from sandbox.models import SourceFault
from tests.sandbox.conftest import FIXTURE

pytestmark = pytest.mark.django_db
PATH = "/sandbox/exchange/hukou/person/"
BODY = json.dumps({"id_number": "330411198503120113"}).encode()


@pytest.fixture(autouse=True)
def _registry():
    call_command("load_registry", str(FIXTURE), verbosity=0)


def post(client, headers, body=BODY, path=PATH):
    return client.post(path, data=body, content_type="application/json", headers=headers)


def signed(secret=None, body=BODY, path=PATH, app_key=None):
    return sign_headers(
        app_key=app_key or settings.EXCHANGE_APP_KEY,
        secret=secret or settings.EXCHANGE_APP_SECRET,
        method="POST",
        path=path,
        body=body,
    )


def test_a_signed_request_is_answered(client):
    response = post(client, signed())
    assert response.status_code == 200
    assert response.json()["data"]["name"] == "张𠈌"


@pytest.mark.parametrize(
    "headers",
    [
        lambda: signed(secret="forged-secret"),
        lambda: signed(app_key="someone-else"),
        lambda: signed(body=b'{"id_number": "330411198707210225"}'),  # signed another body
        lambda: signed(path="/sandbox/exchange/hukou/household/"),  # signed another interface
        lambda: {**signed(), "X-Timestamp": "1000000000"},
        lambda: {},
    ],
    ids=["forged-signature", "unknown-app", "tampered-body", "other-path", "stale-timestamp", "unsigned"],
)
def test_a_forged_signature_is_refused(client, headers):
    response = post(client, headers())
    assert response.status_code == 401 and response.json()["code"] == "bad_signature"


def test_a_replayed_request_is_refused(client):
    headers = signed()
    assert post(client, headers).status_code == 200
    replay = post(client, headers)
    assert replay.status_code == 401 and replay.json()["code"] == "replayed"


def test_the_signature_is_checked_before_faults_and_unknown_interfaces(client):
    SourceFault.objects.create(source="hukou", error_rate=1.0)
    assert post(client, signed(secret="forged")).status_code == 401
    assert post(client, signed()).status_code in (500, 502, 503)
    path = "/sandbox/exchange/hukou/nothing/"
    response = post(client, signed(path=path), path=path)
    assert response.status_code == 404 and response.json()["code"] == "no_such_interface"


def test_bad_input_is_a_400(client):
    body = json.dumps({"id_number": "330411198503120114"}).encode()
    response = post(client, signed(body=body), body=body)
    assert response.status_code == 400 and response.json()["code"] == "bad_request"


def test_a_seeded_fault_pattern_is_reproducible(client):
    def pattern():
        SourceFault.objects.update_or_create(
            source="hukou", defaults={"error_rate": 0.3, "timeout_rate": 0.1, "hang_ms": 0, "seed": 99}
        )
        SourceFault.objects.filter(source="hukou").update(requests=0)
        return [post(client, signed()).status_code for _ in range(30)]

    first = pattern()
    assert first == pattern()
    assert 200 in first and 504 in first and any(s in (500, 502, 503) for s in first)


def test_existing_stand_ins_still_answer(client):
    assert client.get("/sandbox/sms/", {"phone": "13800002001"}).json() == {"messages": []}
