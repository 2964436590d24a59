"""``/api/v1/verify/<code>/`` (public)."""

from django.urls import path

from portal.documents import views

urlpatterns = [
    path("<str:code>/", views.VerifyView.as_view(), name="documents-verify"),
]
