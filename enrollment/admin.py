"""Admin for enrollment: bureau staff edit the year's rules and tiers; staff look applications up (scoped
to their school or district) and review them with the same services as every other screen. No page edits
an application's state (a protected FSM field): approve / request a supplement / reject are admin actions
that call the services with ``request.user``.

The services are imported inside the actions: admin modules load in ``django.contrib.admin``'s ready(),
before the catalogue has registered the service items that ``enrollment.catalogue`` claims."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from enrollment.models import Application, Check, Criterion, EnrollmentRules, TierRule
from portal.accounts.models import Role
from portal.cases.admin import ScopedAdminMixin
from portal.core import pii

# --- rules ------------------------------------------------------------------------------------------------


class TierRuleForm(forms.ModelForm):
    """``criteria`` is a JSON list of ``Criterion`` values; staff tick them instead of typing JSON."""

    criteria = forms.MultipleChoiceField(
        label=_("criteria"),
        choices=Criterion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("All ticked criteria must hold; none ticked = everyone (the last tier)."),
    )

    class Meta:
        model = TierRule
        fields = ("order", "code", "label", "criteria", "ranked_by_points")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.criteria if self.instance.pk else []
        self.initial["criteria"] = [c for c in (stored or []) if c in Criterion.values]

    def clean_criteria(self) -> list[str]:
        chosen = set(self.cleaned_data.get("criteria") or [])
        return [c for c in Criterion.values if c in chosen]  # stable order, no duplicates


class TierRuleInline(admin.TabularInline):
    model = TierRule
    form = TierRuleForm
    extra = 0
    ordering = ("order",)


def _district_q(user) -> dict | None:
    """The rule sets a non-superuser may see: their district's (a clerk's: their school's district)."""
    if user.district_id:
        return {"district_id": user.district_id}
    if user.school_id:
        return {"district_id": user.school.district_id}
    return None


@admin.register(EnrollmentRules)
class EnrollmentRulesAdmin(admin.ModelAdmin):
    list_display = ("district", "year", "stage", "min_age", "max_age", "apply_from", "apply_until")
    list_filter = ("year", "stage", "district")
    inlines = [TierRuleInline]
    fieldsets = (
        (None, {"fields": ("district", "year", "stage")}),
        (_("Age"), {"fields": ("min_age", "max_age", "cutoff_month", "cutoff_day")}),
        (
            _("Residence and points"),
            {
                "fields": (
                    "area_per_person_m2",
                    "points_per_permit_month",
                    "points_per_insurance_month",
                    "points_cap",
                    "insurance_city",
                )
            },
        ),
        (_("Season"), {"fields": ("apply_from", "apply_until", "promised_days")}),
    )

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("district")
        if request.user.is_superuser:
            return qs
        where = _district_q(request.user)
        return qs.filter(**where) if where else qs.none()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "district" and not request.user.is_superuser:
            from portal.orgs.models import District

            where = _district_q(request.user)
            kwargs["queryset"] = (
                District.objects.filter(pk=where["district_id"]) if where else District.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- applications -------------------------------------------------------------------------------------


class CheckInline(admin.TabularInline):
    model = Check
    fields = ("name", "result", "reason", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("id",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note for the family"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("The families read this note; it is recorded in each case's trace."),
    )


def _error_text(exc: Exception) -> str:
    return "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


@admin.register(Application)
class ApplicationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only page per application; decisions are admin actions calling the services."""

    case_path = "case"
    list_display = (
        "reference_no",
        "stage",
        "year",
        "state",
        "category",
        "points",
        "zone_school",
        "deadline",
    )
    list_filter = ("state", "stage", "year", "category", ("zone_school", admin.RelatedOnlyFieldListFilter))
    search_fields = ("case__reference_no",)
    list_select_related = ("case", "zone_school")
    ordering = ("case__deadline", "case__submitted_at")
    fields = (
        "reference_no",
        "year",
        "stage",
        "state",
        "child_name",
        "masked_child_id",
        "guardian",
        "single_parent",
        "residence",
        "sibling",
        "consent_at",
        "category",
        "points",
        "tie_date",
        "zone_school",
        "school",
        "waiting_reason",
        "verify_attempts",
        "supplement_due",
        "originals_seen",
        "deadline",
    )
    readonly_fields = fields
    inlines = [CheckInline]
    actions = ["approve", "request_supplement", "reject"]

    @admin.display(description=_("reference number"), ordering="case__reference_no")
    def reference_no(self, obj):
        return obj.case.reference_no

    @admin.display(description=_("child's ID number"))
    def masked_child_id(self, obj):
        return pii.mask_id(obj.child_id_number)

    @admin.display(description=_("deadline"), ordering="case__deadline")
    def deadline(self, obj):
        return obj.case.deadline

    def has_add_permission(self, request):
        return False  # applications come from the services (online or at the counter)

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False  # the page is read-only: every change is a service call
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request):
        """Who may run the review actions at all; scope is checked per row by the services."""
        user = request.user
        return user.is_superuser or (
            user.role in (Role.CLERK, Role.BUREAU) and user.has_perm("enrollment.change_application")
        )

    def _run(self, request, queryset, service, done_message, **kwargs) -> None:
        done = 0
        for application in queryset.select_related("case"):
            try:
                service(application=application, by=request.user, **kwargs)
                done += 1
            except (ValidationError, PermissionDenied) as exc:  # ActionNotAllowed is a ValidationError too
                self.message_user(
                    request, f"{application.case.reference_no}: {_error_text(exc)}", messages.ERROR
                )
        if done:
            self.message_user(request, done_message % {"n": done}, messages.SUCCESS)

    def _with_note(self, request, queryset, *, service, title, done_message, action):
        """An intermediate page asks for the note (the reason, or what to supply) once for all rows."""
        if "apply" in request.POST:
            form = NoteForm(request.POST)
            if form.is_valid():
                self._run(request, queryset, service, done_message, note=form.cleaned_data["note"])
                return None  # back to the change list
        else:
            form = NoteForm()
        rows = queryset.select_related("case")
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "items": [f"{a.case.reference_no} — {a.get_state_display()}" for a in rows],
            "queryset": rows,
            "form": form,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/action_with_note.html", context)

    @admin.action(description=_("Approve the selected applications"), permissions=["review"])
    def approve(self, request, queryset):
        from enrollment import services

        self._run(request, queryset, services.application_approve, _("%(n)d application(s) approved."))

    @admin.action(description=_("Ask the families for a supplement (容缺)"), permissions=["review"])
    def request_supplement(self, request, queryset):
        from enrollment import services

        return self._with_note(
            request,
            queryset,
            service=services.application_request_supplement,
            title=_("What should the families supply?"),
            done_message=_("%(n)d application(s) sent back for a supplement."),
            action="request_supplement",
        )

    @admin.action(description=_("Reject the selected applications (with a reason)"), permissions=["review"])
    def reject(self, request, queryset):
        from enrollment import services

        return self._with_note(
            request,
            queryset,
            service=services.application_reject,
            title=_("Why are these applications rejected?"),
            done_message=_("%(n)d application(s) rejected."),
            action="reject",
        )
