"""/api/v1/aid/ (contracts/api-services.md)."""

from django.urls import path

from aid import api

urlpatterns = [
    path("applications/", api.ApplicationListView.as_view(), name="aid-applications"),
    path("applications/<str:reference_no>/", api.ApplicationDetailView.as_view(), name="aid-application"),
    path(
        "applications/<str:reference_no>/actions/<str:action>/",
        api.ApplicationActionView.as_view(),
        name="aid-application-action",
    ),
    path("schemes/", api.SchemeListView.as_view(), name="aid-schemes"),
    path("invitations/", api.InvitationListView.as_view(), name="aid-invitations"),
    path(
        "invitations/<int:pk>/actions/<str:action>/",
        api.InvitationActionView.as_view(),
        name="aid-invitation-action",
    ),
]
