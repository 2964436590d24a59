"""/api/v1/admission/."""

from django.urls import path

from admission import api

urlpatterns = [
    path("rounds/", api.RoundListView.as_view(), name="admission-rounds"),
    path("rounds/<int:pk>/runs/", api.RunStartView.as_view(), name="admission-run-start"),
    path("runs/<int:pk>/", api.RunDetailView.as_view(), name="admission-run"),
    path("notices/<str:code>/<int:year>/", api.NoticeView.as_view(), name="admission-notice"),
]
