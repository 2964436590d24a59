"""/api/v1/notices/."""

from django.urls import path

from portal.notices import api

urlpatterns = [
    path("", api.NoticeListView.as_view(), name="notices"),
    path("<int:pk>/objections/", api.ObjectionCreateView.as_view(), name="notice-objections"),
]
