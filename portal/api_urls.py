"""/api/v1/: each app contributes its routes here."""

from django.urls import include, path

from portal.accounts import api as accounts_api

app_name = "api"
urlpatterns = [
    path("auth/otp/", accounts_api.OtpRequestView.as_view(), name="auth-otp"),
    path("auth/otp/verify/", accounts_api.OtpVerifyView.as_view(), name="auth-otp-verify"),
    path("auth/token/", accounts_api.PasswordTokenView.as_view(), name="auth-token"),
    path("auth/me/", accounts_api.MeView.as_view(), name="auth-me"),
    path("enrollment/", include("enrollment.api_urls")),
    path("admission/", include("admission.api_urls")),
    path("archive/", include("archive.api_urls")),
    path("payments/", include("payments.api_urls")),
    path("verify/", include("portal.documents.api_urls")),
]
