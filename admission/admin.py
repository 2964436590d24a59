"""Bureau staff configure rounds and early-warning settings; placements and runs are read-only
here (they change only through the services)."""

from django.contrib import admin

from admission.models import (
    AdmissionRound,
    AllocationRun,
    EarlyWarningSettings,
    Placement,
    SeatLedger,
)


@admin.register(AdmissionRound)
class AdmissionRoundAdmin(admin.ModelAdmin):
    list_display = ("district", "year", "stage", "notice_working_days", "seed", "seed_published_at")
    list_filter = ("district", "year", "stage")
    readonly_fields = ("seed", "seed_published_at", "seed_published_by")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SeatLedger)
class SeatLedgerAdmin(ReadOnlyAdmin):
    list_display = ("school", "year", "seats", "taken")
    list_filter = ("year",)
    search_fields = ("school__code", "school__name")


@admin.register(AllocationRun)
class AllocationRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "round", "dry_run", "status", "applicants", "result_sha256", "requested_at")
    list_filter = ("status", "dry_run")
    exclude = ("summary",)


@admin.register(Placement)
class PlacementAdmin(ReadOnlyAdmin):
    list_display = ("school", "year", "seat_no", "how", "state", "notice_until")
    list_filter = ("state", "how", "year")
    search_fields = ("school__code", "application__case__reference_no")
    raw_id_fields = ("application",)


@admin.register(EarlyWarningSettings)
class EarlyWarningSettingsAdmin(admin.ModelAdmin):
    list_display = ("district", "purchase_months", "children_per_home", "yellow_ratio", "red_ratio")
