"""Payments' signals (payments.signals), heard by after-school care: a bill of an application paid or
expired. Each receiver only hands the order's id to the service, which is idempotent."""


def on_bill_paid(sender, order_id: int, **kwargs) -> None:
    from afterschool.services import application_confirm_paid

    application_confirm_paid(order_id=order_id)


def on_bill_expired(sender, order_id: int, **kwargs) -> None:
    from afterschool.services import application_lapse

    application_lapse(order_id=order_id)
