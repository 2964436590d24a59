"""Admin: schools set up their programmes and slots; applications are read here and acted on through the
pages (every change goes through the services). Verbose names are translated (Chinese in the catalogue)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from afterschool.models import Application, Program, ProgramSlot
from portal.accounts.models import Role
from portal.cases.scoping import scope_cases


def _scoped_programs(request, qs):
    user = request.user
    if user.is_superuser:
        return qs
    if user.role == Role.CLERK:
        return qs.filter(school_id=user.school_id)
    if user.role in (Role.BUREAU, Role.AUDITOR):
        return qs.filter(school__district_id=user.district_id)
    return qs.none()


class SlotInline(admin.TabularInline):
    model = ProgramSlot
    extra = 1
    fields = ("leave_at", "capacity")

    def get_readonly_fields(self, request, obj=None):
        # a saved slot's seats change through the school page (which promotes the waitlist)
        return ("capacity",) if obj is not None else ()


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "school",
        "term",
        "term_starts",
        "term_ends",
        "applications_open",
        "applications_close",
        "phase",
    )
    list_filter = ("phase", "term")
    search_fields = ("name", "school__name", "term")
    readonly_fields = ("phase", "closed_at")
    inlines = [SlotInline]
    fieldsets = (
        (None, {"fields": ("school", "name", "term", "term_starts", "term_ends", "grades", "weekdays")}),
        (_("Fee and applications"), {"fields": ("fee_item", "applications_open", "applications_close")}),
        (_("For families"), {"fields": ("teachers", "description")}),
        (_("Status"), {"fields": ("phase", "closed_at")}),
    )

    def get_queryset(self, request):
        return _scoped_programs(request, super().get_queryset(request).select_related("school"))


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("reference_no", "student_name", "program", "slot", "state", "queued_at", "submitted_at")
    list_filter = ("state", "program")
    search_fields = ("case__reference_no", "student_name")
    readonly_fields = [f.name for f in Application._meta.concrete_fields if f.name != "student_id_number"]
    exclude = ("student_id_number",)

    @admin.display(description=_("case"), ordering="case__reference_no")
    def reference_no(self, obj):
        return obj.case.reference_no

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("case", "program__school", "slot")
        return scope_cases(request.user, qs, case_path="case") if not request.user.is_superuser else qs

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
