"""Authorisations (授权) and the audit record of every look-up at the data-sharing exchange.

PIPL, and DOMAIN.md: every registry look-up records purpose, case, requester and the guardian's
authorisation; registry payloads and ID numbers are encrypted at rest, with a keyed hash for equality
look-ups; a guardian can see who looked at their child's data, when and why. Look-ups are append-only
(PostgreSQL enforces it, see migrations/0002); an authorisation is written once and may only be revoked.
"""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange.sources import SOURCES
from portal.core import pii
from portal.core.fields import EncryptedJSONField, EncryptedTextField
from portal.core.models import AppendOnlyError, AppendOnlyModel

SOURCE_CHOICES = list(SOURCES.items())


def answer_digest(answer) -> str:
    """SHA-256 of the canonical JSON of an answer (sorted keys, no spaces, UTF-8); '' for no answer."""
    if answer is None:
        return ""
    canonical = json.dumps(answer, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Authorisation(models.Model):
    """A guardian's consent (授权) that the portal may fetch a person's data from the listed registries,
    for one case or (``case`` empty) for the look-ups that open one. Revocable, never edited or deleted."""

    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="exchange_authorisations",
        verbose_name=_("guardian"),
    )
    subject_id_number = EncryptedTextField(_("whose data (ID number)"))
    subject_hash = models.CharField(max_length=64, db_index=True, editable=False)
    subject_masked = models.CharField(_("whose data"), max_length=32, editable=False)
    subject_name = models.CharField(_("name"), max_length=100, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exchange_authorisations",
        verbose_name=_("case"),
    )
    purpose = models.CharField(_("purpose"), max_length=200)
    sources = models.JSONField(_("registries allowed"), default=list)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "-pk"]
        verbose_name = _("authorisation")
        verbose_name_plural = _("authorisations")
        indexes = [models.Index(fields=["subject_hash", "revoked_at"])]

    def __str__(self):
        return f"{self.guardian} → {self.subject_masked} ({', '.join(self.sources)})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("an authorisation is not edited; revoke it and grant a new one")
        self.derive_subject()
        super().save(*args, **kwargs)

    def derive_subject(self) -> None:
        """Set the keyed hash (what look-ups match on) and the masked form (what screens show) of the
        subject's ID number; save() does it, and so must whoever inserts rows in bulk."""
        self.subject_hash = pii.keyed_hash(self.subject_id_number)
        self.subject_masked = pii.mask_id(self.subject_id_number)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("authorisations are kept; revoke instead")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def covers(self, source: str) -> bool:
        return self.is_active and source in self.sources


class Outcome(models.TextChoices):
    OK = "ok", _("Answered")
    NOT_FOUND = "not_found", _("No record")
    MISMATCH = "mismatch", _("Did not match")
    UNAVAILABLE = "unavailable", _("Registry unavailable")
    NOT_AUTHORISED = "not_authorised", _("Refused: no authorisation")


class Lookup(AppendOnlyModel):
    """One look-up at the exchange (or one refused for want of an authorisation): who, when, why, which
    registry, what was asked and answered (encrypted, with the answer's SHA-256), how it went, how long."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    source = models.CharField(_("registry"), max_length=32, choices=SOURCE_CHOICES, db_index=True)
    operation = models.CharField(_("look-up"), max_length=48)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exchange_lookups",
        verbose_name=_("case"),
    )
    purpose = models.CharField(_("purpose"), max_length=200)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
        help_text=_("Empty for the portal's automatic checks."),
    )
    requester_label = models.CharField(_("requested by"), max_length=120)
    authorisation = models.ForeignKey(
        Authorisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lookups",
        verbose_name=_("authorisation"),
    )
    subject_hash = models.CharField(max_length=64, db_index=True, editable=False)
    subject_masked = models.CharField(_("whose data"), max_length=32)
    query = EncryptedJSONField(_("what was asked"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    http_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    answer = EncryptedJSONField(_("answer"), null=True, blank=True)
    answer_sha256 = models.CharField(_("answer SHA-256"), max_length=64, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("registry look-up")
        verbose_name_plural = _("registry look-ups")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.source}.{self.operation} {self.subject_masked} {self.outcome}"

    @property
    def answer_intact(self) -> bool:
        """Does the stored (decrypted) answer still hash to the digest recorded with it?"""
        return answer_digest(self.answer) == self.answer_sha256

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source)
