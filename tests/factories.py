"""factory_boy factories with a trait per role / state (STYLE.md)."""

import datetime as dt
import io

import factory
from django.utils import timezone

from portal.accounts.models import Role, User
from portal.cases.models import Case, Channel
from portal.catalog.models import DecisionMode, ServiceItem
from portal.core.idcodes import id_check_char
from portal.orgs.models import Community, Department, District, School, Stage


def make_id_number(birth: dt.date, seq: int, area: str = "330411") -> str:
    """A valid GB 11643 ID number; ``seq`` odd for a man, even for a woman."""
    first17 = f"{area}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + id_check_char(first17)


def tiny_pdf(text: str = "proof") -> bytes:
    """A one-page PDF made with pypdf (no fonts, no active content): what a family's scan would be."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = "330411"
    name = "秀洲区"


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"第{n}社区")
    lat = 30.76
    lng = 120.70


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.Sequence(lambda n: f"秀洲区第{n}小学")
    stage = Stage.PRIMARY
    lat = 30.77
    lng = 120.71


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"部门{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.CITIZEN
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    real_name = factory.Sequence(lambda n: f"家长{n}")
    id_number = factory.Sequence(lambda n: make_id_number(dt.date(1988, 6, 1), 2 * n + 1))
    real_name_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    class Params:
        clerk = factory.Trait(
            role=Role.CLERK, school=factory.SubFactory(SchoolFactory), phone=None, id_number=""
        )
        bureau = factory.Trait(
            role=Role.BUREAU, district=factory.SubFactory(DistrictFactory), phone=None, id_number=""
        )
        reviewer = factory.Trait(
            role=Role.REVIEWER, department=factory.SubFactory(DepartmentFactory), phone=None, id_number=""
        )
        auditor = factory.Trait(
            role=Role.AUDITOR, district=factory.SubFactory(DistrictFactory), phone=None, id_number=""
        )

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ServiceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceItem
        django_get_or_create = ("code",)

    code = "TST"
    name = "测试事项"
    department = "区教育局"
    scope = "本区居民"
    conditions = "无"
    decision_mode = DecisionMode.PROMISED
    promised_days = 5


class CaseFactory(factory.django.DjangoModelFactory):
    """A case row as the kernel's ``case_open`` would write it (use the service in workflow tests)."""

    class Meta:
        model = Case

    # "F" keeps factory numbers apart from those case_open issues in the same test
    reference_no = factory.Sequence(lambda n: f"JY-TST-2026-F{n:05d}")
    service = factory.SubFactory(ServiceItemFactory)
    applicant = factory.SubFactory(UserFactory)
    subject_name = "王小明"
    subject_id_number = factory.Sequence(lambda n: make_id_number(dt.date(2020, 5, 1), 2 * n + 1))
    channel = Channel.ONLINE
    district = factory.SubFactory(DistrictFactory)
    school = factory.SubFactory(SchoolFactory, district=factory.SelfAttribute("..district"))
    accepted_on = factory.LazyFunction(lambda: timezone.localdate())
    promised_days = 5


# --- case kernel: a trait per coarse status (appended by the case-kernel work) -----------------------------


class CaseInStatusFactory(CaseFactory):
    """``CaseInStatusFactory(done=True)``: a case row already in a status, for tests of what a status
    allows (ratings, attachments, the transition table). Workflow tests reach a status through services."""

    class Params:
        in_progress = factory.Trait(status="in_progress")
        done = factory.Trait(status="done", closed_at=factory.LazyFunction(timezone.now))
        rejected = factory.Trait(status="rejected", closed_at=factory.LazyFunction(timezone.now))
        withdrawn = factory.Trait(status="withdrawn", closed_at=factory.LazyFunction(timezone.now))


# --- enrollment: an application with a trait per state (appended by the enrollment API work) --------------


