from django.contrib.auth.backends import BaseBackend

from portal.accounts import services
from portal.accounts.models import User


class PhoneOtpBackend(BaseBackend):
    """Phone + one-time code. A right code yields the real-name verified citizen for that phone."""

    def authenticate(self, request, phone=None, code=None, **kwargs):
        if phone is None or code is None:
            return None
        if not services.otp_check(phone=phone, code=code):
            return None
        return services.citizen_for_phone(phone=phone)

    def get_user(self, user_id):
        user = User.objects.filter(pk=user_id, is_active=True).first()
        return user
