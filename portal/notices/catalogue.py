"""The kernel's own catalogue item: an objection (异议) to a public notice of a service that names no
review item of its own (admission keeps its 招生录取结果公示异议 ``ADO``)."""

from portal.catalog.models import DecisionMode, MaterialSource, RetentionPeriod
from portal.catalog.registry import ItemSpec, MaterialSpec, register
from portal.notices.registry import GENERIC_REVIEW_ITEM

register(
    ItemSpec(
        code=GENERIC_REVIEW_ITEM,
        name="公示异议",
        department="区教育局",
        summary="对教育局或学校在公示期内公示的名单有异议的，可在公示期内在线提出，教育局复核后答复。",
        scope="对公示名单有异议的实名登录用户。",
        conditions="1. 在公示期内提出。\n2. 说明异议的事实和理由；可指明公示名单中的条目。",
        decision_mode=DecisionMode.PROMISED,
        promised_days=5,
        legal_days=15,
        visits_required=0,
        online=True,
        retention_period=RetentionPeriod.Y10,
        contact_phone="12345（政务服务热线）",
        order=16,
        materials=(MaterialSpec("异议事实和理由", MaterialSource.UPLOAD, required=True, key=True),),
        steps=(
            ("查看公示", "在公示页面查看名单（姓名已脱敏，不公开身份证号和困难情况）。"),
            ("提出异议", "实名登录后在公示期内填写异议事实和理由。"),
            ("复核答复", "教育局复核并答复；复核期间相关事项暂不生效。"),
        ),
        owner_app="notices",
        start_url_name="notices:list",
    )
)
