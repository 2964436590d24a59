"""HTTP stand-ins: the SMS gateway and the identity provider (registries come with the exchange)."""

import json
import re
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template import engines
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from portal.core.http import verify_signature
from portal.core.pii import keyed_hash, mask_phone
from sandbox.models import Person, SmsMessage

# only a number the message calls a verification code: reference numbers (JY-ENR-2027-000123), amounts and
# dates in other messages are not codes
CODE_RE = re.compile(r"验证码(?:是|为)?[:：\s]*(\d{4,8})(?!\d)")
INBOX_PAGE = Path(__file__).with_name("sms_inbox.html")


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


def one_time_code(text: str) -> str | None:
    match = CODE_RE.search(text)
    return match[1] if match else None


def _inbox_phone(request) -> str:
    """Whose inbox: ``to=<keyed hash>`` (the link on the portal's sign-in page: no number in its URL), a
    number POSTed by the page's own form, or ``?phone=`` (kept for scripts)."""
    token = request.GET.get("to", "").strip().lower()
    if token:
        numbers = SmsMessage.objects.order_by().values_list("phone", flat=True).distinct()
        return next((n for n in numbers if keyed_hash(n) == token), "")
    return (request.POST.get("phone") or request.GET.get("phone") or "").strip()


@csrf_exempt  # a read-only test page of the SMS stand-in; POST only keeps the number out of the URL
@require_http_methods(["GET", "POST"])
def sms_inbox(request):
    """What a tester's phone would show: ``GET /sandbox/sms/?to=<keyed hash>`` (or the number POSTed),
    newest first — a readable page for a browser, JSON (Chinese as is, not ``\\u`` escapes) for scripts
    and tests."""
    phone = _inbox_phone(request)
    messages = [
        {"text": m.text, "code": one_time_code(m.text), "sent_at": m.sent_at}
        for m in (SmsMessage.objects.filter(phone=phone)[:50] if phone else [])
    ]
    if "text/html" in request.headers.get("Accept", ""):
        template = engines["django"].from_string(INBOX_PAGE.read_text(encoding="utf-8"))
        asked = bool(phone or request.GET.get("to"))
        context = {"asked": asked, "masked_phone": mask_phone(phone) or "—", "messages": messages}
        return HttpResponse(template.render(context, request))
    for m in messages:
        m["sent_at"] = m["sent_at"].isoformat()
    return JsonResponse({"messages": messages}, json_dumps_params={"ensure_ascii": False})


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
