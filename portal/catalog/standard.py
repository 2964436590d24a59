"""The bureau's standard list of service items (事项清单), so the catalogue is complete before every service
app is online. Registered from CatalogConfig.ready(); ``sync_catalog`` writes an item only when its code is
not in the database yet, so bureau staff's later edits in the admin are kept. A service app that registers
the same code takes the item over (``owner_app``).

The guide texts are the first version of each guide: defaults that every district adapts in the admin.
``registry`` names the shared registry a fetched material comes from (the data-sharing exchange).
"""

from django.utils.translation import gettext_lazy as _

from portal.catalog.models import DecisionMode, MaterialSource, RetentionPeriod
from portal.catalog.registry import ItemSpec, MaterialSpec, register, registered

FETCHED, UPLOAD, ORIGINAL = MaterialSource.FETCHED, MaterialSource.UPLOAD, MaterialSource.ORIGINAL

BUREAU = "区教育局"
HOTLINE = "12345（政务服务热线）"
COUNTER = "区政务服务中心二楼教育综合窗口"
OFFICE_HOURS = "工作日 上午9:00—12:00，下午13:30—17:00（法定节假日除外）"

# How the home page groups the catalogue. Codes not listed here appear under "Other services".
GROUPS: tuple[tuple[str, object, tuple[str, ...]], ...] = (
    ("enrolment", _("Enrolment and school places"), ("ENR", "KGE")),
    ("status", _("Student status"), ("TRF", "SUS")),
    ("family", _("Fees, after-school care and student aid"), ("FEE", "ASC", "AID")),
    ("teachers", _("Teachers and schools"), ("TCH", "PSL")),
)
OTHER_GROUP = ("other", _("Other services"))

