"""Service items (事项) and their published guides (办事指南), edited by bureau staff in the admin."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DecisionMode(models.TextChoices):
    INSTANT = "instant", _("Decided on the spot (即办件)")
    PROMISED = "promised", _("Decided within promised working days (承诺件)")


class RetentionPeriod(models.TextChoices):
    PERMANENT = "permanent", _("Permanent (永久)")
    Y30 = "30y", _("30 years")
    Y10 = "10y", _("10 years")


class ServiceItem(models.Model):
    code = models.SlugField(
        _("code"), max_length=8, unique=True, help_text=_("Short upper-case code used in reference numbers.")
    )
    name = models.CharField(_("name"), max_length=200)
    owner_app = models.CharField(_("handled by"), max_length=32, blank=True, editable=False)
    department = models.CharField(_("responsible department"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    scope = models.TextField(_("who may apply"))
    conditions = models.TextField(_("conditions"))
    decision_mode = models.CharField(_("decision mode"), max_length=16, choices=DecisionMode.choices)
    promised_days = models.PositiveSmallIntegerField(_("promised working days"), default=0)
    legal_days = models.PositiveSmallIntegerField(_("statutory working days"), default=0)
    fee = models.CharField(_("fee"), max_length=200, default="不收费")
    visits_required = models.PositiveSmallIntegerField(_("visits needed"), default=0)
    online = models.BooleanField(_("can be done fully online"), default=True)
    contact_phone = models.CharField(_("contact phone"), max_length=64, blank=True)
    contact_address = models.CharField(_("office address"), max_length=300, blank=True)
    office_hours = models.CharField(_("office hours"), max_length=200, blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    retention_period = models.CharField(
        _("archive retention"), max_length=16, choices=RetentionPeriod.choices, default=RetentionPeriod.Y30
    )
    published = models.BooleanField(_("published"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("service item")
        verbose_name_plural = _("service items")

    def __str__(self):
        return self.name


class MaterialSource(models.TextChoices):
    FETCHED = "fetched", _("Fetched by the portal (no upload)")
    UPLOAD = "upload", _("Uploaded by the applicant")
    ORIGINAL = "original", _("Original shown at the counter")


class ServiceMaterial(models.Model):
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="materials")
    name = models.CharField(_("material"), max_length=200)
    source = models.CharField(_("how it is obtained"), max_length=16, choices=MaterialSource.choices)
    registry = models.CharField(_("registry fetched from"), max_length=100, blank=True)
    required = models.BooleanField(_("required"), default=True)
    key = models.BooleanField(
        _("key material"), default=True, help_text=_("Non-key materials may be supplemented later (容缺).")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["item", "order", "id"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self):
        return self.name


class ServiceStep(models.Model):
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("step"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["item", "order", "id"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self):
        return self.title
