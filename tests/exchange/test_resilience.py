"""Timeouts, retries, the circuit breaker and signatures, against the sandbox's fault injection."""

import time

import pytest

from exchange import client, services, sources
from exchange.errors import NotFound, Unavailable
from exchange.models import Lookup, Outcome
from portal.core import http
from sandbox.models import SourceFault
from tests.exchange.conftest import (
    CHEN_CHILD,
    CHEN_MOTHER,
    LI_CHILD,
    LI_FATHER,
    LI_MOTHER,
    LIU_FATHER,
    UNKNOWN,
    ZHANG_FATHER,
    ZHANG_GRANDPA,
    ZHANG_MOTHER,
    ZHANG_SON,
)

pytestmark = pytest.mark.django_db

PEOPLE = {
    ZHANG_FATHER: "张𠈌",
    ZHANG_MOTHER: "阿依古丽·买买提",
    ZHANG_SON: "张小明",
    ZHANG_GRANDPA: "张建国",
    LI_FATHER: "李䶮",
    LI_MOTHER: "王𬌗",
    LI_CHILD: "李一诺",
    CHEN_MOTHER: "陈静",
    CHEN_CHILD: "陈思雨",
    LIU_FATHER: "刘洋",
}


def fault(source, **settings):
    settings.setdefault("hang_ms", 0)
    SourceFault.objects.update_or_create(source=source, defaults=settings)


@pytest.fixture(autouse=True)
def _registry(registry):
    pass


@pytest.mark.parametrize("error_rate, timeout_rate", [(0.3, 0.0), (0.2, 0.1)], ids=["5xx", "5xx+504"])
def test_30_percent_errors_retry_to_the_right_answer_or_unavailable_never_a_wrong_pass(
    authorise, wire, settings, error_rate, timeout_rate
):
    """Faults are drawn from a fixed seed: the same requests fail on every run."""
    settings.EXCHANGE_BREAKER_THRESHOLD = 1000  # this test is about retries; the breaker has its own
    fault("hukou", error_rate=error_rate, timeout_rate=timeout_rate, seed=20260601)
    for id_number in PEOPLE:
        authorise(id_number, sources=["hukou"])
    answered = unavailable = 0
    for _round in range(6):
        for id_number, name in PEOPLE.items():
            try:
                person = client_lookup(id_number)
            except Unavailable:
                unavailable += 1
                continue
            assert (person.id_number, person.name) == (id_number, name)  # the right person, never another
            answered += 1
    lookups = len(PEOPLE) * 6
    assert answered + unavailable == lookups
    assert answered >= lookups * 0.9  # 3 attempts at 30% failure: about 1 in 37 look-ups fails
    assert unavailable >= 1  # with this seed one look-up fails all three times: both paths are taken
    assert wire.count("/hukou/") > lookups  # failed attempts were retried
    failed_requests = sum(1 for path, status in wire.seen if status >= 500)
    assert failed_requests == wire.count("/hukou/") - answered
    rows = Lookup.objects.filter(source="hukou")
    assert rows.count() == lookups
    assert rows.filter(outcome=Outcome.OK).count() == answered
    for row in rows.filter(outcome=Outcome.UNAVAILABLE):
        assert row.answer is None and row.answer_sha256 == "" and row.attempts == 3
    for row in rows.filter(outcome=Outcome.OK):
        assert row.answer["data"]["name"] == PEOPLE[row.answer["data"]["id_number"]]
        assert row.answer_intact


def client_lookup(id_number):
    return services.lookup(sources.hukou_person, id_number=id_number, purpose="测试核验")


def test_a_5xx_body_that_looks_like_an_answer_is_not_trusted(look, wire):
    fault("welfare", error_rate=1.0, seed=1)  # 500 / 502 / 503, the 502s with {"code": "ok", "data": {}}
    with pytest.raises(Unavailable):
        look(sources.welfare_records, id_number=CHEN_MOTHER)
    assert wire.count("/welfare/") == 3
    row = Lookup.objects.get(source="welfare")
    assert row.outcome == Outcome.UNAVAILABLE and row.answer is None and "after 3 attempt(s)" in row.error


def test_a_simulated_timeout_504_is_retried(look, wire):
    fault("disability", timeout_rate=1.0, hang_ms=0)
    with pytest.raises(Unavailable):
        look(sources.disability_record, id_number=ZHANG_GRANDPA)
    assert wire.seen == [("/sandbox/exchange/disability/record/", 504)] * 3


