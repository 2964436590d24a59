"""The courier's status callbacks (物流状态推送): verify, log, apply at most once.

Each callback is a POST signed like every request between the portal and another system
(portal/core/http.py) with ``COURIER_NOTIFY_SECRET``, and carries ``notify_id``, ``tracking_no``,
``order_no``, ``status`` (in_transit | delivered | failed), ``at`` (ISO 8601 with offset) and, for
``failed``, ``reason``. In order, exactly as payment notifications (payments/notifications.py):

1. the key and signature must verify and the timestamp be within 5 minutes (else ``bad_signature``);
2. the nonce must be new (else ``replayed``, checked only for authentic requests so a forger cannot burn
   nonces);
3. the body must be well formed (``malformed``), the shipment known (``unknown``);
4. the report is applied by ``services.delivery_report`` (``applied``, or ``duplicate`` / ``stale``:
   acknowledged, nothing changes).

Every callback is written to ``CourierCallback`` with its outcome; refused ones are logged as warnings.
"""

import json
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from portal.core import http
from portal.deliveries import services
from portal.deliveries.models import CallbackOutcome, CourierCallback, DeliveryStatus

log = logging.getLogger(__name__)

BODY_KEPT = 4000
REPORTED = (DeliveryStatus.IN_TRANSIT, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)
HTTP_STATUS = {
    CallbackOutcome.APPLIED: 200,
    CallbackOutcome.DUPLICATE: 200,
    CallbackOutcome.STALE: 200,  # acknowledged, so the courier stops re-sending a report overtaken by another
    CallbackOutcome.BAD_SIGNATURE: 401,
    CallbackOutcome.REPLAYED: 401,
    CallbackOutcome.MALFORMED: 400,
    CallbackOutcome.UNKNOWN: 404,
}
ACCEPTED = {CallbackOutcome.APPLIED, CallbackOutcome.DUPLICATE, CallbackOutcome.STALE}


def parse_report(body: bytes) -> dict:
    """The report in ``body`` (with ``at`` parsed), or a ValidationError naming each bad field."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        raise ValidationError({"body": [_("The body is not JSON.")]}) from None
    if not isinstance(data, dict):
        raise ValidationError({"body": [_("The body must be a JSON object.")]})
    errors: dict[str, list[str]] = {}
    for name in ("notify_id", "tracking_no"):
        value = data.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > 64:
            errors[name] = [_("A non-empty text of at most %(n)d characters.") % {"n": 64}]
    if data.get("status") not in REPORTED:
        errors["status"] = [_("One of %(values)s.") % {"values": ", ".join(REPORTED)}]
    at = parse_datetime(str(data.get("at") or ""))
    if at is None or at.tzinfo is None:
        errors["at"] = [_("An ISO 8601 time with its offset.")]
    reason = data.get("reason") or ""
    if not isinstance(reason, str) or len(reason) > 300:
        errors["reason"] = [_("A text of at most %(n)d characters.") % {"n": 300}]
    if errors:
        raise ValidationError(errors)
    return {**data, "at": at, "tracking_no": data["tracking_no"].strip(), "reason": reason.strip()}


def _record(*, outcome: str, body: bytes, detail: str = "", report: dict | None = None, delivery=None):
    if outcome not in ACCEPTED:
        log.warning(
            "courier callback refused (%s): %s %s", outcome, (report or {}).get("tracking_no", ""), detail
        )
    return CourierCallback.objects.create(
        notify_id=str((report or {}).get("notify_id") or "")[:64],
        tracking_no=str((report or {}).get("tracking_no") or "")[:64],
        status=str((report or {}).get("status") or "")[:16],
        delivery=delivery,
        outcome=outcome,
        detail=str(detail)[:300],
        body=body.decode("utf-8", errors="replace")[:BODY_KEPT],
    )


def callback_receive(*, method: str, path: str, headers, body: bytes) -> CourierCallback:
    """Check and apply one callback; returns its log row (:data:`HTTP_STATUS` gives the answer). Never
    raises for bad input."""
    secret = settings.COURIER_NOTIFY_SECRET
    authentic = (
        bool(secret)
        and headers.get("X-App-Key", "") == settings.COURIER_APP_KEY
        and http.verify_signature(secret=secret, method=method, path=path, headers=headers, body=body)
    )
    if not authentic:
        detail = _("Signature, key or timestamp did not verify.") if secret else _("No notify key set.")
        return _record(outcome=CallbackOutcome.BAD_SIGNATURE, body=body, detail=detail)
    if not http.nonce_first_use(headers.get("X-Nonce", ""), namespace="deliveries:callback"):
        return _record(outcome=CallbackOutcome.REPLAYED, body=body, detail=_("Nonce already used."))
    try:
        report = parse_report(body)
    except ValidationError as exc:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return _record(outcome=CallbackOutcome.MALFORMED, body=body, detail=detail)
    result = services.delivery_report(
        tracking_no=report["tracking_no"],
        status=report["status"],
        at=report["at"],
        reason=report["reason"],
        order_no=str(report.get("order_no") or "")[:32],
    )
    return _record(
        outcome=result.outcome, body=body, detail=result.detail, report=report, delivery=result.delivery
    )
