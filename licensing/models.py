"""Private-school licensing (民办学校审批): institutions, applications with their joint review (并联审批),
licences, the public white and black lists and the double-random inspections (双随机一公开).

Models hold data and pure django-fsm transitions; ``licensing.services`` acts on them through the kernel's
``perform``. What varies (which departments review which kind, their working days, the supplement period)
is a table the bureau edits in the admin (DOMAIN.md: configuration, never constants).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from portal.accounts.models import Role
from portal.cases.scoping import can_handle, is_applicant
from portal.cases.workflow import refusal


class Kind(models.TextChoices):
    PREPARATION = "preparation", _("Preparation (筹设)")
    ESTABLISHMENT = "establishment", _("Establishment (正式设立)")
    CHANGE = "change", _("Change (变更)")
    TERMINATION = "termination", _("Termination (终止)")


LICENSED_KINDS = (Kind.ESTABLISHMENT, Kind.CHANGE)  # kinds whose approval issues a licence


class Level(models.TextChoices):
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior secondary school")
    SENIOR = "senior", _("Senior secondary school")
    TRAINING = "training", _("Training institution")


class Institution(models.Model):
    """A private school or training institution (民办学校), known by its unified social credit code; its
    representative (举办者代表) is the person who signs in and applies for it."""

    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="licensing_institutions",
        verbose_name=_("representative"),
    )
    licence_no = models.CharField(_("licence number"), max_length=40, blank=True)
    licensed = models.BooleanField(_("holds a valid licence"), default=False)
    registry_checked_at = models.DateTimeField(_("checked with market regulation at"), null=True, blank=True)

    class Meta:
        ordering = ["credit_code"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self):
        return f"{self.name} ({self.credit_code})"


class ReviewDepartment(models.Model):
    """Which department reviews which kind of application, and in how many working days."""

    kind = models.CharField(_("kind of application"), max_length=16, choices=Kind.choices)
    department = models.ForeignKey(
        "orgs.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    working_days = models.PositiveSmallIntegerField(_("working days to review"), default=5)

    class Meta:
        ordering = ["kind", "department"]
        verbose_name = _("joint-review department")
        verbose_name_plural = _("joint-review departments")
        constraints = [models.UniqueConstraint(fields=["kind", "department"], name="one_review_per_kind")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.department}"


class MaterialSource(models.TextChoices):
    """Where a material of an application comes from: an upload, or a registry the exchange reaches."""

    UPLOAD = "upload", _("Uploaded by the applicant")
    MARKET_REGULATION = "market_regulation", _("Fetched: market regulation (市场监管)")
    REAL_ESTATE = "real_estate", _("Fetched: real estate (不动产)")


class KindMaterial(models.Model):
    """One material of the list for one kind of application (申请材料清单), edited by the bureau. Key
    materials must be in before the bureau accepts; a required non-key one may follow (容缺). A material
    the exchange can fetch is fetched when the application is made; when the registry has no answer it is
    uploaded instead."""

    kind = models.CharField(_("kind of application"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("material"), max_length=100)
    source = models.CharField(
        _("how it is obtained"), max_length=24, choices=MaterialSource.choices, default=MaterialSource.UPLOAD
    )
    key = models.BooleanField(
        _("key material"), default=True, help_text=_("Non-key materials may be supplemented later (容缺).")
    )
    required = models.BooleanField(_("required"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["kind", "order", "pk"]
        verbose_name = _("material of a kind of application")
        verbose_name_plural = _("materials per kind of application")
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="one_material_name_per_kind")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.name}"

    @property
    def fetched(self) -> bool:
        return self.source != MaterialSource.UPLOAD


class LicensingSettings(models.Model):
    """The bureau's settings for the service (one row per district)."""

    district = models.OneToOneField(
        "orgs.District", on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    supplement_working_days = models.PositiveSmallIntegerField(
        _("working days to supplement a missing material (容缺)"), default=10
    )
    default_review_days = models.PositiveSmallIntegerField(
        _("working days of a department with no configured period"), default=5
    )

    class Meta:
        verbose_name = _("licensing settings")
        verbose_name_plural = _("licensing settings")

    def __str__(self):
        return str(self.district)


class ApplicationState(models.TextChoices):
    AWAITING_MATERIALS = "awaiting_materials", pgettext_lazy("licensing", "Awaiting materials")
    IN_JOINT_REVIEW = "in_joint_review", pgettext_lazy("licensing", "In joint review")
    AWAITING_BUREAU = "awaiting_bureau", pgettext_lazy("licensing", "Awaiting the bureau")
    APPROVED = "approved", pgettext_lazy("licensing", "Approved")
    REJECTED = "rejected", pgettext_lazy("licensing", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("licensing", "Withdrawn")
    LICENCE_ISSUED = "licence_issued", pgettext_lazy("licensing", "Licence issued")
    DELIVERED = "delivered", pgettext_lazy("licensing", "Delivered")


S = ApplicationState
RUNNING = (S.AWAITING_MATERIALS, S.IN_JOINT_REVIEW, S.AWAITING_BUREAU, S.APPROVED, S.LICENCE_ISSUED)


def bureau_in_scope(instance, user) -> bool:
    """Bureau staff of the case's district (or a superuser) accept and decide."""
    if user is None:
        return True  # the system
    if not (user.is_superuser or getattr(user, "role", None) == Role.BUREAU):
        return False
    return can_handle(user, instance.case)


def the_applicant(instance, user) -> bool:
    return user is None or is_applicant(user, instance.case)


class Application(ConcurrentTransitionMixin, models.Model):
    """One application of an institution (民办学校审批申请): its kind, the school it is about, its
    missing materials (容缺) and its way through the joint review to the bureau's decision."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="licensing_application")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="licensing_applications",
        verbose_name=_("applicant"),
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="applications", verbose_name=_("institution")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    credit_code = models.CharField(_("unified social credit code"), max_length=18)
    school_name = models.CharField(_("school name"), max_length=200)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    address = models.CharField(_("address"), max_length=300)
    capacity = models.PositiveIntegerField(_("capacity"))
    state = FSMField(
        _("state"),
        max_length=24,
        choices=ApplicationState.choices,
        default=S.AWAITING_MATERIALS,
        protected=True,
    )
    checks = models.JSONField(_("checks"), default=list, blank=True)
    materials = models.JSONField(
        _("materials list"),
        default=list,
        blank=True,
        help_text=_("The kind's list when the application was made, with what was fetched."),
    )
    missing_materials = models.JSONField(_("materials missing (容缺)"), default=list, blank=True)
    supplement_due = models.DateField(_("supplement due"), null=True, blank=True)
    supplement_overdue_at = models.DateTimeField(_("supplement overdue flagged at"), null=True, blank=True)
    supplemented_at = models.DateTimeField(_("supplemented at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    licence_no = models.CharField(
        _("licence number"), max_length=40, null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("licensing application")
        verbose_name_plural = _("licensing applications")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code", "kind"],
                condition=Q(state__in=[s.value for s in RUNNING]),
                name="one_running_licensing_application_per_kind",
            )
        ]

    def __str__(self):
        return self.case.reference_no

    # --- conditions -----------------------------------------------------------------------------------

    @refusal(_("Every department of the joint review must approve first."))
    def all_departments_approved(self) -> bool:
        return not self.reviews.exclude(state=ReviewState.APPROVED).exists()

    @refusal(_("The licence cannot be issued until every missing material is supplemented."))
    def nothing_missing(self) -> bool:
        return not self.missing_materials

    @refusal(_("Nothing is missing: there is nothing to supplement."))
    def something_missing(self) -> bool:
        return bool(self.missing_materials)

    @refusal(_("The application has no licence number yet."))
    def has_licence_no(self) -> bool:
        return bool(self.licence_no)

    @refusal(_("An approved application can be rejected only for a supplement that is overdue."))
    def supplement_overdue(self) -> bool:
        from portal.cases.services import local_today

        return bool(self.missing_materials and self.supplement_due and self.supplement_due < local_today())

    # --- transitions: state and bookkeeping only -----------------------------------------------------

    @transition(
        field=state, source=S.AWAITING_MATERIALS, target=S.IN_JOINT_REVIEW, permission=bureau_in_scope
    )
    def accept(self, *, missing: list[str], supplement_due, at):
        """受理: the bureau accepts (容缺: naming the non-key materials still missing and the day they are
        due); the departments' reviews are opened in parallel by the service."""
        self.missing_materials, self.supplement_due, self.accepted_at = list(missing), supplement_due, at

    @transition(
        field=state,
        source=[S.AWAITING_MATERIALS, S.IN_JOINT_REVIEW, S.AWAITING_BUREAU, S.APPROVED],
        target=RETURN_VALUE(S.AWAITING_MATERIALS, S.IN_JOINT_REVIEW, S.AWAITING_BUREAU, S.APPROVED),
        conditions=[something_missing],
        permission=the_applicant,
    )
    def supplement(self, *, at):
        """补正: the applicant has uploaded what was missing; the state stays, the licence may now be
        issued (the service issues it at once for an approved application)."""
        self.missing_materials, self.supplement_overdue_at, self.supplemented_at = [], None, at
        return self.state

    @transition(
        field=state,
        source=S.IN_JOINT_REVIEW,
        target=S.AWAITING_BUREAU,
        conditions=[all_departments_approved],
    )
    def send_to_bureau(self):
        """Every department approved: the bureau decides (system, exactly once under the row lock)."""

    @transition(field=state, source=S.IN_JOINT_REVIEW, target=S.REJECTED)
    def reject_by_department(self, *, at):
        """A department rejected: the application is returned with its reason; the other reviews close."""
        self.decided_at = at

    @transition(field=state, source=S.AWAITING_BUREAU, target=S.APPROVED, permission=bureau_in_scope)
    def approve(self, *, at):
        """The bureau approves; an establishment or change gets its licence next."""
        self.decided_at = at

    @transition(
        field=state,
        source=[S.AWAITING_MATERIALS, S.IN_JOINT_REVIEW, S.AWAITING_BUREAU],
        target=S.REJECTED,
        permission=bureau_in_scope,
    )
    @transition(
        field=state,
        source=S.APPROVED,
        target=S.REJECTED,
        conditions=[supplement_overdue],
        permission=bureau_in_scope,
    )
    def reject(self, *, at):
        """The bureau rejects with a reason (the note) — once approved, only for an overdue supplement."""
        self.decided_at = at

    @transition(
        field=state,
        source=[S.AWAITING_MATERIALS, S.IN_JOINT_REVIEW, S.AWAITING_BUREAU],
        target=S.WITHDRAWN,
        permission=the_applicant,
    )
    def withdraw(self):
        """The applicant withdraws before the decision; open reviews close."""

    @transition(
        field=state, source=S.APPROVED, target=S.LICENCE_ISSUED, conditions=[nothing_missing, has_licence_no]
    )
    def issue_licence(self):
        """The numbered licence is registered as an issued document and given to the courier."""

    @transition(field=state, source=S.LICENCE_ISSUED, target=S.DELIVERED)
    def mark_delivered(self):
        """The courier reported the licence delivered (签收); the case is done."""


class ReviewState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("licensing", "Pending")
    APPROVED = "approved", pgettext_lazy("licensing", "Approved")
    REJECTED = "rejected", pgettext_lazy("licensing", "Rejected")
    CANCELLED = "cancelled", pgettext_lazy("licensing", "Cancelled")


def reviewer_of_department(instance, user) -> bool:
    """A reviewer of this review's department (or a superuser); None is the system."""
    if user is None or getattr(user, "is_superuser", False):
        return True
    return getattr(user, "role", None) == Role.REVIEWER and user.department_id == instance.department_id


class DepartmentReview(ConcurrentTransitionMixin, models.Model):
    """One department's part of the joint review (并联审批), with its own due date in working days."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews")
    department = models.ForeignKey(
        "orgs.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    state = FSMField(
        _("state"), max_length=16, choices=ReviewState.choices, default=ReviewState.PENDING, protected=True
    )
    due_on = models.DateField(_("due on"))
    overdue_flagged_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    note = models.TextField(_("opinion"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["application", "department__code"]
        verbose_name = _("department review")
        verbose_name_plural = _("department reviews")
        constraints = [
            models.UniqueConstraint(fields=["application", "department"], name="one_review_per_department")
        ]

    def __str__(self):
        return f"{self.application} · {self.department}"

    def is_overdue(self, today=None) -> bool:
        from portal.cases.services import local_today

        return self.state == ReviewState.PENDING and self.due_on < (today or local_today())

    @transition(
        field=state,
        source=ReviewState.PENDING,
        target=ReviewState.APPROVED,
        permission=reviewer_of_department,
    )
    def approve(self, *, reviewer, opinion: str, at):
        """The department approves (同意)."""
        self.decided_by, self.note, self.decided_at = reviewer, opinion, at

    @transition(
        field=state,
        source=ReviewState.PENDING,
        target=ReviewState.REJECTED,
        permission=reviewer_of_department,
    )
    def reject(self, *, reviewer, opinion: str, at):
        """The department rejects with its reason; the application is returned."""
        self.decided_by, self.note, self.decided_at = reviewer, opinion, at

    @transition(field=state, source=ReviewState.PENDING, target=ReviewState.CANCELLED)
    def cancel(self):
        """Another department rejected, or the applicant withdrew: this review is no longer needed."""


# --- white and black lists ------------------------------------------------------------------------------


class ListKind(models.TextChoices):
    WHITE = "white", _("White list")
    BLACK = "black", _("Black list")


class ListEntry(models.Model):
    """An entry of the bureau's white list (守信) or black list (失信): an institution by credit code, or a
    sponsor (举办者) by ID number (kept as a keyed hash only; the public sees the masked name)."""

    list_kind = models.CharField(_("list"), max_length=8, choices=ListKind.choices)
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    sponsor_id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    reason = models.CharField(_("reason"), max_length=300)
    source = models.CharField(_("source"), max_length=200, help_text=_("Who decided it (e.g. 区教育局)."))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["list_kind", "-starts_on", "pk"]
        verbose_name = _("list entry")
        verbose_name_plural = _("white and black list entries")
        constraints = [
            models.CheckConstraint(
                condition=~Q(credit_code="", sponsor_id_hash=""), name="list_entry_names_someone"
            )
        ]

    def __str__(self):
        return f"{self.get_list_kind_display()}: {self.name}"

    def in_force(self, today) -> bool:
        return self.starts_on <= today and (self.ends_on is None or self.ends_on >= today)


# --- double-random inspections (双随机一公开) -----------------------------------------------------------


class Inspector(models.Model):
    """An inspector of the pool, with the institutions they are linked to (never drawn for them)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    linked_institutions = models.ManyToManyField(
        Institution, blank=True, related_name="linked_inspectors", verbose_name=_("linked institutions")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("inspector")
        verbose_name_plural = _("inspectors")

    def __str__(self):
        return f"{self.name} ({self.code})"


class CampaignState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("licensing", "Draft")
    DRAWN = "drawn", pgettext_lazy("licensing", "Drawn")
    PUBLISHED = "published", pgettext_lazy("licensing", "Published")


class InspectionCampaign(ConcurrentTransitionMixin, models.Model):
    """A double-random inspection campaign: a share of the licensed institutions, each inspected by two
    inspectors of the pool, both drawn with a published seed anyone can recompute (docs/workflows)."""

    district = models.ForeignKey(
        "orgs.District", on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    name = models.CharField(_("name"), max_length=200)
    share_percent = models.PositiveSmallIntegerField(_("share of institutions (%)"), default=20)
    inspectors = models.ManyToManyField(Inspector, related_name="campaigns", verbose_name=_("inspector pool"))
    seed = models.CharField(_("seed"), max_length=64, blank=True)
    population = models.JSONField(
        _("institutions drawn from"),
        default=list,
        blank=True,
        help_text=_("The credit codes of the licensed institutions at the draw (published)."),
    )
    state = FSMField(
        _("state"), max_length=16, choices=CampaignState.choices, default=CampaignState.DRAFT, protected=True
    )
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("inspection campaign")
        verbose_name_plural = _("inspection campaigns")

    def __str__(self):
        return self.name

    @transition(field=state, source=CampaignState.DRAFT, target=CampaignState.DRAWN)
    def mark_drawn(self, *, seed: str, population: list[str], at):
        """The draw is made with ``seed`` from ``population`` (both published with the results)."""
        self.seed, self.population, self.drawn_at = seed, list(population), at

    @transition(field=state, source=CampaignState.DRAWN, target=CampaignState.PUBLISHED)
    def publish(self, *, at):
        """The draw, the seed and the results are shown on the public page and API."""
        self.published_at = at


class InspectionResult(models.TextChoices):
    PENDING = "pending", _("Not inspected yet")
    COMPLIANT = "compliant", _("Compliant")
    RECTIFY = "rectify", _("To rectify")
    NON_COMPLIANT = "non_compliant", _("Non-compliant")


class Inspection(models.Model):
    """One institution drawn in a campaign, its two inspectors and the result they found."""

    campaign = models.ForeignKey(InspectionCampaign, on_delete=models.CASCADE, related_name="inspections")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="inspections")
    inspectors = models.ManyToManyField(Inspector, related_name="inspections", verbose_name=_("inspectors"))
    result = models.CharField(
        _("result"), max_length=16, choices=InspectionResult.choices, default=InspectionResult.PENDING
    )
    findings = models.TextField(_("findings"), blank=True)
    excluded = models.JSONField(
        _("inspectors excluded (linked)"),
        default=list,
        blank=True,
        help_text=_(
            "The codes of the pool's inspectors linked to the institution at the draw (回避, published)."
        ),
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True, default=None)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["campaign", "position"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "institution"], name="one_inspection_per_institution")
        ]

    def __str__(self):
        return f"{self.campaign} · {self.institution}"
