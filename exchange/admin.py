"""Read-only admin for authorisations and the look-up audit trail (no answers shown, IDs masked)."""

from django.contrib import admin

from exchange.models import Authorisation, Lookup


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Authorisation)
class AuthorisationAdmin(ReadOnlyAdmin):
    list_display = [
        "granted_at",
        "guardian",
        "subject_masked",
        "subject_name",
        "case",
        "purpose",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["=subject_hash", "case__reference_no", "guardian__username"]
    fields = [
        "guardian",
        "subject_masked",
        "subject_name",
        "case",
        "purpose",
        "sources",
        "granted_at",
        "revoked_at",
    ]
    readonly_fields = fields


@admin.register(Lookup)
class LookupAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "source",
        "operation",
        "subject_masked",
        "case",
        "requester_label",
        "outcome",
        "duration_ms",
    ]
    list_filter = ["source", "outcome"]
    search_fields = ["case__reference_no", "=subject_hash"]
    date_hierarchy = "at"
    fields = [
        "at", "source", "operation", "case", "purpose", "requester", "requester_label", "authorisation",
        "subject_masked", "outcome", "attempts", "http_status", "duration_ms", "answer_sha256", "error",
    ]  # fmt: skip
    readonly_fields = fields
