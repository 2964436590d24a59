"""The identity provider client: which registered person does a phone number belong to?

Real-name authentication (实名认证) asks the government identity provider, which answers from the household
registry (户籍). Reached over signed HTTP like every external system (portal/core/http.py).
"""

from dataclasses import dataclass
from datetime import date

import httpx
from django.conf import settings

from portal.core.http import signed_post_json


class IdentityUnavailable(Exception):
    """The identity provider could not be reached or answered with an error."""


@dataclass(frozen=True)
class RegisteredPerson:
    name: str
    id_number: str
    gender: str
    birth_date: date


def person_by_phone(phone: str) -> RegisteredPerson | None:
    try:
        response = signed_post_json(
            url=settings.IDP_URL,
            app_key=settings.IDP_APP_KEY,
            secret=settings.IDP_APP_SECRET,
            payload={"phone": phone},
            timeout=5.0,
        )
    except httpx.HTTPError as exc:
        raise IdentityUnavailable(exc.__class__.__name__) from exc
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise IdentityUnavailable(f"identity provider answered {response.status_code}")
    data = response.json()
    return RegisteredPerson(
        name=data["name"],
        id_number=data["id_number"],
        gender=data["gender"],
        birth_date=date.fromisoformat(data["birth_date"]),
    )
