from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal.catalog import views as catalog_views
from portal.core.views import favicon

urlpatterns = [
    path("", catalog_views.home, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("portal.accounts.urls")),
    path("services/", include("portal.catalog.urls")),
    path("my/data-trail/", include("exchange.urls")),
    path("my/invitations/", include("portal.invitations.urls")),
    path("my/", include("portal.cases.urls")),
    path("notices/", include("portal.notices.urls")),
    path("figures/", include("portal.cases.figures_urls")),
    path("messages/", include("portal.notify.urls")),
    path("enrollment/", include("enrollment.urls")),
    path("admission/", include("admission.urls")),
    path("archive/", include("archive.urls")),
    path("payments/", include("payments.urls")),
    path("studentstatus/", include("studentstatus.urls")),
    path("afterschool/", include("afterschool.urls")),
    path("teachers/", include("teachers.urls")),
    path("licensing/", include("licensing.urls")),
    path("aid/", include("aid.urls")),
    path("verify/", include("portal.documents.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))

admin.site.site_header = "教育一网通办 · 管理后台"
admin.site.site_title = "教育一网通办"
