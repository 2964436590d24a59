"""/api/v1/payments/: the family's bills (a mobile client), the pay link, the e-receipt, and refunds for
bureau staff. Views translate HTTP to service calls; reads go through the selectors (404 for a bill
outside the user's scope, whether or not it exists)."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from payments import refunds, selectors, services
from payments.models import OrderState, Refund
from payments.serializers import (
    OrderDetailSerializer,
    OrderSerializer,
    PayLinkSerializer,
    RefundRequestSerializer,
    RefundSerializer,
)
from portal.cases.scoping import is_applicant
from portal.core.api import Conflict, DetailSerializer, FirstRendererNegotiation

ORDER_NO = OpenApiParameter(
    "order_no", str, OpenApiParameter.PATH, description="Bill number, e.g. JF20270901…."
)
NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such bill among yours (or in your scope).")
CONFLICT = OpenApiResponse(DetailSerializer, description="Not allowed in the bill's current state.")
FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT, description='Invalid input: `{"<field>": ["message", …]}`.'
)


def _orders(user):
    return selectors.orders_for_user(user).prefetch_related(
        Prefetch("refunds", queryset=Refund.objects.order_by("requested_at", "pk"))
    )


def _order(user, order_no: str):
    order = _orders(user).filter(order_no=(order_no or "").strip().upper()).first()
    if order is None:
        raise exceptions.NotFound()
    return order


class OrderListView(generics.ListAPIView):
    serializer_class = OrderSerializer

    def get_queryset(self):
        return _orders(self.request.user).order_by("-created_at", "-pk")

    @extend_schema(summary="Your bills (staff: those in your scope), newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OrderDetailView(APIView):
    @extend_schema(
        summary="One bill with its refunds",
        parameters=[ORDER_NO],
        responses={200: OrderDetailSerializer, 404: NOT_FOUND},
    )
    def get(self, request, order_no: str):
        return Response(OrderDetailSerializer(_order(request.user, order_no)).data)


class PayLinkView(APIView):
    @extend_schema(
        summary="The payment code (缴款码) and pay link of an unpaid bill",
        description="Registers the bill with the payment platform first if that has not happened yet.",
        parameters=[ORDER_NO],
        request=None,
        responses={
            200: PayLinkSerializer,
            403: OpenApiResponse(DetailSerializer),
            404: NOT_FOUND,
            409: CONFLICT,
            503: OpenApiResponse(DetailSerializer),
        },
    )
    def post(self, request, order_no: str):
        order = _order(request.user, order_no)
        if not is_applicant(request.user, order.case):
            raise exceptions.PermissionDenied(_("Only the family can pay this bill."))
        if order.state != OrderState.CREATED or order.past_due():
            raise Conflict(_("This bill can no longer be paid."))
        try:
            order = services.order_ensure_registered(order=order)
        except ValidationError as exc:
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response({"payment_code": order.payment_code, "pay_url": order.pay_url})


class RefundCreateView(APIView):
    @extend_schema(
        summary="Refund a paid bill fully or partly (bureau staff of its district)",
        parameters=[ORDER_NO],
        request=RefundRequestSerializer,
        responses={
            201: RefundSerializer,
            400: FIELD_ERRORS,
            403: OpenApiResponse(DetailSerializer),
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, order_no: str):
        order = _order(request.user, order_no)
        data = RefundRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # ActionNotAllowed → 409, PermissionDenied → 403 (the exception handler)
        made = refunds.order_refund(
            order=order,
            by=request.user,
            amount_fen=data.validated_data["amount_fen"],
            reason=data.validated_data["reason"],
        )
        return Response(RefundSerializer(made).data, status=status.HTTP_201_CREATED)


class ReceiptPdfView(APIView):
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        summary="The e-receipt (电子票据) of a paid bill, as PDF",
        parameters=[ORDER_NO],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The receipt."),
            404: NOT_FOUND,
            409: OpenApiResponse(DetailSerializer, description="Not paid: no receipt."),
        },
    )
    def get(self, request, order_no: str):
        order = _order(request.user, order_no)
        from payments import receipts  # WeasyPrint is heavy: loaded by the first request that needs it

        try:
            pdf = receipts.render_receipt_pdf(order)
        except receipts.ReceiptNotAvailable as exc:
            raise Conflict(_("The e-receipt is issued once the bill is paid.")) from exc
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, receipts.receipt_filename(order))
        return response
