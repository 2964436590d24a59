"""/api/v1/payments/."""

from django.urls import path

from payments import api

urlpatterns = [
    path("orders/", api.OrderListView.as_view(), name="payments-orders"),
    path("orders/<str:order_no>/", api.OrderDetailView.as_view(), name="payments-order"),
    path("orders/<str:order_no>/pay/", api.PayLinkView.as_view(), name="payments-order-pay"),
    path("orders/<str:order_no>/refunds/", api.RefundCreateView.as_view(), name="payments-order-refunds"),
    path("orders/<str:order_no>/receipt.pdf", api.ReceiptPdfView.as_view(), name="payments-order-receipt"),
]
