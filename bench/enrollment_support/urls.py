"""The portal's URLs plus the ceilings the submit endpoint is compared with (views.py)."""

from django.urls import path

from bench.enrollment_support.views import CeilingInsertView, FairCeilingView
from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    *portal_urlpatterns,
    path("bench/insert/", CeilingInsertView.as_view(), name="bench-insert"),
    path("bench/lookup-insert/", FairCeilingView.as_view(), name="bench-lookup-insert"),
]
