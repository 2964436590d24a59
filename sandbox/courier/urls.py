"""/sandbox/courier/: the courier stand-in (included by sandbox/urls.py)."""

from django.urls import path

from sandbox.courier import views

urlpatterns = [
    path("", views.page, name="courier"),
    path("api/<path:operation>/", views.api, name="courier-api"),
    path("shipments/<str:tracking_no>/advance/", views.advance, name="courier-advance"),
]
