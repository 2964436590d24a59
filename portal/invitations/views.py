"""我的邀请 (/my/invitations/): the person's invitations with accept and decline buttons."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.invitations import selectors, services
from portal.invitations.models import InvitationStatus


@login_required
def my_invitations(request):
    invitations = list(selectors.invitations_for_user(request.user)[:100])
    return render(
        request,
        "invitations/my_invitations.html",
        {"invitations": invitations, "open_status": InvitationStatus.OPEN},
    )


def _own(request, pk: int):
    """The user's own invitation; another's answers 404 on pages (the API says 403)."""
    return get_object_or_404(selectors.invitations_for_user(request.user), pk=pk)


@login_required
@require_POST
def accept(request, pk: int):
    invitation = _own(request, pk)
    try:
        case = services.invitation_accept(invitation=invitation, by=request.user)
    except PermissionDenied:
        raise
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("invitations:mine")
    messages.success(
        request, _("Accepted. Your case %(reference_no)s is open.") % {"reference_no": case.reference_no}
    )
    return redirect("cases:case_detail", reference_no=case.reference_no)


@login_required
@require_POST
def decline(request, pk: int):
    invitation = _own(request, pk)
    try:
        services.invitation_decline(invitation=invitation, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Declined. You will not be invited to this service again this year."))
    return redirect("invitations:mine")
