"""Teacher pages (Chinese, phone-sized) and the bureau's review pages. Views call services only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.cases.models import CaseStatus
from portal.cases.selectors import case_summary, case_timeline
from portal.cases.workflow import ActionNotAllowed, allowed_actions
from portal.core.views import role_required
from portal.deliveries.models import DeliveryStatus
from portal.deliveries.selectors import delivery_for_case
from portal.documents.models import DocumentStatus
from teachers import documents, selectors, services
from teachers.forms import AddressForm, ApplyForm, NoteForm, QueueFilter, RevokeForm
from teachers.models import CertificateState, HonourState

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


DOCUMENT_STATUS = dict(DocumentStatus.choices)
DELIVERY_STATUS = dict(DeliveryStatus.choices)
# the states a teachers case's trace moves through: its own, the case's, its documents' and parcels'
STATE_LABELS = {
    **dict(CaseStatus.choices),
    **DELIVERY_STATUS,
    **DOCUMENT_STATUS,
    **dict(HonourState.choices),
    **dict(CertificateState.choices),
}


def _timeline(case) -> list[dict]:
    """Rows of cases/_timeline.html: each event with its from / to states' labels."""
    return [
        {
            "entry": e,
            "from_label": STATE_LABELS.get(e.from_state, e.from_state),
            "to_label": STATE_LABELS.get(e.to_state, e.to_state),
        }
        for e in case_timeline(case)
    ]


def _case_context(obj, user):
    delivery = delivery_for_case(obj.case)
    if delivery is not None:
        delivery["status_label"] = DELIVERY_STATUS.get(delivery["status"], delivery["status"])
    rows = documents.for_case(obj.case)
    for row in rows:
        row["status_label"] = DOCUMENT_STATUS.get(row["status"], row["status"])
    return {
        "case": obj.case,
        "summary": case_summary(obj.case, user=user),
        "timeline": _timeline(obj.case),
        "delivery": delivery,
        "documents": rows,
        "actions": allowed_actions(obj, user),
        "address_form": AddressForm(prefix="resend"),
    }


def _run(request, act, **kwargs) -> bool:
    """Call a service for a page's POST; refusals and field errors become messages."""
    try:
        act(by=request.user, **kwargs)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return False
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, _("Done."))
    return True


@login_required
def certificate(request, reference_no):
    application = selectors.application_for_user(request.user, reference_no)
    context = {
        "application": application,
        "revoked": documents.certificate_revoked(application),
        **_case_context(application, request.user),
    }
    return render(request, "teachers/certificate.html", context)


@require_POST
@login_required
def certificate_resend(request, reference_no):
    """The holder (their page) or bureau staff (the review page) have a failed delivery sent again."""
    application = selectors.application_for_user(request.user, reference_no)
    address = request.POST.get("resend-delivery_address", "")
    _run(request, services.certificate_resend, application=application, address=address)
    if request.POST.get("next") == "review":
        return redirect("teachers:review", reference_no)
    return redirect("teachers:certificate", reference_no)


@require_POST
@login_required
def honour_resend(request, reference_no):
    honour_ = selectors.honour_for_user(request.user, reference_no)
    address = request.POST.get("resend-delivery_address", "")
    _run(request, services.honour_resend, honour=honour_, address=address)
    return redirect("teachers:honour", reference_no)


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
        "form": NoteForm(),
        "revoke_form": RevokeForm(),
        "revoked": documents.certificate_revoked(application),
        **_case_context(application, request.user),
    }
    return render(request, "teachers/review.html", context)


@require_POST
@bureau_required
def review_revoke(request, reference_no):
    """The bureau revokes an issued certificate with a reason (撤销)."""
    application = selectors.application_for_user(request.user, reference_no)
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _run(request, services.certificate_revoke, application=application, reason=reason)
    return redirect("teachers:review", reference_no)


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
