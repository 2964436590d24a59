"""/api/v1/enrollment/ (contracts/api-enrollment.md)."""

from django.urls import path

from enrollment import api

urlpatterns = [
    path("applications/", api.ApplicationListView.as_view(), name="enrollment-applications"),
    path(
        "applications/<str:reference_no>/",
        api.ApplicationDetailView.as_view(),
        name="enrollment-application",
    ),
    path(
        "applications/<str:reference_no>/actions/<str:action>/",
        api.ApplicationActionView.as_view(),
        name="enrollment-application-action",
    ),
    path(
        "applications/<str:reference_no>/notice.pdf",
        api.NoticePdfView.as_view(),
        name="enrollment-application-notice",
    ),
]
