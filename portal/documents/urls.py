"""Public verification of issued documents (no sign-in): ``/verify/<code>/``."""

from django.urls import path

from portal.documents import views

app_name = "documents"
urlpatterns = [
    path("<str:code>/", views.verify_page, name="verify"),
]
