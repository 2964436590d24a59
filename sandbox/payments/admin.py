"""Admin for the payment platform stand-in: its orders, refunds, the notifications it owes (with
"deliver again") and its fault injection. Sandbox only; loaded from sandbox/admin.py."""

from django.contrib import admin, messages

from sandbox.payments.models import PaymentFault, PlatformNotification, PlatformOrder, PlatformRefund


@admin.register(PaymentFault)
class PaymentFaultAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "latency_ms",
        "error_rate",
        "drop_rate",
        "duplicate_rate",
        "max_delay_ms",
        "seed",
        "draws",
    ]
    list_editable = ["latency_ms", "error_rate", "drop_rate", "duplicate_rate", "max_delay_ms", "seed"]
    readonly_fields = ["draws"]


class RefundInline(admin.TabularInline):
    model = PlatformRefund
    extra = 0
    can_delete = False
    readonly_fields = ["refund_no", "platform_refund_no", "amount_fen", "reason", "created_at"]


@admin.register(PlatformOrder)
class PlatformOrderAdmin(admin.ModelAdmin):
    list_display = ["payment_code", "out_trade_no", "subject", "amount_fen", "status", "paid_at", "expire_at"]
    list_filter = ["status", "merchant"]
    search_fields = ["=payment_code", "=out_trade_no", "=trade_no"]
    inlines = [RefundInline]


@admin.register(PlatformNotification)
class PlatformNotificationAdmin(admin.ModelAdmin):
    list_display = [
        "notify_id",
        "event",
        "order",
        "copies",
        "dropped",
        "attempts",
        "last_status",
        "delivered_at",
    ]
    list_filter = ["event", "dropped"]
    search_fields = ["=notify_id", "=order__out_trade_no"]
    readonly_fields = ["payload", "created_at", "attempts", "delivered_at", "last_status", "last_error"]
    actions = ["deliver_again"]

    @admin.action(description="Deliver the selected notifications again (also dropped ones)")
    def deliver_again(self, request, queryset):
        from sandbox.payments.tasks import deliver

        ids = list(queryset.values_list("pk", flat=True))
        queryset.update(dropped=False)
        for pk in ids:
            deliver.delay(pk)
        self.message_user(request, f"{len(ids)} notification(s) queued.", messages.SUCCESS)
