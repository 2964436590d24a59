import pytest

from afterschool import services
from afterschool.models import State

pytestmark = pytest.mark.django_db


def test_apply_approve_pay(family, apply, act, clerk, pay):
    fam = family()
    app = apply(fam)
    assert app.state == State.AWAITING_REVIEW
    app = act(services.application_approve, application=app, by=clerk)
    assert app.state == State.AWAITING_PAYMENT and app.order is not None
    pay(app)
    assert app.state == State.ENROLLED
