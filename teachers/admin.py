"""Bureau staff edit the stage requirements and the application windows; applications, certificate
numbers and honours are read-only here (every change goes through the services and ``perform``)."""

from django.contrib import admin

from teachers.models import (
    ApplicationWindow,
    CertificateApplication,
    CertificateCheck,
    CertificateCounter,
    Honour,
    StageRequirement,
)


@admin.register(StageRequirement)
class StageRequirementAdmin(admin.ModelAdmin):
    list_display = ["stage", "min_degree", "min_mandarin", "min_mandarin_chinese"]


@admin.register(ApplicationWindow)
class ApplicationWindowAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "opens_on", "closes_on"]
    list_filter = ["district"]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CheckInline(admin.TabularInline):
    model = CertificateCheck
    fields = ["name", "result", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CertificateApplication)
class CertificateApplicationAdmin(ReadOnly):
    list_display = ["case", "stage", "subject", "state", "certificate_no", "created_at"]
    list_filter = ["state", "stage"]
    search_fields = ["case__reference_no", "certificate_no"]
    exclude = ["delivery_address"]
    inlines = [CheckInline]


@admin.register(CertificateCounter)
class CertificateCounterAdmin(ReadOnly):
    list_display = ["year", "district_code", "stage", "last"]


@admin.register(Honour)
class HonourAdmin(ReadOnly):
    list_display = ["case", "year", "school_code", "service_start", "break_months", "state"]
    list_filter = ["state", "year"]
    exclude = ["delivery_address"]
