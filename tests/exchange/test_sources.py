"""Every typed look-up against the contract fixture, over signed HTTP to the sandbox registries."""

from datetime import date
from decimal import Decimal

import pytest

from exchange import sources
from exchange.errors import Mismatch, NotFound
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

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _registry(registry):
    pass


def test_hukou_person_with_rare_and_minority_names(look):
    father = look(sources.hukou_person, id_number=ZHANG_FATHER)
    assert father == sources.HukouPerson(
        id_number=ZHANG_FATHER,
        name="张𠈌",
        gender="M",
        birth_date=date(1985, 3, 12),
        household_no="H330411001",
        address="嘉兴市秀洲区新城路18号3幢502室",
        community_code="C001",
        move_in_date=date(2015, 6, 1),
        relation="head",
    )
    assert look(sources.hukou_person, id_number=ZHANG_MOTHER, name="阿依古丽·买买提").relation == "spouse"
    assert look(sources.hukou_person, id_number=LI_FATHER.lower()).name == "李䶮"  # lower-case x accepted


def test_hukou_person_mismatch_and_not_found(look):
    with pytest.raises(Mismatch) as exc:
        look(sources.hukou_person, id_number=ZHANG_FATHER, name="张三")
    assert exc.value.fields == ("name",)
    with pytest.raises(NotFound):
        look(sources.hukou_person, id_number=UNKNOWN)


def test_hukou_household_lists_every_member_head_first(look):
    household = look(sources.hukou_household, id_number=ZHANG_SON)
    assert household.household_no == "H330411001" and household.community_code == "C001"
    assert household.head.id_number == ZHANG_FATHER
    assert [m.relation for m in household.members] == ["head", "spouse", "parent", "child", "child"]
    twins = [m for m in household.members if m.relation == "child"]
    assert {m.id_number for m in twins} == {ZHANG_SON, ZHANG_DAUGHTER}
    assert {m.birth_date for m in twins} == {date(2020, 5, 1)}
    assert household.member(ZHANG_GRANDPA).name == "张建国"
    # guardians on different 户口簿: the divorced father is not on the child's booklet
    chen = look(sources.hukou_household, id_number=CHEN_CHILD)
    assert chen.member(LIU_FATHER) is None and chen.head.id_number == CHEN_MOTHER


def test_properties_by_owner(look):
    (home,) = look(sources.properties_by_owner, id_number=ZHANG_MOTHER)
    assert home == sources.Property(
        cert_no="浙(2015)嘉兴市不动产权第0012345号",
        owner_ids=(ZHANG_FATHER, ZHANG_MOTHER),
        address="嘉兴市秀洲区新城路18号3幢502室",
        community_code="C001",
        area_m2=Decimal("89.50"),
        registered_date=date(2015, 5, 20),
        use="residential",
    )
    # full-width brackets in the fixture are stored half-width
    assert [p.cert_no for p in look(sources.properties_by_owner, id_number=LIU_FATHER)] == [
        "浙(2019)嘉兴市不动产权第0054321号",
        "浙(2021)嘉兴市不动产权第0077777号",
    ]
    assert look(sources.properties_by_owner, id_number=LI_FATHER) == ()


def test_sole_residence_proof(look):
    proof = look(
        sources.sole_residence_proof, id_number=ZHANG_FATHER, cert_no="浙（2015）嘉兴市不动产权第0012345号"
    )
    assert proof.sole and proof.residential_count == 1
    two_homes = look(
        sources.sole_residence_proof, id_number=LIU_FATHER, cert_no="浙(2021)嘉兴市不动产权第0077777号"
    )
    assert not two_homes.sole and two_homes.residential_count == 2
    with pytest.raises(Mismatch):  # not the owner
        look(sources.sole_residence_proof, id_number=LI_FATHER, cert_no="浙(2015)嘉兴市不动产权第0012345号")
    with pytest.raises(NotFound):
        look(
            sources.sole_residence_proof, id_number=ZHANG_FATHER, cert_no="浙(2015)嘉兴市不动产权第0000001号"
        )


def test_no_property_proof(look):
    assert look(sources.no_property_proof, id_number=LI_FATHER) == sources.NoPropertyProof(
        id_number=LI_FATHER, owns_property=False, residential_count=0
    )
    assert look(sources.no_property_proof, id_number=ZHANG_FATHER).owns_property
    # a commercial unit is not a home
    assert not look(sources.no_property_proof, id_number=CHEN_MOTHER).owns_property
    with pytest.raises(NotFound):  # never a proof for an unregistered number
        look(sources.no_property_proof, id_number=UNKNOWN)


