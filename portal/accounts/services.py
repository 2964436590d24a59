"""Sign-in actions. Views and the API call these; they never see ``request`` except to hand it to
Django's ``authenticate`` (which django-axes needs to count failures)."""

import datetime as dt
import re
import secrets
from functools import partial

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts import identity
from portal.accounts.models import OneTimeCode, Role, User
from portal.accounts.throttles import CodeRequestRefused

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(phone: str) -> str:
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not PHONE_RE.match(phone):
        raise ValidationError({"phone": [_("Enter an 11-digit mainland mobile number, e.g. 13800000000.")]})
    return phone


@transaction.atomic
def otp_request(*, phone: str) -> OneTimeCode:
    """Create a one-time code for ``phone`` and send it by SMS after commit.

    Limited per phone (portal/accounts/throttles.py): one code within OTP_RESEND_INTERVAL of the last, at
    most OTP_DAILY_LIMIT in a rolling day; otherwise CodeRequestRefused says how long to wait."""
    from portal.accounts.tasks import send_otp

    phone = normalize_phone(phone)
    now = timezone.now()
    recent = list(
        OneTimeCode.objects.select_for_update()
        .filter(phone=phone, created_at__gt=now - dt.timedelta(days=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    if recent and now - recent[0] < settings.OTP_RESEND_INTERVAL:
        wait = (settings.OTP_RESEND_INTERVAL - (now - recent[0])).total_seconds() + 1
        raise CodeRequestRefused(
            _("A code was just sent; please wait %(s)d seconds.") % {"s": int(wait)}, wait_seconds=wait
        )
    if len(recent) >= settings.OTP_DAILY_LIMIT:
        # the oldest code that still counts must age out of the rolling day before another is sent
        wait = int((recent[settings.OTP_DAILY_LIMIT - 1] + dt.timedelta(days=1) - now).total_seconds()) + 1
        raise CodeRequestRefused(
            _(
                "This number has had %(n)d codes today, the most allowed. "
                "Please try again in %(h)d hours %(m)d minutes."
            )
            % {"n": settings.OTP_DAILY_LIMIT, "h": wait // 3600, "m": wait % 3600 // 60},
            wait_seconds=wait,
        )
    OneTimeCode.objects.filter(phone=phone, consumed_at__isnull=True).update(consumed_at=now)
    otp = OneTimeCode.objects.create(
        phone=phone, code=f"{secrets.randbelow(10**6):06d}", expires_at=now + settings.OTP_TTL
    )
    transaction.on_commit(partial(send_otp.delay, otp.pk))
    return otp


def otp_check(*, phone: str, code: str) -> bool:
    """Consume the code if it is right; count a wrong try. Called by the authentication backend."""
    now = timezone.now()
    with transaction.atomic():
        otp = (
            OneTimeCode.objects.select_for_update()
            .filter(phone=phone, consumed_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if otp is None:
            return False
        if otp.attempts >= OneTimeCode.MAX_ATTEMPTS:
            return False
        if not secrets.compare_digest(otp.code, (code or "").strip()):
            otp.attempts += 1
            otp.save(update_fields=["attempts"])
            return False
        otp.consumed_at = now
        otp.save(update_fields=["consumed_at"])
        return True


@transaction.atomic
def citizen_for_phone(*, phone: str) -> User:
    """The real-name verified citizen account for ``phone``, created on first sign-in.

    Raises ValidationError when the phone belongs to no registered person, and
    identity.IdentityUnavailable when the identity provider cannot answer."""
    person = identity.person_by_phone(phone)
    if person is None:
        raise ValidationError(
            {"phone": [_("This mobile number is not registered to a person in the household registry.")]}
        )
    user = User.objects.select_for_update().filter(phone=phone).first()  # by the number's keyed hash
    if user is None:
        from portal.core import pii

        user = User.objects.filter(id_number_hash=pii.keyed_hash(person.id_number)).first() or User(
            username=User.new_citizen_username(), role=Role.CITIZEN
        )
        user.phone = phone
        user.set_unusable_password()
    if user.role != Role.CITIZEN:
        raise ValidationError({"phone": [_("Staff accounts sign in with their password.")]})
    user.real_name, user.id_number = person.name, person.id_number
    user.real_name_verified_at = timezone.now()
    user.save()
    return user


def sign_in_with_code(*, request, phone: str, code: str) -> User:
    """Check the code (django-axes counts failures per phone) and return the verified citizen.

    Raises ValidationError with field messages on a wrong or expired code."""
    phone = normalize_phone(phone)
    user = authenticate(request, phone=phone, code=code)
    if user is None:
        raise ValidationError({"code": [_("The code is wrong or has expired. Request a new code.")]})
    return user


def sign_in_with_password(*, request, username: str, password: str) -> User:
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise ValidationError({"non_field_errors": [_("The user name or password is wrong.")]})
    if not (user.is_portal_staff or user.is_superuser):
        raise ValidationError(
            {"non_field_errors": [_("Citizens sign in with their mobile number and a code.")]}
        )
    return user
