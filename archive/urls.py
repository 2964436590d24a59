"""/archive/ pages."""

from django.urls import path

from archive import views

app_name = "archive"
urlpatterns = [
    path("", views.package_list, name="list"),
    path("retention/", views.retention, name="retention"),
    path("<str:archival_code>/", views.package_detail, name="detail"),
    path("<str:archival_code>/package.zip", views.download_package, name="download"),
    path("<str:archival_code>/document.pdf", views.download_document, name="document"),
    path("<str:archival_code>/check/", views.package_check, name="check"),
]
