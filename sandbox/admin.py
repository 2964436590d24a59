"""Admin for the stand-in registries and their fault injection (sandbox only: full ID numbers are shown,
these tables stand for other authorities' databases and are not installed in production)."""

from django.contrib import admin

from sandbox import models as m


@admin.register(m.SourceFault)
class SourceFaultAdmin(admin.ModelAdmin):
    list_display = ["source", "latency_ms", "error_rate", "timeout_rate", "hang_ms", "seed", "requests"]
    list_editable = ["latency_ms", "error_rate", "timeout_rate", "hang_ms", "seed"]
    readonly_fields = ["requests"]


@admin.register(m.Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["id_number", "name", "gender", "birth_date", "household_no", "relation", "community_code"]
    list_filter = ["relation", "gender"]
    search_fields = ["=id_number", "name", "=household_no", "=phone"]
    show_full_result_count = False


class PropertyOwnerInline(admin.TabularInline):
    model = m.PropertyOwner
    extra = 0


@admin.register(m.Property)
class PropertyAdmin(admin.ModelAdmin):
    list_display = ["cert_no", "community_code", "area_m2", "registered_date", "use"]
    list_filter = ["use"]
    search_fields = ["=cert_no", "=owners__id_number", "address"]
    inlines = [PropertyOwnerInline]
    show_full_result_count = False


class LeaseTenantInline(admin.TabularInline):
    model = m.LeaseTenant
    extra = 0


@admin.register(m.Lease)
class LeaseAdmin(admin.ModelAdmin):
    list_display = ["lease_no", "community_code", "start_date", "end_date"]
    search_fields = ["=lease_no", "=tenants__id_number"]
    inlines = [LeaseTenantInline]
    show_full_result_count = False


@admin.register(m.ResidencePermit)
class ResidencePermitAdmin(admin.ModelAdmin):
    list_display = ["id_number", "community_code", "issued_date", "valid_until"]
    search_fields = ["=id_number"]
    show_full_result_count = False


@admin.register(m.SocialInsurance)
class SocialInsuranceAdmin(admin.ModelAdmin):
    list_display = ["id_number", "city", "first_month", "months_paid"]
    search_fields = ["=id_number"]
    show_full_result_count = False


@admin.register(m.BirthRecord)
class BirthRecordAdmin(admin.ModelAdmin):
    list_display = ["cert_no", "child_id", "mother_id", "father_id"]
    search_fields = ["=cert_no", "=child_id", "=mother_id", "=father_id"]
    show_full_result_count = False


@admin.register(m.MarriageRecord)
class MarriageRecordAdmin(admin.ModelAdmin):
    list_display = ["cert_no", "party_a", "party_b", "date", "status"]
    list_filter = ["status"]
    search_fields = ["=cert_no", "=party_a", "=party_b"]
    show_full_result_count = False


@admin.register(m.StudentRecord)
class StudentRecordAdmin(admin.ModelAdmin):
    list_display = ["id_number", "stage", "school_code", "grade", "status", "graduation_year"]
    list_filter = ["stage", "status", "grade"]
    search_fields = ["=id_number", "=school_code"]
    show_full_result_count = False


@admin.register(m.WelfareRecord)
class WelfareRecordAdmin(admin.ModelAdmin):
    list_display = ["id_number", "type", "valid_until"]
    list_filter = ["type"]
    search_fields = ["=id_number"]


@admin.register(m.DisabilityRecord)
class DisabilityRecordAdmin(admin.ModelAdmin):
    list_display = ["id_number", "level"]
    search_fields = ["=id_number"]


@admin.register(m.DegreeRecord)
class DegreeRecordAdmin(admin.ModelAdmin):
    list_display = ["cert_no", "id_number", "degree", "institution", "year"]
    search_fields = ["=cert_no", "=id_number"]
    show_full_result_count = False


@admin.register(m.Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["credit_code", "name", "legal_rep_id", "status"]
    list_filter = ["status"]
    search_fields = ["=credit_code", "name", "=legal_rep_id"]


admin.site.register(m.SmsMessage)

from sandbox.courier import admin as _courier_admin  # noqa: E402,F401 - the courier's screens
from sandbox.payments import admin as _payments_admin  # noqa: E402,F401 - the payment platform's screens
