"""``refresh_from_db`` on a workflow model never lifts the class-wide protection of its state field
(portal/cases/fsm.py): django-fsm's own did so for the length of the query, and in a threaded server a
concurrent reload then failed with "Direct state modification is not allowed" (500s in ``make bench``)."""

import pytest
from django.db import connection
from django_fsm import FSMModelMixin

from portal.cases import fsm
from tests.enrollment.test_api import URL, api, body


def _state_field(model):
    return model._meta.get_field("state")


@pytest.fixture
def application(family):
    from enrollment.models import Application

    fam = family.load()
    assert api(fam.guardian).post(URL, body(fam), format="json").status_code == 201
    return Application.objects.get()


def test_the_kernel_installs_its_refresh():
    assert FSMModelMixin.refresh_from_db is fsm.refresh_from_db


def test_the_state_stays_protected_while_a_row_is_read_again(application):
    field = _state_field(type(application))
    seen: list[bool] = []

    def observe(execute, sql, params, many, context):
        seen.append(field.protected)  # what another thread would find at this moment
        return execute(sql, params, many, context)

    with connection.execute_wrapper(observe):
        application.refresh_from_db()
    assert seen and all(seen)
    assert field.protected


def test_the_reload_brings_the_state_and_other_fields_and_keeps_them_protected(application):
    from enrollment.models import Application, State

    stored = Application.objects.get(pk=application.pk)
    Application.objects.filter(pk=stored.pk).update(state=State.NEEDS_REVIEW, points=12)
    application.refresh_from_db()
    assert (application.state, application.points) == (State.NEEDS_REVIEW, 12)
    with pytest.raises(AttributeError, match="Direct state modification"):
        application.state = State.QUALIFIED

    Application.objects.filter(pk=stored.pk).update(state=State.VERIFYING)
    application.refresh_from_db(fields=["state"])
    assert application.state == State.VERIFYING


def test_a_failed_reload_leaves_the_instance_as_it_was(application):
    from enrollment.models import Application

    before = application.state
    Application.objects.filter(pk=application.pk).delete()
    with pytest.raises(Application.DoesNotExist):
        application.refresh_from_db()
    assert application.state == before
    assert "state" in application.__dict__


def test_a_reload_of_other_fields_keeps_the_state_it_held(application):
    """Reading ``visits`` alone: ConcurrentTransitionMixin reads the loaded row's state too, so Django
    sets it on the instance although it was not asked for; the instance's own protection must not refuse
    it (django-fsm lifted it for everyone; this lifts nothing)."""
    from portal.cases.models import Case

    case = application.case
    Case.objects.filter(pk=case.pk).update(visits=3)
    case.refresh_from_db(fields=["visits"])
    assert (case.visits, case.status) == (3, Case.objects.get(pk=case.pk).status)
    with pytest.raises(AttributeError, match="Direct status modification"):
        case.status = "done"
