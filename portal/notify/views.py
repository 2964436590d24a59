"""The site inbox (消息): a person's own messages, newest first; opening one marks it read."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from portal.cases.selectors import cases_for_user
from portal.notify.models import Message

MESSAGES_PER_PAGE = 20


@login_required
def inbox(request):
    messages = Message.objects.filter(recipient=request.user).order_by("-created_at", "-pk")
    page = Paginator(messages, MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page})


@login_required
def message_detail(request, pk: int):
    """One of the user's own messages (404 for anyone else's); the first opening marks it read."""
    message = get_object_or_404(Message.objects.select_related("case"), pk=pk, recipient=request.user)
    if message.read_at is None:
        now = timezone.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
        message.read_at = now
    # link to the case only if the reader may still see it (a staff member may have moved on)
    case = (
        message.case
        if message.case_id and cases_for_user(request.user).filter(pk=message.case_id).exists()
        else None
    )
    return render(request, "notify/message_detail.html", {"message": message, "case": case})
