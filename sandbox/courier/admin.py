"""Admin for the courier stand-in: shipments, the callbacks it owes (with "deliver again"), faults."""

from django.contrib import admin, messages

from sandbox.courier.models import CourierFault, CourierNotification, CourierShipment


@admin.register(CourierFault)
class CourierFaultAdmin(admin.ModelAdmin):
    list_display = ["pk", "down", "latency_ms", "fail_deliveries", "failure_reason"]
    list_editable = ["down", "latency_ms", "fail_deliveries", "failure_reason"]


@admin.register(CourierShipment)
class CourierShipmentAdmin(admin.ModelAdmin):
    list_display = ["tracking_no", "order_no", "item", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["=tracking_no", "=order_no"]


@admin.register(CourierNotification)
class CourierNotificationAdmin(admin.ModelAdmin):
    list_display = ["notify_id", "shipment", "attempts", "last_status", "delivered_at"]
    readonly_fields = ["payload", "created_at", "attempts", "delivered_at", "last_status", "last_error"]
    actions = ["deliver_again"]

    @admin.action(description="Deliver the selected callbacks again")
    def deliver_again(self, request, queryset):
        from sandbox.courier.tasks import deliver

        ids = list(queryset.values_list("pk", flat=True))
        for pk in ids:
            deliver.delay(pk)
        self.message_user(request, f"{len(ids)} callback(s) queued.", messages.SUCCESS)
