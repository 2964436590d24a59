"""User admin. ID numbers are shown masked everywhere; the plain value is never in a list or a form.

A user with the permission ``accounts.view_full_id_number`` may see one full ID number after giving
a reason; the view is logged (``record_full_view``) before the number is shown (DOMAIN.md, personal
information).
"""

import re

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from portal.accounts import lockout, services
from portal.accounts.models import Role, User
from portal.core import pii
from portal.core.models import record_full_view

ID_NUMBER_RE = re.compile(r"^\d{17}[\dXx]$")


class RevealReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need the full ID number?"),
        min_length=4,
        max_length=200,
        help_text=_(
            "Recorded with your name and the time; the person can see who looked at their data and why."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class PortalUserChangeForm(UserChangeForm):
    """The mobile number is never put into the form (it is shown masked beside it); staff may type a new
    one, which replaces it. Empty keeps the number as it is."""

    new_phone = forms.CharField(
        label=_("New mobile number"),
        required=False,
        max_length=20,
        help_text=_("Leave empty to keep the current number."),
    )

    class Meta(UserChangeForm.Meta):
        model = User

    def clean_new_phone(self):
        value = self.cleaned_data.get("new_phone", "").strip()
        if not value:
            return ""
        try:
            phone = services.normalize_phone(value)
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["phone"]) from exc
        if User.objects.filter(phone=phone).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another account already has this mobile number."))
        return phone

    def save(self, commit=True):
        if self.cleaned_data.get("new_phone"):
            self.instance.phone = self.cleaned_data["new_phone"]
        return super().save(commit=commit)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = PortalUserChangeForm
    list_display = ("username", "real_name", "role", "masked_id", "masked_phone", "unit", "is_active")
    list_filter = ("role", "is_active", "is_staff", "district", "department")
    list_select_related = ("school", "district", "department")
    # phone and ID number are encrypted: a full number is found through its keyed hash (get_search_results)
    search_fields = ("username", "real_name", "email")
    exclude = ("id_number", "phone")
    actions = ["unlock_sign_in"]
    readonly_fields = (
        "id_number_masked",
        "masked_phone",
        "real_name_verified_at",
        "last_login",
        "date_joined",
    )
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Person"),
            {
                "fields": (
                    "real_name",
                    "id_number_masked",
                    "masked_phone",
                    "new_phone",
                    "email",
                    "real_name_verified_at",
                )
            },
        ),
        (_("Role and unit"), {"fields": ("role", "school", "district", "department")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        (_("Role and unit"), {"fields": ("role", "school", "district", "department")}),
    )

    @admin.display(description=_("ID number"))
    def masked_id(self, obj):
        return obj.masked_id_number or "—"

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return pii.mask_phone(obj.phone) or "—"

    @admin.display(description=_("unit"))
    def unit(self, obj):
        return obj.school or obj.district or obj.department or "—"

    @admin.display(description=_("ID number"))
    def id_number_masked(self, obj):
        if not obj.pk or not obj.id_number:
            return "—"
        url = reverse("admin:accounts_user_reveal_id", args=[obj.pk])
        return format_html(
            '{} <a class="button" href="{}">{}</a>', obj.masked_id_number, url, _("Show full ID number")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in ("school", "district", "department"):  # the model fields carry no verbose_name
            field.label = capfirst(db_field.related_model._meta.verbose_name)
        return field

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.role == Role.CITIZEN:
            fields += ["real_name"]  # verified against the household registry at each sign-in
        return fields

    def get_search_results(self, request, queryset, search_term):
        """A full ID number or mobile number is found through its keyed hash (the columns are encrypted)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if ID_NUMBER_RE.match(term):
            results = results | queryset.filter(id_number_hash=pii.keyed_hash(term))
        try:
            phone = services.normalize_phone(term)
        except ValidationError:
            phone = None
        if phone:
            results = results | queryset.filter(phone=phone)
        return results, may_have_duplicates

    @admin.action(description=_("Lift the sign-in lockout of the selected users"), permissions=["unlock"])
    def unlock_sign_in(self, request, queryset):
        removed = sum(lockout.user_unlock(user=user, by=request.user) for user in queryset)
        self.message_user(
            request,
            _("Sign-in lockout lifted for %(users)d users (%(n)d attempt records removed).")
            % {"users": len(queryset), "n": removed},
        )

    def has_unlock_permission(self, request) -> bool:
        return request.user.has_perm("axes.delete_accessattempt")

    def get_urls(self):
        reveal = path(
            "<path:object_id>/reveal-id/",
            self.admin_site.admin_view(self.reveal_id_view),
            name="accounts_user_reveal_id",
        )
        return [reveal, *super().get_urls()]

    def may_reveal(self, request, obj) -> bool:
        """Only roles that need it (the dedicated permission), never by being able to edit users."""
        return request.user.has_perm("accounts.view_full_id_number")

    def reveal_id_view(self, request, object_id):
        """Ask for a reason, log the view, then show the full ID number once (``admin_view`` adds
        never-cache headers; ``no-store`` keeps it out of shared caches and the browser's disk too)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.may_reveal(request, obj):
            raise PermissionDenied
        form = RevealReasonForm(request.POST or None)
        full_id = None
        if request.method == "POST" and form.is_valid() and obj.id_number:
            record_full_view(
                actor=request.user,
                value=obj.id_number,
                record=obj,
                field="id_number",
                reason=form.cleaned_data["reason"],
            )
            full_id = obj.id_number
        context = {
            **self.admin_site.each_context(request),
            "title": _("Show full ID number"),
            "opts": self.opts,
            "original": obj,
            "form": form,
            "masked_id": obj.masked_id_number,
            "full_id": full_id,
        }
        response = TemplateResponse(request, "admin/accounts/user/reveal_id.html", context)
        response["Cache-Control"] = "no-store"
        return response
