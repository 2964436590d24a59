"""What studentstatus registers with the kernel: its service items, its typed event actions and the
workflows of its models (each acted on only through ``portal.cases.workflow.perform``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.cases.actions import register_actions
from portal.catalog.models import DecisionMode, MaterialSource, RetentionPeriod
from portal.catalog.registry import ItemSpec, MaterialSpec, claim, register

TRANSFER_ITEM = "TRF"  # 转学 (the bureau's standard list)
SUSPENSION_ITEM = "SUS"  # 休学/复学 (the bureau's standard list): suspensions and resumptions
CORRECTION_ITEM = "XJG"  # 学籍信息更正 (new with this app)
STEP_WORKING_DAYS = 10  # each approval step is due within 10 working days (DOMAIN.md)


class StatusAction(models.TextChoices):
    TRANSFER_APPROVED = "studentstatus.transfer_approved", _("Transfer step approved")
    TRANSFER_REJECTED = "studentstatus.transfer_rejected", _("Transfer rejected")
    TRANSFER_WITHDRAWN = "studentstatus.transfer_withdrawn", _("Transfer withdrawn")
    SUSPENSION_APPROVED = "studentstatus.suspension_approved", _("Suspension step approved")
    SUSPENSION_REJECTED = "studentstatus.suspension_rejected", _("Suspension rejected")
    SUSPENSION_WITHDRAWN = "studentstatus.suspension_withdrawn", _("Suspension withdrawn")
    SUSPENSION_ENDED = "studentstatus.suspension_ended", _("Suspension ended")
    SUSPENSION_REMINDED = "studentstatus.suspension_reminded", _("Family reminded of the suspension's end")
    RESUMPTION_APPROVED = "studentstatus.resumption_approved", _("Resumption approved")
    RESUMPTION_REJECTED = "studentstatus.resumption_rejected", _("Resumption rejected")
    CORRECTION_MATCHED = "studentstatus.correction_matched", _("Matches the household registry (秒批)")
    CORRECTION_MISMATCHED = "studentstatus.correction_mismatched", _("Differs from the household registry")
    CORRECTION_APPROVED = "studentstatus.correction_approved", _("Correction approved")
    CORRECTION_REJECTED = "studentstatus.correction_rejected", _("Correction rejected")
    STEP_OVERDUE = "studentstatus.step_overdue", _("Step overdue")
    RECORD_MOVED = "studentstatus.record_moved", _("Student record moved")


CORRECTION_SPEC = ItemSpec(
    code=CORRECTION_ITEM,
    name="学籍信息更正",
    department="区教育局基础教育科（学籍管理）",
    summary=(
        "学生姓名、性别、出生日期、民族等学籍信息有误的，监护人在线申请更正，"
        "系统与户籍信息比对，一致的即时办结。"
    ),
    scope="在本区中小学就读的学生的监护人。",
    conditions=(
        "1. 更正后的信息与户籍登记一致。\n2. 身份证号码（学籍号）不在此更正，请到户籍所在地派出所办理。"
    ),
    decision_mode=DecisionMode.PROMISED,
    promised_days=10,
    legal_days=20,
    retention_period=RetentionPeriod.Y30,
    contact_phone="12345（政务服务热线）；或咨询就读学校教务处",
    contact_address="学生就读学校教务处",
    legal_basis="《中小学生学籍管理办法》（教基一〔2013〕7号）第十九条",
    order=45,
    materials=(
        MaterialSpec("学生学籍信息", MaterialSource.FETCHED, "学籍"),
        MaterialSpec("学生户籍信息", MaterialSource.FETCHED, "户籍"),
    ),
    steps=(
        ("提出申请", "监护人在线选择要更正的项目并填写正确信息。"),
        ("户籍比对", "系统与户籍信息比对，一致的即时更正（秒批）。"),
        ("学校审核", "与户籍不一致的，学校10个工作日内审核，可看到户籍登记的信息。"),
    ),
    office_hours="工作日 上午9:00—12:00，下午13:30—17:00（法定节假日除外）",
)


def _register_workflows() -> None:
    from portal.cases import workflow
    from studentstatus import models as m

    def reference(obj):
        return _("Case %(ref)s") % {"ref": obj.case.reference_no}

    def closes(done: str, rejected: str = "rejected", withdrawn: str = "withdrawn"):
        table = {done: "complete", rejected: "reject", withdrawn: "withdraw"}

        def case_status(obj, from_state, to_state):
            return table.get(to_state, "start_processing")

        return case_status

    forbidden = _(
        "It is not your step: only the school or bureau whose step it is, or the applicant, may do this."
    )
    workflow.register(
        m.StudentRecord,
        events={"enrol": "", "suspend": "", "resume": "", "graduate": "", "transfer_out": ""},
        verbs={
            "enrol": _("enrolled"),
            "suspend": _("suspended"),
            "resume": _("resumed"),
            "graduate": _("graduated"),
            "transfer_out": _("transferred out"),
        },
        reference=lambda record: _("Student record %(no)s") % {"no": record.masked_student_no},
        case=lambda record: None,  # a record has no case of its own; its history is StudentRecordHistory
        select_related=("school", "school__district"),
        state_field="status",
    )
    workflow.register(
        m.Transfer,
        events={
            "approve": StatusAction.TRANSFER_APPROVED,
            "reject": StatusAction.TRANSFER_REJECTED,
            "withdraw": StatusAction.TRANSFER_WITHDRAWN,
        },
        verbs={"approve": _("approved"), "reject": _("rejected"), "withdraw": _("withdrawn")},
        reference=lambda t: _("Transfer %(ref)s") % {"ref": t.case.reference_no},
        case=lambda t: t.case,
        forbidden=forbidden,
        select_related=(
            "case",
            "case__service",
            "record",
            "record__school",
            "from_school",
            "to_school",
            "to_school__district",
        ),
        case_status=closes(m.TransferState.COMPLETED),
    )
    workflow.register(
        m.Suspension,
        events={
            "approve": StatusAction.SUSPENSION_APPROVED,
            "reject": StatusAction.SUSPENSION_REJECTED,
            "withdraw": StatusAction.SUSPENSION_WITHDRAWN,
            "end": StatusAction.SUSPENSION_ENDED,
        },
        verbs={
            "approve": _("approved"),
            "reject": _("rejected"),
            "withdraw": _("withdrawn"),
            "end": _("ended"),
        },
        reference=lambda s: _("Suspension %(ref)s") % {"ref": s.case.reference_no},
        case=lambda s: s.case,
        forbidden=forbidden,
        select_related=("case", "case__service", "record", "record__school", "record__school__district"),
        case_status=closes(m.SuspensionState.APPROVED),
    )
    workflow.register(
        m.Resumption,
        events={"approve": StatusAction.RESUMPTION_APPROVED, "reject": StatusAction.RESUMPTION_REJECTED},
        verbs={"approve": _("approved"), "reject": _("rejected")},
        reference=lambda r: _("Resumption %(ref)s") % {"ref": r.case.reference_no},
        case=lambda r: r.case,
        forbidden=forbidden,
        select_related=("case", "case__service", "record", "record__school"),
        case_status=closes(m.ResumptionState.APPROVED),
    )
    workflow.register(
        m.Correction,
        events={
            "match": StatusAction.CORRECTION_MATCHED,
            "mismatch": StatusAction.CORRECTION_MISMATCHED,
            "approve": StatusAction.CORRECTION_APPROVED,
            "reject": StatusAction.CORRECTION_REJECTED,
        },
        verbs={
            "match": _("approved"),
            "mismatch": _("sent to review"),
            "approve": _("approved"),
            "reject": _("rejected"),
        },
        reference=lambda c: _("Correction %(ref)s") % {"ref": c.case.reference_no},
        case=lambda c: c.case,
        forbidden=forbidden,
        select_related=("case", "case__service", "record", "record__school"),
        case_status=closes(m.CorrectionState.APPROVED),
    )


register(CORRECTION_SPEC)
claim(TRANSFER_ITEM, "studentstatus", start_url_name="studentstatus:transfer_apply")
claim(SUSPENSION_ITEM, "studentstatus", start_url_name="studentstatus:suspension_apply")
claim(CORRECTION_ITEM, "studentstatus", start_url_name="studentstatus:correction_apply")
register_actions(StatusAction)
_register_workflows()
