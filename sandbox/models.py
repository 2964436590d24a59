"""The sandbox's own tables: what the other authorities' systems would hold.

Each registry keeps its records keyed by ID number (or certificate number) as a separate authority's
database would; nothing here points at the portal's tables. The JSON fixture format of
``contracts/registry-fixture.md`` maps one section onto one table (plus an owners / tenants table for the
two sections with lists of people); see ``sandbox/registry/spec.py``.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    """The registries the data-sharing exchange fronts (one fault setting and one breaker each)."""

    HUKOU = "hukou", "户籍 household registration"
    PROPERTY = "property", "不动产 real-estate registry"
    RESIDENCE_PERMIT = "residence_permit", "居住证 residence permits"
    LEASE = "lease", "房屋租赁登记 registered leases"
    SOCIAL_INSURANCE = "social_insurance", "社保 social insurance"
    BIRTH = "birth", "出生医学证明 birth records"
    MARRIAGE = "marriage", "婚姻登记 marriage records"
    STUDENT = "student", "学籍 student registry"
    WELFARE = "welfare", "民政 低保/特困/低边"
    DISABILITY = "disability", "残联 disability registry"
    DEGREE = "degree", "学历 degree registry"
    ENTERPRISE = "enterprise", "市场监管 enterprise registry"
    TEACHER_EXAM = "teacher_exam", "教师资格考试 teacher-qualification exam results"
    MANDARIN = "mandarin", "普通话水平测试 Mandarin test"
    MEDICAL = "medical", "指定医院体检 designated hospital's medical results"
    TEACHER_EMPLOYMENT = "teacher_employment", "教师任职 teachers' employment records"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    PARENT = "parent", "父母"
    GRANDCHILD = "grandchild", "孙子女/外孙子女"
    OTHER = "other", "其他"


class Person(models.Model):
    """A person in the household registry (户籍), with their household booklet (户口簿) entry."""

    id_number = models.CharField(max_length=18, unique=True)
    name = models.CharField(max_length=100)
    gender = models.CharField(max_length=1, choices=[("M", "M"), ("F", "F")])
    birth_date = models.DateField()
    phone = models.CharField(max_length=11, null=True, blank=True, unique=True)
    household_no = models.CharField(max_length=32, blank=True, db_index=True)
    address = models.CharField(max_length=300, blank=True)
    community_code = models.CharField(max_length=32, blank=True, db_index=True)
    move_in_date = models.DateField(null=True, blank=True)
    relation = models.CharField(max_length=16, blank=True, choices=Relation.choices)

    class Meta:
        ordering = ["id_number"]
        verbose_name = "户籍 person"
        verbose_name_plural = "户籍 persons"

    def __str__(self):
        return self.name


class Property(models.Model):
    """A registered real-estate title (不动产权证书)."""

    cert_no = models.CharField(max_length=64, unique=True)
    address = models.CharField(max_length=300)
    community_code = models.CharField(max_length=32, db_index=True)
    area_m2 = models.DecimalField(max_digits=9, decimal_places=2)
    registered_date = models.DateField()
    use = models.CharField(
        max_length=16, choices=[("residential", "residential"), ("commercial", "commercial")]
    )

    class Meta:
        ordering = ["cert_no"]
        verbose_name = "不动产 property"
        verbose_name_plural = "不动产 properties"

    def __str__(self):
        return self.cert_no


class PropertyOwner(models.Model):
    property = models.ForeignKey(
        Property, to_field="cert_no", db_column="cert_no", on_delete=models.CASCADE, related_name="owners"
    )
    id_number = models.CharField(max_length=18, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["property", "id_number"], name="one_owner_row")]
        verbose_name = _("property owner")
        verbose_name_plural = _("property owners")

    def __str__(self):
        return f"{self.property_id}: {self.id_number}"


class ResidencePermit(models.Model):
    """居住证 of a non-local resident."""

    id_number = models.CharField(max_length=18, unique=True)
    community_code = models.CharField(max_length=32, db_index=True)
    address = models.CharField(max_length=300)
    issued_date = models.DateField()
    valid_until = models.DateField()

    class Meta:
        ordering = ["id_number"]
        verbose_name = "居住证 residence permit"

    def __str__(self):
        return self.id_number


class Lease(models.Model):
    """A registered residential lease (房屋租赁登记备案)."""

    lease_no = models.CharField(max_length=64, unique=True)
    community_code = models.CharField(max_length=32, db_index=True)
    address = models.CharField(max_length=300)
    start_date = models.DateField()
    end_date = models.DateField()

    class Meta:
        ordering = ["lease_no"]
        verbose_name = "租赁 lease"

    def __str__(self):
        return self.lease_no


class LeaseTenant(models.Model):
    lease = models.ForeignKey(
        Lease, to_field="lease_no", db_column="lease_no", on_delete=models.CASCADE, related_name="tenants"
    )
    id_number = models.CharField(max_length=18, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lease", "id_number"], name="one_tenant_row")]
        verbose_name = _("lease tenant")
        verbose_name_plural = _("lease tenants")

    def __str__(self):
        return f"{self.lease_id}: {self.id_number}"


class SocialInsurance(models.Model):
    """Contributions of one person in one city (社保缴纳)."""

    id_number = models.CharField(max_length=18, db_index=True)
    city = models.CharField(max_length=64)
    first_month = models.CharField(max_length=7, help_text="YYYY-MM")
    months_paid = models.PositiveIntegerField()

    class Meta:
        ordering = ["id_number", "city"]
        constraints = [models.UniqueConstraint(fields=["id_number", "city"], name="one_si_row_per_city")]
        verbose_name = "社保 social insurance"

    def __str__(self):
        return f"{self.id_number} {self.city}"


class BirthRecord(models.Model):
    """出生医学证明: the child and the parents named on it."""

    cert_no = models.CharField(max_length=64, unique=True)
    child_id = models.CharField(max_length=18, db_index=True)
    mother_id = models.CharField(max_length=18, blank=True, db_index=True)
    father_id = models.CharField(max_length=18, blank=True, db_index=True)

    class Meta:
        ordering = ["cert_no"]
        verbose_name = "出生 birth record"

    def __str__(self):
        return self.cert_no


class MarriageRecord(models.Model):
    """婚姻登记: a marriage (or its dissolution) between two people."""

    cert_no = models.CharField(max_length=64, unique=True)
    party_a = models.CharField(max_length=18, db_index=True)
    party_b = models.CharField(max_length=18, db_index=True)
    date = models.DateField()
    status = models.CharField(max_length=16, choices=[("married", "married"), ("divorced", "divorced")])

    class Meta:
        ordering = ["cert_no"]
        verbose_name = "婚姻 marriage record"

    def __str__(self):
        return self.cert_no


class StudentRecord(models.Model):
    """学籍: one record per child and stage."""

    id_number = models.CharField(max_length=18, db_index=True)
    school_code = models.CharField(max_length=32)
    stage = models.CharField(max_length=16, choices=[("primary", "primary"), ("junior", "junior")])
    grade = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=16,
        choices=[("enrolled", "enrolled"), ("suspended", "suspended"), ("graduated", "graduated")],
    )
    graduation_year = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["id_number", "stage"]
        constraints = [models.UniqueConstraint(fields=["id_number", "stage"], name="one_record_per_stage")]
        verbose_name = "学籍 student record"

    def __str__(self):
        return f"G{self.id_number} {self.stage}"


class WelfareRecord(models.Model):
    """民政: 低保 (dibao), 特困 (tekun), 低边 (dibian)."""

    id_number = models.CharField(max_length=18, db_index=True)
    type = models.CharField(max_length=8, choices=[("dibao", "低保"), ("tekun", "特困"), ("dibian", "低边")])
    valid_until = models.DateField()

    class Meta:
        ordering = ["id_number", "type"]
        constraints = [models.UniqueConstraint(fields=["id_number", "type"], name="one_welfare_row_per_type")]
        verbose_name = "民政 welfare record"

    def __str__(self):
        return f"{self.id_number} {self.type}"


class DisabilityRecord(models.Model):
    """残联: the disability certificate level (1 = most severe)."""

    id_number = models.CharField(max_length=18, unique=True)
    level = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(4)])

    class Meta:
        ordering = ["id_number"]
        verbose_name = "残联 disability record"

    def __str__(self):
        return f"{self.id_number} level {self.level}"


class DegreeRecord(models.Model):
    """学历: a degree certificate."""

    cert_no = models.CharField(max_length=64, unique=True)
    id_number = models.CharField(max_length=18, db_index=True)
    degree = models.CharField(max_length=32)
    major = models.CharField(max_length=100)
    institution = models.CharField(max_length=200)
    year = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["cert_no"]
        verbose_name = "学历 degree record"

    def __str__(self):
        return self.cert_no


class Enterprise(models.Model):
    """市场监管: an enterprise or organisation by unified social credit code."""

    credit_code = models.CharField(max_length=18, unique=True)
    name = models.CharField(max_length=200)
    legal_rep_id = models.CharField(max_length=18, db_index=True)
    status = models.CharField(max_length=16, choices=[("active", "active"), ("revoked", "revoked")])
    address = models.CharField(max_length=300)

    class Meta:
        ordering = ["credit_code"]
        verbose_name = "市场监管 enterprise"

    def __str__(self):
        return self.name


class TeacherExam(models.Model):
    """教师资格考试合格证明: the national exam's pass certificate for one stage and subject."""

    cert_no = models.CharField(max_length=64, unique=True)
    id_number = models.CharField(max_length=18, db_index=True)
    stage = models.CharField(
        max_length=16,
        choices=[(s, s) for s in ("kindergarten", "primary", "junior", "senior")],
    )
    subject = models.CharField(max_length=64)
    passed_on = models.DateField()
    valid_until = models.DateField()

    class Meta:
        ordering = ["cert_no"]
        verbose_name = "教师资格考试 exam pass"

    def __str__(self):
        return self.cert_no


