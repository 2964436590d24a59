from django.contrib import admin

from portal.invitations.models import Invitation


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["service", "year", "subject_name_masked", "person", "status", "expires_on", "case"]
    list_filter = ["status", "service", "year"]
    search_fields = ["=case__reference_no"]
    fields = [
        "service",
        "year",
        "subject_name_masked",
        "person",
        "district",
        "school",
        "summary",
        "status",
        "expires_on",
        "case",
        "created_at",
        "answered_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
