"""Enrollment (入学一件事): applications for a kindergarten, primary or junior-school place.

The rules that vary by district and year (age cut-off, area threshold, tiers, migrant points) are rows that
bureau staff edit in the admin (``EnrollmentRules`` + ``TierRule``), never constants in code. An
``Application`` is one case (``portal.cases.Case``) with its own django-fsm ``state``; every automatic check
leaves one ``Check`` row with its result, plain reason and the registry look-up it rests on.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from exchange.checks import CheckResult, RegistryCheck
from portal.accounts.models import Role
from portal.cases.scoping import can_handle, is_applicant
from portal.cases.workflow import refusal
from portal.core import pii
from portal.core.fields import EncryptedTextField
from portal.orgs.models import Stage


class EnrollmentRules(models.Model):
    """One district's rules for one entry year and stage."""

    district = models.ForeignKey("orgs.District", on_delete=models.PROTECT, related_name="enrollment_rules")
    year = models.PositiveSmallIntegerField(_("entry year"))
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    min_age = models.PositiveSmallIntegerField(_("minimum age (full years)"))
    max_age = models.PositiveSmallIntegerField(_("maximum age (full years)"), null=True, blank=True)
    cutoff_month = models.PositiveSmallIntegerField(_("age cut-off month"), default=8)
    cutoff_day = models.PositiveSmallIntegerField(_("age cut-off day"), default=31)
    area_per_person_m2 = models.DecimalField(
        _("area per person below which a sole-residence proof is needed (m²)"),
        max_digits=6,
        decimal_places=2,
        default=18,
    )
    points_per_permit_month = models.DecimalField(
        _("points per full month of residence permit"), max_digits=5, decimal_places=2, default=1
    )
    points_per_insurance_month = models.DecimalField(
        _("points per month of social insurance"), max_digits=5, decimal_places=2, default=1
    )
    points_cap = models.DecimalField(_("points cap"), max_digits=7, decimal_places=2, default=120)
    insurance_city = models.CharField(
        _("city whose social insurance counts"), max_length=50, default="嘉兴市"
    )
    apply_from = models.DateField(_("applications open"), null=True, blank=True)
    apply_until = models.DateField(_("applications close"), null=True, blank=True)
    promised_days = models.PositiveSmallIntegerField(_("review within working days"), default=5)

    class Meta:
        ordering = ["district", "-year", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year", "stage"], name="one_rule_set_per_year_stage")
        ]
        verbose_name = _("enrollment rules")
        verbose_name_plural = _("enrollment rules")

    def __str__(self):
        return f"{self.district} {self.year} {self.get_stage_display()}"


class Criterion(models.TextChoices):
    """Named facts a tier can require; evaluated by enrollment.rules."""

    HUKOU_IN_ZONE = "hukou_in_zone", _("Child's 户籍 in an attendance zone")
    HOME_IN_ZONE = "home_in_zone", _("Guardians own a home in an attendance zone")
    HUKOU_AND_HOME_SAME_ZONE = "hukou_home_same_zone", _("户籍 and owned home in the same zone (房户一致)")
    NO_HOME_IN_CITY = "no_home_in_city", _("No home owned in the city")
    HUKOU_ELSEWHERE = "hukou_elsewhere", _("Child's 户籍 outside the zones")
    RESIDENCE_PERMIT = "residence_permit", _("Valid residence permit in the district (居住证)")
    LEASE_OR_INSURANCE = "lease_or_insurance", _("Registered lease or social insurance in the city")


class TierRule(models.Model):
    """An admission tier (A 房户一致 … E). Tiers are tried in order; the first whose criteria all hold
    wins."""

    rules = models.ForeignKey(EnrollmentRules, on_delete=models.CASCADE, related_name="tiers")
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.CharField(_("tier"), max_length=4)
    label = models.CharField(_("label"), max_length=100)
    criteria = models.JSONField(_("criteria"), default=list, help_text=_("All must hold; empty = everyone."))
    ranked_by_points = models.BooleanField(_("ranked by points (随迁子女)"), default=False)

    class Meta:
        ordering = ["rules", "order"]
        constraints = [
            models.UniqueConstraint(fields=["rules", "code"], name="tier_code_unique"),
            models.UniqueConstraint(fields=["rules", "order"], name="tier_order_unique"),
        ]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")

    def __str__(self):
        return f"{self.code} {self.label}"


class Residence(models.TextChoices):
    OWNED = "owned", _("We own our home")
    RENTED = "rented", _("We rent")
    NONE = "none", _("No home of our own (living with relatives)")


