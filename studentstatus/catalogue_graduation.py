"""What graduation registers with the kernel: the service item GRD (初中毕业学历证明, issued without an
application: 免申即享), its typed event actions, and the run's workflow (acted on only through
``portal.cases.workflow.perform``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.cases.actions import register_actions
from portal.catalog.models import DecisionMode, MaterialSource, RetentionPeriod
from portal.catalog.registry import ItemSpec, MaterialSpec, claim, register

GRADUATION_ITEM = "GRD"  # 初中毕业及学历证明 (new with this app)
CHUNK = 500  # records graduated per transaction
CERTIFICATE_BATCH = 50  # certificates per render job


class GraduationAction(models.TextChoices):
    STARTED = "studentstatus.graduation_started", _("Graduation started")
    FINISHED = "studentstatus.graduation_finished", _("Graduation finished")
    CHUNK_DONE = "studentstatus.graduation_chunk", _("Graduation: students graduated")


GRADUATION_SPEC = ItemSpec(
    code=GRADUATION_ITEM,
    name="初中毕业学历证明",
    department="区教育局基础教育科（学籍管理）",
    summary=(
        "初中毕业年级学生由教育局统一办理毕业，学籍状态自动变更为已毕业，"
        "并出具带防伪二维码的电子学历证明，监护人无需申请，在线下载。"
    ),
    scope="在本区初中学校就读、完成九年级学业的学生及其监护人。",
    conditions="1. 具有本区初中学籍，在读九年级。\n2. 未休学、未转出。",
    decision_mode=DecisionMode.INSTANT,
    promised_days=0,
    legal_days=20,
    online=True,
    visits_required=0,
    retention_period=RetentionPeriod.PERMANENT,
    contact_phone="12345（政务服务热线）；或咨询就读学校教务处",
    contact_address="学生就读学校教务处",
    legal_basis="《中小学生学籍管理办法》（教基一〔2013〕7号）第二十条",
    order=46,
    materials=(MaterialSpec("学生学籍信息", MaterialSource.FETCHED, "学籍"),),
    steps=(
        ("统一办理毕业", "教育局对全区初中毕业年级学生统一办理毕业，学籍状态变更为已毕业。"),
        ("出具学历证明", "系统为每名毕业生出具电子学历证明，扫描二维码可验证真伪。"),
        ("在线下载", "监护人在学籍页面下载学历证明。"),
    ),
    office_hours="工作日 上午9:00—12:00，下午13:30—17:00（法定节假日除外）",
)


def _register_workflow() -> None:
    from portal.cases import workflow
    from studentstatus.models_graduation import GraduationRun, RunState

    workflow.register(
        GraduationRun,
        events={"start": GraduationAction.STARTED, "finish": GraduationAction.FINISHED},
        verbs={"start": _("started"), "finish": _("finished")},
        reference=lambda run: _("Graduation %(ref)s") % {"ref": run.case.reference_no},
        case=lambda run: run.case,
        forbidden=_("Only the education bureau of the district runs its graduation."),
        select_related=("case", "case__service", "district"),
        case_status={RunState.RUNNING: "start_processing", RunState.DONE: "complete"},
    )


register(GRADUATION_SPEC)
claim(GRADUATION_ITEM, "studentstatus", start_url_name="studentstatus:records")
register_actions(GraduationAction)
_register_workflow()