MANDARIN_LEVELS = ("一级甲等", "一级乙等", "二级甲等", "二级乙等", "三级甲等", "三级乙等")


class MandarinTest(models.Model):
    """普通话水平测试等级证书."""

    cert_no = models.CharField(max_length=64, unique=True)
    id_number = models.CharField(max_length=18, db_index=True)
    level = models.CharField(max_length=8, choices=[(lv, lv) for lv in MANDARIN_LEVELS])

    class Meta:
        ordering = ["cert_no"]
        verbose_name = "普通话 Mandarin test"

    def __str__(self):
        return self.cert_no


class MedicalReport(models.Model):
    """The designated hospital's medical result (体检结论) for a teacher-certificate applicant."""

    report_no = models.CharField(max_length=64, unique=True)
    id_number = models.CharField(max_length=18, db_index=True)
    result = models.CharField(max_length=8, choices=[("fit", "fit"), ("unfit", "unfit")])
    date = models.DateField()

    class Meta:
        ordering = ["report_no"]
        verbose_name = "体检 medical report"

    def __str__(self):
        return self.report_no


class TeacherEmployment(models.Model):
    """A teacher's employment record: school, start of service and months of breaks (中断)."""

    id_number = models.CharField(max_length=18, unique=True)
    school_code = models.CharField(max_length=32)
    service_start = models.DateField()
    break_months = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id_number"]
        verbose_name = "教师任职 teacher employment"

    def __str__(self):
        return f"{self.id_number} {self.school_code}"


