"""Exchange tests: the contract fixture in the sandbox registries, a transport that counts what reaches the
sandbox, no waiting between retries, and helpers to grant an authorisation and look up."""

from pathlib import Path

import httpx
import pytest
from django.core.management import call_command

from exchange import services
from portal.core import http
from tests.factories import CaseFactory, UserFactory

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "registry_contract.json"

# Persons of tests/fixtures/registry_contract.json
ZHANG_FATHER = "330411198503120113"
ZHANG_MOTHER = "330411198707210225"
ZHANG_SON = "330411202005010316"
ZHANG_DAUGHTER = "330411202005010420"
ZHANG_GRANDPA = "33041119580209015X"
LI_FATHER = "411523199006180330"
LI_MOTHER = "411523199111030449"
LI_CHILD = "41152320190815051X"
CHEN_MOTHER = "330402198904260268"
CHEN_CHILD = "330402201703100289"
LIU_FATHER = "330402198811300371"
UNKNOWN = "360426199101010071"  # valid, but in no registry


class CountingTransport(httpx.BaseTransport):
    """Wraps the in-process sandbox transport (tests/conftest.py), recording (path, status) of every request
    that reached it."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.seen: list[tuple[str, int]] = []

    def handle_request(self, request):
        response = self.inner.handle_request(request)
        self.seen.append((request.url.path, response.status_code))
        return response

    def count(self, fragment: str = "") -> int:
        return sum(1 for path, _ in self.seen if fragment in path)


@pytest.fixture(autouse=True)
def _fast_exchange(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # factories hash a password
    settings.EXCHANGE_RETRY_BACKOFF = 0.0
    settings.EXCHANGE_MAX_ATTEMPTS = 3
    settings.EXCHANGE_BREAKER_THRESHOLD = 5
    settings.EXCHANGE_BREAKER_COOLOFF = 30.0


@pytest.fixture
def wire():
    inner = http._transport
    assert inner is not None, "tests/conftest.py routes outgoing HTTP to the sandbox in-process"
    transport = CountingTransport(inner)
    http.set_transport(transport)
    yield transport
    http.set_transport(inner)


@pytest.fixture
def registry(db):
    call_command("load_registry", str(FIXTURE), verbosity=0)


@pytest.fixture
def zhang(db):
    """The Zhang family's guardian (the father), signed in with his real ID number."""
    return UserFactory(id_number=ZHANG_FATHER, real_name="张𠈌")


@pytest.fixture
def zhang_case(zhang):
    return CaseFactory(applicant=zhang, subject_name="张小明", subject_id_number=ZHANG_SON)


@pytest.fixture
def authorise(zhang):
    """Grant an authorisation: ``authorise(subject_id, sources=None, case=None, guardian=zhang)``."""

    def grant(subject_id, *, sources=None, case=None, guardian=None, name=""):
        return services.authorisation_grant(
            guardian=guardian or zhang,
            subject_id_number=subject_id,
            purpose="测试核验",
            sources=sources,
            case=case,
            subject_name=name,
        )

    return grant


@pytest.fixture
def look(authorise):
    """Authorise the subject for every registry, then look up as the system (no requester)."""

    def run(fn, **params):
        authorise(params[fn.subject_param])
        return services.lookup(fn, purpose="测试核验", **params)

    return run
