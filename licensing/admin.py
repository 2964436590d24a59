"""Bureau staff edit the configuration (departments per kind, periods, lists, inspectors, campaigns) and
run the draw and the publication from admin actions that call the services; applications and reviews are
read-only here (every change goes through the services and ``perform``)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from licensing import services
from licensing.models import (
    Application,
    DepartmentReview,
    Inspection,
    InspectionCampaign,
    Inspector,
    Institution,
    KindMaterial,
    LicensingSettings,
    ListEntry,
    ReviewDepartment,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReviewDepartment)
class ReviewDepartmentAdmin(admin.ModelAdmin):
    list_display = ["kind", "department", "working_days"]
    list_filter = ["kind"]


@admin.register(KindMaterial)
class KindMaterialAdmin(admin.ModelAdmin):
    """The materials list per kind of application: key ones are needed for acceptance, required non-key
    ones may follow (容缺), fetched ones come from the exchange (an upload when the registry has none)."""

    list_display = ["kind", "order", "name", "source", "key", "required", "note"]
    list_display_links = ["name"]
    list_editable = ["order", "source", "key", "required"]
    list_filter = ["kind", "source", "key"]
    search_fields = ["name"]


@admin.register(LicensingSettings)
class LicensingSettingsAdmin(admin.ModelAdmin):
    list_display = ["district", "supplement_working_days", "default_review_days"]


@admin.register(ListEntry)
class ListEntryAdmin(admin.ModelAdmin):
    list_display = ["list_kind", "name", "credit_code", "reason", "source", "starts_on", "ends_on"]
    list_filter = ["list_kind"]
    search_fields = ["name", "credit_code"]


@admin.register(Inspector)
class InspectorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "user"]
    filter_horizontal = ["linked_institutions"]


class InspectionInline(admin.TabularInline):
    model = Inspection
    fields = ["institution", "result", "findings", "recorded_at"]
    readonly_fields = ["institution", "result", "findings", "recorded_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InspectionCampaign)
class InspectionCampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "share_percent", "state", "seed", "drawn_at", "published_at"]
    readonly_fields = ["state", "seed", "drawn_at", "published_at"]
    filter_horizontal = ["inspectors"]
    inlines = [InspectionInline]
    actions = ["draw", "publish"]

    @admin.action(description=_("Draw institutions and inspectors (双随机)"))
    def draw(self, request, queryset):
        self._run(request, queryset, lambda c: services.campaign_draw(campaign=c, by=request.user))

    @admin.action(description=_("Publish the results"))
    def publish(self, request, queryset):
        self._run(request, queryset, lambda c: services.campaign_publish(campaign=c, by=request.user))

    def _run(self, request, queryset, act):
        for campaign in queryset:
            try:
                act(campaign)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, f"{campaign}: {'；'.join(getattr(exc, 'messages', [str(exc)]))}")
            else:
                messages.success(request, f"{campaign}: {_('Done.')}")


@admin.register(Inspection)
class InspectionAdmin(ReadOnly):
    list_display = ["campaign", "institution", "result", "recorded_at"]
    list_filter = ["campaign", "result"]


@admin.register(Institution)
class InstitutionAdmin(ReadOnly):
    list_display = ["credit_code", "name", "level", "licence_no", "licensed"]
    search_fields = ["credit_code", "name"]


class ReviewInline(admin.TabularInline):
    model = DepartmentReview
    fields = ["department", "state", "due_on", "note", "decided_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnly):
    list_display = ["case", "kind", "school_name", "credit_code", "state", "licence_no", "created_at"]
    list_filter = ["state", "kind"]
    search_fields = ["case__reference_no", "credit_code", "school_name", "licence_no"]
    inlines = [ReviewInline]


@admin.register(DepartmentReview)
class DepartmentReviewAdmin(ReadOnly):
    list_display = ["application", "department", "state", "due_on", "overdue_flagged_at"]
    list_filter = ["state", "department"]
