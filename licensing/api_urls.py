"""/api/v1/licensing/ (contracts/api-services.md)."""

from django.urls import path

from licensing import api

urlpatterns = [
    path("applications/", api.ApplicationListView.as_view(), name="licensing-applications"),
    path(
        "applications/<str:reference_no>/", api.ApplicationDetailView.as_view(), name="licensing-application"
    ),
    path(
        "applications/<str:reference_no>/actions/<str:action>/",
        api.ApplicationActionView.as_view(),
        name="licensing-application-action",
    ),
    path(
        "applications/<str:reference_no>/attachments/",
        api.AttachmentView.as_view(),
        name="licensing-application-attachments",
    ),
    path(
        "applications/<str:reference_no>/licence.pdf",
        api.LicencePdfView.as_view(),
        name="licensing-licence-pdf",
    ),
    path("lists/", api.ListsView.as_view(), name="licensing-lists"),
    path("inspections/", api.InspectionsView.as_view(), name="licensing-inspections"),
]
