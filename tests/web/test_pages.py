"""Public pages render in Chinese by default and in English on request; the catalogue and its guides."""

import pytest

from portal.catalog.models import ServiceItem

pytestmark = pytest.mark.django_db


def test_home_page_is_chinese_by_default(client, catalogue):
    response = client.get("/")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'lang="zh-hans"' in text
    assert "办事指南" in text and "我的办件" in text and "登录" in text
    assert "Service guides" not in text


def test_home_page_lists_the_catalogue_grouped(client, catalogue):
    text = client.get("/").content.decode()
    assert "入学入园" in text and "义务教育入学（入学一件事）" in text, (
        "the home page needs its view: path('', portal.catalog.views.home, name='home') in portal/urls.py"
    )
    assert text.index("入学入园") < text.index("教师与学校")


def test_home_page_in_english_with_accept_language(client, catalogue):
    text = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in text
    assert "Service guides" in text and "My cases" in text and "Sign in" in text
    assert "办事指南" not in text


def test_language_cookie_and_switch(client, catalogue, english):
    assert "Service guides" in client.get("/services/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/services/"})
    assert response.status_code == 302
    assert "办事指南" in client.get("/services/").content.decode()


def test_catalogue_lists_published_items(client, catalogue):
    ServiceItem.objects.filter(code="PSL").update(published=False)
    response = client.get("/services/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "办事指南" in text
    assert "义务教育入学（入学一件事）" in text and "教师资格认定" in text
    assert "民办学校审批" not in text
    assert "即办" in text  # FEE is decided on the spot
    assert "5 个工作日内办结" in text  # ENR promises 5 working days
    assert "全程网办" in text


def test_guide_page_shows_every_guide_field(client, catalogue):
    response = client.get("/services/ENR/")
    assert response.status_code == 200
    text = response.content.decode()
    item = ServiceItem.objects.get(code="ENR")
    for value in (item.name, item.department, item.fee, item.office_hours, item.contact_address):
        assert value in text
    assert "适用对象" in text and "办理条件" in text and "申请材料" in text and "办理流程" in text
    assert "设定依据" in text and "《中华人民共和国义务教育法》第十二条" in text
    assert "系统自动获取" in text and "需上传" in text
    assert "出生医学证明" in text and "户籍" in text
    assert "无需跑动" in text


def test_guide_page_marks_originals_checked_at_the_counter(client, catalogue):
    text = client.get("/services/PSL/").content.decode()
    assert "窗口核验原件" in text


def test_guide_page_in_english(client, catalogue, english):
    text = client.get("/services/ENR/").content.decode()
    assert "Who may apply" in text and "Materials" in text and "Fetched by the portal" in text


@pytest.mark.parametrize("code", ["NOPE", "enr-x", "XYZ123"])
def test_unknown_code_is_404(client, catalogue, code):
    response = client.get(f"/services/{code}/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_unpublished_item_is_404(client, catalogue):
    ServiceItem.objects.filter(code="TCH").update(published=False)
    assert client.get("/services/TCH/").status_code == 404


def test_standard_items_are_all_registered(catalogue):
    codes = set(ServiceItem.objects.values_list("code", flat=True))
    assert {"ENR", "KGE", "TRF", "SUS", "FEE", "ASC", "AID", "TCH", "PSL"} <= codes
    enr = ServiceItem.objects.get(code="ENR")
    sources = set(enr.materials.values_list("source", flat=True))
    assert {"fetched", "upload"} <= sources
    assert enr.steps.count() == 7
    assert set(enr.materials.exclude(registry="").values_list("registry", flat=True)) >= {
        "户籍",
        "不动产",
        "社保",
        "出生医学证明",
        "婚姻登记",
        "学籍",
    }


def test_500_page_renders_without_the_database(settings):
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        html = render_to_string("500.html")
    assert len(queries) == 0
    assert "<h1>" in html


def test_home_page_summarises_my_open_cases(client, catalogue):
    from tests.factories import CaseFactory, UserFactory

    parent = UserFactory()
    mine = CaseFactory(applicant=parent)
    theirs = CaseFactory()
    client.force_login(parent)
    text = client.get("/").content.decode()
    assert "我的在办办件" in text
    assert mine.reference_no in text and theirs.reference_no not in text
