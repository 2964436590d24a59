"""The personal-data access log: read-only, append-only (no add, change or delete, even for superusers)."""

import re

from django.contrib import admin

from portal.core import pii
from portal.core.models import PersonalDataAccess

ID_NUMBER_RE = re.compile(r"^\d{17}[\dXx]$")


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "subject_masked", "record_type", "record_id", "field", "reason")
    list_filter = ("record_type", "field")
    list_select_related = ("actor",)
    search_fields = ("reason", "record_id", "actor__username", "actor__real_name")
    date_hierarchy = "at"
    fields = ("at", "actor", "subject_masked", "record_type", "record_id", "field", "reason")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        """Searching for a full ID number finds the views of that person's data (by keyed hash)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if ID_NUMBER_RE.match(term):
            results = results | queryset.filter(subject_hash=pii.keyed_hash(term))
        return results, may_have_duplicates
