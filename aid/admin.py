"""Bureau staff set up aid schemes here: levels with amounts, which qualification gives which level, the
budget. Applications and batches are read-only (every change goes through the services and ``perform``);
account numbers show masked."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from aid.models import AidApplication, AidCheck, BatchLine, DisbursementBatch, LevelRule, Scheme, SchemeLevel
from payments.money import format_yuan


class LevelInline(admin.TabularInline):
    model = SchemeLevel
    extra = 0
    fields = ["level", "name", "amount_fen"]


class RuleInline(admin.TabularInline):
    model = LevelRule
    extra = 0
    fields = ["qualification", "level"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "level":
            scheme_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = SchemeLevel.objects.filter(scheme_id=scheme_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "district", "year", "term", "opens_on", "closes_on", "budget"]
    list_filter = ["year", "kind", "district"]
    search_fields = ["code", "name"]
    inlines = [LevelInline, RuleInline]

    @admin.display(description=_("budget"))
    def budget(self, obj):
        return format_yuan(obj.budget_fen)

    def save_related(self, request, form, formsets, change):
        from aid.services import scheme_ensure_defaults  # services import the catalogue: after ready()

        super().save_related(request, form, formsets, change)
        scheme_ensure_defaults(scheme=form.instance)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CheckInline(admin.TabularInline):
    model = AidCheck
    fields = ["name", "result", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AidApplication)
class AidApplicationAdmin(ReadOnly):
    list_display = ["case", "scheme", "school", "grade", "state", "level", "amount"]
    list_filter = ["state", "scheme"]
    search_fields = ["case__reference_no"]
    fields = [
        "case",
        "scheme",
        "school",
        "grade",
        "state",
        "proposed_level",
        "level",
        "level_note",
        "amount",
        "account",
    ]
    readonly_fields = fields
    inlines = [CheckInline]

    @admin.display(description=_("amount"))
    def amount(self, obj):
        return format_yuan(obj.amount_fen)

    @admin.display(description=_("bank account number"))
    def account(self, obj):
        return obj.masked_account


class LineInline(admin.TabularInline):
    model = BatchLine
    fields = ["application", "account_name", "account", "amount", "status", "bank_reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("bank account number"))
    def account(self, obj):
        return obj.masked_account

    @admin.display(description=_("amount"))
    def amount(self, obj):
        return format_yuan(obj.amount_fen)


@admin.register(DisbursementBatch)
class DisbursementBatchAdmin(ReadOnly):
    list_display = ["__str__", "scheme", "term", "state", "created_at", "returned_at"]
    list_filter = ["state", "scheme"]
    fields = ["scheme", "term", "state", "created_by", "created_at", "returned_at"]
    readonly_fields = fields
    inlines = [LineInline]
