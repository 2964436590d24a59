"""Client of the courier's shipment interface (快递下单接口), over the portal's signed HTTP client.

Requests are JSON, signed with ``COURIER_APP_KEY`` / ``COURIER_APP_SECRET`` (portal/core/http.py), and
answered with an envelope ``{"code": "ok", "data": {…}}`` or ``{"code": "<error>", "message": …}``.
Registering a shipment is idempotent at the courier by the portal's ``order_no``, so a request whose answer
was lost is simply sent again. No call is made inside a database transaction (docs/adr/0005).

- :class:`CourierUnavailable`: no answer, a timeout or a 5xx — try again later;
- :class:`CourierRefused`: a 4xx with the courier's ``code`` (``bad_request``, ``conflict`` …).
"""

import logging
from dataclasses import dataclass

import httpx
from django.conf import settings

from portal.core import http

logger = logging.getLogger(__name__)


class CourierError(Exception):
    pass


class CourierUnavailable(CourierError):
    """The courier did not answer usefully; nothing is known about the outcome."""


class CourierRefused(CourierError):
    """The courier answered and said no."""

    def __init__(self, code: str, message: str = "", status: int = 400):
        self.code, self.message, self.status = code, message, status
        super().__init__(f"{code}: {message}" if message else code)


@dataclass(frozen=True)
class Shipment:
    order_no: str
    tracking_no: str
    status: str


def _data(operation: str, payload: dict) -> dict:
    secret = settings.COURIER_APP_SECRET
    if not secret:
        logger.error("COURIER_APP_SECRET is not set: no request is sent to the courier")
        raise CourierUnavailable(f"{operation}: COURIER_APP_SECRET is not set")
    url = settings.COURIER_BASE_URL.rstrip("/") + "/" + operation.strip("/") + "/"
    try:
        response = http.signed_post_json(
            url=url,
            app_key=settings.COURIER_APP_KEY,
            secret=secret,
            payload=payload,
            timeout=settings.COURIER_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise CourierUnavailable(f"{operation}: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 500:
        raise CourierUnavailable(f"{operation}: HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as exc:
        if response.status_code >= 400:
            raise CourierRefused("refused", "", response.status_code) from exc
        raise CourierUnavailable(f"{operation}: the answer is not JSON") from exc
    if response.status_code >= 400:
        body = body if isinstance(body, dict) else {}
        raise CourierRefused(
            str(body.get("code") or "refused"), str(body.get("message") or ""), response.status_code
        )
    if not isinstance(body, dict) or body.get("code") != "ok" or not isinstance(body.get("data"), dict):
        raise CourierUnavailable(f"{operation}: unexpected answer {str(body)[:120]}")
    return body["data"]


def create_shipment(
    *, order_no: str, recipient_name: str, phone: str, address: str, item: str, callback_url: str
) -> Shipment:
    """Register a shipment; the courier answers with its tracking number. Sending the same ``order_no``
    again returns the same tracking number."""
    data = _data(
        "shipments",
        {
            "order_no": order_no,
            "recipient_name": recipient_name,
            "phone": phone,
            "address": address,
            "item": item,
            "callback_url": callback_url,
        },
    )
    try:
        tracking_no = str(data["tracking_no"]).strip()
        if not tracking_no or len(tracking_no) > 64:
            raise ValueError("tracking_no")
        return Shipment(order_no=str(data["order_no"]), tracking_no=tracking_no, status=str(data["status"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CourierUnavailable(f"unexpected shipment data from the courier: {exc}") from exc
