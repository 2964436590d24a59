from django.urls import path

from studentstatus import api

app_name = "studentstatus"
urlpatterns = [
    path("records/", api.RecordListView.as_view(), name="records"),
    path(
        "records/<str:student_no>/certificate.pdf",
        api.RecordCertificateView.as_view(),
        name="record_certificate",
    ),
    path("<str:kind>/", api.CaseListView.as_view(), name="cases"),
    path("<str:kind>/<str:reference_no>/", api.CaseDetailView.as_view(), name="case"),
    path("<str:kind>/<str:reference_no>/actions/<str:action>/", api.CaseActionView.as_view(), name="action"),
    path("<str:kind>/<str:reference_no>/attachments/", api.AttachmentView.as_view(), name="attachments"),
]