class ApplicationFactory(factory.django.DjangoModelFactory):
    """``ApplicationFactory(needs_review=True)``: an enrollment application already in a state, for tests of
    what a state allows (the transition table, the API's status codes). Its case is opened by the kernel's
    ``case_open`` with the ENR/KGE service item and assigned to the zone school; the case's status, clock
    and trace are brought where that state would have left them through the kernel's services. Only the
    application's protected ``state`` is written with ``update()`` — here, for test set-up, never in
    production code (workflow tests reach a state through the enrollment services)."""

    class Meta:
        model = "enrollment.Application"
        skip_postgeneration_save = True

    class Params:
        verifying = factory.Trait(target_state="verifying")
        needs_review = factory.Trait(target_state="needs_review")
        awaiting_supplement = factory.Trait(target_state="awaiting_supplement")
        qualified = factory.Trait(target_state="qualified")
        rejected = factory.Trait(target_state="rejected")
        admitted = factory.Trait(target_state="admitted")
        withdrawn = factory.Trait(target_state="withdrawn")

    # not model fields: taken out in _create
    district = factory.SubFactory(DistrictFactory)
    zone = factory.SubFactory(SchoolFactory, district=factory.SelfAttribute("..district"))
    target_state = "verifying"

    guardian = factory.SubFactory(UserFactory)
    year = 2027
    stage = Stage.PRIMARY
    child_id_number = factory.Sequence(lambda n: make_id_number(dt.date(2021, 3, 15), 2 * n + 1))
    child_name = "王小明"
    other_guardian_id_number = factory.Sequence(lambda n: make_id_number(dt.date(1990, 7, 8), 2 * n + 2))
    residence = "owned"
    consent_at = factory.LazyFunction(timezone.now)
    category = "A"

    @classmethod
    def _create(cls, model_class, *args, target_state="verifying", district=None, zone=None, **kwargs):
        from enrollment.catalogue import EnrollmentAction, service_code_for
        from enrollment.models import Check
        from portal.cases import services as cases

        guardian = kwargs["guardian"]
        service = ServiceItem.objects.filter(code=service_code_for(kwargs["stage"])).first()
        if service is None:  # a transactional test flushed the catalogue that migrate wrote
            from portal.catalog.registry import sync_catalog

            sync_catalog()
            service = ServiceItem.objects.get(code=service_code_for(kwargs["stage"]))
        case = cases.case_open(
            service=service,
            applicant=guardian,
            subject_name=kwargs["child_name"],
            subject_id_number=kwargs["child_id_number"],
            channel=Channel.ONLINE,
            district=district,
            school=zone,
        )
        application = model_class.objects.create(case=case, zone_school=zone, **kwargs)
        passed = target_state in ("verifying", "qualified", "admitted", "withdrawn")
        for name in ("age", "guardianship", "residence"):
            failed = not passed and name == "residence"
            Check.objects.create(
                application=application,
                name=name,
                result="fail" if failed else "pass",
                reason="人均住房面积不足且无唯一住宅证明" if failed else "",
            )
        if target_state != "verifying":
            cases.case_transition(case=case, transition="start_processing", by=None)
        events = {
            "needs_review": EnrollmentAction.SENT_TO_REVIEW,
            "awaiting_supplement": EnrollmentAction.SUPPLEMENT_REQUESTED,
            "qualified": EnrollmentAction.QUALIFIED,
            "admitted": EnrollmentAction.ADMITTED,
            "rejected": EnrollmentAction.REJECTED,
            "withdrawn": EnrollmentAction.WITHDRAWN,
        }
        if target_state in events:
            cases.case_log_event(case=case, action=events[target_state], to_state=target_state)
        extra = {}
        if target_state == "awaiting_supplement":
            cases.case_pause_clock(case=case, by=None, reason="请上传唯一住宅证明")
            extra["supplement_due"] = cases.local_today() + dt.timedelta(days=7)
        elif target_state == "admitted":
            extra["school"] = zone
        elif target_state in ("rejected", "withdrawn"):
            transition = "reject" if target_state == "rejected" else "withdraw"
            cases.case_transition(case=case, transition=transition, by=None, note="测试")
        model_class.objects.filter(pk=application.pk).update(state=target_state, **extra)
        return model_class.objects.get(pk=application.pk)
