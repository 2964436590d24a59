"""Public verification of enrollment notices (no sign-in): ``/enrollment/verify/<token>/``."""

from django.urls import path

from enrollment import verify_views

app_name = "enrollment_verify"

urlpatterns = [
    path("<str:token>/", verify_views.verify_notice_page, name="notice"),
]
