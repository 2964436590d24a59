"""A family's applications: the list, one application's status, withdrawal and the supplement upload.

Every application is read through ``enrollment.selectors.application_for_user`` (404 for anyone else's,
also for a guessed reference number); every change goes through ``enrollment.services``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from enrollment import services
from enrollment.forms import WithdrawForm
from enrollment.models import Draft, State
from enrollment.selectors import application_for_user, applications_for_user
from enrollment.views.common import (
    NOTICE_PDF_URL,
    check_rows,
    citizen_required,
    is_reviewer,
    timeline_rows,
)
from portal.cases import services as cases
from portal.cases.forms import UploadForm
from portal.cases.models import Attachment
from portal.cases.scoping import can_handle, is_applicant
from portal.cases.selectors import case_summary
from portal.cases.workflow import ActionNotAllowed
from portal.core.forms import add_service_errors

WITHDRAWABLE = (State.VERIFYING, State.NEEDS_REVIEW, State.AWAITING_SUPPLEMENT, State.QUALIFIED)
WITH_NOTICE = (State.QUALIFIED, State.ADMITTED)


@login_required
def home(request):
    """The guardian's applications and saved drafts; staff go to their review queue."""
    if is_reviewer(request.user):
        return redirect("enrollment:review_queue")
    context = {
        "applications": applications_for_user(request.user).order_by("-case__submitted_at"),
        "drafts": Draft.objects.filter(guardian=request.user).order_by("-updated_at"),
    }
    return render(request, "enrollment/home.html", context)


def status_context(request, application, *, upload_form=None) -> dict:
    case = application.case
    applicant = is_applicant(request.user, case)
    return {
        "application": application,
        "case": case,
        "is_applicant": applicant,
        "can_review": can_handle(request.user, case) and is_reviewer(request.user),
        "checks": check_rows(application.checks.all()),
        "timeline": timeline_rows(case),
        "attachments": Attachment.objects.filter(case=case).order_by("uploaded_at", "pk"),
        "open_pause": case.pauses.filter(ended_on__isnull=True).first() if case.clock_paused else None,
        "notice_url": NOTICE_PDF_URL.format(ref=case.reference_no)
        if application.state in WITH_NOTICE
        else "",
        "can_withdraw": applicant and application.state in WITHDRAWABLE,
        "upload_form": (upload_form or UploadForm())
        if applicant and application.state == State.AWAITING_SUPPLEMENT
        else None,
        "today": cases.local_today(),
        "summary": case_summary(case, user=request.user),
    }


@login_required
def application_detail(request, reference_no: str):
    application = application_for_user(request.user, reference_no)
    return render(request, "enrollment/application.html", status_context(request, application))


@citizen_required
@require_http_methods(["GET", "POST"])
def application_withdraw(request, reference_no: str):
    """Ask for confirmation (GET), then withdraw (POST)."""
    application = application_for_user(request.user, reference_no)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.application_withdraw(
                application=application, by=request.user, note=form.cleaned_data["note"]
            )
        except ActionNotAllowed as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("enrollment:application", reference_no=reference_no)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The application has been withdrawn."))
            return redirect("enrollment:application", reference_no=reference_no)
    if request.method == "POST":
        status = 400
    return render(
        request, "enrollment/withdraw.html", {"application": application, "form": form}, status=status
    )


@citizen_required
@require_POST
def supplement_upload(request, reference_no: str):
    """容缺: the family uploads what the reviewer asked for; the application returns to review."""
    application = application_for_user(request.user, reference_no)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.application_supplement_received(
                application=application,
                by=request.user,
                uploaded_file=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
            )
        except ActionNotAllowed as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("enrollment:application", reference_no=reference_no)
        except ValidationError as exc:
            add_service_errors(form, exc, aliases={"uploaded_file": "file"})
        else:
            messages.success(request, _("Thank you. The material has been added; a clerk reviews it now."))
            return redirect("enrollment:application", reference_no=reference_no)
    context = status_context(request, application, upload_form=form)
    return render(request, "enrollment/application.html", context, status=400)
