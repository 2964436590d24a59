from django.urls import path

from studentstatus import views

app_name = "studentstatus"
urlpatterns = [
    path("transfers/apply/", views.transfer_apply, name="transfer_apply"),
    path("queue/", views.queue, name="queue"),
    path("<str:kind>/<str:reference_no>/", views.case_page, name="case"),
]