class State(models.TextChoices):
    VERIFYING = "verifying", _("Verifying")
    NEEDS_REVIEW = "needs_review", _("Needs review")
    AWAITING_SUPPLEMENT = "awaiting_supplement", _("Awaiting supplement")
    QUALIFIED = "qualified", _("Qualified")
    REJECTED = "rejected", _("Rejected")
    ADMITTED = "admitted", _("Admitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Application(ConcurrentTransitionMixin, models.Model):
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="enrollment")
    year = models.PositiveSmallIntegerField(_("entry year"))
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollment_applications"
    )
    child_id_number = EncryptedTextField(_("child's ID number"))
    child_id_hash = models.CharField(max_length=64, db_index=True, editable=False)
    child_name = models.CharField(_("child's name"), max_length=100)
    other_guardian_id_number = EncryptedTextField(_("other guardian's ID number"), blank=True, default="")
    single_parent = models.BooleanField(_("single-parent family"), default=False)
    residence = models.CharField(_("residence"), max_length=8, choices=Residence.choices)
    sibling = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="younger_siblings",
        verbose_name=_("follows the older sibling's application (长幼随学)"),
    )
    consent_at = models.DateTimeField(_("lookup authorised at"))
    state = FSMField(
        _("state"), max_length=24, choices=State.choices, default=State.VERIFYING, protected=True
    )
    category = models.CharField(_("tier"), max_length=4, blank=True)
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2, null=True, blank=True)
    tie_date = models.DateField(_("ranking date"), null=True, blank=True)
    zone_school = models.ForeignKey(
        "orgs.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="zone_applications",
        verbose_name=_("zone school"),
    )
    school = models.ForeignKey(
        "orgs.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="admitted_applications",
        verbose_name=_("admitted to"),
    )
    verify_attempts = models.PositiveSmallIntegerField(default=0)
    verification_queued_at = models.DateTimeField(null=True, blank=True)
    waiting_reason = models.CharField(_("waiting for"), max_length=300, blank=True)
    supplement_due = models.DateField(_("supplement due"), null=True, blank=True)
    originals_seen = models.JSONField(_("originals seen at the counter"), default=list, blank=True)

    class Meta:
        ordering = ["-case__submitted_at"]
        constraints = [
            # one live application per child, year and stage — also under concurrent submissions
            models.UniqueConstraint(
                fields=["child_id_hash", "year", "stage"],
                condition=~Q(state="withdrawn"),
                name="one_live_application_per_child_year_stage",
            ),
        ]
        verbose_name = _("enrollment application")
        verbose_name_plural = _("enrollment applications")

    def __str__(self):
        return self.case.reference_no

    def save(self, *args, **kwargs):
        self.child_id_hash = pii.keyed_hash(self.child_id_number)
        super().save(*args, **kwargs)

    # --- conditions (named, so the reason a transition is refused can be shown) ---------------------------

    @refusal(_("Every automatic check must have passed."))
    def all_checks_passed(self) -> bool:
        return self.checks.exists() and not self.checks.exclude(result=CheckResult.PASS).exists()

    def no_check_pending(self) -> bool:
        return not self.checks.filter(result__in=[CheckResult.PENDING, CheckResult.UNAVAILABLE]).exists()

    # --- who may act (``permission=`` of the transitions; the services check ``has_transition_perm``) -----

    @staticmethod
    def reviewer_in_scope(instance: "Application", user) -> bool:
        """A school clerk of the case's school or bureau staff of its district (or a superuser)."""
        if user is None or not (
            user.is_superuser or getattr(user, "role", None) in (Role.CLERK, Role.BUREAU)
        ):
            return False
        return can_handle(user, instance.case)

    @staticmethod
    def the_applicant(instance: "Application", user) -> bool:
        """The guardian who applied."""
        return is_applicant(user, instance.case)

    # --- transitions: state and bookkeeping only ----------------------------------------------------------

    @transition(field=state, source=State.VERIFYING, target=State.QUALIFIED, conditions=[all_checks_passed])
    def qualify_automatically(self):
        """秒批: every check passed; the place notice is issued."""
        self.waiting_reason = ""

    @transition(field=state, source=State.VERIFYING, target=State.NEEDS_REVIEW)
    def send_to_review(self):
        """A check failed, or a registry stayed unavailable: a clerk decides."""

    @transition(
        field=state,
        source=[State.NEEDS_REVIEW, State.AWAITING_SUPPLEMENT],
        target=State.QUALIFIED,
        permission=reviewer_in_scope,
    )
    def approve(self):
        """A reviewer approves; the place notice is issued."""
        self.supplement_due = None

    @transition(
        field=state,
        source=[State.NEEDS_REVIEW, State.AWAITING_SUPPLEMENT, State.VERIFYING],
        target=State.REJECTED,
        permission=reviewer_in_scope,
    )
    def reject(self):
        """A reviewer rejects with a reason."""
        self.supplement_due = None

    @transition(
        field=state, source=State.NEEDS_REVIEW, target=State.AWAITING_SUPPLEMENT, permission=reviewer_in_scope
    )
    def request_supplement(self, due):
        """容缺: the family is asked for a material by ``due``; the case clock pauses until they supply it."""
        self.supplement_due = due

    @transition(
        field=state, source=State.AWAITING_SUPPLEMENT, target=State.NEEDS_REVIEW, permission=the_applicant
    )
    def receive_supplement(self):
        """The family uploaded the material; the clock resumes and the reviewer looks again."""
        self.supplement_due = None

    @transition(
        field=state,
        source=[State.VERIFYING, State.NEEDS_REVIEW, State.AWAITING_SUPPLEMENT, State.QUALIFIED],
        target=State.WITHDRAWN,
        permission=the_applicant,
    )
    def withdraw(self):
        """The guardian withdraws before admission."""

    @transition(field=state, source=State.QUALIFIED, target=State.ADMITTED)
    def admit(self, school):
        """Allocation gave the child a seat at ``school`` (after the public notice)."""
        self.school = school


class Check(RegistryCheck):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="checks")

    class Meta(RegistryCheck.Meta):
        constraints = [models.UniqueConstraint(fields=["application", "name"], name="one_result_per_check")]
        verbose_name = _("check")
        verbose_name_plural = _("checks")


class Draft(models.Model):
    """The parent wizard's answers, saved between visits (before a case exists)."""

    guardian = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    stage = models.CharField(max_length=16, choices=Stage.choices)
    data = EncryptedTextField(default="{}")
    step = models.PositiveSmallIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["guardian", "year", "stage"], name="one_draft")]
        verbose_name = _("application draft")
        verbose_name_plural = _("application drafts")

    def __str__(self):
        return f"draft {self.guardian_id} {self.year} {self.stage}"
