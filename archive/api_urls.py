"""/api/v1/archive/."""

from django.urls import path

from archive import api

urlpatterns = [
    path("packages/", api.PackageListView.as_view(), name="archive-packages"),
    path("packages/<str:archival_code>/", api.PackageDetailView.as_view(), name="archive-package"),
    path(
        "packages/<str:archival_code>/document.pdf",
        api.PackageDocumentView.as_view(),
        name="archive-document",
    ),
]
