"""Records and their history in the admin, read-only: they change only through the services (transfers,
suspensions, resumptions, corrections, admissions, rosters), which keep the history."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from studentstatus.models import (
    Correction,
    GraduationCertificate,
    GraduationRun,
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


class LeaveCaseAdmin(ReadOnlyAdmin):
    """Suspensions, resumptions and corrections: read-only (they change through their services, so through
    ``perform``); the approve action calls the same service as the pages and the API, as the staff member."""

    search_fields = ("case__reference_no", "record__name", "record__school__code", "record__school__name")
    list_select_related = ("case", "record", "record__school")
    exclude = ("record",)
    readonly_fields = ("record_display",)
    actions = ["approve_selected"]
    approve = None  # the service: (obj, by) → obj

    @admin.display(description=_("student"))
    def record_display(self, obj):
        return f"{obj.record.name} {obj.record.masked_student_no} {obj.record.school}"

    @admin.action(description=_("Approve the selected cases (your step)"))
    def approve_selected(self, request, queryset):
        done = 0
        for obj in queryset:
            try:
                type(self).approve(obj, request.user)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                text = "; ".join(getattr(exc, "messages", [str(exc)]))
                self.message_user(request, f"{obj.case.reference_no}: {text}", messages.ERROR)
        if done:
            self.message_user(request, _("%(n)d case(s) approved.") % {"n": done}, messages.SUCCESS)


@admin.register(Suspension)
class SuspensionAdmin(LeaveCaseAdmin):
    list_display = ("case", "record", "months", "is_extension", "state", "starts_on", "ends_on", "step_due")
    list_filter = ("state", "is_extension", "record__school")
    date_hierarchy = "ends_on"

    @staticmethod
    def approve(obj, user):
        from studentstatus.services import suspensions  # not at import: the admin loads before ready()

        return suspensions.suspension_approve(suspension=obj, by=user)


@admin.register(Resumption)
class ResumptionAdmin(LeaveCaseAdmin):
    list_display = ("case", "record", "grade", "state", "step_due")
    list_filter = ("state", "record__school")
    actions = []  # the school assigns the grade on the case page


@admin.register(Correction)
class CorrectionAdmin(LeaveCaseAdmin):
    list_display = ("case", "record", "field", "state", "check_result", "step_due")
    list_filter = ("state", "field", "check_result", "record__school")

    @staticmethod
    def approve(obj, user):
        from studentstatus.services import corrections

        return corrections.correction_approve(correction=obj, by=user)


# --- graduation (毕业) -----------------------------------------------------------------------------------


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
