"""Admin for the case kernel: bureau staff look cases up (scoped to what they may see), maintain the
working-day calendar and close rectification tasks. No page edits a case's status or its trace: status
changes go through services (STYLE.md: "avoid: admin lets staff pick a status in a dropdown")."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from portal.cases import services
from portal.cases.actions import label_for
from portal.cases.models import (
    Attachment,
    CalendarDay,
    Case,
    CaseEvent,
    NumberSeries,
    Rating,
    RectificationStatus,
    RectificationTask,
)
from portal.cases.scoping import scope_cases
from portal.core import pii


class ScopedAdminMixin:
    """Non-superusers see only the rows of cases they may see (portal.cases.scoping)."""

    case_path = ""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return scope_cases(request.user, qs, case_path=self.case_path)


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CaseEvent
    fields = ("seq", "at", "actor_label", "action_label", "from_state", "to_state", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("seq",)

    @admin.display(description=_("action"))
    def action_label(self, obj):
        return label_for(obj.action)


class AttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Attachment
    fields = ("kind", "original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Case)
class CaseAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """View-only: status is protected (FSM) and every change is a service call that writes an event."""

    list_display = ("reference_no", "service", "masked_subject_id", "status", "deadline", "channel", "visits")
    list_filter = ("status", "channel", "service", "district", "accepted_on")
    search_fields = ("reference_no",)
    list_select_related = ("service",)
    date_hierarchy = "accepted_on"
    fields = (
        "reference_no",
        "service",
        "applicant",
        "subject_name",
        "masked_subject_id",
        "channel",
        "status",
        "district",
        "school",
        "departments",
        "submitted_at",
        "accepted_on",
        "promised_days",
        "paused_working_days",
        "paused_since",
        "deadline",
        "closed_at",
        "visits",
        "next_step",
    )
    readonly_fields = fields
    inlines = [CaseEventInline, AttachmentInline]

    @admin.display(description=_("subject ID number"))
    def masked_subject_id(self, obj):
        return pii.mask_id(obj.subject_id_number)

    def has_add_permission(self, request):
        return False  # cases are opened by services (case_open), never by hand

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    case_path = "case"
    list_display = ("case", "seq", "at", "actor_label", "action_label", "from_state", "to_state")
    list_filter = ("action", "at")
    search_fields = ("case__reference_no",)
    list_select_related = ("case",)

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, obj):
        return label_for(obj.action)


@admin.register(NumberSeries)
class NumberSeriesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The numbers services print (certificate numbers …): read-only, taken only by ``number_take``."""

    list_display = ("key", "last")
    search_fields = ("key",)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Where bureau staff enter a year's holidays and make-up working days before the calendar package
    knows them (e.g. 2027), or a local arrangement. A row wins over the package and over weekends."""

    list_display = ("date", "weekday", "is_workday", "note")
    list_filter = ("is_workday",)
    search_fields = ("note",)
    date_hierarchy = "date"
    ordering = ("-date",)

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return obj.date.strftime("%a")


@admin.register(Rating)
class RatingAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    case_path = "case"
    list_display = ("case", "level", "rated_at")
    list_filter = ("level",)
    search_fields = ("case__reference_no",)
    list_select_related = ("case",)


class RectificationTaskForm(forms.ModelForm):
    """Closing is "status → rectified" plus what was done; checked here so the form shows the error."""

    class Meta:
        model = RectificationTask
        fields = ("status", "resolution")

    def clean(self):
        cleaned = super().clean()
        closing = (
            self.instance.status == RectificationStatus.OPEN
            and cleaned.get("status") == RectificationStatus.DONE
        )
        if closing and not (cleaned.get("resolution") or "").strip():
            self.add_error("resolution", _("Say what was done."))
        if (
            cleaned.get("status") == RectificationStatus.OPEN
            and self.instance.status == RectificationStatus.DONE
        ):
            self.add_error("status", _("A closed rectification cannot be reopened."))
        return cleaned


def _error_text(exc: Exception) -> str:
    return "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


@admin.register(RectificationTask)
class RectificationTaskAdmin(ScopedAdminMixin, admin.ModelAdmin):
    case_path = "case"
    form = RectificationTaskForm
    list_display = ("case", "due_on", "status", "closed_at", "closed_by")
    list_filter = ("status", "due_on")
    search_fields = ("case__reference_no",)
    list_select_related = ("case", "closed_by")
    fields = (
        "case",
        "rating_level",
        "rating_comment",
        "due_on",
        "status",
        "resolution",
        "closed_at",
        "closed_by",
    )
    actions = ["close_tasks"]

    @admin.display(description=_("rating"))
    def rating_level(self, obj):
        return obj.rating.get_level_display()

    @admin.display(description=_("comment"))
    def rating_comment(self, obj):
        return obj.rating.comment

    def get_readonly_fields(self, request, obj=None):
        readonly = ["case", "rating_level", "rating_comment", "due_on", "closed_at", "closed_by"]
        # closed_at, not status: after a failed POST ``obj`` already carries the submitted status.
        if obj is not None and obj.closed_at is not None:
            readonly += ["status", "resolution"]
        return readonly

    def has_add_permission(self, request):
        return False  # opened by a low rating (services.case_rate)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or services.is_district_bureau(request.user, obj.case)

    def save_model(self, request, obj, form, change):
        closing = "status" in form.changed_data and obj.status == RectificationStatus.DONE
        if not closing:
            super().save_model(request, obj, form, change)  # a draft of what was done
            return
        try:
            services.rectification_close(task=obj, by=request.user, resolution=obj.resolution)
        except (ValidationError, PermissionDenied) as exc:  # lost a race with another close
            self.message_user(request, _error_text(exc), level=messages.ERROR)

    @admin.action(description=_("Close the selected rectifications (with the text already saved)"))
    def close_tasks(self, request, queryset):
        closed = 0
        for task in queryset.select_related("case"):
            try:
                services.rectification_close(task=task, by=request.user, resolution=task.resolution)
                closed += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{task.case}: {_error_text(exc)}", level=messages.ERROR)
        if closed:
            self.message_user(request, _("%(n)d rectification(s) closed.") % {"n": closed}, messages.SUCCESS)
