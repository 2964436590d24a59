"""/api/v1/afterschool/ (contracts/api-services.md)."""

from django.urls import path

from afterschool import api

urlpatterns = [
    path("programs/", api.ProgramListView.as_view(), name="afterschool-programs"),
    path("programs/<int:pk>/", api.ProgramDetailView.as_view(), name="afterschool-program"),
    path("applications/", api.ApplicationListView.as_view(), name="afterschool-applications"),
    path(
        "applications/<str:reference_no>/",
        api.ApplicationDetailView.as_view(),
        name="afterschool-application",
    ),
    path(
        "applications/<str:reference_no>/actions/<str:action>/",
        api.ApplicationActionView.as_view(),
        name="afterschool-application-action",
    ),
]
