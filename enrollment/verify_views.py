"""The page a QR code on a place or admission notice opens. Public: anyone holding the paper (a school,
a landlord's agent, the family) may check it, so it shows the document kind, reference number, school,
issue date and current status, and the child's name masked — never an ID number."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from enrollment.notice import InvalidNoticeToken, NoticeKind, verify_notice

TEMPLATE = "enrollment/verify.html"


@require_safe
@never_cache  # the status changes when an application is withdrawn or redistributed
def verify_notice_page(request, token: str):
    try:
        verification = verify_notice(token)
    except InvalidNoticeToken:
        response = render(request, TEMPLATE, {"genuine": False}, status=404)
    else:
        response = render(
            request,
            TEMPLATE,
            {"genuine": True, "v": verification, "is_admission": verification.kind == NoticeKind.ADMISSION},
        )
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token stays out of other sites' logs
    return response
