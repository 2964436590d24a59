"""The service catalogue, edited by bureau staff: each item's guide with its materials and steps."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.catalog.models import ServiceItem, ServiceMaterial, ServiceStep


class ServiceMaterialInline(admin.TabularInline):
    model = ServiceMaterial
    fields = ("order", "name", "source", "registry", "required", "key", "note")
    extra = 0


class ServiceStepInline(admin.TabularInline):
    model = ServiceStep
    fields = ("order", "title", "description")
    extra = 0


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "decision_mode",
        "promised_days",
        "visits_required",
        "online",
        "published",
        "owner_app",
        "order",
    )
    list_display_links = ("code", "name")
    list_editable = ("published", "order")
    list_filter = ("published", "decision_mode", "online", "retention_period", "department")
    search_fields = ("code", "name", "summary", "department")
    readonly_fields = ("owner_app",)
    inlines = [ServiceMaterialInline, ServiceStepInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "summary", "department", "owner_app", "published", "order")}),
        (_("Guide"), {"fields": ("scope", "conditions", "legal_basis")}),
        (
            _("Time limits and channel"),
            {"fields": ("decision_mode", "promised_days", "legal_days", "fee", "visits_required", "online")},
        ),
        (_("Contacts"), {"fields": ("contact_phone", "contact_address", "office_hours")}),
        (_("Archive"), {"fields": ("retention_period",)}),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("code")  # reference numbers of existing cases carry it
        return fields
