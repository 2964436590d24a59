"""/api/v1/invitations/."""

from django.urls import path

from portal.invitations import api

urlpatterns = [
    path("", api.InvitationListView.as_view(), name="invitations"),
    path("<int:pk>/actions/<slug:action>/", api.InvitationActionView.as_view(), name="invitation-action"),
]
