"""Teacher pages (Chinese, phone-sized) and the bureau's review pages. Views call services only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.cases.selectors import case_summary, case_timeline
from portal.cases.workflow import ActionNotAllowed, allowed_actions
from portal.core.views import role_required
from portal.deliveries.selectors import delivery_for_case
from teachers import documents, selectors, services
from teachers.forms import AddressForm, ApplyForm, NoteForm, QueueFilter
from teachers.models import CertificateState

bureau_required = role_required(
    lambda u: u.is_superuser or u.role == "bureau", _("Only bureau staff review teacher certificates.")
)


def _errors_to_form(form, exc: ValidationError) -> None:
    for field, messages_ in (
        exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    ).items():
        form.add_error(field if field in form.fields else None, messages_)


@login_required
def home(request):
    return render(
        request,
        "teachers/home.html",
        {
            "applications": selectors.applications_for_user(request.user).filter(
                case__applicant=request.user
            ),
            "offers": selectors.offered_honours(request.user),
            "honours": selectors.honours_for_user(request.user).filter(teacher=request.user),
        },
    )


@login_required
def apply(request):
    form = ApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.certificate_apply(applicant=request.user, **form.cleaned_data)
        except ValidationError as exc:
            if isinstance(exc, ActionNotAllowed):
                form.add_error(None, exc.messages)
            else:
                _errors_to_form(form, exc)
        else:
            messages.success(
                request, _("Application %(ref)s submitted.") % {"ref": application.case.reference_no}
            )
            return redirect("teachers:certificate", application.case.reference_no)
    return render(request, "teachers/apply.html", {"form": form})


def _case_context(obj, user):
    return {
        "case": obj.case,
        "summary": case_summary(obj.case, user=user),
        "timeline": case_timeline(obj.case),
        "delivery": delivery_for_case(obj.case),
        "documents": documents.for_case(obj.case),
    }


@login_required
def certificate(request, reference_no):
    application = selectors.application_for_user(request.user, reference_no)
    context = {"application": application, **_case_context(application, request.user)}
    return render(request, "teachers/certificate.html", context)


@login_required
def honour(request, reference_no):
    honour_ = selectors.honour_for_user(request.user, reference_no)
    return render(
        request, "teachers/honour.html", {"honour": honour_, **_case_context(honour_, request.user)}
    )


@login_required
def honour_offer(request, invitation_id: int):
    invitation = selectors.offered_honour(request.user, invitation_id)
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accepted = services.honour_accept(
                invitation=invitation, delivery_address=form.cleaned_data["delivery_address"], by=request.user
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Thank you. Your honour certificate is being mailed."))
            return redirect("teachers:honour", accepted.case.reference_no)
    return render(request, "teachers/honour_offer.html", {"invitation": invitation, "form": form})


@bureau_required
def review_queue(request):
    filters = QueueFilter(request.GET or None)
    applications = selectors.applications_for_user(request.user)
    if filters.is_valid():
        if filters.cleaned_data["state"]:
            applications = applications.filter(state=filters.cleaned_data["state"])
        if filters.cleaned_data["stage"]:
            applications = applications.filter(stage=filters.cleaned_data["stage"])
    else:
        applications = applications.filter(state=CertificateState.NEEDS_REVIEW)
    rows = [(a, case_summary(a.case, user=request.user)) for a in applications[:200]]
    rows.sort(key=lambda r: (r[1].deadline is None, r[1].deadline or r[0].created_at.date()))
    return render(request, "teachers/review_queue.html", {"rows": rows, "filters": filters})


@bureau_required
def review(request, reference_no):
    application = selectors.application_for_user(request.user, reference_no)
    context = {
        "application": application,
        "actions": allowed_actions(application, request.user),
        "form": NoteForm(),
        **_case_context(application, request.user),
    }
    return render(request, "teachers/review.html", context)


@require_POST
@bureau_required
def review_action(request, reference_no, action):
    application = selectors.application_for_user(request.user, reference_no)
    form = NoteForm(request.POST)
    form.is_valid()
    act = {"approve": services.certificate_approve, "reject": services.certificate_reject}.get(action)
    if act is None:
        raise PermissionDenied(_("Unknown action %(action)s.") % {"action": action})
    try:
        act(application=application, by=request.user, note=form.cleaned_data.get("note", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Done."))
    return redirect("teachers:review", reference_no)
