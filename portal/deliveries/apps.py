from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveriesConfig(AppConfig):
    """Courier deliveries (邮寄送达) of what the bureau issues: certificates, licences."""

    name = "portal.deliveries"
    label = "deliveries"
    verbose_name = _("Deliveries")

    def ready(self):
        from portal.cases.actions import register_actions
        from portal.deliveries import tasks  # noqa: F401 - registers the Celery tasks
        from portal.deliveries.models import DeliveryAction

        register_actions(DeliveryAction)