def test_4xx_is_an_answer_and_is_not_retried(look, wire, settings):
    with pytest.raises(NotFound):
        look(sources.hukou_person, id_number=UNKNOWN)
    assert wire.seen == [("/sandbox/exchange/hukou/person/", 404)]
    settings.SANDBOX_EXCHANGE_APPS = {settings.EXCHANGE_APP_KEY: settings.EXCHANGE_APP_SECRET}
    settings.EXCHANGE_APP_SECRET = "not-the-registered-secret"
    with pytest.raises(Unavailable, match="refused"):
        look(sources.hukou_person, id_number=ZHANG_FATHER)
    assert wire.seen[1:] == [("/sandbox/exchange/hukou/person/", 401)]
    row = Lookup.objects.order_by("-pk").first()
    assert (row.outcome, row.attempts, row.http_status) == (Outcome.UNAVAILABLE, 1, 401)


def test_open_circuit_stops_calls_and_recovers_after_the_cool_off(look, wire, settings, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(client, "now", lambda: clock[0])
    settings.EXCHANGE_BREAKER_THRESHOLD = 3
    settings.EXCHANGE_BREAKER_COOLOFF = 30
    fault("residence_permit", error_rate=1.0)
    with pytest.raises(Unavailable):  # three failed attempts open the circuit
        look(sources.residence_permit, id_number=LI_FATHER)
    assert wire.count("/residence_permit/") == 3
    assert client.breaker("residence_permit").state() == "open"
    for _ in range(5):
        clock[0] += 5
        with pytest.raises(Unavailable, match="circuit open"):
            look(sources.residence_permit, id_number=LI_FATHER)
    assert wire.count("/residence_permit/") == 3  # nothing reached the sandbox while open
    refused = Lookup.objects.filter(source="residence_permit", attempts=0, outcome=Outcome.UNAVAILABLE)
    assert refused.count() == 5
    # other sources are not affected
    assert look(sources.hukou_person, id_number=LI_FATHER).name == "李䶮"

    clock[0] += 6  # cool-off over: half-open, one trial; it fails, so the circuit opens again
    assert client.breaker("residence_permit").state() == "half_open"
    with pytest.raises(Unavailable, match="circuit open"):
        look(sources.residence_permit, id_number=LI_FATHER)
    assert wire.count("/residence_permit/") == 4
    assert client.breaker("residence_permit").state() == "open"

    SourceFault.objects.filter(source="residence_permit").update(error_rate=0.0)
    clock[0] += 31  # the registry is back: the trial succeeds and closes the circuit
    assert look(sources.residence_permit, id_number=LI_FATHER).community_code == "C002"
    assert client.breaker("residence_permit").state() == "closed"
    assert look(sources.residence_permit, id_number=LI_FATHER).community_code == "C002"
    assert wire.count("/residence_permit/") == 6


def test_only_one_caller_gets_the_half_open_trial(settings, monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(client, "now", lambda: clock[0])
    settings.EXCHANGE_BREAKER_THRESHOLD = 1
    circuit = client.breaker("lease")
    circuit.failure()
    assert not circuit.allow()
    clock[0] += 31
    assert circuit.allow() and not circuit.allow()  # a second caller waits for the trial's outcome
    circuit.success()
    assert circuit.allow() and circuit.allow()


def test_latency_is_measured(look, wire):
    fault("marriage", latency_ms=30)
    look(sources.marriages, id_number=LIU_FATHER)
    assert Lookup.objects.get(source="marriage").duration_ms >= 30


def test_backoff_is_exponential_with_full_jitter():
    for attempt, ceiling in [(1, 0.2), (2, 0.4), (3, 0.8), (6, 2.0)]:
        delays = [client.backoff_delay(attempt, base=0.2, cap=2.0) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8


@pytest.mark.django_db(transaction=True)
def test_a_hanging_registry_times_out_on_a_real_socket(live_server, authorise, settings):
    """Over a real socket the client's own timeout fires (the in-process transport has no clock)."""
    from django.core.management import call_command

    from tests.exchange.conftest import FIXTURE

    call_command("load_registry", str(FIXTURE), verbosity=0)
    http.set_transport(None)
    settings.EXCHANGE_BASE_URL = f"{live_server.url}/sandbox/exchange/"
    settings.EXCHANGE_TIMEOUT = 0.05
    settings.EXCHANGE_MAX_ATTEMPTS = 2
    fault("hukou", timeout_rate=1.0, hang_ms=2000)
    authorise(ZHANG_FATHER, sources=["hukou"])
    started = time.monotonic()
    with pytest.raises(Unavailable, match="timeout after 2 attempt"):
        client_lookup(ZHANG_FATHER)
    # gave up on its own timeouts, did not wait for the 504s (2 × 2 s): far apart, so load cannot blur it
    assert time.monotonic() - started < 2.0
    row = Lookup.objects.get()
    assert (row.outcome, row.attempts, row.http_status) == (Outcome.UNAVAILABLE, 2, None)
    SourceFault.objects.filter(source="hukou").update(timeout_rate=0.0)
    assert client_lookup(ZHANG_FATHER).name == "张𠈌"
