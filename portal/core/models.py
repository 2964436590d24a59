"""Kernel-wide building blocks: append-only records and the personal-data access log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.core import pii


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an append-only record."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    """A row that is written once. PostgreSQL enforces it too (see core.migration_ops)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class PersonalDataAccess(AppendOnlyModel):
    """Who saw a full ID number (or other full personal value), when, which record, and why."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("viewed by")
    )
    subject_hash = models.CharField(max_length=64, db_index=True, editable=False)
    subject_masked = models.CharField(_("whose data"), max_length=32)
    record_type = models.CharField(_("record type"), max_length=64)
    record_id = models.CharField(_("record"), max_length=64)
    field = models.CharField(_("field"), max_length=64)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("personal-data view")
        verbose_name_plural = _("personal-data views")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.record_type}#{self.record_id}.{self.field}"


def record_full_view(*, actor, value: str, record, field: str, reason: str) -> PersonalDataAccess:
    """Log that ``actor`` saw the full ``value`` of ``record.field``; call before showing it."""
    return PersonalDataAccess.objects.create(
        actor=actor,
        subject_hash=pii.keyed_hash(value),
        subject_masked=pii.mask_id(value),
        record_type=record._meta.label,
        record_id=str(record.pk),
        field=field,
        reason=reason[:200],
    )
