"""/payments/: the family's bills and receipts, public receipt verification, the platform's notifications."""

from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("", views.home, name="home"),
    path("orders/<str:order_no>/", views.order_detail, name="order"),
    path("orders/<str:order_no>/pay/", views.order_pay, name="pay"),
    path("orders/<str:order_no>/check/", views.order_check, name="check"),
    path("orders/<str:order_no>/receipt.pdf", views.receipt_pdf, name="receipt"),
    path("receipts/<str:token>/", views.verify_receipt, name="verify_receipt"),
    path("notify/", views.notify, name="notify"),
]
