"""What teachers registers with the kernel: its service items, typed event actions and workflows."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.catalog.models import DecisionMode, MaterialSource, RetentionPeriod
from portal.catalog.registry import ItemSpec, MaterialSpec, claim, register, registered

CERTIFICATE_ITEM = "TCH"  # 教师资格认定 (in the bureau's standard list)
HONOUR_ITEM = "HON"  # 从教三十年荣誉证书 (免申即享)


class TeacherAction(models.TextChoices):
    AUTHORISED = "teachers.authorised", _("Look-ups authorised")
    CHECKED = "teachers.checked", _("Automatic checks done")
    APPROVED_AUTOMATICALLY = "teachers.approved_automatically", _("Approved at once (秒批)")
    SENT_TO_REVIEW = "teachers.sent_to_review", _("Sent to the bureau's review")
    APPROVED = "teachers.approved", _("Approved")
    REJECTED = "teachers.rejected", _("Rejected")
    CERTIFICATE_ISSUED = "teachers.certificate_issued", _("Teacher certificate issued")
    DELIVERED = "teachers.delivered", _("Certificate delivered")
    RESENT = "teachers.resent", _("Certificate sent again")
    REVOKED = "teachers.certificate_revoked", _("Teacher certificate revoked")
    HONOUR_OFFERED = "teachers.honour_offered", _("Honour offered (免申即享)")
    HONOUR_ACCEPTED = "teachers.honour_accepted", _("Honour accepted")
    HONOUR_ISSUED = "teachers.honour_issued", _("Honour certificate issued")
    HONOUR_DELIVERED = "teachers.honour_delivered", _("Honour certificate delivered")
    HONOUR_RESENT = "teachers.honour_resent", _("Honour certificate sent again")


HONOUR_SPEC = ItemSpec(
    code=HONOUR_ITEM,
    name="从教三十年教师荣誉证书",
    department="区教育局教师发展科",
    summary="从教满三十年的教师由系统根据任职记录主动发现，无需申请，确认邮寄地址后证书寄送到家。",
    scope="在本区中小学、幼儿园任教，当年从教年限（扣除中断时间）满三十年的教师。",
    conditions="1. 从事教育教学工作满三十年（扣除中断时间）。\n2. 任职记录由教育部门数据核验。",
    decision_mode=DecisionMode.INSTANT,
    promised_days=0,
    fee="不收费",
    visits_required=0,
    online=True,
    retention_period=RetentionPeriod.PERMANENT,
    contact_phone="12345（政务服务热线）；区教育局教师发展科",
    contact_address="区政务服务中心二楼教育综合窗口",
    legal_basis="《中华人民共和国教师法》\n《关于做好乡村学校从教30年教师荣誉证书颁发工作的通知》",
    order=85,
    materials=(
        MaterialSpec("教师任职记录", MaterialSource.FETCHED, "教师任职"),
        MaterialSpec("邮寄地址", MaterialSource.UPLOAD, required=False, key=False, note="确认邀请时填写"),
    ),
    steps=(
        ("主动发现", "系统每年根据任职记录找出从教满三十年的教师并发出邀请。"),
        ("确认", "教师在“我的邀请”中确认并填写邮寄地址。"),
        ("颁发与送达", "生成电子荣誉证书并免费邮寄纸质证书。"),
    ),
    owner_app="teachers",
)


def certificate_forbidden(application, by, action: str) -> str:
    if action == "resend":
        return str(_("Only the holder or bureau staff of the district can have the certificate sent again."))
    return str(_("Only bureau staff of the district decide teacher certificates."))


def _case_status(closes: dict):
    """The coarse case transition a new state implies; none when the state stays (resend, revoke)."""

    def status(obj, from_state: str, to_state: str) -> str | None:
        if from_state == to_state:
            return None
        return closes.get(to_state, "start_processing")

    return status


def _register_workflows() -> None:
    from portal.cases import workflow
    from teachers.models import CertificateApplication, CertificateState, Honour, HonourState

    closes = {CertificateState.REJECTED: "reject", CertificateState.DELIVERED: "complete"}

    workflow.register(
        CertificateApplication,
        events={
            "approve_automatically": TeacherAction.APPROVED_AUTOMATICALLY,
            "send_to_review": TeacherAction.SENT_TO_REVIEW,
            "approve": TeacherAction.APPROVED,
            "reject": TeacherAction.REJECTED,
            "issue_certificate": TeacherAction.CERTIFICATE_ISSUED,
            "mark_delivered": TeacherAction.DELIVERED,
            "resend": TeacherAction.RESENT,
            "revoke_certificate": TeacherAction.REVOKED,
        },
        verbs={
            "approve_automatically": _("approved"),
            "send_to_review": _("sent to review"),
            "approve": _("approved"),
            "reject": _("rejected"),
            "issue_certificate": _("issued a certificate"),
            "mark_delivered": _("delivered"),
            "resend": _("sent again"),
            "revoke_certificate": _("revoked"),
        },
        reference=lambda a: _("Application %(ref)s") % {"ref": a.case.reference_no},
        case=lambda a: a.case,
        forbidden=certificate_forbidden,
        select_related=("case", "case__service", "applicant"),
        case_status=_case_status(closes),
    )
    workflow.register(
        Honour,
        events={
            "accept": TeacherAction.HONOUR_ACCEPTED,
            "issue": TeacherAction.HONOUR_ISSUED,
            "mark_delivered": TeacherAction.HONOUR_DELIVERED,
            "resend": TeacherAction.HONOUR_RESENT,
        },
        verbs={
            "accept": _("accepted"),
            "issue": _("issued"),
            "mark_delivered": _("delivered"),
            "resend": _("sent again"),
        },
        reference=lambda h: _("Honour %(ref)s") % {"ref": h.case.reference_no},
        case=lambda h: h.case,
        forbidden=lambda h, by, action: str(
            _("Only the teacher or bureau staff of the district can have it sent again.")
            if action == "resend"
            else _("Only the teacher offered the honour can accept it.")
        ),
        select_related=("case", "case__service", "teacher"),
        case_status=_case_status({HonourState.DELIVERED: "complete"}),
    )


def register_items() -> None:
    if HONOUR_ITEM not in registered() or registered()[HONOUR_ITEM].owner_app != "teachers":
        register(HONOUR_SPEC)
    claim(CERTIFICATE_ITEM, "teachers")
