"""The materials list per kind of application: edited in the admin, copied onto each application, the
fetchable materials fetched through the exchange (an upload when the registry has nothing or is down),
容缺 naming the missing non-key materials, key materials missing refused; shown on the pages and the API."""

import pytest
from rest_framework.test import APIClient

from licensing.models import ApplicationState as S
from licensing.models import Institution, Kind, KindMaterial
from licensing.services import application_approve, application_supplement
from portal.cases.workflow import ActionNotAllowed
from sandbox import models as reg
from tests.factories import UserFactory, tiny_pdf
from tests.licensing.conftest import ADDRESS, CREDIT, DEPARTMENTS, key_uploads

pytestmark = pytest.mark.django_db
CODES = [c for c, _n in DEPARTMENTS]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def by_name(application) -> dict:
    from licensing.services import materials

    return {m["name"]: m for m in materials(application)}


@pytest.fixture
def licensed_institution(rep, enterprise):
    """For a change or a termination: the institution already holds a licence."""
    return Institution.objects.create(
        credit_code=CREDIT, name="秀洲区启明𠈌学校", representative=rep, licensed=True, licence_no="教民X"
    )


@pytest.mark.parametrize("kind", Kind.values)
def test_each_kind_has_its_own_list_copied_onto_the_application(kind, apply, licensed_institution):
    configured = list(KindMaterial.objects.filter(kind=kind).values_list("name", flat=True))
    assert configured, f"no default list for {kind}"
    application = apply(kind=kind)
    assert [m["name"] for m in application.materials] == configured
    others = set(KindMaterial.objects.exclude(kind=kind).values_list("name", flat=True)) - set(configured)
    assert not others & set(by_name(application))  # another kind's materials are not asked for


def test_the_lists_differ_per_kind(db):
    lists = {k: set(KindMaterial.objects.filter(kind=k).values_list("name", flat=True)) for k in Kind.values}
    assert "学校章程" in lists["establishment"] and "学校章程" not in lists["termination"]
    assert "财务清算报告" in lists["termination"] and "财务清算报告" not in lists["establishment"]
    assert len({frozenset(v) for v in lists.values()}) == 4


def test_fetchable_materials_are_fetched_and_shown_as_fetched(apply, rep):
    from tests.licensing.conftest import PREMISES_CERT

    application = apply()
    items = by_name(application)
    assert items["举办者主体资格信息"]["fetched"] and items["举办者主体资格信息"]["source"] == "fetched"
    premises = items["校舍不动产信息"]
    assert premises["fetched"] and premises["present"] and PREMISES_CERT in premises["reason"]
    assert not items["申办报告"]["fetched"] and items["申办报告"]["source"] == "upload"
    body = api(rep).get(f"/api/v1/licensing/applications/{application.case.reference_no}/").json()
    listed = {m["name"]: m for m in body["materials"]}
    assert listed["校舍不动产信息"]["source"] == "fetched" and listed["校舍不动产信息"]["fetched"] is True
    assert listed["申办报告"] == {
        "name": "申办报告",
        "key": True,
        "required": True,
        "source": "upload",
        "registry": "",
        "fetched": False,
        "uploaded": False,
        "missing": False,
        "reason": "",
    }
    event = application.case.events.get(action="licensing.checked")
    assert set(event.data["fetched"]) == {"举办者主体资格信息", "校舍不动产信息"}


@pytest.mark.parametrize("why", ["no-title", "registry-down"])
def test_premises_not_fetched_become_an_upload_and_rongque_names_them(
    why, apply, upload, bureau, decide, premises
):
    if why == "no-title":
        reg.PropertyOwner.objects.filter(property=premises).delete()
    else:
        reg.SourceFault.objects.create(source="property", error_rate=1.0)
    application = apply()
    item = by_name(application)["校舍不动产信息"]
    assert item["source"] == "upload" and not item["fetched"] and not item["present"]
    upload(application, *key_uploads(application))
    application_approve(application=application, by=bureau)  # 容缺: the bureau names nothing itself
    application.refresh_from_db()
    assert application.state == S.IN_JOINT_REVIEW
    assert application.missing_materials == ["校舍不动产信息"] and application.supplement_due
    assert by_name(application)["校舍不动产信息"]["missing"]
    for code in CODES:
        application = decide(application, code)
    application_approve(application=application, by=bureau)
    application.refresh_from_db()
    assert application.state == S.APPROVED  # no licence before the supplement
    upload(application, "校舍不动产信息")
    application_supplement(application=application, by=application.applicant)
    application.refresh_from_db()
    assert application.state == S.LICENCE_ISSUED


