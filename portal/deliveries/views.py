"""The endpoint the courier calls with status callbacks (machine to machine, HMAC-signed)."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.deliveries import callbacks


@csrf_exempt  # authenticated by its HMAC signature instead
@require_POST
def callback(request):
    """200 ``{"code": "success"}`` when applied or already known (so the courier stops re-sending); 4xx
    with the reason when refused. Every call is logged (CourierCallback)."""
    record = callbacks.callback_receive(
        method=request.method, path=request.get_full_path(), headers=request.headers, body=request.body
    )
    accepted = record.outcome in callbacks.ACCEPTED
    return JsonResponse(
        {"code": "success" if accepted else record.outcome, "message": record.detail},
        status=callbacks.HTTP_STATUS[record.outcome],
        json_dumps_params={"ensure_ascii": False},
    )
