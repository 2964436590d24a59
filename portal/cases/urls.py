from django.urls import path

from portal.cases import views

app_name = "cases"
urlpatterns = [
    path("cases/", views.my_cases_page, name="my_cases"),
    path("queue/", views.queue_page, name="queue"),
    path("cases/<str:reference_no>/", views.case_detail, name="case_detail"),
    path("cases/<str:reference_no>/attachments/", views.attachment_upload, name="attachment_upload"),
    path(
        "cases/<str:reference_no>/attachments/<int:pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("cases/<str:reference_no>/rating/", views.rate, name="case_rate"),
]
