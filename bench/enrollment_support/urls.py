"""The portal's URLs plus ``/bench/insert/``, the minimal insert view the submit endpoint is compared with."""

from django.urls import path

from bench.enrollment_support.views import CeilingInsertView
from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    *portal_urlpatterns,
    path("bench/insert/", CeilingInsertView.as_view(), name="bench-insert"),
]
