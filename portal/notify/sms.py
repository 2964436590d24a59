"""The SMS gateway client (the sandbox's stand-in in demo and tests)."""

import httpx
from django.conf import settings

from portal.core.http import signed_post_json


class SmsError(Exception):
    pass


def send_sms(*, phone: str, text: str) -> None:
    try:
        response = signed_post_json(
            url=settings.SMS_GATEWAY_URL,
            app_key="edu-portal",
            secret=settings.SMS_GATEWAY_KEY,
            payload={"phone": phone, "text": text},
            timeout=5.0,
        )
    except httpx.HTTPError as exc:
        raise SmsError(f"SMS gateway unreachable: {exc.__class__.__name__}") from exc
    if response.status_code != 200:
        raise SmsError(f"SMS gateway answered {response.status_code}")
