"""/api/v1/teachers/ (contracts/api-services.md)."""

from django.urls import path

from teachers import api

urlpatterns = [
    path("certificates/", api.CertificateListView.as_view(), name="teachers-certificates"),
    path(
        "certificates/<str:reference_no>/", api.CertificateDetailView.as_view(), name="teachers-certificate"
    ),
    path(
        "certificates/<str:reference_no>/actions/<str:action>/",
        api.CertificateActionView.as_view(),
        name="teachers-certificate-action",
    ),
    path(
        "certificates/<str:reference_no>/certificate.pdf",
        api.CertificatePdfView.as_view(),
        name="teachers-certificate-pdf",
    ),
    path("honours/", api.HonourListView.as_view(), name="teachers-honours"),
    path("honours/<str:reference_no>/", api.HonourDetailView.as_view(), name="teachers-honour"),
    path(
        "honours/<str:reference_no>/actions/<str:action>/",
        api.HonourActionView.as_view(),
        name="teachers-honour-action",
    ),
    path(
        "honours/<str:reference_no>/certificate.pdf", api.HonourPdfView.as_view(), name="teachers-honour-pdf"
    ),
]
