"""Archive test world: a district with two schools, a service item, staff of each kind, a session-wide
signing key, and ``closed_case()`` which opens a case through the kernel, adds a PDF and a PNG attachment
and closes it — its package is made by the real path (signal → on_commit → task)."""

import datetime as dt
import io

import pytest

from archive import keys
from portal.cases import services as cases
from portal.catalog.models import DecisionMode, RetentionPeriod
from tests.factories import (
    DistrictFactory,
    SchoolFactory,
    ServiceItemFactory,
    UserFactory,
    make_id_number,
    tiny_pdf,
)

RARE_NAME = "王小𬌗"
PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


class Upload(io.BytesIO):
    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name = name
        self.size = len(data)


@pytest.fixture(scope="session")
def _archive_key(tmp_path_factory):
    path = tmp_path_factory.mktemp("archive-key") / "signing-key.pem"
    keys._generate(path)
    return path


@pytest.fixture(autouse=True)
def _archive_settings(settings, _archive_key):
    settings.ARCHIVE_SIGNING_KEY_FILE = str(_archive_key)
    settings.ARCHIVE_TRUSTED_KEYS = []
    settings.ARCHIVE_ROOT = ""  # MEDIA_ROOT/archive, a fresh tmp folder per test


@pytest.fixture
def district(db):
    return DistrictFactory()


@pytest.fixture
def school(district):
    return SchoolFactory(district=district, name="实验小学")


@pytest.fixture
def other_school(district):
    return SchoolFactory(district=district, name="王店小学")


@pytest.fixture
def service(db):
    return ServiceItemFactory(
        code="TST",
        name="测试事项",
        department="区教育局基础教育科",
        decision_mode=DecisionMode.PROMISED,
        promised_days=5,
        retention_period=RetentionPeriod.Y10,
    )


@pytest.fixture
def clerk(school):
    return UserFactory(clerk=True, school=school)


@pytest.fixture
def other_clerk(other_school):
    return UserFactory(clerk=True, school=other_school)


@pytest.fixture
def bureau(district):
    return UserFactory(bureau=True, district=district)


@pytest.fixture
def closed_case(service, district, school, clerk, django_capture_on_commit_callbacks):
    """``closed_case(transition="complete", attachments=True)``: a closed case and its package."""

    def _make(*, transition="complete", attachments=True, subject_name=RARE_NAME, **open_kwargs):
        applicant = UserFactory()
        kwargs = {
            "service": service,
            "applicant": applicant,
            "subject_name": subject_name,
            "subject_id_number": make_id_number(dt.date(2020, 5, 1), 13),
            "channel": "online",
            "district": district,
            "school": school,
        }
        kwargs.update(open_kwargs)
        case = cases.case_open(**kwargs)
        if attachments:
            cases.attachment_add(
                case=case, by=applicant, kind="户口簿", uploaded_file=Upload(tiny_pdf(), "户口簿 首页.pdf")
            )
            cases.attachment_add(
                case=case, by=applicant, kind="照片", uploaded_file=Upload(PNG_1PX, "photo.png")
            )
        cases.case_transition(case=case, transition="start_processing", by=clerk)
        with django_capture_on_commit_callbacks(execute=True):
            cases.case_transition(case=case, transition=transition, by=clerk, note="材料齐全，予以办理")
        case.refresh_from_db()
        return case

    return _make
