"""The archive's entries in a case's trace."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.cases.actions import register_actions


class ArchiveAction(models.TextChoices):
    ARCHIVED = "archive.archived", _("Archived (归档)")


register_actions(ArchiveAction)
