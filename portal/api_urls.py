"""/api/v1/: each app contributes its routes here."""

from django.urls import include, path

from portal.accounts import api as accounts_api
from portal.cases import api as cases_api

app_name = "api"
urlpatterns = [
    path("auth/otp/", accounts_api.OtpRequestView.as_view(), name="auth-otp"),
    path("auth/otp/verify/", accounts_api.OtpVerifyView.as_view(), name="auth-otp-verify"),
    path("auth/token/", accounts_api.PasswordTokenView.as_view(), name="auth-token"),
    path("auth/me/", accounts_api.MeView.as_view(), name="auth-me"),
    path("deliveries/", include("portal.deliveries.api_urls")),
    path("invitations/", include("portal.invitations.api_urls")),
    path("notices/", include("portal.notices.api_urls")),
    path("cases/", cases_api.CaseListView.as_view(), name="cases"),
    path("enrollment/", include("enrollment.api_urls")),
    path("admission/", include("admission.api_urls")),
    path("archive/", include("archive.api_urls")),
    path("payments/", include("payments.api_urls")),
    path("studentstatus/", include("studentstatus.api_urls")),
    path("afterschool/", include("afterschool.api_urls")),
    path("teachers/", include("teachers.api_urls")),
    path("licensing/", include("licensing.api_urls")),
    path("aid/", include("aid.api_urls")),
    path("verify/", include("portal.documents.api_urls")),
]
