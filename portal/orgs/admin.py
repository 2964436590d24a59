"""The bureau's organisation, edited by bureau staff: districts, communities, schools with their attendance
zones (施教区) and seats (学位) per year, and the departments of joint reviews."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.orgs.models import Community, Department, District, School, SchoolCapacity


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "district", "lat", "lng")
    list_filter = ("district",)
    list_select_related = ("district",)
    search_fields = ("code", "name")


class SchoolCapacityInline(admin.TabularInline):
    model = SchoolCapacity
    extra = 1
    ordering = ("-year",)


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "stage", "district", "zone_size")
    list_filter = ("district", "stage")
    list_select_related = ("district",)
    search_fields = ("code", "name")
    filter_horizontal = ("zone",)
    inlines = [SchoolCapacityInline]

    @admin.display(description=_("communities in zone"))
    def zone_size(self, obj):
        return obj.zone.count()


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
