from celery import shared_task
from django.utils import timezone

from portal.accounts.models import OneTimeCode
from portal.notify.sms import SmsError, send_sms


@shared_task(name="accounts.send_otp", bind=True, acks_late=True, max_retries=3, default_retry_delay=2)
def send_otp(self, otp_id: int) -> str:
    """Send the code; a code already sent, used or expired is not sent again. No transaction is held while
    the gateway is called."""
    otp = OneTimeCode.objects.filter(pk=otp_id).first()
    if otp is None or otp.sent_at or otp.consumed_at or otp.expires_at <= timezone.now():
        return "skipped"
    try:
        send_sms(
            phone=otp.phone, text=f"【教育一网通办】您的登录验证码是 {otp.code}，5分钟内有效。请勿告诉他人。"
        )
    except SmsError as exc:
        raise self.retry(exc=exc) from exc
    OneTimeCode.objects.filter(pk=otp_id, sent_at__isnull=True).update(sent_at=timezone.now())
    return "sent"
