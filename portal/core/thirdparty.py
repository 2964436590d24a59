"""Chinese names for third-party apps shown in the admin (issue 13 item 4).

django-axes names its app "Axes" (its label title-cased) and ships no Chinese catalogue; this AppConfig
subclass, listed in INSTALLED_APPS instead of ``"axes"``, gives it a translatable name. The msgids of its
models and fields are translated in the project catalogue (locale/zh_Hans), which takes precedence over
an app's own."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    verbose_name = _("Sign-in lockout")
