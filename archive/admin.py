"""Admin for the archive: look-up only. No page adds, changes or deletes a package, a check or a download
record — packages are made by the build task and never rewritten (the models refuse it too)."""

from django.contrib import admin

from archive.models import ArchivePackage, PackageCheck, PackageDownload
from portal.cases.admin import ReadOnlyAdminMixin, ScopedAdminMixin


class PackageCheckInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PackageCheck
    fields = ("at", "trigger", "passed", "by")
    readonly_fields = fields
    extra = 0
    can_delete = False


class PackageDownloadInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PackageDownload
    fields = ("at", "by_label", "what")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(ArchivePackage)
class ArchivePackageAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    case_path = "case"
    list_display = ("archival_code", "title", "retention_period", "review_due", "archived_at")
    list_filter = ("retention_period", "fonds_code", "archived_at")
    search_fields = ("archival_code", "case__reference_no")
    list_select_related = ("case",)
    date_hierarchy = "archived_at"
    fields = (
        "archival_code",
        "case",
        "title",
        "fonds_code",
        "fonds_name",
        "responsible",
        "document_date",
        "retention_period",
        "review_due",
        "archived_at",
        "folder",
        "manifest_sha256",
        "key_id",
        "size",
        "parts",
    )
    readonly_fields = fields
    inlines = [PackageCheckInline, PackageDownloadInline]


@admin.register(PackageDownload)
class PackageDownloadAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    case_path = "package__case"
    list_display = ("at", "by_label", "package", "what")
    list_filter = ("what", "at")
    search_fields = ("package__archival_code", "by_label")
    list_select_related = ("package",)
