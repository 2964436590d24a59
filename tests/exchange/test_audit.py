"""Authorisation (授权) before every look-up, and the audit record of each: refused look-ups too."""

import hashlib
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from exchange import services, sources
from exchange.errors import NotAuthorised, NotFound
from exchange.models import Authorisation, Lookup, Outcome, answer_digest
from portal.core import pii
from portal.core.models import AppendOnlyError
from tests.exchange.conftest import LI_CHILD, UNKNOWN, ZHANG_FATHER, ZHANG_SON
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _registry(registry):
    pass


def test_a_look_up_without_an_authorisation_is_refused_and_recorded(zhang, zhang_case, wire):
    with pytest.raises(NotAuthorised):
        services.lookup(
            sources.hukou_person,
            id_number=ZHANG_SON,
            purpose="入学资格核验",
            case=zhang_case,
            requester=zhang,
        )
    assert wire.seen == []  # nothing was asked
    row = Lookup.objects.get()
    assert (row.outcome, row.source, row.operation, row.case, row.requester) == (
        Outcome.NOT_AUTHORISED,
        "hukou",
        "hukou_person",
        zhang_case,
        zhang,
    )
    assert row.authorisation is None and row.answer is None and row.subject_masked == "330***********0316"


@pytest.mark.parametrize(
    "grant",
    [
        {"sources": ["property"]},  # another registry
        {"subject": LI_CHILD},  # another person
        {"case": "other"},  # another case
        {"revoked": True},
    ],
    ids=["other-registry", "other-person", "other-case", "revoked"],
)
def test_an_authorisation_covers_its_person_registries_and_case_only(
    zhang, zhang_case, authorise, wire, grant
):
    other_case = CaseFactory(applicant=zhang)
    auth = authorise(
        grant.get("subject", ZHANG_SON),
        sources=grant.get("sources", ["hukou"]),
        case=other_case if grant.get("case") else zhang_case,
    )
    if grant.get("revoked"):
        services.authorisation_revoke(authorisation=auth, by=zhang)
    with pytest.raises(NotAuthorised):
        services.lookup(sources.hukou_person, id_number=ZHANG_SON, purpose="核验", case=zhang_case)
    assert wire.seen == []


def test_an_authorisation_without_a_case_covers_the_look_ups_that_open_one(zhang, zhang_case, authorise):
    authorise(ZHANG_SON, sources=["hukou"])
    assert (
        services.lookup(sources.hukou_person, id_number=ZHANG_SON, purpose="核验", case=zhang_case).name
        == "张小明"
    )
    assert services.lookup(sources.hukou_person, id_number=ZHANG_SON, purpose="核验").name == "张小明"


def test_authorisations_in_force_answers_for_several_people_with_one_query(
    zhang, zhang_case, authorise, django_assert_num_queries
):
    """What one application's many look-ups use: the same answers as find_authorisation, one query."""
    older = authorise(ZHANG_SON, sources=["hukou", "birth"])
    newer = authorise(ZHANG_SON, sources=["hukou"], case=zhang_case)
    father = authorise(ZHANG_FATHER, sources=["property"], case=zhang_case)
    services.authorisation_revoke(authorisation=authorise(LI_CHILD, sources=["hukou"]), by=zhang)
    elsewhere = authorise(ZHANG_FATHER, sources=["marriage"], case=CaseFactory(applicant=zhang))
    with django_assert_num_queries(1):
        find = services.authorisations_in_force(
            subject_ids=[ZHANG_SON, ZHANG_FATHER, LI_CHILD, None], case=zhang_case
        )
    with django_assert_num_queries(0):
        assert find(ZHANG_SON, "hukou") == newer  # the newest covering one
        assert find(ZHANG_SON, "birth") == older
        assert find(ZHANG_FATHER, "property") == father
        assert find(ZHANG_FATHER, "marriage") is None  # granted for another case
        assert find(LI_CHILD, "hukou") is None  # revoked
        assert find(ZHANG_SON, "property") is None  # a registry not granted
    assert elsewhere.case_id != zhang_case.pk
    for subject, source in ((ZHANG_SON, "hukou"), (ZHANG_SON, "birth"), (ZHANG_FATHER, "marriage")):
        subject_hash = pii.keyed_hash(subject)
        assert find(subject, source) == services.find_authorisation(
            subject_hash=subject_hash, source=source, case=zhang_case
        )


def test_only_the_applicant_authorises_for_a_case_and_only_known_registries(zhang, zhang_case):
    stranger = UserFactory()
    with pytest.raises(ValidationError):
        services.authorisation_grant(
            guardian=stranger, subject_id_number=ZHANG_SON, purpose="x", case=zhang_case, sources=["hukou"]
        )
    with pytest.raises(ValidationError):
        services.authorisation_grant(
            guardian=zhang, subject_id_number=ZHANG_SON, purpose="x", sources=["tax"]
        )
    with pytest.raises(ValidationError):  # a wrong check digit
        services.authorisation_grant(guardian=zhang, subject_id_number="330411202005010317", purpose="x")


