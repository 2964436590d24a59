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
        _register_workflow()


def _register_workflow() -> None:
    from portal.cases import workflow
    from portal.deliveries.models import Delivery, DeliveryAction

    workflow.register(
        Delivery,
        events={
            "ship": DeliveryAction.IN_TRANSIT,
            "deliver": DeliveryAction.DELIVERED,
            "fail": DeliveryAction.FAILED,
        },
        verbs={"ship": _("shipped"), "deliver": _("delivered"), "fail": _("reported as failed")},
        reference=lambda delivery: (
            _("Delivery %(tracking_no)s") % {"tracking_no": delivery.tracking_no or delivery.pk}
        ),
        case=lambda delivery: delivery.case,
        select_related=("case", "case__applicant"),
        event_data=lambda delivery: {"delivery": delivery.pk, "tracking_no": delivery.tracking_no},
        state_field="status",
    )
