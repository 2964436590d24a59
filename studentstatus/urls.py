from django.urls import path

from studentstatus import views, views_graduation, views_leave

app_name = "studentstatus"
urlpatterns = [
    path("transfers/apply/", views.transfer_apply, name="transfer_apply"),
    path("suspensions/apply/", views_leave.suspension_apply, name="suspension_apply"),
    path("resumptions/apply/", views_leave.resumption_apply, name="resumption_apply"),
    path("corrections/apply/", views_leave.correction_apply, name="correction_apply"),
    path("queue/", views.queue, name="queue"),
    path("graduation/", views_graduation.graduation_page, name="graduation"),
    path("records/", views_graduation.records_page, name="records"),
    path("records/<int:pk>/", views_graduation.record_page, name="record"),
    path("records/<int:pk>/certificate.pdf", views_graduation.record_certificate, name="record_certificate"),
    path("<str:kind>/<str:reference_no>/", views.case_page, name="case"),
]
