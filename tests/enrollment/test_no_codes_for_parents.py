"""Internal codes (school codes such as P001 / K001, community codes) are not shown to parents; the
names are (issue 13 item 5). The demo district and the demo family, through the parent's own pages, the
messages they receive, and the place notice; staff pages may keep the codes."""

import re
from urllib.parse import urlsplit

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from enrollment.models import Application, State
from enrollment.notice import TEMPLATE, notice_context
from portal.notify.models import Message
from tests.enrollment.conftest import DEMO_CHILD, DEMO_FATHER, DEMO_MOTHER
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SCHOOL_CODE = re.compile(r"(?<![0-9A-Za-z])[KPJ]00[0-9](?![0-9])")
COMMUNITY_CODE = re.compile(r"(?<![0-9])330411\d{3}(?![0-9])")


@pytest.fixture
def demo_family(demo_world):
    return UserFactory(id_number=DEMO_FATHER, real_name="王𠈌", phone=None)


def visible_text(html: str) -> str:
    """What a reader sees: no tags, attributes (URLs may carry a code), scripts or styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def assert_no_codes(text: str, where: str) -> None:
    assert not SCHOOL_CODE.findall(text), f"school code shown to the parent on {where}: {text[:3000]}"
    assert not COMMUNITY_CODE.findall(text), f"community code shown to the parent on {where}"


def test_the_parent_sees_school_and_community_names_never_their_codes(
    client, demo_family, django_capture_on_commit_callbacks
):
    client.force_login(demo_family)
    url = client.post("/enrollment/apply/", {"stage": "primary", "year": 2027}).url
    url = client.post(url, {"child_id_number": DEMO_CHILD, "consent": "on"}).url
    url = client.post(url, {"other_guardian_id_number": DEMO_MOTHER}).url
    url = client.post(url).url
    url = client.post(url, {"residence": "owned"}).url
    url = client.post(url, {"sibling_reference_no": ""}).url

    preview = client.get(url)
    assert preview.status_code == 200
    text = visible_text(preview.content.decode())
    assert "秀洲区实验小学" in text and "新城社区" in text
    assert_no_codes(text, "the preview")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    application = Application.objects.get()
    assert application.state == State.QUALIFIED
    assert application.zone_school.code == "P001"

    pages = {
        "the application page": response.url,
        "the enrollment home": "/enrollment/",
        "my cases": "/my/cases/",
        "the case page": f"/my/cases/{application.case.reference_no}/",
        "the inbox": "/messages/",
    }
    pages |= {f"message {m.pk}": f"/messages/{m.pk}/" for m in Message.objects.filter(recipient=demo_family)}
    for where, page in pages.items():
        got = client.get(page)
        assert got.status_code == 200, (where, got.status_code)
        assert_no_codes(visible_text(got.content.decode()), where)
    assert "秀洲区实验小学" in visible_text(client.get(response.url).content.decode())

    for check in application.checks.all():
        assert_no_codes(check.reason, f"the reason of the {check.name} check")
    for event in application.case.events.all():
        assert_no_codes(event.note, f"the note of the event {event.action}")
    for message in Message.objects.filter(recipient=demo_family):
        assert_no_codes(f"{message.subject}\n{message.body}", "a message")

    with translation.override("zh-hans"):
        notice = visible_text(render_to_string(TEMPLATE, notice_context(application)))
    assert "秀洲区实验小学" in notice
    assert_no_codes(notice, "the place notice")

    verify = client.get(urlsplit(notice_context(application)["verify_url"]).path)
    assert verify.status_code == 200
    public = visible_text(verify.content.decode())
    assert "秀洲区实验小学" in public
    assert_no_codes(public, "the public verification page")
