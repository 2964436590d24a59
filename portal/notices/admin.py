"""Bureau staff see notices and objections here; objections are answered on the staff page (through
the service), so the admin only reads."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.notices.models import Notice, NoticeEntry, Objection


class NoticeEntryInline(admin.TabularInline):
    model = NoticeEntry
    fields = ("position", "name", "school_name", "grade", "public", "case")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnly):
    list_display = ("title", "service", "district", "school", "starts_on", "ends_on", "status")
    list_filter = ("status", "service", "district")
    search_fields = ("title",)
    inlines = [NoticeEntryInline]


@admin.register(Objection)
class ObjectionAdmin(ReadOnly):
    list_display = ("__str__", "notice", "state", "created_at", "answered_at", "answer_link")
    list_filter = ("state",)
    raw_id_fields = ("notice", "entry", "case", "by", "answered_by")

    @admin.display(description=_("answer"))
    def answer_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("notices:objection", args=[obj.pk]), _("Answer"))
