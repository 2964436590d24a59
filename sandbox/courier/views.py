"""/sandbox/courier/: the courier stand-in (included by sandbox/urls.py).

- ``POST api/shipments/`` (signed): ``order_no``, ``recipient_name``, ``phone``, ``address``, ``item``,
  ``callback_url`` → ``{"code": "ok", "data": {"order_no", "tracking_no", "status"}}``; the same order
  number again answers the same tracking number.
- ``POST api/shipments/query/`` (signed): ``tracking_no`` → the shipment's status.
- ``GET /sandbox/courier/``: the testers' page; a button per parcel moves it on (揽收 → 签收, or 投递失败),
  each step sending a signed callback to the sender.
"""

import json
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template import engines
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from portal.core.http import verify_signature
from sandbox.courier import delivery
from sandbox.courier.models import CourierShipment, ShipmentStatus

NONCE_TTL = 600
PAGE = Path(__file__).with_name("courier_page.html")


class Refusal(Exception):
    def __init__(self, code: str, message: str = "", status: int = 400):
        self.code, self.message, self.status = code, message, status
        super().__init__(code)


def _text(payload: dict, name: str, *, max_length: int) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise Refusal("bad_request", f"{name}: a text of at most {max_length} characters")
    return value.strip()


def _shipment_json(shipment: CourierShipment) -> dict:
    return {
        "order_no": shipment.order_no,
        "tracking_no": shipment.tracking_no,
        "status": shipment.status,
        "failure_reason": shipment.failure_reason,
    }


def _create(sender: str, payload: dict) -> dict:
    order_no = _text(payload, "order_no", max_length=64)
    fields = {
        "recipient_name": _text(payload, "recipient_name", max_length=100),
        "phone": _text(payload, "phone", max_length=20),
        "address": _text(payload, "address", max_length=300),
        "item": _text(payload, "item", max_length=200),
        "callback_url": _text(payload, "callback_url", max_length=500),
    }
    try:
        URLValidator(schemes=["http", "https"])(fields["callback_url"])
    except ValidationError:
        raise Refusal("bad_request", "callback_url: an http(s) URL") from None
    existing = CourierShipment.objects.filter(sender=sender, order_no=order_no).first()
    if existing is not None:  # sent again: the same answer
        return _shipment_json(existing)
    for _attempt in range(5):
        tracking_no = f"SB{timezone.now():%y%m%d}{secrets.randbelow(10**10):010d}"
        try:
            with transaction.atomic():
                shipment = CourierShipment.objects.create(
                    sender=sender, order_no=order_no, tracking_no=tracking_no, **fields
                )
            return _shipment_json(shipment)
        except IntegrityError:
            existing = CourierShipment.objects.filter(sender=sender, order_no=order_no).first()
            if existing is not None:  # a concurrent copy of the same request won
                return _shipment_json(existing)
    raise Refusal("error", "no free tracking number", status=503)  # pragma: no cover


def _query(sender: str, payload: dict) -> dict:
    tracking_no = _text(payload, "tracking_no", max_length=32)
    shipment = CourierShipment.objects.filter(sender=sender, tracking_no=tracking_no).first()
    if shipment is None:
        raise Refusal("not_found", "no such shipment", status=404)
    return _shipment_json(shipment)


OPERATIONS = {"shipments": _create, "shipments/query": _query}


@csrf_exempt
def api(request, operation: str):
    if request.method != "POST":
        return JsonResponse({"code": "method_not_allowed"}, status=405)
    try:
        sender = request.headers.get("X-App-Key", "")
        secret, _notify = delivery.senders().get(sender, ("", ""))
        if not secret or not verify_signature(
            secret=secret,
            method=request.method,
            path=request.get_full_path(),
            headers=request.headers,
            body=request.body,
        ):
            raise Refusal("bad_signature", status=401)
        if not cache.add(f"sandbox:courier:nonce:{request.headers['X-Nonce']}", 1, NONCE_TTL):
            raise Refusal("replayed", status=401)
        handler = OPERATIONS.get(operation.strip("/"))
        if handler is None:
            raise Refusal("no_such_interface", operation, status=404)
        injected = delivery.fault()
        if injected is not None:
            if injected.latency_ms:
                time.sleep(injected.latency_ms / 1000)
            if injected.down:
                return JsonResponse({"code": "error", "message": "courier down (injected fault)"}, status=503)
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            raise Refusal("bad_request", "body is not JSON") from None
        if not isinstance(payload, dict):
            raise Refusal("bad_request", "body must be a JSON object")
        return JsonResponse(
            {"code": "ok", "data": handler(sender, payload)}, json_dumps_params={"ensure_ascii": False}
        )
    except Refusal as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)


@require_http_methods(["GET"])
def page(request):
    """The testers' page: the latest parcels, with a button for each next step."""
    shipments = CourierShipment.objects.all()[:50]
    template = engines["django"].from_string(PAGE.read_text(encoding="utf-8"))
    context = {"shipments": shipments, "fault": delivery.fault(), "message": request.GET.get("message", "")}
    return HttpResponse(template.render(context, request))


@require_POST
def advance(request, tracking_no: str):
    """POST ``to`` (in_transit | delivered | failed, empty for the next step) and ``reason``."""
    to = request.POST.get("to") or None
    if to is not None and to not in (
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.FAILED,
    ):
        return HttpResponse("unknown status", status=400)
    with transaction.atomic():
        shipment = get_object_or_404(CourierShipment.objects.select_for_update(), tracking_no=tracking_no)
        sent = delivery.advance(shipment, to=to, reason=request.POST.get("reason", "")[:300])
    message = (
        f"{tracking_no}: {shipment.get_status_display()}" if sent else f"{tracking_no}: 无法变更 unchanged"
    )
    return redirect(f"{reverse('sandbox:courier')}?{urlencode({'message': message})}")
