"""Batch look-ups (批量比对) with civil affairs and the disabled persons' federation, over signed HTTP to the
sandbox registries: chunking, an answer for everyone asked, the same answers as the single look-ups, a
registry down, the exchange's 1,000-subject limit, and one audit row per person compared."""

import datetime as dt
import json
from collections import Counter

import httpx
import pytest
from django.core.exceptions import ValidationError

from exchange import client, services, sources
from exchange.errors import NotAuthorised, NotFound, Unavailable
from exchange.models import Lookup, Outcome
from exchange.selectors import lookups_for_guardian
from portal.core import pii
from sandbox.models import DisabilityRecord, SourceFault, WelfareRecord
from tests.exchange.conftest import (
    CHEN_CHILD,
    CHEN_MOTHER,
    LI_CHILD,
    LI_FATHER,
    LI_MOTHER,
    LIU_FATHER,
    UNKNOWN,
    ZHANG_DAUGHTER,
    ZHANG_FATHER,
    ZHANG_GRANDPA,
    ZHANG_MOTHER,
    ZHANG_SON,
)
from tests.factories import UserFactory, make_id_number

pytestmark = pytest.mark.django_db

PURPOSE = "应助尽助 主动比对 2027"
FIXTURE_PEOPLE = [
    ZHANG_FATHER,
    ZHANG_MOTHER,
    ZHANG_SON,
    ZHANG_DAUGHTER,
    ZHANG_GRANDPA,
    LI_FATHER,
    LI_MOTHER,
    LI_CHILD,
    CHEN_MOTHER,
    CHEN_CHILD,
    LIU_FATHER,
    UNKNOWN,
]


@pytest.fixture(autouse=True)
def _registry(registry):
    pass


