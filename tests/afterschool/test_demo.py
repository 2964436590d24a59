"""The demo set-up: programmes at every primary school of the demo district, and the demo parent's pupil
can apply for one."""

import json

import pytest
from django.core.management import call_command

from afterschool.models import Program, State
from portal.accounts.models import User
from portal.core.management.commands.seed_demo import DEMO
from portal.orgs.loading import load_schools

pytestmark = pytest.mark.django_db


def test_demo_programmes_and_the_demo_pupil_applies(settings, apply):
    settings.DEBUG = True
    load_schools(json.loads((DEMO / "district.json").read_text(encoding="utf-8")))
    call_command("load_registry", str(DEMO / "registry.json"), verbosity=0)
    call_command("afterschool_demo", verbosity=0)
    call_command("afterschool_demo", verbosity=0)  # twice: nothing more
    programs = Program.objects.filter(school__code__in=["P001", "P002", "P003", "P004"])
    assert programs.count() == 4 and all(p.slots.count() == 3 for p in programs)
    parent = User.objects.create(username="demo-parent", real_name="王𠈌", id_number="330411198803120318")
    fam = type("Fam", (), {"guardian": parent, "child": "330411201809100718"})
    app = apply(fam, slot="17:30", program=programs.get(school__code="P001"))
    assert app.state == State.AWAITING_REVIEW and app.student_name == "王小睿"
