"""Messages and their SMS / e-mail deliveries: read-only (they are a record of what was sent)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.core import pii
from portal.notify.models import Delivery, Message


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ("channel", "masked_address", "status", "attempts", "sent_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("address"))
    def masked_address(self, obj):
        return _mask_address(obj)


def _mask_address(delivery) -> str:
    if delivery.channel == "sms":
        return pii.mask_phone(delivery.address)
    local, _at, domain = delivery.address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else pii.mask_text(delivery.address)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("subject", "recipient", "case", "created_at", "read_at")
    list_filter = (("read_at", admin.EmptyFieldListFilter),)
    list_select_related = ("recipient", "case")
    search_fields = ("subject", "case__reference_no")
    date_hierarchy = "created_at"
    fields = ("recipient", "case", "subject", "body", "created_at", "read_at")
    readonly_fields = fields
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("message", "channel", "masked_address", "status", "attempts", "sent_at")
    list_filter = ("channel", "status")
    list_select_related = ("message",)
    search_fields = ("message__subject", "message__case__reference_no")
    fields = ("message", "channel", "masked_address", "status", "attempts", "error", "sent_at")
    readonly_fields = fields

    @admin.display(description=_("address"))
    def masked_address(self, obj):
        return _mask_address(obj)

    @admin.display(description=_("last error"))
    def error(self, obj):
        return pii.mask_text(obj.last_error)