class SourceFault(models.Model):
    """Fault injection for one registry: added latency, a share of 5xx errors and of timeouts.

    A timeout sleeps ``hang_ms`` (past the client's EXCHANGE_TIMEOUT on a real socket) and then answers
    504, so both the client's socket-timeout path and its 5xx path can be exercised. With ``seed`` set, the
    n-th request draws from ``random.Random(f"{seed}:{n}")``, so a test's fault pattern is reproducible.
    """

    source = models.CharField(max_length=32, unique=True, choices=Source.choices)
    latency_ms = models.PositiveIntegerField(default=0)
    error_rate = models.FloatField(default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    timeout_rate = models.FloatField(default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    hang_ms = models.PositiveIntegerField(
        default=6000, help_text="How long a simulated timeout sleeps before answering 504."
    )
    seed = models.BigIntegerField(null=True, blank=True, help_text="Reproducible fault pattern when set.")
    requests = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["source"]
        verbose_name = _("fault injection")
        verbose_name_plural = _("fault injection")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    error_rate__gte=0, error_rate__lte=1, timeout_rate__gte=0, timeout_rate__lte=1
                ),
                name="fault_rates_are_shares",
            )
        ]

    def __str__(self):
        rates = f"{self.error_rate:.0%} errors, {self.timeout_rate:.0%} timeouts"
        return f"{self.source}: +{self.latency_ms} ms, {rates}"


class SmsMessage(models.Model):
    """An SMS the portal sent through the SMS gateway stand-in; readable at /sandbox/sms/."""

    phone = models.CharField(_("phone"), max_length=20, db_index=True)
    text = models.TextField(_("text"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")

    def __str__(self):
        return f"{self.phone}: {self.text[:30]}"


# The registry tables in the order they are written (owners after their titles) and emptied.
REGISTRY_MODELS = [
    Person,
    Property,
    PropertyOwner,
    ResidencePermit,
    Lease,
    LeaseTenant,
    SocialInsurance,
    BirthRecord,
    MarriageRecord,
    StudentRecord,
    WelfareRecord,
    DisabilityRecord,
    DegreeRecord,
    Enterprise,
    TeacherExam,
    MandarinTest,
    MedicalReport,
    TeacherEmployment,
]

# The payment platform stand-in keeps its tables in sandbox/payments/models.py (app label "sandbox").
from sandbox.courier.models import *  # noqa: E402,F401,F403 - the courier stand-in
from sandbox.payments.models import *  # noqa: E402,F401,F403
