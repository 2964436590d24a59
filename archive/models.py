"""The electronic archive (单套制): one sealed package per finished case, written once.

A package is a folder under the archive root (``ARCHIVE_ROOT``, default ``MEDIA_ROOT/archive``) holding the
case document as PDF/A-3b (with the case data and trace embedded as JSON), the case's attachments and a
signed XML manifest (DA/T 48-style encapsulation, DA/T 46-style metadata, a SHA-256 digest per part). The
row here is the registry entry that points at the folder. Rows of all three models are append-only
(``AppendOnlyModel`` in code, a trigger in PostgreSQL): a package is never updated or deleted, its checks
and downloads are a log. See docs/workflows/archive.md.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.catalog.models import RetentionPeriod
from portal.core.models import AppendOnlyModel

# 保管期限代码 (DA/T 22): 永久 Y, 定期 30 年 D30, 定期 10 年 D10
RETENTION_CODES = {RetentionPeriod.PERMANENT: "Y", RetentionPeriod.Y30: "D30", RetentionPeriod.Y10: "D10"}
RETENTION_YEARS = {RetentionPeriod.PERMANENT: None, RetentionPeriod.Y30: 30, RetentionPeriod.Y10: 10}
RETENTION_LABELS_ZH = {
    RetentionPeriod.PERMANENT: "永久",
    RetentionPeriod.Y30: "30年",
    RetentionPeriod.Y10: "10年",
}


class ArchivePackage(AppendOnlyModel):
    """The registry entry of one case's package. One per case (the one-to-one link is the database's
    guarantee); the folder it names is written before the row and never rewritten."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="archive_package", verbose_name=_("case")
    )
    archival_code = models.CharField(_("archival code (档号)"), max_length=80, unique=True)
    title = models.CharField(_("title (题名)"), max_length=300)
    fonds_code = models.CharField(_("fonds (全宗号)"), max_length=20)
    fonds_name = models.CharField(_("fonds name"), max_length=200)
    responsible = models.CharField(_("responsible party (责任者)"), max_length=200)
    document_date = models.DateField(_("date (日期)"), help_text=_("The day the case was closed."))
    retention_period = models.CharField(
        _("retention period (保管期限)"), max_length=16, choices=RetentionPeriod.choices
    )
    review_due = models.DateField(
        _("disposal review due"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("When the retention period ends and the package is due for appraisal; empty: permanent."),
    )
    archived_at = models.DateTimeField(_("archived at"), auto_now_add=True, db_index=True)
    folder = models.CharField(_("folder"), max_length=300, unique=True, help_text=_("Under ARCHIVE_ROOT."))
    manifest_sha256 = models.CharField(_("manifest SHA-256"), max_length=64)
    key_id = models.CharField(_("signing key (SHA-256 fingerprint)"), max_length=64)
    parts = models.JSONField(_("parts"), default=list, help_text=_("Path, role, type, size and SHA-256."))
    size = models.PositiveBigIntegerField(_("size (bytes)"))

    class Meta:
        ordering = ["-archived_at", "-pk"]
        verbose_name = _("archive package")
        verbose_name_plural = _("archive packages")

    def __str__(self):
        return self.archival_code

    @property
    def retention_label(self) -> str:
        return RETENTION_LABELS_ZH.get(self.retention_period, self.retention_period)


class CheckTrigger(models.TextChoices):
    BUILD = "build", _("When the package was made")
    PAGE = "page", _("On demand (staff page)")
    COMMAND = "command", _("On demand (archive_verify)")


class PackageCheck(AppendOnlyModel):
    """One run of the four-properties check (四性检测) on a stored package, item by item."""

    package = models.ForeignKey(ArchivePackage, on_delete=models.PROTECT, related_name="checks")
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    trigger = models.CharField(_("run"), max_length=16, choices=CheckTrigger.choices)
    passed = models.BooleanField(_("passed"))
    items = models.JSONField(_("check items"), default=list)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("four-properties check")
        verbose_name_plural = _("four-properties checks")

    def __str__(self):
        return f"{self.package_id} {self.at:%Y-%m-%d %H:%M} {'pass' if self.passed else 'FAIL'}"


class PackageDownload(AppendOnlyModel):
    """Who retrieved which package (or its document), when: every download is logged."""

    package = models.ForeignKey(ArchivePackage, on_delete=models.PROTECT, related_name="downloads")
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_label = models.CharField(_("by"), max_length=120)
    what = models.CharField(_("what"), max_length=32)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("package download")
        verbose_name_plural = _("package downloads")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.by_label} {self.package_id} {self.what}"
