"""HTTP stand-ins: the SMS gateway and the identity provider (registries come with the exchange)."""

import json
import re
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from portal.core.http import verify_signature
from sandbox.models import Person, SmsMessage

CODE_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def signed(secret_setting: str):
    """Refuse a request whose HMAC signature does not verify with the shared secret."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not verify_signature(
                secret=getattr(settings, secret_setting),
                method=request.method,
                path=request.get_full_path(),
                headers=request.headers,
                body=request.body,
            ):
                return JsonResponse({"error": "bad_signature"}, status=401)
            try:
                request.json = json.loads(request.body or b"{}")
            except ValueError:
                return JsonResponse({"error": "bad_json"}, status=400)
            return view(request, *args, **kwargs)

        return csrf_exempt(wrapper)

    return decorator


@require_POST
@signed("SMS_GATEWAY_KEY")
def sms_send(request):
    phone, text = str(request.json.get("phone", "")), str(request.json.get("text", ""))
    if not phone or not text:
        return JsonResponse({"error": "phone and text are required"}, status=400)
    msg = SmsMessage.objects.create(phone=phone, text=text)
    return JsonResponse({"id": msg.pk, "status": "queued"})


@require_GET
def sms_inbox(request):
    """What a tester's phone would show: ``GET /sandbox/sms/?phone=…``, newest first."""
    phone = request.GET.get("phone", "")
    messages = SmsMessage.objects.filter(phone=phone)[:50] if phone else []
    return JsonResponse(
        {
            "messages": [
                {
                    "text": m.text,
                    "code": (CODE_RE.search(m.text) or [None, None])[1],
                    "sent_at": m.sent_at.isoformat(),
                }
                for m in messages
            ]
        }
    )


@require_POST
@signed("IDP_APP_SECRET")
def idp_person(request):
    phone = str(request.json.get("phone", ""))
    person = Person.objects.filter(phone=phone).first() if phone else None
    if person is None:
        return JsonResponse({"error": "not_found"}, status=404)
    return JsonResponse(
        {
            "name": person.name,
            "id_number": person.id_number,
            "gender": person.gender,
            "birth_date": person.birth_date.isoformat(),
        }
    )
