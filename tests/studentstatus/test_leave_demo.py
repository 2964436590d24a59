"""The studentstatus demo (called by seed_demo): the demo parent's pupil with a suspension awaiting the
school and a correction whose 户籍 check sends it to the school; a second run adds nothing."""

import json

import pytest
from django.core.management import call_command

from portal.accounts.models import Role, User
from portal.core.management.commands.seed_demo import DEMO
from portal.orgs.loading import load_schools
from portal.orgs.models import School
from studentstatus.models import Correction, CorrectionState, RecordStatus, Suspension, SuspensionState
from studentstatus.services import suspensions
from tests.factories import UserFactory
from tests.studentstatus.leave_helpers import no_archive_packages  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_archive_packages")]


def test_demo_suspension_and_correction(settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    load_schools(json.loads((DEMO / "district.json").read_text(encoding="utf-8")))
    call_command("load_registry", str(DEMO / "registry.json"), verbosity=0)
    call_command("afterschool_demo", verbosity=0)  # the pupil in the registries
    clerk = UserFactory(clerk=True, school=School.objects.get(code="P001"))
    with django_capture_on_commit_callbacks(execute=True):  # the worker's 户籍 check
        call_command("studentstatus_demo", verbosity=0)
    call_command("studentstatus_demo", verbosity=0)  # twice: nothing more
    suspension = Suspension.objects.get()
    assert suspension.state == SuspensionState.SUBMITTED and suspension.case.attachments.count() == 1
    assert suspension.case.applicant.role == Role.CITIZEN and suspension.case.channel == "counter"
    correction = Correction.objects.get()
    assert correction.state == CorrectionState.NEEDS_REVIEW and correction.registry_value == "王小睿"
    # the demo goes on: the school and the bureau approve the suspension
    bureau = UserFactory(bureau=True, district=clerk.school.district)
    suspension = suspensions.suspension_approve(suspension=suspension, by=clerk)
    suspension = suspensions.suspension_approve(suspension=suspension, by=bureau)
    suspension.record.refresh_from_db()
    assert suspension.record.status == RecordStatus.SUSPENDED
    call_command("studentstatus_demo", verbosity=0)  # a third run leaves the suspended record alone
    suspension.record.refresh_from_db()
    assert suspension.record.status == RecordStatus.SUSPENDED
    assert User.objects.filter(username="p13800000001").count() == 1
