"""The per-role table of the certificate workflow, through the kernel's ``perform``: for each state, who
may take which action — ``ok``, ``403`` (may not act, whatever the state) or ``409`` (not now)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from portal.cases.workflow import ActionNotAllowed, perform
from portal.deliveries.models import Delivery
from portal.orgs.models import District
from sandbox import models as reg
from teachers.models import CertificateState
from teachers.services import certificate_reject, certificate_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ("teacher", "bureau", "other_bureau", "clerk", "stranger", "system")
ACTIONS = ("approve", "reject", "resend", "revoke_certificate")
BUREAU_ONLY = {"bureau": "ok", **{r: "403" for r in ROLES if r != "bureau"}}
HOLDER_OR_BUREAU = {
    "teacher": "ok",
    "bureau": "ok",
    **{r: "403" for r in ROLES if r not in ("teacher", "bureau")},
}


def row(allowed: dict, *, now: bool) -> dict:
    """``allowed`` where the state allows the action; where it does not, those allowed get 409."""
    return dict(allowed) if now else {r: ("409" if v == "ok" else v) for r, v in allowed.items()}


# state → action → role → outcome
TABLE = {
    "needs_review": {
        "approve": row(BUREAU_ONLY, now=True),
        "reject": row(BUREAU_ONLY, now=True),
        "resend": row(HOLDER_OR_BUREAU, now=False),
        "revoke_certificate": row(BUREAU_ONLY, now=False),
    },
    "certificate_issued": {
        "approve": row(BUREAU_ONLY, now=False),
        "reject": row(BUREAU_ONLY, now=False),
        "resend": row(HOLDER_OR_BUREAU, now=False),  # the parcel is on its way
        "revoke_certificate": row(BUREAU_ONLY, now=True),
    },
    "delivery_failed": {
        "approve": row(BUREAU_ONLY, now=False),
        "reject": row(BUREAU_ONLY, now=False),
        "resend": row(HOLDER_OR_BUREAU, now=True),
        "revoke_certificate": row(BUREAU_ONLY, now=True),
    },
    "delivered": {
        "approve": row(BUREAU_ONLY, now=False),
        "reject": row(BUREAU_ONLY, now=False),
        "resend": row(HOLDER_OR_BUREAU, now=False),
        "revoke_certificate": row(BUREAU_ONLY, now=True),
    },
    "rejected": {
        "approve": row(BUREAU_ONLY, now=False),
        "reject": row(BUREAU_ONLY, now=False),
        "resend": row(HOLDER_OR_BUREAU, now=False),
        "revoke_certificate": row(BUREAU_ONLY, now=False),
    },
    "revoked": {
        "approve": row(BUREAU_ONLY, now=False),
        "reject": row(BUREAU_ONLY, now=False),
        "resend": row(HOLDER_OR_BUREAU, now=False),
        "revoke_certificate": row(BUREAU_ONLY, now=False),  # once
    },
}


class Rollback(Exception):
    pass


def outcome(application, action: str, user) -> str:
    params = {"approve": {"at": timezone.now()}, "reject": {"at": timezone.now()}}.get(action, {})
    try:
        with transaction.atomic():
            perform(application, action, by=user, note="理由", **params)
            raise Rollback
    except Rollback:
        return "ok"
    except PermissionDenied:
        return "403"
    except ActionNotAllowed:
        return "409"


@pytest.fixture
def in_state(apply, records, bureau, courier):
    def make(state: str):
        if state in ("needs_review", "rejected"):
            reg.MedicalReport.objects.filter(pk=records["medical"].pk).update(result="unfit")
        application = apply()
        if state == "rejected":
            certificate_reject(application=application, by=bureau, note="体检不合格")
        elif state == "delivery_failed":
            courier(Delivery.objects.get(case=application.case), "failed", reason="查无此人")
        elif state == "delivered":
            courier(Delivery.objects.get(case=application.case), "delivered")
        elif state == "revoked":
            certificate_revoke(application=application, by=bureau, reason="撤销")
        application.refresh_from_db()
        expected = {"delivery_failed": "certificate_issued", "revoked": "certificate_issued"}.get(
            state, state
        )
        assert application.state == CertificateState(expected)
        return application

    return make


@pytest.mark.parametrize("state", list(TABLE))
def test_who_may_do_what_in_each_state(in_state, teacher, bureau, state):
    application = in_state(state)
    users = {
        "teacher": teacher,
        "bureau": bureau,
        "other_bureau": UserFactory(
            bureau=True, district=District.objects.create(code="330402", name="南湖区")
        ),
        "clerk": UserFactory(clerk=True),
        "stranger": UserFactory(),
        "system": None,
    }
    got = {action: {role: outcome(application, action, users[role]) for role in ROLES} for action in ACTIONS}
    assert got == TABLE[state]
