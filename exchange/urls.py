"""Mounted at /my/data-trail/ (portal/urls.py: ``path("my/data-trail/", include("exchange.urls"))``)."""

from django.urls import path

from exchange import views

app_name = "exchange"
urlpatterns = [
    path("", views.data_trail, name="data-trail"),
    path("<int:pk>/", views.data_trail_entry, name="data-trail-entry"),
]
