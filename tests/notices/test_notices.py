"""Public notices (公示): period in working days, masked entries with only public fields, objections only
signed in and only during the period, answered by the district's bureau, the case waits until the end."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from portal.cases.models import CalendarDay
from portal.cases.workflow import ActionNotAllowed
from portal.notices import selectors, services
from portal.notices.models import Notice, NoticeEntry, Objection
from portal.notify.models import Message
from tests.factories import UserFactory
from tests.i18n import zh
from tests.notices.conftest import TODAY


def publish(service, cases, district, days=5, **kwargs):
    return services.notice_publish(
        service=service,
        title="2027年家庭经济困难学生资助名单公示",
        entries=[
            (case, {"name": case.subject_name, "school": "试验小学", "grade": "三年级", "level": "一档"})
            for case in cases
        ],
        period_working_days=days,
        by=None,
        district=district,
        **kwargs,
    )


# --- the period ---------------------------------------------------------------------------------------


def test_the_period_counts_working_days_over_a_weekend_and_a_holiday(today, service, cases, district):
    CalendarDay.objects.create(date=dt.date(2027, 5, 10), is_workday=False, note="地方假日")
    notice = publish(service, cases, district, days=2)
    # Friday; Saturday, Sunday and the Monday holiday do not count: Tuesday (1), Wednesday (2)
    assert (notice.starts_on, notice.ends_on) == (TODAY, dt.date(2027, 5, 12))
    weekend_only = publish(service, cases[:1], district, days=1, starts_on=dt.date(2027, 5, 14))
    assert weekend_only.ends_on == dt.date(2027, 5, 17)  # Friday + 1 → Monday


def test_a_period_of_no_working_days_or_a_missing_title_is_a_field_error(today, service, cases, district):
    with pytest.raises(ValidationError) as err:
        services.notice_publish(
            service=service, title="", entries=[], period_working_days=0, by=None, district=district
        )
    assert {"title", "period_working_days"} <= set(err.value.message_dict)


# --- masking -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["id_number", "reason", "disability", "hardship", "subject_id_number", "phone"]
)
def test_only_allowed_public_fields_can_be_published(today, service, cases, district, key):
    with pytest.raises(ValueError, match=key):
        services.notice_publish(
            service=service,
            title="公示",
            entries=[(cases[0], {"name": "王小明", key: "低保户"})],
            period_working_days=5,
            by=None,
            district=district,
        )
    assert not Notice.objects.exists()


def test_an_id_number_in_an_allowed_field_is_refused(today, service, cases, district):
    with pytest.raises(ValueError, match="ID"):
        services.notice_publish(
            service=service,
            title="公示",
            entries=[(cases[0], {"grade": cases[0].subject_id_number})],
            period_working_days=5,
            by=None,
            district=district,
        )


def _scan(text: str, cases):
    for case in cases:
        assert case.subject_name not in text
        assert case.subject_id_number not in text
    assert not re.search(r"\d{17}[\dXx]", text), "an ID number on a public notice"
    for word in ("低保", "特困", "残疾", "disab", "reason", "id_number"):
        assert word not in text


def test_the_page_and_the_api_show_masked_names_and_no_id_number_or_hardship(
    client, today, service, cases, district
):
    notice = publish(service, cases, district)
    page = client.get("/notices/")
    assert page.status_code == 200
    html = page.content.decode()
    detail = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "王*明" in html + detail and "李*华" in detail
    api = APIClient().get("/api/v1/notices/")
    assert api.status_code == 200
    body = api.json()
    assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 1
    result = body["results"][0]
    assert set(result) == {"id", "service", "title", "starts_on", "ends_on", "entries"}
    assert result["service"] == service.code and result["ends_on"] == notice.ends_on.isoformat()
    assert [e["name"] for e in result["entries"]] == ["王*明", "李*华", "赵*"]
    assert {"name", "school", "grade"} <= set(result["entries"][0])
    for text in (html, detail, api.content.decode()):
        _scan(text, cases)
    assert zh("Public notices (公示)") in html


def test_a_notice_outside_its_period_is_not_listed(client, today, service, cases, district):
    publish(service, cases, district, days=1)
    today.set(dt.date(2027, 5, 11))  # the period ended on Monday
    assert APIClient().get("/api/v1/notices/").json()["count"] == 0


# --- objections --------------------------------------------------------------------------------------

TEXT = "该生家庭实际经济状况良好，名单有误，请核查。"


def test_objections_need_a_signed_in_real_name_account(today, service, cases, district):
    notice = publish(service, cases, district)
    entry = notice.entries.first()
    api = APIClient()
    response = api.post(
        f"/api/v1/notices/{notice.pk}/objections/", {"entry": entry.pk, "text": TEXT}, format="json"
    )
    assert response.status_code in (401, 403)
    with pytest.raises(PermissionDenied):
        services.objection_raise(
            notice=notice, entry=entry, text=TEXT, by=UserFactory(real_name_verified_at=None)
        )
    with pytest.raises(PermissionDenied):
        services.objection_raise(notice=notice, entry=entry, text=TEXT, by=UserFactory(bureau=True))
    assert not Objection.objects.exists()


def test_an_objection_through_the_api_and_its_field_errors(today, service, cases, district, objector, bureau):
    notice = publish(service, cases, district)
    entry = notice.entries.first()
    api = APIClient()
    api.force_authenticate(objector)
    url = f"/api/v1/notices/{notice.pk}/objections/"
    bad = api.post(url, {"entry": "abc", "text": ""}, format="json")
    assert bad.status_code == 400 and {"entry", "text"} <= set(bad.json())
    other = publish(service, cases[:1], district)
    wrong = api.post(url, {"entry": other.entries.first().pk, "text": TEXT}, format="json")
    assert wrong.status_code == 400 and "entry" in wrong.json()
    short = api.post(url, {"entry": entry.pk, "text": "短"}, format="json")
    assert short.status_code == 400 and "text" in short.json()
    created = api.post(url, {"entry": entry.pk, "text": TEXT}, format="json")
    assert created.status_code == 201, created.content
    objection = Objection.objects.get()
    assert created.json()["case"] == objection.case.reference_no and objection.case.service.code == "OBJ"
    assert objection.case.status == "in_progress"
    assert Message.objects.filter(recipient=bureau, case=objection.case).exists()  # sent to review
    again = api.post(url, {"entry": entry.pk, "text": TEXT}, format="json")
    assert (
        again.status_code == 409
        and zh("Your objection to this notice is still under review.") in again.json()["detail"]
    )
    assert (
        api.post("/api/v1/notices/999999/objections/", {"entry": 1, "text": TEXT}, format="json").status_code
        == 404
    )


def test_objections_only_during_the_period(today, service, cases, district, objector):
    notice = publish(service, cases, district, days=1)  # Friday → Monday 2027-05-10
    api = APIClient()
    api.force_authenticate(objector)
    today.set(dt.date(2027, 5, 11))
    late = api.post(
        f"/api/v1/notices/{notice.pk}/objections/",
        {"entry": notice.entries.first().pk, "text": TEXT},
        format="json",
    )
    assert late.status_code == 409
    assert (
        zh("Objections are taken only during the public notice period, %(start)s to %(end)s.")
        in late.json()["detail"]
    )
    future = publish(service, cases, district, starts_on=dt.date(2027, 5, 20))
    with pytest.raises(ActionNotAllowed):
        services.objection_raise(notice=future, entry=None, text=TEXT, by=objector)


def test_the_case_waits_until_the_period_ends_and_while_an_objection_is_open(
    today, service, cases, district, objector, bureau, upheld_calls
):
    notice = publish(service, cases, district, days=1)
    case = cases[0]
    assert selectors.case_on_notice(case) and not selectors.notice_period_over(case)
    assert selectors.notice_period_over(case, today=dt.date(2027, 5, 11))
    objection = services.objection_raise(
        notice=notice, entry=notice.entries.get(case=case), text=TEXT, by=objector
    )
    assert selectors.case_held_by_objection(cases[1])  # the whole notice waits for the answer
    assert selectors.held_case_ids([c.pk for c in cases]) == {c.pk for c in cases}
    with pytest.raises(PermissionDenied):
        services.objection_answer(
            objection=objection, upheld=True, answer="理由", by=UserFactory(bureau=True)
        )
    with pytest.raises(ValidationError) as err:
        services.objection_answer(objection=objection, upheld=True, answer=" ", by=bureau)
    assert "answer" in err.value.message_dict
    services.objection_answer(
        objection=objection, upheld=True, answer="经核查属实，取消资助资格。", by=bureau
    )
    objection.refresh_from_db()
    assert (objection.state, objection.answered_by, objection.case.status) == ("upheld", bureau, "done")
    assert upheld_calls == [(objection.pk, bureau)]
    told = Message.objects.filter(recipient=objector, case=objection.case, body="经核查属实，取消资助资格。")
    assert told.exists()
    assert objection.case.events.filter(action="notices.objection_upheld").exists()
    assert not selectors.case_held_by_objection(cases[1])
    with pytest.raises(ActionNotAllowed):
        services.objection_answer(objection=objection, upheld=False, answer="再答", by=bureau)


def test_a_dismissed_objection_calls_no_handler(
    today, service, cases, district, objector, bureau, upheld_calls
):
    notice = publish(service, cases, district)
    objection = services.objection_raise(notice=notice, text=TEXT, by=objector)
    services.objection_answer(objection=objection, upheld=False, answer="公示名单无误。", by=bureau)
    objection.refresh_from_db()
    assert objection.state == "dismissed" and upheld_calls == []


def test_the_objection_page_and_the_staff_answer_page(
    client, today, service, cases, district, objector, bureau
):
    notice = publish(service, cases, district)
    url = f"/notices/{notice.pk}/object/"
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(objector)
    assert client.get(url).status_code == 200
    assert client.post(url, {"entry": "abc", "text": ""}).status_code == 400
    entry = NoticeEntry.objects.filter(notice=notice).first()
    response = client.post(url, {"entry": entry.pk, "text": TEXT})
    assert response.status_code == 302
    objection = Objection.objects.get()
    client.force_login(bureau)
    listing = client.get("/notices/objections/")
    assert listing.status_code == 200 and objection.case.reference_no in listing.content.decode()
    page = f"/notices/objections/{objection.pk}/"
    assert client.post(page, {"outcome": "dismiss", "answer": ""}).status_code == 400
    assert client.post(page, {"outcome": "dismiss", "answer": "名单无误。"}).status_code == 302
    objection.refresh_from_db()
    assert objection.state == "dismissed"
    client.force_login(UserFactory(bureau=True))
    assert client.get(page).status_code == 404  # another district's bureau
    client.force_login(objector)
    assert client.get(page).status_code == 403


def test_the_objection_case_is_in_the_staff_queue(client, today, service, cases, district, objector, bureau):
    notice = publish(service, cases, district)
    objection = services.objection_raise(notice=notice, text=TEXT, by=objector)
    client.force_login(bureau)
    queue = client.get("/my/queue/")
    assert queue.status_code == 200
    html = queue.content.decode()
    assert objection.case.reference_no in html and f"/notices/objections/{objection.pk}/" in html


def test_the_demo_command_publishes_one_running_notice(district, client):
    from io import StringIO

    from django.core.management import call_command

    call_command("notices_demo", district=district.code, stdout=StringIO())
    call_command("notices_demo", district=district.code, stdout=StringIO())  # idempotent
    notice = Notice.objects.get(source="demo")
    assert notice.entries.count() == 3 and notice.service.code == "AID"
    assert notice.title in client.get("/notices/").content.decode()
    html = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "陈*𠀀" in html and "欧**月" in html and "陈小𠀀" not in html
