"""The document registry on its own: issue, verify (page and contract JSON), supersede, revoke, unknown
codes, the code's entropy, a sweep of random codes, the throttle and the admin action."""

import math
import re
import secrets

import pytest
from django.contrib.admin.sites import AdminSite
from django.test import RequestFactory
from django.urls import reverse

from portal.cases.models import CaseEvent, CaseStatus
from portal.cases.services import case_transition
from portal.cases.workflow import ActionNotAllowed
from portal.documents import selectors
from portal.documents.admin import IssuedDocumentAdmin
from portal.documents.models import CODE_BYTES, DocumentKind, DocumentStatus, IssuedDocument, new_code
from portal.documents.services import (
    document_issue,
    document_revoke,
    document_revoke_for_case,
)
from tests.factories import CaseFactory, UserFactory
from tests.i18n import zh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    """The shared test cache would let one test's requests count against another's; the throttle has its
    own test below."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"verify": "100000/min"}}


@pytest.fixture
def case():
    return CaseFactory()


def issue(case, **overrides):
    fields = {
        "kind": DocumentKind.GRADUATION_CERTIFICATE,
        "case": case,
        "holder_name": "王小明",
        "subject_key": "studentstatus.record:1",
        "title": "初中毕业证书",
        "facts": {"reference_no": case.reference_no, "school": "实验中学（J1）"},
    }
    return document_issue(**(fields | overrides))


def test_an_issued_document_verifies_as_valid_on_the_page_in_chinese(case, client):
    document = issue(case)
    response = client.get(f"/verify/{document.code}/")  # no sign-in
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        zh("Valid") in page
        and zh("What was issued") in page
        and "初中毕业证书" in page
        and "王*明" in page
        and "王小明" not in page
    )
    assert case.reference_no in page and "实验中学（J1）" in page
    assert "verdict--valid" in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_the_json_is_exactly_the_contract(case, client):
    document = issue(case)
    response = client.get(f"/api/v1/verify/{document.code}/")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "valid": True,
        "document": "graduation_certificate",
        "holder": "王*明",
        "issued_on": document.issued_on.isoformat(),
        "status": "valid",
    }
    assert [type(body[k]) for k in ("valid", "document", "holder", "issued_on", "status")] == [
        bool,
        str,
        str,
        str,
        str,
    ]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["issued_on"])
    assert reverse("api:documents-verify", args=[document.code]) == f"/api/v1/verify/{document.code}/"


@pytest.mark.parametrize("code", ["a-fresh-code", "short", "x" * 65, "has space in it and more chars"])
def test_an_unknown_code_is_404_on_the_page_and_the_api(case, client, code):
    if code == "a-fresh-code":  # well formed, never issued (made here: test ids must agree across workers)
        code = new_code()
    issue(case)
    page = client.get(f"/verify/{code}/")
    assert page.status_code == 404
    assert page.context is None or page.context.get("genuine") is not True  # no match, or no such page
    api = client.get(f"/api/v1/verify/{code}/")
    assert api.status_code == 404 and "detail" in api.json()


def test_reissuing_supersedes_the_previous_document(case, client):
    first = issue(case)
    second = issue(case, facts={"school": "实验中学（J2）"})
    first.refresh_from_db()
    assert (first.status, first.superseded_by) == (DocumentStatus.SUPERSEDED, second)
    assert second.status == DocumentStatus.VALID and second.code != first.code
    assert client.get(f"/api/v1/verify/{first.code}/").json() | {"issued_on": None} == {
        "valid": False,
        "document": "graduation_certificate",
        "holder": "王*明",
        "issued_on": None,
        "status": "superseded",
    }
    page = client.get(f"/verify/{first.code}/").content.decode()
    assert "verdict--superseded" in page and zh("Superseded") in page
    other = issue(case, subject_key="studentstatus.record:2")  # another subject: both stand
    second.refresh_from_db()
    assert other.is_valid and second.is_valid
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions.count("documents.issued") == 3 and actions.count("documents.superseded") == 1


def test_revoking_says_revoked_and_cannot_be_repeated(case, client):
    document = issue(case)
    bureau = UserFactory(bureau=True)
    document_revoke(document=document, by=bureau, reason="信息有误")
    assert document.status == DocumentStatus.REVOKED and document.revoked_reason == "信息有误"
    body = client.get(f"/api/v1/verify/{document.code}/").json()
    assert (body["valid"], body["status"]) == (False, "revoked")
    page = client.get(f"/verify/{document.code}/").content.decode()
    assert "verdict--revoked" in page and zh("Revoked") in page
    with pytest.raises(ActionNotAllowed):
        document_revoke(document=document, by=bureau, reason="again")
    event = CaseEvent.objects.filter(case=case, action="documents.revoked").get()
    assert event.actor == bureau and "信息有误" in event.note


def test_a_case_closed_as_withdrawn_or_rejected_revokes_its_documents_but_not_receipts(case):
    certificate = issue(case)
    receipt = issue(case, kind=DocumentKind.RECEIPT, subject_key="payments.order:X1", title="票据")
    case_transition(case=case, transition="withdraw", by=None, note="")
    certificate.refresh_from_db()
    receipt.refresh_from_db()
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    assert certificate.status == DocumentStatus.REVOKED and certificate.revoked_reason
    assert receipt.status == DocumentStatus.VALID  # money received stays received until refunded


def test_revoke_for_case_without_closing_it(case):
    one = issue(case)
    two = issue(case, subject_key="studentstatus.record:2")
    assert document_revoke_for_case(case=case, reason="学位撤回", subject_key=one.subject_key) == 1
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.status == DocumentStatus.REVOKED and two.status == DocumentStatus.VALID
    assert document_revoke_for_case(case=case, reason="again", subject_key=one.subject_key) == 0


def test_documents_for_case_lists_what_the_case_detail_shows(case, settings):
    first = issue(case, download_path="/api/v1/x/cert.pdf")
    second = issue(case, download_path="/api/v1/x/cert.pdf")
    rows = selectors.documents_for_case(case)
    site = settings.SITE_URL.rstrip("/")
    assert rows == [
        {
            "document": "graduation_certificate",
            "url": None,
            "verify_url": f"{site}/verify/{first.code}/",
            "status": "superseded",
        },
        {
            "document": "graduation_certificate",
            "url": f"{site}/api/v1/x/cert.pdf",
            "verify_url": f"{site}/verify/{second.code}/",
            "status": "valid",
        },
    ]


def test_the_code_carries_at_least_128_bits_and_is_unique(case):
    assert CODE_BYTES * 8 >= 128
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", code)  # 32 base64url characters = 192 bits
        assert len(code) * math.log2(64) >= 128
    document = issue(case)
    assert len(document.code) == 32 and selectors.document_by_code(document.code) == document


def test_a_sweep_of_1000_random_codes_finds_none(case, client):
    for n in range(20):
        issue(case, subject_key=f"studentstatus.record:{n}")
    guesses = [secrets.token_urlsafe(CODE_BYTES) for _ in range(1000)]
    found = [code for code in guesses if selectors.document_by_code(code) is not None]
    assert found == []
    misses = {client.get(f"/api/v1/verify/{code}/").status_code for code in guesses[:100]}
    assert misses == {404}
    assert IssuedDocument.objects.count() == 20


def test_the_verify_api_is_throttled_per_address(case, client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"verify": "5/min"}}
    document = issue(case)
    answers = [client.get(f"/api/v1/verify/{document.code}/").status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    assert client.get(f"/verify/{document.code}/").status_code == 429  # the page shares the rate
    other = client.get(f"/api/v1/verify/{document.code}/", REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200  # another address is not slowed


def test_the_admin_revokes_with_a_logged_action(case):
    document = issue(case)
    admin_user = UserFactory(is_superuser=True, is_staff=True)
    request = RequestFactory().post("/admin/documents/issueddocument/")
    request.user = admin_user
    request._messages = type("M", (), {"add": lambda *a, **k: None})()
    model_admin = IssuedDocumentAdmin(IssuedDocument, AdminSite())
    assert not model_admin.has_add_permission(request) and not model_admin.has_delete_permission(request)
    assert not model_admin.has_change_permission(request, document)
    model_admin.revoke_documents(request, IssuedDocument.objects.filter(pk=document.pk))
    document.refresh_from_db()
    assert document.status == DocumentStatus.REVOKED and document.revoked_reason == zh("Revoked")
    assert CaseEvent.objects.filter(case=case, action="documents.revoked", actor=admin_user).exists()
