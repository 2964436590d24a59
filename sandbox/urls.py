from django.urls import include, path

from sandbox import exchange_views, views

app_name = "sandbox"
urlpatterns = [
    path("sms/", views.sms_inbox, name="sms-inbox"),
    path("sms/send/", views.sms_send, name="sms-send"),
    path("idp/person/", views.idp_person, name="idp-person"),
    path("exchange/<slug:source>/<slug:operation>/", exchange_views.exchange, name="exchange"),
    path("payments/", include("sandbox.payments.urls")),
    path("courier/", include("sandbox.courier.urls")),
]
