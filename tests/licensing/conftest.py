"""Licensing test world: a district, the five joint-review departments with a reviewer each, bureau staff,
an institution's representative whose organisation is in the sandbox's market-regulation registry (reached
over HTTP in-process), and the sandbox courier."""

import datetime as dt

import pytest

from portal.orgs.models import Department
from sandbox import models as reg
from tests.factories import DistrictFactory, UserFactory, make_id_number, tiny_pdf

REP_ID = make_id_number(dt.date(1980, 5, 6), 215)
REP_NAME = "李𠈌"
CREDIT = "91110108551385082Q"
ADDRESS = "浙江省嘉兴市秀洲区新城街道洪兴路 200 号"
DEPARTMENTS = [
    ("MARKET", "区市场监督管理局"),
    ("CIVIL", "区民政局"),
    ("FIRE", "区消防救援大队"),
    ("ENV", "区生态环境分局"),
    ("HOUSING", "区住房和城乡建设局"),
]
KEY_MATERIALS = ["申办报告", "学校章程", "资产来源、资金数额及有效证明文件"]  # establishment's uploads
PREMISES_CERT = "浙(2025)嘉兴市不动产权第0200200号"


def key_uploads(application) -> list[str]:
    """The key materials of the application's list the applicant uploads (the kind's own)."""
    from licensing.services import materials

    return [m["name"] for m in materials(application) if m["key"] and m["source"] == "upload"]


@pytest.fixture(autouse=True)
def _fast_exchange(settings):
    settings.EXCHANGE_RETRY_BACKOFF = 0.0
    settings.EXCHANGE_MAX_ATTEMPTS = 2


@pytest.fixture(autouse=True)
def _no_archive_packages():
    from archive.signals import queue_package
    from portal.cases.signals import case_closed

    case_closed.disconnect(dispatch_uid="archive.queue_package")
    yield
    case_closed.connect(queue_package, dispatch_uid="archive.queue_package")


@pytest.fixture
def district(db):
    return DistrictFactory(code="330411", name="秀洲区")


@pytest.fixture
def departments(db):
    return [Department.objects.create(code=code, name=name) for code, name in DEPARTMENTS]


@pytest.fixture
def reviewers(departments):
    return {d.code: UserFactory(reviewer=True, department=d, real_name=f"审核{d.code}") for d in departments}


@pytest.fixture
def bureau(district):
    return UserFactory(bureau=True, district=district, real_name="陈科长")


@pytest.fixture
def rep(db):
    return UserFactory(real_name=REP_NAME, id_number=REP_ID, phone="13900002222", email="")


@pytest.fixture
def enterprise(db, premises):
    return reg.Enterprise.objects.create(
        credit_code=CREDIT,
        name="嘉兴市秀洲区启明教育咨询有限公司",
        legal_rep_id=REP_ID,
        status="active",
        address=ADDRESS,
    )


@pytest.fixture
def premises(db):
    """The school's premises, a title of the representative in the sandbox's real-estate registry."""
    title = reg.Property.objects.create(
        cert_no=PREMISES_CERT,
        address=ADDRESS,
        community_code="330411009",
        area_m2="3200.00",
        registered_date=dt.date(2025, 6, 1),
        use="commercial",
    )
    reg.PropertyOwner.objects.create(property=title, id_number=REP_ID)
    return title


def form(**changes) -> dict:
    return {
        "kind": "establishment",
        "credit_code": CREDIT,
        "school_name": "秀洲区启明𠈌学校",
        "level": "primary",
        "address": ADDRESS,
        "capacity": 480,
        **changes,
    }


@pytest.fixture
def apply(rep, district, departments, enterprise, django_capture_on_commit_callbacks):
    from licensing.services import application_apply

    def _apply(user=None, **changes):
        with django_capture_on_commit_callbacks(execute=True):
            application = application_apply(applicant=user or rep, **form(**changes))
        application.refresh_from_db()
        return application

    return _apply


@pytest.fixture
def upload(rep, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.cases.services import attachment_add

    def _upload(application, *names):
        for name in names:
            with django_capture_on_commit_callbacks(execute=True):
                attachment_add(
                    case=application.case,
                    by=rep,
                    kind=name,
                    uploaded_file=SimpleUploadedFile("f.pdf", tiny_pdf(name), content_type="application/pdf"),
                )

    return _upload


@pytest.fixture
def accepted(apply, upload, bureau, django_capture_on_commit_callbacks):
    """An application accepted by the bureau (容缺 when ``missing`` is given), in joint review."""
    from licensing.services import application_approve

    def _accepted(missing=(), **changes):
        application = apply(**changes)
        upload(application, *key_uploads(application))
        with django_capture_on_commit_callbacks(execute=True):
            application_approve(application=application, by=bureau, missing=list(missing))
        application.refresh_from_db()
        return application

    return _accepted


@pytest.fixture
def decide(reviewers, django_capture_on_commit_callbacks):
    from licensing.services import review_decide

    def _decide(application, code, approve=True, note=""):
        review = application.reviews.get(department__code=code)
        with django_capture_on_commit_callbacks(execute=True):
            review_decide(
                review=review,
                by=reviewers[code],
                approve=approve,
                note=note or ("同意" if approve else "不符合消防要求"),
            )
        application.refresh_from_db()
        return application

    return _decide


@pytest.fixture
def courier(client, django_capture_on_commit_callbacks):
    def advance(delivery, to=""):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/sandbox/courier/shipments/{delivery.tracking_no}/advance/", {"to": to})
        delivery.refresh_from_db()
        return response

    return advance
