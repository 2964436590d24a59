"""Admin for payments: bureau staff keep the fee items (amounts typed in yuan, stored in fen), issue a
one-off bill, look bills up (scoped to their district or school through the bill's case), refund and
close them, and read the notification log and the daily reconciliations.

No page edits an order: its state is a protected FSM field, and closing, refunding and checking with the
platform are admin actions that call the services with ``request.user``. Services are imported inside the
actions (admin modules load before the catalogue has registered what ``payments.catalogue`` claims)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from payments.models import (
    FeeItem,
    Order,
    OrderState,
    PaymentNotification,
    ReconciliationIssue,
    ReconciliationRun,
    Refund,
)
from payments.money import format_yuan, parse_yuan
from portal.accounts.models import Role, User
from portal.cases.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from portal.core import pii
from portal.core.forms import add_service_errors
from portal.orgs.models import District, School


class YuanField(forms.CharField):
    """An amount typed in yuan (``1200`` or ``1,200.50``), cleaned to integer fen — never a float."""

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return format_yuan(value, symbol=False) if isinstance(value, int) else value

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return None
        try:
            return parse_yuan(value, allow_zero=self.allow_zero)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["amount"]) from None


def _error_text(exc: Exception) -> str:
    return "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _district_id(user) -> int | None:
    if user.district_id:
        return user.district_id
    if user.school_id:
        return user.school.district_id
    return None


# --- fee items ------------------------------------------------------------------------------------------


class FeeItemForm(forms.ModelForm):
    amount_fen = YuanField(label=_("amount (yuan)"), help_text=_("e.g. 680 or 680.50"))

    class Meta:
        model = FeeItem
        fields = (
            "code",
            "name",
            "kind",
            "billing",
            "district",
            "school",
            "amount_fen",
            "days_to_pay",
            "billed_months",
            "legal_basis",
            "description",
            "active",
        )


class OneOffBillForm(forms.Form):
    payer_phone = forms.CharField(
        label=_("Payer's mobile number"),
        max_length=20,
        help_text=_("The family's portal account (signed in at least once with this number)."),
    )
    subject_name = forms.CharField(label=_("For (name)"), max_length=100)
    subject_id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.none(), required=False)

    def __init__(self, *args, fee_item: FeeItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.filter(district_id=fee_item.district_id)


@admin.register(FeeItem)
class FeeItemAdmin(admin.ModelAdmin):
    form = FeeItemForm
    list_display = (
        "code",
        "name",
        "kind",
        "billing",
        "district",
        "school",
        "amount",
        "days_to_pay",
        "active",
    )
    list_filter = ("kind", "billing", "active", "district")
    search_fields = ("code", "name")
    list_select_related = ("district", "school")

    @admin.display(description=_("amount"), ordering="amount_fen")
    def amount(self, obj):
        return format_yuan(obj.amount_fen)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        district = _district_id(request.user)
        return qs.filter(district_id=district) if district else qs.none()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser and db_field.name in ("district", "school"):
            district = _district_id(request.user)
            model = District if db_field.name == "district" else School
            where = {"pk": district} if db_field.name == "district" else {"district_id": district}
            kwargs["queryset"] = model.objects.filter(**where) if district else model.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_urls(self):
        issue = self.admin_site.admin_view(self.issue_view)
        return [path("<int:pk>/issue/", issue, name="payments_feeitem_issue"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "issue_url": reverse("admin:payments_feeitem_issue", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def issue_view(self, request, pk: int):
        """Issue a one-off bill of this item (an exam fee, say) to a family."""
        fee_item = get_object_or_404(self.get_queryset(request), pk=pk)
        if not (request.user.is_superuser or request.user.role == Role.BUREAU):
            raise PermissionDenied
        form = OneOffBillForm(request.POST or None, fee_item=fee_item)
        if request.method == "POST" and form.is_valid():
            from payments import services

            payer = User.objects.filter(
                phone=form.cleaned_data["payer_phone"].strip(), role=Role.CITIZEN
            ).first()
            if payer is None:
                form.add_error("payer_phone", _("No citizen account has this mobile number."))
            else:
                try:
                    order = services.order_issue(
                        fee_item=fee_item,
                        payer=payer,
                        subject_name=form.cleaned_data["subject_name"],
                        subject_id_number=form.cleaned_data["subject_id_number"],
                        school=form.cleaned_data["school"],
                        by=request.user,
                    )
                except services.DuplicateBill as exc:
                    form.add_error(None, _("A live bill exists already: %(no)s") % {"no": exc.order_no})
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    self.message_user(
                        request,
                        _("Bill %(no)s issued to %(payer)s.") % {"no": order.order_no, "payer": payer},
                    )
                    return redirect("admin:payments_order_change", order.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Issue a bill: %(item)s (%(amount)s)")
            % {"item": fee_item.name, "amount": format_yuan(fee_item.amount_fen)},
            "opts": self.model._meta,
            "form": form,
            "original": fee_item,
        }
        return TemplateResponse(request, "admin/payments/feeitem/issue.html", context)


# --- orders ---------------------------------------------------------------------------------------------


class RefundInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Refund
    fields = (
        "refund_no",
        "amount",
        "state",
        "reason",
        "requested_by",
        "requested_at",
        "completed_at",
        "last_error",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("amount"))
    def amount(self, obj):
        return format_yuan(obj.amount_fen)


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the bill closed?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=300
    )


class RefundForm(forms.Form):
    amount = YuanField(
        label=_("Amount to refund (yuan)"),
        required=False,
        help_text=_("Empty: everything that has not been refunded yet."),
    )
    reason = forms.CharField(
        label=_("Reason (the family reads it)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=300
    )


@admin.register(Order)
class OrderAdmin(ScopedAdminMixin, admin.ModelAdmin):
    case_path = "case"
    list_display = (
        "order_no",
        "title",
        "subject_name",
        "amount",
        "state",
        "expires_at",
        "paid_at",
        "refunded",
    )
    list_filter = ("state", "fee_item__kind", "paid_via", "fee_item")
    search_fields = ("=order_no", "=payment_code", "=receipt_no", "=case__reference_no", "=platform_trade_no")
    list_select_related = ("fee_item", "case")
    date_hierarchy = "created_at"
    fields = (
        "order_no",
        "state",
        "title",
        "fee_item",
        "period",
        "subject_name",
        "masked_subject_id",
        "payer",
        "case_link",
        "district",
        "school",
        "amount",
        "paid",
        "refunded",
        "refund_in_progress",
        "created_at",
        "expires_at",
        "payment_code",
        "pay_url",
        "registered_at",
        "last_platform_error",
        "platform_trade_no",
        "paid_at",
        "paid_via",
        "receipt_no",
        "closed_at",
    )
    readonly_fields = fields
    inlines = [RefundInline]
    actions = ["close_bills", "refund", "check_with_platform"]

    @admin.display(description=_("amount"), ordering="amount_fen")
    def amount(self, obj):
        return format_yuan(obj.amount_fen)

    @admin.display(description=_("paid"))
    def paid(self, obj):
        return format_yuan(obj.paid_fen)

    @admin.display(description=_("refunded"))
    def refunded(self, obj):
        return format_yuan(obj.refunded_fen) if obj.refunded_fen else "—"

    @admin.display(description=_("refund in progress"))
    def refund_in_progress(self, obj):
        return format_yuan(obj.refund_pending_fen) if obj.refund_pending_fen else "—"

    @admin.display(description=_("ID number"))
    def masked_subject_id(self, obj):
        return pii.mask_id(obj.subject_id_number)

    @admin.display(description=_("case"))
    def case_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:cases_case_change", args=[obj.case_id]), obj.case
        )

    def has_add_permission(self, request):
        return False  # bills are issued by the services (the monthly run, a fee item's "issue a bill")

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False  # read-only page: every change is an action calling a service
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_act_permission(self, request):
        user = request.user
        return user.is_superuser or (user.role == Role.BUREAU and user.has_perm("payments.change_order"))

    def _intermediate(self, request, queryset, *, form, title, action, template="action_form.html"):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "queryset": queryset,
            "form": form,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, f"admin/payments/order/{template}", context)

    @admin.action(description=_("Close the selected unpaid bills (with a reason)"), permissions=["act"])
    def close_bills(self, request, queryset):
        from payments import services

        form = CloseForm(request.POST if "apply" in request.POST else None)
        if "apply" not in request.POST or not form.is_valid():
            return self._intermediate(
                request, queryset, form=form, title=_("Close bills"), action="close_bills"
            )
        done = 0
        for order in queryset:
            try:
                services.order_close(order=order, by=request.user, reason=form.cleaned_data["reason"])
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{order.order_no}: {_error_text(exc)}", messages.ERROR)
        if done:
            self.message_user(request, _("%(n)d bill(s) closed.") % {"n": done}, messages.SUCCESS)
        return None

    @admin.action(description=_("Refund the selected paid bills (fully or partly)"), permissions=["act"])
    def refund(self, request, queryset):
        from payments import refunds

        form = RefundForm(request.POST if "apply" in request.POST else None)
        if "apply" not in request.POST or not form.is_valid():
            return self._intermediate(request, queryset, form=form, title=_("Refund"), action="refund")
        done = 0
        for order in queryset:
            try:
                made = refunds.order_refund(
                    order=order,
                    by=request.user,
                    amount_fen=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                )
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{order.order_no}: {_error_text(exc)}", messages.ERROR)
                continue
            done += 1
            if made.state != "succeeded":
                self.message_user(
                    request,
                    _("%(no)s: refund %(refund)s is %(state)s (%(error)s).")
                    % {
                        "no": order.order_no,
                        "refund": made.refund_no,
                        "state": made.get_state_display(),
                        "error": made.last_error or "…",
                    },
                    messages.WARNING,
                )
        if done:
            self.message_user(request, _("%(n)d refund(s) requested.") % {"n": done}, messages.SUCCESS)
        return None

    @admin.action(description=_("Ask the platform whether the selected bills are paid"), permissions=["act"])
    def check_with_platform(self, request, queryset):
        from payments import services

        found = 0
        for order in queryset.filter(state=OrderState.CREATED):
            try:
                outcome = services.order_refresh(order=order)
            except ValidationError as exc:
                self.message_user(request, f"{order.order_no}: {_error_text(exc)}", messages.ERROR)
                continue
            if outcome is not None and outcome.changed:
                found += 1
        self.message_user(request, _("%(n)d payment(s) found and recorded.") % {"n": found}, messages.SUCCESS)


# --- the notification log and reconciliations -----------------------------------------------------


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("received_at", "event", "order_no", "amount", "outcome", "detail")
    list_filter = ("outcome", "event")
    search_fields = ("=order_no", "=notify_id")
    date_hierarchy = "received_at"
    fields = ("received_at", "notify_id", "event", "order_no", "order", "amount", "outcome", "detail", "body")
    readonly_fields = fields

    @admin.display(description=_("amount"))
    def amount(self, obj):
        return format_yuan(obj.amount_fen) if obj.amount_fen is not None else "—"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        district = _district_id(request.user)
        # a refused message may name no order of ours: bureau staff see those too (they are who acts)
        if not district:
            return qs.none()
        return qs.filter(Q(order__district_id=district) | Q(order__isnull=True))


class IssueInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ReconciliationIssue
    fields = ("kind", "order_no", "reference", "platform", "portal", "detail")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("platform"))
    def platform(self, obj):
        return format_yuan(obj.platform_fen) or "—"

    @admin.display(description=_("portal"))
    def portal(self, obj):
        return format_yuan(obj.portal_fen) or "—"


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(admin.ModelAdmin):
    list_display = (
        "statement_date",
        "status",
        "payments",
        "payments_total",
        "refunds",
        "repaired",
        "mismatches",
        "finished_at",
    )
    list_filter = ("status",)
    date_hierarchy = "statement_date"
    fields = (
        "statement_date",
        "status",
        "payments",
        "payments_total",
        "refunds",
        "refunds_total",
        "repaired",
        "mismatches",
        "started_at",
        "finished_at",
        "statement_sha256",
        "error",
    )
    readonly_fields = fields
    inlines = [IssueInline]
    actions = ["reconcile_again"]

    @admin.display(description=_("payments total"))
    def payments_total(self, obj):
        return format_yuan(obj.payments_fen)

    @admin.display(description=_("refunds total"))
    def refunds_total(self, obj):
        return format_yuan(obj.refunds_fen)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_reconcile_permission(self, request):
        return request.user.is_superuser or request.user.has_perm("payments.change_reconciliationrun")

    @admin.action(description=_("Reconcile the selected days again"), permissions=["reconcile"])
    def reconcile_again(self, request, queryset):
        from payments.reconciliation import reconcile

        for run in queryset:
            result = reconcile(day=run.statement_date)
            self.message_user(
                request,
                _("%(day)s: %(status)s, %(repaired)d repaired, %(mismatches)d mismatches")
                % {
                    "day": result.statement_date,
                    "status": result.get_status_display(),
                    "repaired": result.repaired,
                    "mismatches": result.mismatches,
                },
                messages.ERROR if result.status == "failed" else messages.SUCCESS,
            )
