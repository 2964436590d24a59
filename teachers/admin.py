"""Bureau staff edit the stage requirements and the application windows; applications, certificate
numbers and honours are read-only here (every change goes through the services and ``perform``): the one
action is revoking certificates, with a reason asked on an intermediate page."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Role
from portal.cases.admin import ScopedAdminMixin
from teachers.models import (
    ApplicationWindow,
    CertificateApplication,
    CertificateCheck,
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


class RevokeReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"),
        max_length=2000,
        widget=forms.Textarea,
        help_text=_("The holders read this reason; verification of each certificate will say it is revoked."),
    )


@admin.register(CertificateApplication)
class CertificateApplicationAdmin(ScopedAdminMixin, ReadOnly):
    case_path = "case"
    list_display = ["case", "stage", "subject", "state", "certificate_no", "created_at"]
    list_filter = ["state", "stage"]
    search_fields = ["case__reference_no", "certificate_no"]
    exclude = ["delivery_address"]
    inlines = [CheckInline]
    actions = ["revoke_certificates"]

    def has_revoke_permission(self, request):
        user = request.user
        return user.is_superuser or (
            user.role == Role.BUREAU and user.has_perm("teachers.view_certificateapplication")
        )

    @admin.action(description=_("Revoke the selected certificates (with a reason)"), permissions=["revoke"])
    def revoke_certificates(self, request, queryset):
        from teachers.services import certificate_revoke

        form = RevokeReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for application in queryset.select_related("case"):
                try:
                    certificate_revoke(
                        application=application, by=request.user, reason=form.cleaned_data["reason"]
                    )
                    done += 1
                except (ValidationError, PermissionDenied) as exc:
                    text = "；".join(getattr(exc, "messages", [str(exc)]))
                    self.message_user(request, f"{application.case.reference_no}: {text}", messages.ERROR)
            if done:
                self.message_user(request, _("%(n)d certificate(s) revoked.") % {"n": done}, messages.SUCCESS)
            return None  # back to the change list
        rows = queryset.select_related("case")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Why are these certificates revoked?"),
            "opts": self.model._meta,
            "items": [
                f"{a.case.reference_no} — {a.certificate_no or '—'} — {a.get_state_display()}" for a in rows
            ],
            "queryset": rows,
            "form": form,
            "action": "revoke_certificates",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/action_with_note.html", context)


@admin.register(Honour)
class HonourAdmin(ReadOnly):
    list_display = ["case", "year", "school_code", "service_start", "break_months", "state"]
    list_filter = ["state", "year"]
    exclude = ["delivery_address"]