STANDARD_ITEMS = (
    ItemSpec(
        code="ENR",
        name="义务教育入学（入学一件事）",
        department=f"{BUREAU}基础教育科",
        summary="适龄儿童小学、初中一年级新生入学报名，一表申请、材料系统自动获取，在线领取学位告知书。",
        scope="户籍或居住地在本区、当年达到入学年龄的适龄儿童少年的父母或其他法定监护人。",
        conditions=(
            "1. 小学：当年8月31日前年满6周岁（以当年招生公告为准）；初中：当年小学毕业。\n"
            "2. 小学新生不得已有小学学籍；初中新生须为当年小学毕业生。\n"
            "3. 按“房户一致、有户无房、有房无户、随迁子女、其他”的顺序确定入学类别，随迁子女按居住证、"
            "社保等积分排序；具体条件以本区当年义务教育招生入学实施意见为准。"
        ),
        decision_mode=DecisionMode.PROMISED,
        promised_days=5,
        legal_days=20,
        fee="不收费",
        visits_required=0,
        online=True,
        retention_period=RetentionPeriod.Y30,
        contact_phone=f"{HOTLINE}；区教育局招生咨询电话见当年招生公告",
        contact_address=COUNTER,
        office_hours=OFFICE_HOURS,
        legal_basis=(
            "《中华人民共和国义务教育法》第十二条\n"
            "《教育部关于做好义务教育招生入学工作的通知》\n"
            "本区当年义务教育招生入学工作实施意见"
        ),
        order=10,
        materials=(
            MaterialSpec("监护人身份信息", FETCHED, "户籍", note="实名登录时自动核验，无需提交身份证复印件"),
            MaterialSpec("儿童户籍信息（户口簿）", FETCHED, "户籍"),
            MaterialSpec("另一监护人户籍信息", FETCHED, "户籍", required=False, note="单亲家庭声明后可免"),
            MaterialSpec("出生医学证明", FETCHED, "出生医学证明"),
            MaterialSpec("学籍信息", FETCHED, "学籍", note="核验是否已有小学学籍或是否为当年小学毕业生"),
            MaterialSpec(
                "不动产权证书（房产信息）", FETCHED, "不动产", required=False, note="在本区有自有住房的"
            ),
            MaterialSpec(
                "唯一住宅证明",
                FETCHED,
                "不动产",
                required=False,
                note="人均住房面积低于本区当年标准时系统自动查询",
            ),
            MaterialSpec("居住证", FETCHED, "居住证", required=False, note="随迁子女"),
            MaterialSpec("房屋租赁登记备案信息", FETCHED, "租赁备案", required=False, note="租房居住的"),
            MaterialSpec("社会保险缴纳记录", FETCHED, "社保", required=False, note="随迁子女积分用"),
            MaterialSpec(
                "结婚登记信息", FETCHED, "婚姻登记", required=False, note="父母与儿童不在同一户口簿时"
            ),
            MaterialSpec(
                "其他特殊情况证明",
                UPLOAD,
                required=False,
                key=False,
                note="如监护关系证明等；系统无法自动获取的信息，改为上传后由工作人员审核",
            ),
        ),
        steps=(
            ("实名登录", "监护人使用手机号和短信验证码登录，系统通过户籍信息核验姓名和身份证号。"),
            ("填写儿童信息并授权查询", "填写儿童身份证号，授权系统查询儿童户籍和出生医学证明。"),
            ("填写另一监护人信息", "系统查询另一监护人户籍；单亲家庭声明后可跳过。"),
            ("学籍核验", "系统自动核验儿童学籍，无需提交材料。"),
            (
                "居住信息核验",
                "自有住房的系统自动查询不动产信息；租房的核验居住证和租赁备案；无房的出具无房证明。",
            ),
            ("特殊情况核验", "父母与儿童不在同一户口簿的，系统自动查询结婚登记和出生医学证明。"),
            (
                "结果告知",
                "核验通过即在线发放公办地段学位告知书；需人工审核的，在承诺时限内告知结果；"
                "录取结果公示期满后发放录取通知书，办件电子归档。",
            ),
        ),
    ),
    ItemSpec(
        code="KGE",
        name="幼儿园入园",
        department=f"{BUREAU}学前教育科",
        summary="公办幼儿园和普惠性民办幼儿园小班新生报名，户籍、房产、出生信息系统自动获取。",
        scope="当年8月31日前年满3周岁、户籍或居住地在本区的适龄幼儿的父母或其他法定监护人。",
        conditions=(
            "1. 幼儿当年8月31日前年满3周岁（以当年招生公告为准）。\n"
            "2. 按幼儿园招生范围和本区当年入园招生办法确定录取顺序；名额不足时依次调剂。"
        ),
        decision_mode=DecisionMode.PROMISED,
        promised_days=5,
        legal_days=20,
        fee="不收费（入园后保育费按物价部门核定标准另行缴纳）",
        visits_required=0,
        online=True,
        retention_period=RetentionPeriod.Y10,
        contact_phone=HOTLINE,
        contact_address=COUNTER,
        office_hours=OFFICE_HOURS,
        legal_basis=(
            "《中华人民共和国学前教育法》\n《幼儿园管理条例》\n《幼儿园工作规程》（教育部令第39号）"
        ),
        order=20,
        materials=(
            MaterialSpec("监护人身份信息", FETCHED, "户籍", note="实名登录时自动核验"),
            MaterialSpec("幼儿户籍信息（户口簿）", FETCHED, "户籍"),
            MaterialSpec("出生医学证明", FETCHED, "出生医学证明"),
            MaterialSpec("预防接种查验信息", FETCHED, "预防接种", key=False),
            MaterialSpec("不动产权证书（房产信息）", FETCHED, "不动产", required=False),
            MaterialSpec("居住证", FETCHED, "居住证", required=False, note="非本区户籍的"),
            MaterialSpec(
                "入园健康检查表",
                UPLOAD,
                key=False,
                note="由妇幼保健机构出具；可先报名，入园前补交（容缺受理）",
            ),
        ),
        steps=(
            ("实名登录", "监护人使用手机号和短信验证码登录。"),
            ("填写幼儿信息并授权查询", "系统自动查询户籍、出生医学证明和房产信息。"),
            ("选择幼儿园", "在招生范围内选择报名幼儿园，可填写调剂意愿。"),
            ("审核与录取", "系统核验后进入录取；名额不足时按招生办法排序或摇号，并依次调剂。"),
            ("结果告知", "录取结果在线告知并发送短信，入园报到时补交健康检查表。"),
        ),
    ),
    ItemSpec(
        code="TRF",
        name="转学",
        department=f"{BUREAU}基础教育科（学籍管理）",
        summary="义务教育阶段学生在本县（区）内转学，转入校申请、转出校和教育局在线审核，学籍自动转接。",
        scope="在本区义务教育学校就读、因户籍迁移、家庭住址变动等原因需要转学的学生的监护人。",
        conditions=(
            "1. 学生具有本区义务教育学校学籍。\n2. 休学期间及毕业年级不办理转学。\n3. 转入学校有学位。"
        ),
        decision_mode=DecisionMode.PROMISED,
        promised_days=10,
        legal_days=30,
        fee="不收费",
        visits_required=0,
        online=True,
        retention_period=RetentionPeriod.Y30,
        contact_phone=f"{HOTLINE}；或咨询转入学校教务处",
        contact_address=COUNTER,
        office_hours=OFFICE_HOURS,
        legal_basis="《中小学生学籍管理办法》（教基一〔2013〕7号）第十四条",
        order=30,
        materials=(
            MaterialSpec("学生学籍信息", FETCHED, "学籍"),
            MaterialSpec("监护人户籍信息", FETCHED, "户籍"),
            MaterialSpec(
                "不动产权证书（房产信息）", FETCHED, "不动产", required=False, note="因住址变动转学的"
            ),
            MaterialSpec(
                "转学原因证明",
                UPLOAD,
                required=False,
                note="如工作调动证明等；户籍、房产变动由系统自动核验，无需上传",
            ),
        ),
        steps=(
            ("提出申请", "监护人在线提出转学申请，或由转入学校代为申请。"),
            ("转入学校审核", "转入学校10个工作日内确认学位并同意接收。"),
            ("转出学校审核", "转出学校10个工作日内核实学籍并同意转出。"),
            ("教育局审核", "区教育局10个工作日内审核，同意后学籍自动转接。"),
            ("结果告知", "结果在线告知并发送短信，学生到转入学校报到。"),
        ),
    ),
    ItemSpec(
        code="SUS",
        name="休学/复学",
        department=f"{BUREAU}基础教育科（学籍管理）",
        summary="学生因病需休学或休学期满复学，监护人在线申请，学校审核，学籍状态自动变更。",
        scope="在本区中小学就读的学生的监护人。",
        conditions=(
            "1. 休学：二级及以上医院诊断证明建议休养3个月以上；一般休学1年，可续休，连续休学不超过2年。\n"
            "2. 复学：休学期满或病愈，须提供医院出具的可以复学的证明；学校安排复学年级。"
        ),
        decision_mode=DecisionMode.PROMISED,
        promised_days=5,
        legal_days=10,
        fee="不收费",
        visits_required=0,
        online=True,
        retention_period=RetentionPeriod.Y30,
        contact_phone=f"{HOTLINE}；或咨询就读学校教务处",
        contact_address="学生就读学校教务处",
        office_hours=OFFICE_HOURS,
        legal_basis="《中小学生学籍管理办法》（教基一〔2013〕7号）第十六条、第十七条",
        order=40,
        materials=(
            MaterialSpec("学生学籍信息", FETCHED, "学籍"),
            MaterialSpec("监护人户籍信息", FETCHED, "户籍"),
            MaterialSpec("医院诊断证明（休学）", UPLOAD, note="二级及以上医院出具，建议休养3个月以上"),
            MaterialSpec("可以复学的医院证明（复学）", UPLOAD, required=False, note="申请复学时提供"),
        ),
        steps=(
            ("提出申请", "监护人在线选择休学或复学并上传医院证明。"),
            ("学校审核", "学校核实后提出意见；复学的，学校安排复学年级。"),
            ("教育局备案", "区教育局审核备案，学籍状态自动变更。"),
            ("结果告知", "结果在线告知并发送短信。"),
        ),
    ),
    ItemSpec(
        code="FEE",
        name="教育缴费（保育费、考试费）",
        department=f"{BUREAU}计划财务科",
        summary="幼儿园保育费、课后托管费、考试费等在线缴纳，通过统一公共支付平台支付，自动开具电子票据。",
        scope="收到学校或教育局缴费通知的学生家长、考生。",
        conditions="已生成缴费订单（缴款码）且在缴费期限内。",
        decision_mode=DecisionMode.INSTANT,
        promised_days=0,
        legal_days=0,
        fee="按收费项目核定标准缴纳，以缴费通知为准",
        visits_required=0,
        online=True,
        retention_period=RetentionPeriod.Y10,
        contact_phone=f"{HOTLINE}；或咨询收费学校财务室",
        contact_address=COUNTER,
        office_hours="网上缴费全天可办；咨询时间：" + OFFICE_HOURS,
        legal_basis=(
            "《行政事业性收费标准管理办法》\n《财政票据管理办法》\n本省教育收费项目和标准的有关规定"
        ),
        order=50,
        materials=(MaterialSpec("学生学籍信息", FETCHED, "学籍", note="用于核对缴费人"),),
        steps=(
            ("查看缴费通知", "在“我的办件”或短信中查看缴费项目、金额和期限。"),
            ("在线支付", "通过统一公共支付平台扫码或跳转支付。"),
            ("领取电子票据", "支付成功后自动开具电子票据，可在线查看和下载。"),
        ),
    ),
    ItemSpec(
        code="ASC",
        name="课后托管",
        department=f"{BUREAU}基础教育科",
        summary="小学课后托管服务报名，学校审核后缴费入托；名额已满时自动候补。",
        scope="在本区公办小学就读的学生的监护人。",
        conditions=(
            "1. 学生为学校在读学生。\n"
            "2. 按学校公布的托管项目、离校时段和名额报名；名额已满的进入候补，有空位时自动递补。"
        ),
        decision_mode=DecisionMode.PROMISED,
        promised_days=5,
        legal_days=10,
        fee="按学校公布的托管服务收费标准，低保、特困家庭学生减免",
        visits_required=0,
        online=True,
        retention_period=RetentionPeriod.Y10,
        contact_phone="咨询就读学校",
        contact_address="学生就读学校",
        office_hours=OFFICE_HOURS,
        legal_basis=("《教育部办公厅关于做好中小学生课后服务工作的指导意见》（教基一厅〔2017〕2号）"),
        order=60,
        materials=(
            MaterialSpec("学生学籍信息", FETCHED, "学籍"),
            MaterialSpec(
                "家庭经济困难认定信息", FETCHED, "民政", required=False, note="申请减免的，系统自动查询"
            ),
        ),
        steps=(
            ("选择托管项目", "选择学期、托管项目和离校时段。"),
            ("学校审核", "学校审核报名资格；名额已满的进入候补名单。"),
            ("缴费", "审核通过后在线缴费。"),
            ("入托", "缴费成功即完成入托；中途退出的，按未享受服务部分退费。"),
        ),
    ),
    ItemSpec(
        code="AID",
        name="学生资助",
        department=f"{BUREAU}学生资助管理中心",
        summary="家庭经济困难学生资助和普惠性幼儿园保育费补助申请，民政、残联信息自动核验，应助尽助。",
        scope="在本区学校、幼儿园就读的家庭经济困难学生（幼儿）的监护人。",
        conditions=(
            "1. 属于最低生活保障家庭、特困供养、低保边缘家庭、残疾学生或其他家庭经济困难情形。\n"
            "2. 资助档次和标准以当年资助政策为准；普惠性幼儿园补助标准默认每生每年200元。\n"
            "3. 符合条件未申请的，系统将主动提醒申请。"
        ),
        decision_mode=DecisionMode.PROMISED,
        promised_days=20,
        legal_days=30,
        fee="不收费",
        visits_required=0,
        online=True,
        retention_period=RetentionPeriod.Y30,
        contact_phone=f"{HOTLINE}；区学生资助管理中心",
        contact_address=COUNTER,
        office_hours=OFFICE_HOURS,
        legal_basis="《学生资助资金管理办法》（财教〔2021〕310号）",
        order=70,
        materials=(
            MaterialSpec("学生学籍信息", FETCHED, "学籍"),
            MaterialSpec("监护人户籍信息", FETCHED, "户籍"),
            MaterialSpec("低保、特困、低边认定信息", FETCHED, "民政", required=False),
            MaterialSpec("残疾人证信息", FETCHED, "残联", required=False),
            MaterialSpec(
                "其他家庭经济困难情况说明",
                UPLOAD,
                required=False,
                key=False,
                note="上述信息无法证明的其他困难情形",
            ),
        ),
        steps=(
            ("提出申请", "监护人在线申请，系统自动查询民政、残联信息。"),
            ("学校审核", "学校核实学生情况并提出资助档次建议。"),
            ("公示", "拟资助名单（姓名已脱敏）公示5个工作日。"),
            ("教育局审批", "公示无异议后区教育局审批。"),
            ("资金发放", "资助资金按批次发放，结果在线告知。"),
        ),
    ),
    ItemSpec(
        code="TCH",
        name="教师资格认定",
        department=f"{BUREAU}教师发展科",
        summary="幼儿园、小学、初级中学教师资格认定，学历、普通话、考试信息在线核验，证书邮寄到家。",
        scope="户籍、居住证或工作单位在本区，申请幼儿园、小学、初级中学教师资格的人员。",
        conditions=(
            "1. 遵守宪法和法律，热爱教育事业，具有良好的思想品德。\n"
            "2. 具备《中华人民共和国教师法》规定的相应学历。\n"
            "3. 普通话水平达到二级乙等及以上标准（语文教师二级甲等及以上）。\n"
            "4. 中小学教师资格考试合格，体检合格。"
        ),
        decision_mode=DecisionMode.PROMISED,
        promised_days=20,
        legal_days=30,
        fee="不收费",
        visits_required=0,
        online=True,
        retention_period=RetentionPeriod.PERMANENT,
        contact_phone=f"{HOTLINE}；区教育局教师发展科",
        contact_address=COUNTER,
        office_hours=OFFICE_HOURS,
        legal_basis=("《中华人民共和国教师法》\n《教师资格条例》\n《〈教师资格条例〉实施办法》"),
        order=80,
        materials=(
            MaterialSpec("身份信息", FETCHED, "户籍"),
            MaterialSpec("学历证书信息", FETCHED, "学历"),
            MaterialSpec("普通话水平测试等级证书信息", FETCHED, "普通话测试"),
            MaterialSpec("中小学教师资格考试合格证明", FETCHED, "教师资格考试"),
            MaterialSpec("体检结论", UPLOAD, note="在指定医院体检，由医院出具"),
            MaterialSpec("近期免冠证件照", UPLOAD, note="白色背景，JPEG或PNG格式"),
        ),
        steps=(
            ("网上申报", "在线填写申请并授权查询学历、普通话和考试信息。"),
            ("体检", "到指定医院体检，上传体检结论。"),
            ("审核", "区教育局审核申请人条件。"),
            ("认定决定", "作出认定决定，生成电子教师资格证书。"),
            ("证书送达", "纸质证书免费邮寄，可在线查看快递单号。"),
        ),
    ),
    ItemSpec(
        code="PSL",
        name="民办学校审批",
        department=f"{BUREAU}民办教育管理科",
        summary="民办学校筹设、正式设立、变更（名称、层次、地址、举办者）和终止审批，多部门并联审核。",
        scope="申请举办或变更、终止本区审批权限内民办学校（幼儿园、义务教育学校、培训机构等）的举办者。",
        conditions=(
            "1. 举办者具备法人资格或完全民事行为能力，信用良好，未被列入失信名单。\n"
            "2. 有符合规定的校舍、场地、设施设备和办学资金。\n"
            "3. 消防、环保、住房安全等符合要求；由市场监管、民政、消防、生态环境、住建等部门并联审核。\n"
            "4. 非关键材料缺失的可容缺受理，在规定期限内补正（补正期间暂停计时）。"
        ),
        decision_mode=DecisionMode.PROMISED,
        promised_days=20,
        legal_days=60,
        fee="不收费",
        visits_required=1,
        online=False,
        retention_period=RetentionPeriod.PERMANENT,
        contact_phone=f"{HOTLINE}；区教育局民办教育管理科",
        contact_address=COUNTER,
        office_hours=OFFICE_HOURS,
        legal_basis=(
            "《中华人民共和国民办教育促进法》\n"
            "《中华人民共和国民办教育促进法实施条例》\n"
            "《中华人民共和国行政许可法》"
        ),
        order=90,
        materials=(
            MaterialSpec("举办者主体资格信息", FETCHED, "市场监管", note="按统一社会信用代码自动查询"),
            MaterialSpec("申办报告", UPLOAD),
            MaterialSpec("学校章程", UPLOAD),
            MaterialSpec("资产来源、资金数额及有效证明文件", UPLOAD),
            MaterialSpec("校舍不动产信息", FETCHED, "不动产", note="租赁校舍的另需上传租赁合同"),
            MaterialSpec("校舍租赁合同", UPLOAD, required=False, key=False),
            MaterialSpec("消防安全检查意见", FETCHED, "消防"),
            MaterialSpec("拟任校长和教师的教师资格信息", FETCHED, "教师资格"),
            MaterialSpec("上述上传材料的原件", ORIGINAL, note="现场核查时核验原件"),
        ),
        steps=(
            ("网上申报", "在线提交申请和材料；非关键材料缺失的可容缺受理。"),
            ("受理", "区教育局审查材料，5个工作日内作出是否受理的决定。"),
            ("并联审核", "市场监管、民政、消防、生态环境、住建等部门同步审核。"),
            ("现场核查", "组织现场核查，核验材料原件。"),
            ("审批决定", "作出审批决定，生成办学许可证并邮寄送达；结果在线公开。"),
        ),
    ),
)


def register_standard_items() -> None:
    """Register each standard item unless a service app registered its code already (it keeps it)."""
    taken = registered()
    for spec in STANDARD_ITEMS:
        if spec.code not in taken:
            register(spec)


def group_of(code: str) -> tuple[str, object]:
    for key, label, codes in GROUPS:
        if code in codes:
            return key, label
    return OTHER_GROUP
