"""/sandbox/payments/: the payment platform stand-in (included by sandbox/urls.py)."""

from django.urls import path

from sandbox.payments import views

urlpatterns = [
    path("api/<path:operation>/", views.api, name="payments-api"),
    path("pay/<str:payment_code>/", views.pay_page, name="payments-pay"),
]
