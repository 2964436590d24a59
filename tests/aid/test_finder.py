"""应助尽助: the finder checks the roll against civil affairs and the disability register in bulk, invites
the guardians of those who qualify and have not applied — once; accepting opens the application with
the checks passed."""

import pytest

from aid.models import AidApplication, AidState
from exchange.models import Lookup
from portal.cases.services import case_open
from portal.catalog.models import ServiceItem
from portal.invitations.models import Invitation
from portal.invitations.services import invitation_accept, invitations_run_finders
from studentstatus.models import StudentRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def roll(make_family, world, scheme):
    """Families whose child's record came from an enrollment case of the guardian (who is known)."""

    def make(**kwargs):
        family = make_family(**kwargs)
        case = case_open(
            service=ServiceItem.objects.get(code="ENR"),
            applicant=family.guardian,
            subject_name=family.child_name,
            subject_id_number=family.child_id,
            channel="online",
            district=world,
        )
        StudentRecord.objects.filter(pk=family.record.pk).update(source_case=case)
        return family

    return make


def test_the_finder_invites_who_qualifies_once(roll, scheme):
    poor, disabled, neither = roll(welfare=["dibao"]), roll(disability=2), roll()
    first = invitations_run_finders()
    assert first["invited"] == 2
    invited = {i.person_id: i for i in Invitation.objects.filter(service__code="AID")}
    assert set(invited) == {poor.guardian.pk, disabled.guardian.pk}
    assert neither.guardian.pk not in invited
    assert invited[poor.guardian.pk].prefill["level"] == "1"
    assert invited[disabled.guardian.pk].prefill["level"] == "2"
    # in bulk: one batch request per registry, one audit row per student compared — no single look-ups
    assert set(
        Lookup.objects.filter(source__in=["welfare", "disability"]).values_list("operation", flat=True)
    ) == {
        "welfare_records_batch",
        "disability_records_batch",
    }
    assert Lookup.objects.filter(operation="welfare_records_batch").count() == 3  # one row per student

    second = invitations_run_finders()
    assert second["invited"] == 0
    assert Invitation.objects.filter(service__code="AID").count() == 2


def test_who_applied_already_is_not_invited(roll, apply):
    family = roll(welfare=["tekun"])
    apply(family)
    assert invitations_run_finders()["invited"] == 0


def test_accepting_opens_the_application_with_the_checks_passed(roll, staff):
    family = roll(welfare=["dibao"])
    invitations_run_finders()
    invitation = Invitation.objects.get(service__code="AID")
    case = invitation_accept(invitation=invitation, by=family.guardian)
    application = AidApplication.objects.get(case=case)
    assert application.state == AidState.AWAITING_SCHOOL
    assert application.level.level == "1" and application.invitation == invitation
    assert {c.name: c.result for c in application.checks.all()}["welfare"] == "pass"
    assert case.school == application.school
    # the school sees it in its queue
    from aid.selectors import school_queue

    assert list(school_queue(staff["P1"])) == [application]


def test_a_registry_down_invites_nobody_and_the_next_run_catches_up(roll):
    from sandbox import models as reg

    roll(welfare=["dibao"])
    fault = reg.SourceFault.objects.create(source="welfare", error_rate=1.0, seed=1)
    assert invitations_run_finders()["failed"] == 1
    assert not Invitation.objects.exists()
    fault.delete()
    assert invitations_run_finders()["invited"] == 1
