"""Records and their history in the admin, read-only: they change only through the services (transfers,
suspensions, resumptions, corrections, admissions, rosters), which keep the history."""

from django.contrib import admin

from studentstatus.models import (
    Correction,
    Resumption,
    StudentRecord,
    StudentRecordHistory,
    Suspension,
    Transfer,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryInline(admin.TabularInline):
    model = StudentRecordHistory
    fields = ("at", "action", "by", "case", "changes", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(StudentRecord)
class StudentRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "masked_student_no",
        "name",
        "school",
        "stage",
        "entry_year",
        "grade",
        "class_name",
        "status",
    )
    list_filter = ("status", "stage", "entry_year", "grade")
    search_fields = ("name", "school__code", "school__name")
    exclude = ("student_no",)
    inlines = [HistoryInline]


@admin.register(StudentRecordHistory)
class StudentRecordHistoryAdmin(ReadOnlyAdmin):
    list_display = ("record", "at", "action", "by", "case")
    list_filter = ("action",)


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("case", "from_school", "to_school", "grade", "state", "step_due")
    list_filter = ("state",)


@admin.register(Suspension)
class SuspensionAdmin(ReadOnlyAdmin):
    list_display = ("case", "record", "months", "state", "starts_on", "ends_on", "step_due")
    list_filter = ("state",)


@admin.register(Resumption)
class ResumptionAdmin(ReadOnlyAdmin):
    list_display = ("case", "record", "grade", "state", "step_due")
    list_filter = ("state",)


@admin.register(Correction)
class CorrectionAdmin(ReadOnlyAdmin):
    list_display = ("case", "record", "field", "state", "check_result", "step_due")
    list_filter = ("state", "field")


# --- graduation (毕业) -----------------------------------------------------------------------------------

from django.utils.translation import gettext_lazy as _  # noqa: E402

from studentstatus.models import GraduationCertificate, GraduationRun  # noqa: E402


@admin.register(GraduationRun)
class GraduationRunAdmin(ReadOnlyAdmin):
    """A run is started on the bureau's graduation page (/studentstatus/graduation/); here it is followed."""

    list_display = (
        "case",
        "district",
        "year",
        "state",
        "progress",
        "certificates",
        "created_at",
        "finished_at",
    )
    list_filter = ("state", "year", "district")
    readonly_fields = ("progress",)

    @admin.display(description=_("progress"))
    def progress(self, obj):
        return f"{obj.graduated} / {obj.total} ({obj.percent}%)"


@admin.register(GraduationCertificate)
class GraduationCertificateAdmin(ReadOnlyAdmin):
    list_display = ("certificate_no", "record", "school", "run", "rendered_at")
    list_filter = ("run__year", "school")
    search_fields = ("certificate_no",)
    exclude = ("pdf",)