def test_key_materials_missing_cannot_be_accepted_with_a_clear_message(apply, upload, bureau):
    application = apply()
    upload(application, "申办报告")
    response = api(bureau).post(
        f"/api/v1/licensing/applications/{application.case.reference_no}/actions/approve/", {}, format="json"
    )
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "学校章程" in detail and "资产来源、资金数额及有效证明文件" in detail and "申办报告" not in detail
    application.refresh_from_db()
    assert application.state == S.AWAITING_MATERIALS


def test_rongque_cannot_name_a_key_material_or_one_not_on_the_list(apply, upload, bureau):
    application = apply()
    upload(application, *key_uploads(application))
    url = f"/api/v1/licensing/applications/{application.case.reference_no}/actions/approve/"
    key = api(bureau).post(url, {"missing": ["学校章程"]}, format="json")
    assert key.status_code == 409 and "学校章程" in key.json()["detail"]
    unknown = api(bureau).post(url, {"missing": ["财务清算报告"]}, format="json")  # termination's
    assert unknown.status_code == 400 and "missing" in unknown.json()
    named = api(bureau).post(url, {"missing": ["校舍租赁合同"]}, format="json")
    assert named.status_code == 200 and named.json()["missing_materials"] == ["校舍租赁合同"]


def test_a_kind_with_all_key_materials_fetched_or_uploaded_has_nothing_missing(
    apply, upload, bureau, licensed_institution
):
    application = apply(kind="termination")
    assert key_uploads(application) == ["终止办学申请", "财务清算报告", "学生安置方案"]
    upload(application, *key_uploads(application))
    application_approve(application=application, by=bureau)
    application.refresh_from_db()
    assert application.state == S.IN_JOINT_REVIEW and application.missing_materials == []


def test_upload_must_be_a_material_of_the_list(apply, rep):
    from django.core.files.uploadedfile import SimpleUploadedFile

    application = apply()
    response = api(rep).post(
        f"/api/v1/licensing/applications/{application.case.reference_no}/attachments/",
        {
            "kind": "财务清算报告",
            "file": SimpleUploadedFile("a.pdf", tiny_pdf(), content_type="application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 400 and "kind" in response.json()


def test_the_bureau_edits_a_list_in_the_admin_and_new_applications_follow_it(
    client, apply, upload, bureau, rep
):
    admin = UserFactory(bureau=True, district=bureau.district, is_staff=True)
    client.force_login(admin)
    changelist = client.get("/admin/licensing/kindmaterial/?kind__exact=preparation")
    assert changelist.status_code == 200 and "筹设申请报告" in changelist.content.decode()
    response = client.post(
        "/admin/licensing/kindmaterial/add/",
        {"kind": "preparation", "name": "消防安全承诺书", "source": "upload", "key": "on", "required": "on",
         "note": "", "order": 9},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    application = apply(kind="preparation")
    assert "消防安全承诺书" in by_name(application)
    assert "消防安全承诺书" in key_uploads(application)
    upload(application, *[n for n in key_uploads(application) if n != "消防安全承诺书"])
    with pytest.raises(ActionNotAllowed) as exc:
        application_approve(application=application, by=bureau)
    assert "消防安全承诺书" in exc.value.messages[0]


def test_pages_show_the_list_per_kind_and_what_was_fetched(client, apply, rep, bureau):
    client.force_login(rep)
    html = client.get("/licensing/apply/").content.decode()
    html = html[html.index('id="h-lists"') :]  # the lists' section, not the title or the form
    for kind in Kind.values:
        for name in KindMaterial.objects.filter(kind=kind).values_list("name", flat=True):
            assert name in html
    assert "筹设" in html and "终止" in html
    application = apply()
    html = client.get(f"/licensing/applications/{application.case.reference_no}/").content.decode()
    row = html[html.find('data-material="校舍不动产信息"') :]
    row = row[: row.find("</tr>")]
    assert "已获取" in row and ADDRESS in row
    client.force_login(bureau)
    html = client.get(f"/licensing/bureau/{application.case.reference_no}/").content.decode()
    assert "关键材料缺失" in html and "学校章程" in html
