"""After-school care test world: a district with two primary schools, a one-off care fee, a programme at
school P1 with a 16:30 slot of two seats and a 17:30 slot of one, and families written into the sandbox
registries (户籍, birth records) in the contract's fixture format (load_registry), their children's
student records (学籍) on the studentstatus platform. The payment
platform is the sandbox's, reached over the signed HTTP client in-process."""

import datetime as dt
import itertools
import json

import pytest
from django.core.management import call_command

from afterschool.models import Program, ProgramSlot
from payments.models import Billing, FeeItem, FeeKind
from portal.cases import services as case_services
from portal.catalog.models import ServiceItem
from portal.catalog.registry import sync_catalog
from portal.core.idcodes import id_check_char
from portal.orgs.models import School
from studentstatus.services import record_enrol
from tests.factories import DistrictFactory, SchoolFactory, UserFactory

# The spring term of 2026 (its holidays are in the pinned chinese_calendar): 2026-03-02 to 2026-07-03.
# Applications are open around the real today, as the payment platform dates its bills by the real clock;
# tests of withdrawals set the date to a day of the term (``set_today``) once the bill is paid.
TERM_STARTS, TERM_ENDS = dt.date(2026, 3, 2), dt.date(2026, 7, 3)
_seq = itertools.count(101)


def new_id(birth: str, *, male: bool) -> str:
    n = next(_seq) * 2 + (1 if male else 0)
    first17 = f"330411{birth.replace('-', '')}{n % 1000:03d}"
    return first17 + id_check_char(first17)


@pytest.fixture(autouse=True)
def _no_archive_packages():
    """An enrolled application closes its case; packaging it for the archive is tested in tests/archive."""
    from archive.signals import queue_package
    from portal.cases.signals import case_closed

    case_closed.disconnect(dispatch_uid="archive.queue_package")
    yield
    case_closed.connect(queue_package, dispatch_uid="archive.queue_package")


@pytest.fixture
def set_today(monkeypatch):
    def _set(day: dt.date) -> None:
        monkeypatch.setattr(case_services, "local_today", lambda: day)
        monkeypatch.setattr(case_services.common, "local_today", lambda: day)

    return _set


@pytest.fixture
def world(db, settings):
    settings.EXCHANGE_RETRY_BACKOFF = 0.0
    if not ServiceItem.objects.filter(code="ASC").exists():  # a transactional test flushed the catalogue
        sync_catalog()
    today = case_services.local_today()
    district = DistrictFactory(code="330411", name="秀洲区")
    p1 = SchoolFactory(district=district, code="P1", name="实验小学")
    p2 = SchoolFactory(district=district, code="P2", name="王店小学")
    fee = FeeItem.objects.create(
        code="asc-p1",
        name="课后托管服务费",
        kind=FeeKind.AFTERSCHOOL_CARE,
        billing=Billing.ONE_OFF,
        district=district,
        school=p1,
        amount_fen=90000,  # ¥900.00 for the term
        days_to_pay=7,
    )
    program = Program.objects.create(
        school=p1,
        name="课后托管（春季）",
        term="2025学年第二学期",
        term_starts=TERM_STARTS,
        term_ends=TERM_ENDS,
        grades="1-6",
        weekdays="1-5",
        fee_item=fee,
        applications_open=today - dt.timedelta(days=10),
        applications_close=today + dt.timedelta(days=60),
        teachers="周老师、吴老师",
    )
    early = ProgramSlot.objects.create(program=program, leave_at="16:30", capacity=2)
    late = ProgramSlot.objects.create(program=program, leave_at="17:30", capacity=1)
    return type(
        "World",
        (),
        {
            "district": district,
            "p1": p1,
            "p2": p2,
            "fee": fee,
            "program": program,
            "early": early,
            "late": late,
        },
    )


class Family:
    """A parent with a child at school ``school_code`` in ``grade``; ``load()`` writes the registries."""

    def __init__(self, tmp_path, *, school_code="P1", grade=3, name="王小𬌗", class_name="三(2)班"):
        self.tmp_path = tmp_path
        self.father = new_id("1986-04-02", male=True)
        self.mother = new_id("1988-09-09", male=False)
        self.child = new_id("2017-05-06", male=True)
        self.child_name = name
        self.school_code = school_code
        self.grade = grade
        self.class_name = class_name
        self.guardian = UserFactory(real_name="王𠈌", id_number=self.father)

    def payload(self) -> dict:
        household = f"H-{self.father[-6:]}"
        hukou = {
            "household_no": household,
            "address": "秀洲区新城街道1号",
            "community_code": "C1",
            "move_in_date": "2015-01-01",
        }
        persons = [
            {
                "id_number": self.father,
                "name": "王𠈌",
                "gender": "M",
                "birth_date": "1986-04-02",
                "phone": None,
                "hukou": {**hukou, "relation": "head"},
            },
            {
                "id_number": self.mother,
                "name": "李䶮",
                "gender": "F",
                "birth_date": "1988-09-09",
                "phone": None,
                "hukou": {**hukou, "relation": "spouse"},
            },
            {
                "id_number": self.child,
                "name": self.child_name,
                "gender": "M",
                "birth_date": "2017-05-06",
                "phone": None,
                "hukou": {**hukou, "relation": "child"},
            },
        ]
        return {
            "persons": persons,
            "births": [
                {
                    "cert_no": f"Q{self.child[-8:]}",
                    "child_id": self.child,
                    "mother_id": self.mother,
                    "father_id": self.father,
                }
            ],
        }

    def load(self):
        path = self.tmp_path / f"family-{self.father}.json"
        path.write_text(json.dumps(self.payload(), ensure_ascii=False), encoding="utf-8")
        call_command("load_registry", str(path), verbosity=0)
        if self.school_code:  # the pupil's 学籍, on the studentstatus platform
            record_enrol(
                id_number=self.child,
                name=self.child_name,
                school=School.objects.get(code=self.school_code),
                stage="primary",
                entry_year=2026 - self.grade,
                grade=self.grade,
                class_name=self.class_name,
            )
        return self


@pytest.fixture
def family(tmp_path, world):
    def _family(**kwargs) -> Family:
        return Family(tmp_path, **kwargs).load()

    return _family


@pytest.fixture
def clerk(world):
    return UserFactory(clerk=True, school=world.p1, real_name="张老师")


@pytest.fixture
def other_clerk(world):
    return UserFactory(clerk=True, school=world.p2, real_name="李老师")


@pytest.fixture
def bureau(world):
    return UserFactory(bureau=True, district=world.district, real_name="陈科长")


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """Call a service and let its after-commit work run (bills registered, messages, signals)."""

    def _act(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = fn(**kwargs)
        if hasattr(result, "refresh_from_db"):
            result.refresh_from_db()
        return result

    return _act


@pytest.fixture
def apply(world, act):
    from afterschool.services import application_submit

    def _apply(fam, slot="16:30", program=None):
        return act(
            application_submit,
            guardian=fam.guardian,
            program=program or world.program,
            student_id_number=fam.child,
            slot=slot,
        )

    return _apply


@pytest.fixture
def pay(client, django_capture_on_commit_callbacks):
    """The family pays the application's bill on the sandbox platform's pay page."""

    def _pay(application):
        application.refresh_from_db()
        order = application.order
        order.refresh_from_db()
        assert order.payment_code, "the bill has no payment code from the platform"
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/sandbox/payments/pay/{order.payment_code}/", {"action": "pay"})
        assert response.status_code == 302
        application.refresh_from_db()
        order.refresh_from_db()
        return order

    return _pay
