from django.urls import include, path

urlpatterns = [
    path("", include("enrollment.web_urls")),
    path("verify/", include("enrollment.verify_urls")),
]
