"""/api/v1/deliveries/: the courier's status callbacks."""

from django.urls import path

from portal.deliveries import views

urlpatterns = [path("callback/", views.callback, name="deliveries-callback")]
