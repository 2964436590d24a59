"""Shapes of /api/v1/payments/. Amounts are integer fen (分) in both directions, never decimals."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from payments.models import Order, OrderState, Refund, RefundState
from payments.money import MAX_FEN
from portal.documents.serializers import CaseDocumentSerializer


@extend_schema_serializer(component_name="PaymentRefund")
class RefundSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=RefundState.choices)

    class Meta:
        model = Refund
        fields = ["refund_no", "amount_fen", "state", "reason", "requested_at", "completed_at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="PaymentOrder")
class OrderSerializer(serializers.ModelSerializer):
    """A bill. ``payment_code`` and ``pay_url`` are empty until the platform has registered it."""

    state = serializers.ChoiceField(choices=OrderState.choices)
    fee_item = serializers.CharField(source="fee_item.name")
    fee_kind = serializers.CharField(source="fee_item.kind")
    reference_no = serializers.CharField(source="case.reference_no")
    refunds = RefundSerializer(many=True)

    class Meta:
        model = Order
        fields = [
            "order_no",
            "reference_no",
            "title",
            "fee_item",
            "fee_kind",
            "period",
            "subject_name",
            "amount_fen",
            "paid_fen",
            "refunded_fen",
            "refund_pending_fen",
            "state",
            "created_at",
            "expires_at",
            "payment_code",
            "pay_url",
            "paid_at",
            "receipt_no",
            "refunds",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="PaymentOrderDetail")
class OrderDetailSerializer(OrderSerializer):
    """One bill, with its e-receipt among the documents once paid."""

    documents = serializers.SerializerMethodField()

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "documents"]
        read_only_fields = fields

    @extend_schema_field(CaseDocumentSerializer(many=True))
    def get_documents(self, obj):
        from payments.receipts import subject_key
        from portal.documents.selectors import documents_for_case

        return documents_for_case(obj.case, subject_key=subject_key(obj.order_no))


@extend_schema_serializer(component_name="PaymentRefundRequest")
class RefundRequestSerializer(serializers.Serializer):
    amount_fen = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_FEN,
        help_text=_("Fen to refund; omitted or null: everything not refunded yet."),
    )
    reason = serializers.CharField(max_length=300, help_text=_("Why; the family reads it."))


@extend_schema_serializer(component_name="PaymentPayLink")
class PayLinkSerializer(serializers.Serializer):
    payment_code = serializers.CharField()
    pay_url = serializers.URLField()
