"""The public notice page and its API carry no ID number, hardship reason or disability of any entry."""

import re

import pytest

from aid.services import application_approve, applications_school_approve
from portal.notices.models import Notice

pytestmark = pytest.mark.django_db

REASON = "父亲重病住院，母亲无业"
WORDS = [
    "低保",
    "特困",
    "低边",
    "残疾",
    "残联",
    "孤儿",
    "dibao",
    "tekun",
    "dibian",
    "disab",
    "orphan",
    REASON[:4],
]


def test_no_id_number_reason_or_disability_on_the_notice(make_family, apply, staff, client):
    families = [
        make_family(welfare=["dibao"]),
        make_family(welfare=["tekun"], disability=1),
        make_family(disability=2),
        make_family(),
    ]
    apps = [apply(f) for f in families[:3]]
    apps.append(apply(families[3], declared=["orphan"], reason=REASON))
    for a in apps:
        assert a.level_id
    other = apply(make_family(welfare=["dibian"]), declared=["other"], reason=REASON)
    application_approve(application=other, by=staff["P1"], level="2", note=f"家访核实：{REASON}")
    applications_school_approve(applications=apps, by=staff["P1"])
    notice_ids = list(Notice.objects.values_list("pk", flat=True))
    assert len(notice_ids) == 2

    pages = [client.get("/notices/").content.decode()]
    pages += [client.get(f"/notices/{pk}/").content.decode() for pk in notice_ids]
    pages.append(client.get("/api/v1/notices/").content.decode())
    secrets = [f.child_id for f in families] + [f.parent_id for f in families]
    for text in pages:
        assert "实验小学" in text  # the entries are there
        for secret in secrets:
            assert secret not in text and secret[-4:] + '"' not in text
        assert not re.search(r"\d{17}[\dXx]", text)
        for word in WORDS:
            assert word not in text, word
    api = client.get("/api/v1/notices/").json()
    entries = [e for n in api["results"] for e in n["entries"]]
    assert len(entries) == 5
    assert all("*" in e["name"] for e in entries)