def test_residence_permit_lease_and_social_insurance(look):
    permit = look(sources.residence_permit, id_number=LI_FATHER)
    assert permit.community_code == "C002" and permit.valid_on(date(2026, 9, 1))
    assert permit.issued_date == date(2021, 3, 1) and not permit.valid_on(date(2027, 3, 1))
    with pytest.raises(NotFound):
        look(sources.residence_permit, id_number=LI_MOTHER)
    (lease,) = look(sources.leases_by_tenant, id_number=LI_MOTHER)
    assert lease.lease_no == "ZL3304112023000158" and lease.tenant_ids == (LI_FATHER, LI_MOTHER)
    assert lease.end_date == date(2027, 2, 28)
    assert look(sources.leases_by_tenant, id_number=ZHANG_FATHER) == ()
    records = look(sources.social_insurance, id_number=LI_FATHER)
    assert {(r.city, r.first_month, r.months_paid) for r in records} == {
        ("嘉兴市", "2021-04", 36),
        ("郑州市", "2016-01", 12),
    }
    assert look(sources.social_insurance, id_number=LI_MOTHER) == ()


def test_birth_record(look):
    record = look(sources.birth_record, child_id=CHEN_CHILD, parent_id=LIU_FATHER)
    assert record == sources.BirthRecord(
        cert_no="Q330000004", child_id=CHEN_CHILD, mother_id=CHEN_MOTHER, father_id=LIU_FATHER
    )
    with pytest.raises(Mismatch):
        look(sources.birth_record, child_id=LI_CHILD, parent_id=ZHANG_FATHER)
    with pytest.raises(NotFound):
        look(sources.birth_record, child_id=ZHANG_GRANDPA)


def test_marriages(look):
    (divorce,) = look(sources.marriages, id_number=LIU_FATHER)
    assert divorce.status == "divorced" and set(divorce.party_ids) == {CHEN_MOTHER, LIU_FATHER}
    assert look(sources.marriages, id_number=ZHANG_FATHER, spouse_id=ZHANG_MOTHER)[0].status == "married"
    with pytest.raises(Mismatch):
        look(sources.marriages, id_number=ZHANG_FATHER, spouse_id=LI_MOTHER)
    assert look(sources.marriages, id_number=ZHANG_SON) == ()


def test_student_welfare_disability(look):
    (record,) = look(sources.student_records, id_number=CHEN_CHILD)
    assert (record.stage, record.grade, record.status, record.graduation_year) == (
        "primary",
        3,
        "enrolled",
        2029,
    )
    assert record.student_no == f"G{CHEN_CHILD}"
    assert look(sources.student_records, id_number=ZHANG_SON) == ()  # no primary 学籍 yet
    assert [w.type for w in look(sources.welfare_records, id_number=CHEN_MOTHER)] == ["dibao"]
    assert look(sources.welfare_records, id_number=ZHANG_FATHER) == ()
    assert look(sources.disability_record, id_number=ZHANG_GRANDPA) == sources.DisabilityRecord(
        ZHANG_GRANDPA, 2
    )
    with pytest.raises(NotFound):
        look(sources.disability_record, id_number=ZHANG_FATHER)


def test_degrees(look):
    (degree,) = look(sources.degrees, id_number=ZHANG_FATHER)
    assert (degree.degree, degree.institution, degree.year) == ("bachelor", "浙江大学", 2007)
    assert look(sources.degree_verify, id_number=ZHANG_FATHER, cert_no="103351200705000123") == degree
    with pytest.raises(Mismatch):
        look(sources.degree_verify, id_number=LI_FATHER, cert_no="103351200705000123")
    with pytest.raises(NotFound):
        look(sources.degree_verify, id_number=ZHANG_FATHER, cert_no="999")


def test_enterprise(look):
    company = look(sources.enterprise, credit_code="91110108551385082q", legal_rep_id=ZHANG_FATHER)
    assert company.is_active and company.name == "嘉兴市启明教育咨询有限公司"
    with pytest.raises(Mismatch):
        look(sources.enterprise, credit_code="91110108551385082Q", legal_rep_id=LI_FATHER)
