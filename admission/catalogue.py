"""What admission registers with the kernel: the objection service item (公示异议) and its typed event
actions (on the objection's case and on the enrollment application's case)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.cases.actions import register_actions
from portal.catalog.models import DecisionMode, MaterialSource, RetentionPeriod
from portal.catalog.registry import ItemSpec, MaterialSpec, register

OBJECTION_ITEM = "ADO"  # 招生录取结果公示异议


class AdmissionAction(models.TextChoices):
    PLACED = "admission.placed", _("Placed on the public notice (公示)")
    PLACEMENT_REVOKED = "admission.placement_revoked", _("Placement revoked")
    ADMITTED = "admission.admitted", _("Admission final")
    STUDENT_RECORD = "admission.student_record", _("Student record (学籍) created")
    OBJECTION_RAISED = "admission.objection_raised", _("Objection raised")
    OBJECTION_UPHELD = "admission.objection_upheld", _("Objection upheld")
    OBJECTION_DISMISSED = "admission.objection_dismissed", _("Objection dismissed")


register(
    ItemSpec(
        code=OBJECTION_ITEM,
        name="招生录取结果公示异议",
        department="区教育局基础教育科",
        summary="对学校招生录取结果公示有异议的，可在公示期内在线提出，教育局复核后答复。",
        scope="对本区学校招生录取公示名单有异议的适龄儿童监护人。",
        conditions="1. 在公示期内提出。\n2. 说明异议的事实和理由；可指明公示名单中的序号。",
        decision_mode=DecisionMode.PROMISED,
        promised_days=5,
        legal_days=15,
        visits_required=0,
        online=True,
        retention_period=RetentionPeriod.Y10,
        contact_phone="12345（政务服务热线）",
        order=15,
        materials=(MaterialSpec("异议事实和理由", MaterialSource.UPLOAD, required=True, key=True),),
        steps=(
            ("查看公示", "在招生录取公示页面查看学校录取名单（姓名、身份证号已脱敏）。"),
            ("提出异议", "实名登录后在公示期内填写异议事实和理由。"),
            ("复核答复", "教育局复核；异议成立的，更正录取结果；复核期间该校录取暂不生效。"),
        ),
        owner_app="admission",
        start_url_name="admission:notices",  # an objection is raised from the notice it is about
    )
)
register_actions(AdmissionAction)