def students(n: int) -> list[str]:
    """``n`` distinct valid ID numbers of children born 2015–2020, in no registry."""
    start = dt.date(2015, 1, 1)
    return [
        make_id_number(start + dt.timedelta(days=k // 900), 100 + k % 900, area="330499") for k in range(n)
    ]


def welfare(ids, **kw):
    return services.batch_lookup(sources.welfare_records_batch, purpose=PURPOSE, id_numbers=ids, **kw)


def disability(ids, **kw):
    return services.batch_lookup(sources.disability_records_batch, purpose=PURPOSE, id_numbers=ids, **kw)


def batch_bodies(wire) -> list[dict]:
    return [json.loads(body) for path, body in wire.bodies if path.endswith("/batch/")]


class BodyTransport(httpx.BaseTransport):
    """Like tests/exchange/conftest.CountingTransport, keeping each request's path and JSON body too."""

    def __init__(self, inner):
        self.inner, self.seen, self.bodies = inner, [], []

    def handle_request(self, request):
        request.read()
        self.bodies.append((request.url.path, request.content))
        response = self.inner.handle_request(request)
        self.seen.append((request.url.path, response.status_code))
        return response

    def count(self, fragment: str = "") -> int:
        return sum(1 for path, _ in self.seen if fragment in path)


@pytest.fixture
def wire():
    from portal.core import http

    inner = http._transport
    transport = BodyTransport(inner)
    http.set_transport(transport)
    yield transport
    http.set_transport(inner)


def fault(source, **settings):
    settings.setdefault("hang_ms", 0)
    SourceFault.objects.update_or_create(source=source, defaults=settings)


# --- chunking and answers --------------------------------------------------------------------------


def test_2500_ids_go_out_in_three_requests_of_at_most_1000_and_everyone_is_answered(wire):
    asked = students(2490) + FIXTURE_PEOPLE[:10]
    WelfareRecord.objects.create(id_number=asked[1700], type="dibian", valid_until=dt.date(2027, 6, 30))

    found = welfare(asked)

    assert [(path, status) for path, status in wire.seen] == [("/sandbox/exchange/welfare/batch/", 200)] * 3
    assert [len(b["id_numbers"]) for b in batch_bodies(wire)] == [1000, 1000, 500]
    sent = [i for b in batch_bodies(wire) for i in b["id_numbers"]]
    assert sorted(sent) == sorted(asked)  # each once
    assert list(found) == asked
    assert found[asked[1700]] == (sources.WelfareRecord(asked[1700], "dibian", dt.date(2027, 6, 30)),)
    assert [r.type for r in found[CHEN_MOTHER]] == ["dibao"]
    assert sum(1 for records in found.values() if records) == 3  # the dibian child, Chen mother and child
    assert all(v == () for k, v in found.items() if k not in (asked[1700], CHEN_MOTHER, CHEN_CHILD))


def test_the_source_itself_chunks_by_the_setting(wire, settings):
    """Called inside a recording (what batch_lookup opens), the source function chunks on its own."""
    settings.EXCHANGE_BATCH_SIZE = 4
    with client.recording():
        found = sources.disability_records_batch(id_numbers=FIXTURE_PEOPLE[:10])
    assert [len(b["id_numbers"]) for b in batch_bodies(wire)] == [4, 4, 2]
    assert found[ZHANG_GRANDPA] == sources.DisabilityRecord(ZHANG_GRANDPA, 2)
    assert [k for k, v in found.items() if v is not None] == [ZHANG_GRANDPA]


def test_the_chunk_size_is_a_setting(wire, settings):
    settings.EXCHANGE_BATCH_SIZE = 5
    found = disability(FIXTURE_PEOPLE)
    assert [len(b["id_numbers"]) for b in batch_bodies(wire)] == [5, 5, 2]
    assert set(found) == set(FIXTURE_PEOPLE)


def test_ids_are_normalised_and_answered_under_the_number_as_given(wire):
    lower = ZHANG_GRANDPA.lower()  # …015x
    asked = [lower, f"  {CHEN_MOTHER} ", CHEN_MOTHER, UNKNOWN, UNKNOWN]

    found_disability = disability(asked)
    found_welfare = welfare(asked)

    assert list(found_disability) == [lower, f"  {CHEN_MOTHER} ", CHEN_MOTHER, UNKNOWN]
    assert found_disability[lower] == sources.DisabilityRecord(ZHANG_GRANDPA, 2)
    assert found_disability[UNKNOWN] is None
    assert found_welfare[f"  {CHEN_MOTHER} "] == found_welfare[CHEN_MOTHER] != ()
    for body in batch_bodies(wire):  # upper-case, trimmed, each person once
        assert body["id_numbers"] == [ZHANG_GRANDPA, CHEN_MOTHER, UNKNOWN]


def test_no_ids_no_request():
    assert welfare([]) == {} and disability(iter(())) == {}
    assert not Lookup.objects.exists()


def test_the_answers_are_those_of_the_single_look_ups(look):
    WelfareRecord.objects.create(id_number=CHEN_MOTHER, type="dibian", valid_until=dt.date(2026, 12, 31))
    DisabilityRecord.objects.create(id_number=LI_CHILD, level=4)
    batch_welfare, batch_disability = welfare(FIXTURE_PEOPLE), disability(FIXTURE_PEOPLE)
    for id_number in FIXTURE_PEOPLE:
        assert batch_welfare[id_number] == look(sources.welfare_records, id_number=id_number)
        try:
            single = look(sources.disability_record, id_number=id_number)
        except NotFound:
            single = None
        assert batch_disability[id_number] == single
    assert len(batch_welfare[CHEN_MOTHER]) == 2 and batch_disability[LI_CHILD].level == 4


# --- refusals and failures -------------------------------------------------------------------------


def test_an_invalid_id_number_is_refused_before_any_request_and_masked(wire):
    bad = "360426199101010072"  # wrong check character
    with pytest.raises(ValidationError) as exc:
        welfare([ZHANG_FATHER, bad])
    assert "id_numbers[1]" in str(exc.value) and bad not in str(exc.value) and "360***" in str(exc.value)
    assert wire.seen == [] and not Lookup.objects.exists()


def test_batch_and_single_look_ups_go_through_their_own_service(wire):
    with pytest.raises(TypeError, match="batch_lookup"):
        services.lookup(sources.welfare_records_batch, purpose=PURPOSE, id_numbers=[ZHANG_FATHER])
    with pytest.raises(TypeError, match="batch_lookup"):
        services.roster_lookup(sources.disability_records_batch, purpose=PURPOSE, id_numbers=[ZHANG_FATHER])
    with pytest.raises(TypeError, match="not a batch"):
        services.batch_lookup(sources.welfare_records, purpose=PURPOSE, id_numbers=[ZHANG_FATHER])
    with pytest.raises(ValueError, match="purpose"):
        services.batch_lookup(sources.welfare_records_batch, purpose="  ", id_numbers=[ZHANG_FATHER])
    with pytest.raises(NotAuthorised):  # called directly, outside the recording service
        sources.welfare_records_batch(id_numbers=[ZHANG_FATHER])
    assert wire.seen == [] and not Lookup.objects.exists()


def test_registry_down_raises_unavailable_after_the_retries(wire, settings):
    settings.EXCHANGE_BATCH_SIZE = 4
    fault("welfare", error_rate=1.0, seed=7)
    with pytest.raises(Unavailable):
        welfare(FIXTURE_PEOPLE)
    assert wire.seen and all(status >= 500 for _, status in wire.seen)
    assert wire.count("/welfare/batch/") == 3  # the first request, tried three times; nobody else asked
    rows = Lookup.objects.filter(source="welfare")
    assert rows.count() == 4  # the four people of the failed request
    assert {r.outcome for r in rows} == {Outcome.UNAVAILABLE}
    assert all(r.attempts == 3 and r.answer is None and "after 3 attempt(s)" in r.error for r in rows)


def test_open_circuit_refuses_batches_at_once(wire, settings):
    settings.EXCHANGE_BREAKER_THRESHOLD = 2
    fault("disability", error_rate=1.0, seed=3)
    with pytest.raises(Unavailable):
        disability(FIXTURE_PEOPLE)
    assert client.breaker("disability").state() == "open"
    requests_so_far = wire.count()
    with pytest.raises(Unavailable, match="circuit open"):
        disability(FIXTURE_PEOPLE)
    assert wire.count() == requests_so_far


class FailAfter(httpx.BaseTransport):
    """The registry answers the first ``n`` requests, then goes down (503)."""

    def __init__(self, inner, n):
        self.inner, self.n, self.seen = inner, n, []

    def handle_request(self, request):
        self.seen.append(request.url.path)
        if len(self.seen) > self.n:
            return httpx.Response(503, json={"code": "error"})
        return self.inner.handle_request(request)


def test_a_registry_going_down_mid_scan_leaves_the_compared_and_the_failed_on_record(settings):
    from portal.core import http

    settings.EXCHANGE_BATCH_SIZE = 5
    inner = http._transport
    http.set_transport(FailAfter(inner, 1))
    try:
        with pytest.raises(Unavailable):
            welfare(FIXTURE_PEOPLE)
    finally:
        http.set_transport(inner)
    rows = Lookup.objects.filter(source="welfare")
    assert Counter(r.outcome for r in rows) == {Outcome.OK: 5, Outcome.UNAVAILABLE: 5}
    assert {r.subject_hash for r in rows} == {pii.keyed_hash(i) for i in FIXTURE_PEOPLE[:10]}


def test_the_sandbox_refuses_more_than_1000_subjects_with_a_400(wire, settings):
    settings.EXCHANGE_BATCH_SIZE = 1001  # a misconfigured client
    asked = students(1001)
    with pytest.raises(Unavailable, match="refused"):
        welfare(asked)
    assert wire.seen == [("/sandbox/exchange/welfare/batch/", 400)]  # a 4xx is an answer: not retried
    row = Lookup.objects.filter(source="welfare").first()
    assert row.http_status == 400 and row.answer["code"] == "bad_request"
    assert "at most 1000 per request, got 1001" in row.answer["message"]
    assert Lookup.objects.count() == 1001
    assert client.breaker("welfare").state() == "closed"

    settings.EXCHANGE_BATCH_SIZE = 1000
    assert len(welfare(asked)) == 1001  # the same IDs, chunked as they should be: answered
    assert [status for _, status in wire.seen[1:]] == [200, 200]


@pytest.mark.parametrize(
    "payload, message",
    [
        ({}, "a list of 1 to 1000"),
        ({"id_numbers": []}, "a list of 1 to 1000"),
        ({"id_numbers": "330411198503120113"}, "a list of 1 to 1000"),
        ({"id_numbers": [ZHANG_FATHER, "360426199101010072"]}, "id_numbers[1]"),
    ],
)
def test_the_sandbox_refuses_a_malformed_batch(payload, message, wire):
    from django.test import override_settings

    with client.recording() as record, override_settings(EXCHANGE_MAX_ATTEMPTS=1), pytest.raises(Unavailable):
        client.call("disability", "batch", payload)
    assert record.http_status == 400 and message in record.answer["message"]
    assert "360426199101010072" not in record.answer["message"]


# --- audit -----------------------------------------------------------------------------------------


def test_one_audit_row_per_person_compared_with_their_own_part_of_the_answer(settings):
    settings.EXCHANGE_BATCH_SIZE = 5
    bureau = UserFactory(real_name="教育局资助中心")
    found = disability(FIXTURE_PEOPLE, requester=bureau)

    rows = list(Lookup.objects.filter(source="disability").order_by("pk"))
    assert len(rows) == len(FIXTURE_PEOPLE)
    assert [r.subject_hash for r in rows] == [pii.keyed_hash(i) for i in FIXTURE_PEOPLE]
    assert [r.subject_masked for r in rows] == [pii.mask_id(i) for i in FIXTURE_PEOPLE]
    assert {r.operation for r in rows} == {"disability_records_batch"}
    assert {r.purpose for r in rows} == {PURPOSE}
    assert {r.requester_id for r in rows} == {bureau.pk}
    assert all(r.authorisation_id is None and r.case_id is None for r in rows)
    assert all(r.http_status == 200 and r.attempts == 1 and r.answer_intact for r in rows)
    by_id = {r.query["id_number"]: r for r in rows}
    assert by_id[ZHANG_GRANDPA].outcome == Outcome.OK
    assert by_id[ZHANG_GRANDPA].answer["data"] == {
        "id_number": ZHANG_GRANDPA,
        "record": {"id_number": ZHANG_GRANDPA, "level": 2},
    }
    assert by_id[UNKNOWN].outcome == Outcome.NOT_FOUND and found[UNKNOWN] is None
    assert by_id[UNKNOWN].answer["data"] == {"id_number": UNKNOWN, "record": None}
    # one scan, three requests: the rows say which
    assert len({r.query["batch"] for r in rows}) == 1
    assert Counter(r.query["request"] for r in rows) == {"1/3": 5, "2/3": 5, "3/3": 2}


def test_a_person_sees_the_batch_look_ups_about_them_on_their_data_trail():
    welfare(FIXTURE_PEOPLE)
    chen = UserFactory(id_number=CHEN_MOTHER, real_name="陈静")
    (row,) = lookups_for_guardian(chen)
    assert (row.source, row.operation, row.purpose) == ("welfare", "welfare_records_batch", PURPOSE)
