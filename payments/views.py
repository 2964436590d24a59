"""The family's bills (/payments/), the e-receipt, its public verification, and the endpoint the payment
platform notifies. Views translate HTTP to service calls; every bill is read through
``payments.selectors`` (404 for anyone else's) and every change goes through the services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from payments import notifications, services
from payments.models import PAID_STATES, NotificationOutcome, OrderState
from payments.selectors import order_for_user, orders_for_user
from portal.cases.scoping import is_applicant
from portal.cases.selectors import case_summary
from portal.core.pdf import qr_svg

ORDERS_PER_PAGE = 20


@login_required
def home(request):
    """Bills to pay first (soonest due), then the others, newest first."""
    orders = orders_for_user(request.user)
    show = request.GET.get("show", "all")
    if show == "unpaid":
        orders = orders.filter(state=OrderState.CREATED)
    elif show == "paid":
        orders = orders.filter(state__in=PAID_STATES)
    else:
        show = "all"
    page = Paginator(orders.order_by("-created_at", "-pk"), ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    unpaid = orders_for_user(request.user).filter(state=OrderState.CREATED).order_by("expires_at", "pk")
    context = {"page": page, "show": show, "unpaid": list(unpaid[:10]), "now": timezone.now()}
    return render(request, "payments/home.html", context)


@login_required
@never_cache  # the state changes when the platform's notification arrives
def order_detail(request, order_no: str):
    order = order_for_user(request.user, order_no)
    payer = is_applicant(request.user, order.case)
    context = {
        "order": order,
        "is_payer": payer,
        "refunds": order.refunds.order_by("requested_at", "pk"),
        "qr": qr_svg(order.pay_url) if order.state == OrderState.CREATED and order.pay_url else "",
        "receipt": order.state in PAID_STATES and bool(order.receipt_no),
        "returned": request.GET.get("platform_status", ""),
        "now": timezone.now(),
        "summary": case_summary(order.case, user=request.user),
        "own_case": services.is_own_case(order),  # the bill's own case is due when the bill is
    }
    return render(request, "payments/order.html", context)


@login_required
@require_POST
def order_pay(request, order_no: str):
    """The "pay now" button: make sure the platform knows the bill, then go to its pay page."""
    order = order_for_user(request.user, order_no)
    if not is_applicant(request.user, order.case):
        messages.error(request, _("Only the family can pay this bill."))
        return redirect("payments:order", order_no=order.order_no)
    if order.state != OrderState.CREATED or order.past_due():
        messages.error(
            request, _("This bill can no longer be paid (%(state)s).") % {"state": order.get_state_display()}
        )
        return redirect("payments:order", order_no=order.order_no)
    try:
        order = services.order_ensure_registered(order=order)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("payments:order", order_no=order.order_no)
    return redirect(order.pay_url)


@login_required
@require_POST
def order_check(request, order_no: str):
    """ "I have paid": ask the platform now instead of waiting for its notification."""
    order = order_for_user(request.user, order_no)
    try:
        outcome = services.order_refresh(order=order)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if outcome is not None and outcome.outcome in (
            NotificationOutcome.APPLIED,
            NotificationOutcome.DUPLICATE,
        ):
            messages.success(request, _("Your payment has been received."))
        elif order.state == OrderState.CREATED:
            messages.warning(request, _("The payment platform has no payment for this bill yet."))
    return redirect("payments:order", order_no=order.order_no)


@login_required
def receipt_pdf(request, order_no: str):
    order = order_for_user(request.user, order_no)
    from payments import receipts  # WeasyPrint is heavy: loaded by the first request that needs it

    try:
        pdf = receipts.render_receipt_pdf(order)
    except receipts.ReceiptNotAvailable:
        messages.error(request, _("The e-receipt is issued once the bill is paid."))
        return redirect("payments:order", order_no=order.order_no)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, receipts.receipt_filename(order))
    return response


@require_safe
@never_cache
def verify_receipt(request, token: str):
    """What the QR code of a receipt printed before the document registry opens: a redirect to the
    registered document's public ``/verify/<code>/`` page (valid, or revoked by a full refund)."""
    from payments.receipts import document_for_token
    from portal.documents.views import TEMPLATE, legacy_redirect

    document = document_for_token(token)
    if document is None:
        response = render(request, TEMPLATE, {"genuine": False}, status=404)
    else:
        response = legacy_redirect(document)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt  # machine to machine: authenticated by its HMAC signature instead
@require_POST
def notify(request):
    """The platform's asynchronous notification. 200 ``{"code": "success"}`` when applied or already
    applied (so the platform stops re-sending); 4xx with the reason when refused. Every call is logged."""
    record = notifications.notification_receive(
        method=request.method, path=request.get_full_path(), headers=request.headers, body=request.body
    )
    accepted = record.outcome in (NotificationOutcome.APPLIED, NotificationOutcome.DUPLICATE)
    return JsonResponse(
        {"code": "success" if accepted else record.outcome, "message": record.detail},
        status=notifications.HTTP_STATUS[record.outcome],
        json_dumps_params={"ensure_ascii": False},
    )
