from django.contrib import admin

from portal.deliveries.models import CourierCallback, Delivery


class CallbackInline(admin.TabularInline):
    model = CourierCallback
    extra = 0
    can_delete = False
    fields = ["received_at", "status", "outcome", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["order_no", "case", "item", "carrier", "tracking_no", "status", "created_at"]
    list_filter = ["status", "carrier"]
    search_fields = ["=order_no", "=tracking_no", "=case__reference_no"]
    fields = [
        "case",
        "item",
        "order_no",
        "masked_recipient",
        "masked_phone",
        "carrier",
        "tracking_no",
        "status",
        "failure_reason",
        "last_error",
        "created_at",
        "registered_at",
        "in_transit_at",
        "delivered_at",
        "failed_at",
    ]
    readonly_fields = fields
    inlines = [CallbackInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CourierCallback)
class CourierCallbackAdmin(admin.ModelAdmin):
    list_display = ["received_at", "tracking_no", "status", "outcome", "detail"]
    list_filter = ["outcome", "status"]
    search_fields = ["=tracking_no", "=notify_id"]
    readonly_fields = [
        "received_at",
        "notify_id",
        "tracking_no",
        "status",
        "delivery",
        "outcome",
        "detail",
        "body",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