def test_one_form_authorises_several_people_with_one_insert(zhang, django_assert_num_queries):
    with django_assert_num_queries(1):
        son, father = services.authorisations_grant(
            guardian=zhang,
            purpose="幼升小入学报名",
            subjects=[(ZHANG_SON, ["hukou", "birth", "hukou"]), (ZHANG_FATHER, None)],
        )
    assert son.pk and father.pk
    son, father = Authorisation.objects.get(pk=son.pk), Authorisation.objects.get(pk=father.pk)
    assert son.subject_id_number == ZHANG_SON and son.sources == ["hukou", "birth"]
    assert son.subject_hash == pii.keyed_hash(ZHANG_SON) and son.subject_masked == pii.mask_id(ZHANG_SON)
    assert father.sources == list(sources.SOURCES) and father.purpose == "幼升小入学报名"
    with connection.cursor() as cursor:  # encrypted at rest like one granted alone
        cursor.execute("SELECT subject_id_number FROM exchange_authorisation WHERE id = %s", [son.pk])
        assert ZHANG_SON not in cursor.fetchone()[0]


def test_a_bad_subject_in_a_form_records_no_authorisation_at_all(zhang):
    with pytest.raises(ValidationError):
        services.authorisations_grant(
            guardian=zhang, purpose="x", subjects=[(ZHANG_SON, ["hukou"]), (ZHANG_FATHER, ["tax"])]
        )
    assert not Authorisation.objects.exists()


def test_typed_look_ups_cannot_bypass_the_recording_service(wire):
    with pytest.raises(NotAuthorised):
        sources.hukou_person(id_number=ZHANG_SON)
    assert wire.seen == [] and not Lookup.objects.exists()


def test_every_look_up_records_case_purpose_requester_authorisation_outcome_duration_and_answer(
    zhang, zhang_case, authorise
):
    clerk = UserFactory(clerk=True, real_name="王老师")
    auth = authorise(ZHANG_SON, sources=["hukou"], case=zhang_case)
    services.lookup(
        sources.hukou_person, id_number=ZHANG_SON, purpose="入学资格核验", case=zhang_case, requester=clerk
    )
    with pytest.raises(NotFound):
        authorise(UNKNOWN, sources=["hukou"])
        services.lookup(sources.hukou_person, id_number=UNKNOWN, purpose="入学资格核验")
    ok, missing = Lookup.objects.order_by("pk")
    assert (ok.case, ok.purpose, ok.requester, ok.authorisation, ok.outcome) == (
        zhang_case,
        "入学资格核验",
        clerk,
        auth,
        Outcome.OK,
    )
    assert "王老师" in ok.requester_label and ok.attempts == 1 and ok.http_status == 200
    assert ok.duration_ms >= 0 and ok.query == {"id_number": ZHANG_SON}
    assert ok.answer["data"]["name"] == "张小明"
    canonical = json.dumps(ok.answer, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    assert ok.answer_sha256 == hashlib.sha256(canonical).hexdigest() == answer_digest(ok.answer)
    assert (missing.outcome, missing.http_status, missing.requester_label) == (
        Outcome.NOT_FOUND,
        404,
        services.SYSTEM_LABEL,
    )
    assert missing.answer == {"code": "not_found", "message": "no such person in the household registry"}


def test_answers_and_id_numbers_are_encrypted_at_rest(zhang, zhang_case, look):
    look(sources.hukou_household, id_number=ZHANG_SON)
    with connection.cursor() as cursor:
        for table in ("exchange_lookup", "exchange_authorisation"):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - fixed table names
            text = " ".join(str(v) for row in cursor.fetchall() for v in row)
            for secret in (ZHANG_SON, ZHANG_FATHER, "张小明", "张𠈌", "新城路"):
                assert secret not in text, (table, secret)
    row = Lookup.objects.get()
    assert row.answer_intact and row.answer["data"]["members"][0]["name"] == "张𠈌"


def test_look_ups_are_append_only_and_authorisations_only_revoked(zhang, look, authorise):
    look(sources.hukou_person, id_number=ZHANG_SON)
    row = Lookup.objects.get()
    row.purpose = "changed"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        Lookup.objects.all().delete()
    auth = Authorisation.objects.first()
    with pytest.raises(AppendOnlyError):
        auth.save()
    services.authorisation_revoke(authorisation=auth, by=zhang)
    assert auth.revoked_at is not None and not auth.covers("hukou")
    if connection.vendor == "postgresql":  # the database refuses too, even raw SQL
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE exchange_lookup SET purpose = 'x'")
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE exchange_authorisation SET purpose = 'x'")
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM exchange_authorisation")
