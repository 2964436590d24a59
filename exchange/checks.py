"""One automatic check of an application against the registries, as every service records it.

Enrollment, teacher certificates and student aid each keep, per application, one row per check — its
result, the reason shown to the family and to staff, and the exchange look-up it rests on. The shape is
written once here; each service adds the foreign key to its own application and its constraint names.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckResult(models.TextChoices):
    PASS = "pass", _("Passed")
    FAIL = "fail", _("Failed")
    PENDING = "pending", _("Pending")
    UNAVAILABLE = "unavailable", _("Registry unavailable")


class RegistryCheck(models.Model):
    """Abstract: a service's check model adds ``application = ForeignKey(…, related_name="checks")`` and,
    in its Meta, the unique constraint on ``(application, name)``."""

    name = models.CharField(_("check"), max_length=32)
    result = models.CharField(_("result"), max_length=16, choices=CheckResult.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    lookup = models.ForeignKey(
        "exchange.Lookup", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["application", "id"]

    def __str__(self):
        return f"{self.name}: {self.result}"
