"""The script in docs/workflows/licensing.md, run as it is written (its exact text, in a separate Python
process), recomputes a real draw from the published API answer alone; a tampered publication is caught."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from licensing.models import InspectionCampaign, Inspector, Institution
from licensing.services import campaign_draw, campaign_publish, inspection_record

pytestmark = pytest.mark.django_db
DOC = Path(__file__).resolve().parents[2] / "docs" / "workflows" / "licensing.md"


def doc_script() -> str:
    text = DOC.read_text(encoding="utf-8")
    after = text[text.index("<!-- recompute-draw") :]
    match = re.search(r"```python\n(.*?)```", after, re.S)
    assert match, "the recompute script is not in docs/workflows/licensing.md"
    return match.group(1)


def run_script(tmp_path, published: dict) -> list[str]:
    script = tmp_path / "recompute.py"
    script.write_text(doc_script(), encoding="utf-8")
    answer = tmp_path / "inspections.json"
    answer.write_text(json.dumps(published, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-I", str(script), answer.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=tmp_path,
    )
    return result.stdout.splitlines()


@pytest.fixture
def published(district, rep, bureau):
    """Two published campaigns: 23 licensed institutions (and one unlicensed), a pool of six inspectors
    with links (one linked to most institutions), drawn by the service with recorded seeds."""
    institutions = [
        Institution.objects.create(
            credit_code=f"52330411MJ{i:07d}X", name=f"学校{i}", representative=rep, licensed=i != 7
        )
        for i in range(24)
    ]
    inspectors = [Inspector.objects.create(code=f"JC{i:03d}", name=f"检查员{i}") for i in range(6)]
    inspectors[0].linked_institutions.set(institutions[:20])
    inspectors[1].linked_institutions.set(institutions[3:6])
    inspectors[4].linked_institutions.set([institutions[9], institutions[15]])
    for name, share, seed in (
        ("2026年春季抽查", 30, "licensing-2026-spring"),
        ("2026年秋季抽查", 55, "f00dcafe"),
    ):
        campaign = InspectionCampaign.objects.create(district=district, name=name, share_percent=share)
        campaign.inspectors.set(inspectors)
        campaign = campaign_draw(campaign=campaign, by=bureau, seed=seed)
        for inspection in campaign.inspections.all():
            inspection_record(inspection=inspection, by=bureau, result="compliant")
        campaign_publish(campaign=campaign, by=bureau)
    body = APIClient().get("/api/v1/licensing/inspections/").json()
    assert body["count"] == 2
    return body


def test_the_doc_script_recomputes_the_published_draw(tmp_path, published):
    lines = run_script(tmp_path, published)
    assert len(lines) == 2
    for line, campaign in zip(lines, published["results"], strict=True):
        ident, verdict, assignment = line.split(" ", 2)
        assert ident == str(campaign["id"]) and verdict == "same", line
        assert json.loads(assignment) == [
            [i["credit_code"], i["inspectors"]] for i in campaign["inspections"]
        ]
        assert "52330411MJ0000007X" not in campaign["population"]  # not licensed: not drawn from
        linked_drawn = [i for i in campaign["inspections"] if i["excluded"]]
        assert linked_drawn and all(not set(i["excluded"]) & set(i["inspectors"]) for i in linked_drawn)


@pytest.mark.parametrize("tamper", ["seed", "inspector", "institution"])
def test_a_tampered_publication_is_caught(tmp_path, published, tamper):
    campaign = published["results"][0]
    if tamper == "seed":
        campaign["seed"] += "x"
    elif tamper == "inspector":
        first = campaign["inspections"][0]
        other = next(
            c for c in campaign["pool"] if c not in first["inspectors"] and c not in first["excluded"]
        )
        first["inspectors"] = sorted([first["inspectors"][0], other])
    else:
        drawn = {i["credit_code"] for i in campaign["inspections"]}
        campaign["inspections"][0]["credit_code"] = next(c for c in campaign["population"] if c not in drawn)
    lines = run_script(tmp_path, published)
    assert lines[0].split(" ", 2)[1] == "DIFFERENT" and lines[1].split(" ", 2)[1] == "same"
