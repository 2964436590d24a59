"""Monthly kindergarten care bills for children with a kindergarten place, idempotent however often the
month is issued; a one-off exam fee; fee items as bureau staff edit them; the demo data."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from payments.billing import in_kindergarten, kindergarten_bills_issue
from payments.catalogue import PaymentAction
from payments.models import Billing, FeeItem, FeeKind, Order, OrderState
from payments.services import DuplicateBill, order_issue
from portal.accounts.models import User
from portal.cases.models import CaseEvent
from portal.notify.models import Message
from tests.factories import ApplicationFactory, DistrictFactory, SchoolFactory, make_id_number
from tests.payments.factories import FeeItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def children(district, kindergarten, care_fee):
    """Two admitted and one qualified kindergarten child; one withdrawn, one in review, one primary."""
    made = {
        "admitted": ApplicationFactory(
            stage="kindergarten", admitted=True, district=district, zone=kindergarten
        ),
        "admitted2": ApplicationFactory(
            stage="kindergarten", admitted=True, district=district, zone=kindergarten
        ),
        "qualified": ApplicationFactory(
            stage="kindergarten", qualified=True, district=district, zone=kindergarten
        ),
        "withdrawn": ApplicationFactory(
            stage="kindergarten", withdrawn=True, district=district, zone=kindergarten
        ),
        "review": ApplicationFactory(
            stage="kindergarten", needs_review=True, district=district, zone=kindergarten
        ),
        "primary": ApplicationFactory(stage="primary", admitted=True, district=district),
    }
    return made


def test_a_months_bills_go_to_every_child_with_a_kindergarten_place_once(children, care_fee):
    run = kindergarten_bills_issue(year=2027, month=9)
    assert len(run.issued) == 3 and not run.errors and not run.no_fee_item
    orders = Order.objects.filter(order_no__in=run.issued)
    billed = {order.case_id for order in orders}
    assert billed == {children[k].case_id for k in ("admitted", "admitted2", "qualified")}
    order = orders.get(case=children["admitted"].case)
    assert (order.title, order.period, order.amount_fen) == ("2027年9月保育费", "2027-09", 68000)
    assert (
        order.payer == children["admitted"].guardian and order.subject_name == children["admitted"].child_name
    )
    assert order.school == children["admitted"].school and order.state == OrderState.CREATED
    # the bill joins the child's enrollment case: the family sees it there, no new case is opened
    assert CaseEvent.objects.filter(case=order.case, action=PaymentAction.BILL_ISSUED).count() == 1
    assert Message.objects.filter(recipient=order.payer, subject__contains="2027年9月保育费").count() == 1

    again = kindergarten_bills_issue(year=2027, month=9)
    assert again.issued == [] and again.already_billed == 3
    assert Order.objects.count() == 3
    october = kindergarten_bills_issue(year=2027, month=10)
    assert len(october.issued) == 3 and Order.objects.count() == 6


def test_an_expired_bill_is_not_issued_again_by_the_monthly_run(children):
    first = kindergarten_bills_issue(year=2027, month=9)
    Order.objects.filter(order_no__in=first.issued).update(state=OrderState.EXPIRED)  # test set-up
    assert kindergarten_bills_issue(year=2027, month=9).issued == []


def test_the_database_keeps_one_live_bill_per_child_and_month(children, care_fee):
    run = kindergarten_bills_issue(year=2027, month=9)
    order = Order.objects.get(order_no=run.issued[0])
    with pytest.raises(DuplicateBill) as twice:  # a second run racing the first
        order_issue(
            fee_item=care_fee,
            payer=order.payer,
            case=order.case,
            subject_name=order.subject_name,
            period="2027-09",
            billing_key=order.billing_key,
        )
    assert twice.value.order_no == order.order_no


def test_summer_months_and_years_outside_kindergarten_are_not_billed(children, care_fee):
    assert kindergarten_bills_issue(year=2027, month=8).issued == []  # not in billed_months (1-7,9-12)
    assert kindergarten_bills_issue(year=2027, month=7).issued == []  # before entry in September 2027
    assert in_kindergarten(2027, 2030, 7) and not in_kindergarten(2027, 2030, 9)  # leaves after 3 years


def test_a_kindergartens_own_fee_item_wins_over_the_district_one(children, district, kindergarten):
    own = FeeItemFactory(district=district, school=kindergarten, code="k1-care", amount_fen=98000)
    run = kindergarten_bills_issue(year=2027, month=9)
    assert set(Order.objects.filter(order_no__in=run.issued).values_list("fee_item", flat=True)) == {own.pk}


def test_children_without_a_fee_item_are_reported(district, kindergarten):
    child = ApplicationFactory(stage="kindergarten", admitted=True, district=district, zone=kindergarten)
    run = kindergarten_bills_issue(year=2027, month=9)
    assert run.issued == [] and run.no_fee_item == [child.case.reference_no]


def test_the_command_and_the_beat_task_issue_a_month(children, capsys, run_task):
    call_command("payments_issue_bills", month="2027-09", district="330411")
    assert "2027-09: 3 issued" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("payments_issue_bills", month="2027-13")
    with pytest.raises(CommandError):
        call_command("payments_issue_bills", month="2027-09", district="999999")
    assert "0 issued, 3 already billed" in run_task("payments.issue_monthly_bills", "2027-09")


def test_an_exam_fee_is_a_one_off_bill_with_its_own_case(issue, payer, kindergarten):
    id_number = make_id_number(dt.date(2012, 3, 15), 531)
    order = issue(subject_name="王小𬌗", subject_id_number=id_number, school=kindergarten)
    assert order.period == "" and order.fee_item.billing == Billing.ONE_OFF
    assert order.case.service.code == "FEE" and order.case.subject_name == "王小𬌗"
    assert order.subject_id_number == order.case.subject_id_number == id_number
    assert order.masked_subject_id == f"330***********{id_number[-4:]}"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"subject_name": " "}, "subject_name"),
        ({"subject_id_number": "330411201003150532"}, "subject_id_number"),
        ({"period": "2027-9x"}, "period"),
    ],
)
def test_bad_bill_input_is_a_field_error(exam_fee, payer, kwargs, field):
    with pytest.raises(ValidationError) as error:
        order_issue(fee_item=exam_fee, payer=payer, **{"subject_name": "王小明", **kwargs})
    assert field in error.value.message_dict


def test_bills_are_paid_by_families_and_fee_items_must_be_active(exam_fee, care_fee, bureau, payer):
    with pytest.raises(ValidationError) as staff:
        order_issue(fee_item=exam_fee, payer=bureau, subject_name="王小明")
    assert "payer" in staff.value.message_dict
    with pytest.raises(ValidationError) as monthly:
        order_issue(fee_item=care_fee, payer=payer, subject_name="王小明")
    assert "period" in monthly.value.message_dict
    FeeItem.objects.filter(pk=exam_fee.pk).update(active=False)
    exam_fee.refresh_from_db()
    with pytest.raises(ValidationError) as inactive:
        order_issue(fee_item=exam_fee, payer=payer, subject_name="王小明")
    assert "fee_item" in inactive.value.message_dict


def test_fee_item_rules(district, care_fee):
    bad = FeeItem(
        code="x",
        name="x",
        kind=FeeKind.KINDERGARTEN_CARE,
        billing=Billing.MONTHLY,
        district=district,
        amount_fen=100,
        billed_months="9-13",
        school=SchoolFactory(district=DistrictFactory(code="330402", name="南湖区")),
    )
    with pytest.raises(ValidationError) as error:
        bad.full_clean()
    assert set(error.value.message_dict) >= {"billed_months", "school"}
    twin = FeeItem(
        code="twin",
        name="x",
        kind=FeeKind.KINDERGARTEN_CARE,
        billing=Billing.MONTHLY,
        district=district,
        amount_fen=1,
    )
    with pytest.raises(ValidationError) as dup:
        twin.full_clean()
    assert "kind" in dup.value.message_dict  # two active district-wide monthly care fees would be ambiguous
    assert care_fee.months == [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12]


def test_the_demo_gives_the_demo_parent_a_bill(district, kindergarten, capsys):
    call_command("payments_demo", force=True)
    call_command("payments_demo", force=True)  # idempotent
    parent = User.objects.get(phone="13800000001")
    assert parent.real_name == "王𠈌" and parent.is_real_name_verified
    order = Order.objects.get(payer=parent)
    assert order.subject_name == "王小妍" and order.fee_item.kind == FeeKind.KINDERGARTEN_CARE
    assert FeeItem.objects.filter(district=district).count() == 2
    assert "for the demo parent" in capsys.readouterr().out
