"""Review for school clerks (their school's applications) and bureau staff (their district's): the queue
with filters and due dates, and one page per application with approve / reject / request a supplement.
The services check scope and state, write the trace and message the family."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment import services
from enrollment.forms import ApproveForm, QueueFilterForm, RejectForm, SupplementRequestForm
from enrollment.models import Application, State
from enrollment.selectors import application_for_user, review_queue
from enrollment.views.common import check_rows, reviewer_required, timeline_rows
from portal.cases import services as cases
from portal.cases.models import Attachment
from portal.cases.selectors import case_summary
from portal.cases.workflow import ActionNotAllowed
from portal.core.forms import add_service_errors

PER_PAGE = 30
REVIEWABLE = (State.NEEDS_REVIEW, State.AWAITING_SUPPLEMENT)
ACTIONS = {
    # the action in the URL: (its form, the form's name in the page)
    "approve": (ApproveForm, "approve_form"),
    "reject": (RejectForm, "reject_form"),
    "supplement": (SupplementRequestForm, "supplement_form"),
}


@reviewer_required
def queue(request):
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    today = cases.local_today()
    applications = review_queue(
        request.user,
        state=filters.get("state") or None,
        stage=filters.get("stage") or None,
        overdue_on=today if filters.get("overdue") else None,
    ).prefetch_related("checks")
    page = Paginator(applications, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "today": today, "query": query.urlencode()}
    return render(request, "enrollment/review/queue.html", context)


def _render_review(request, application, *, status=200, **bound):
    case = application.case
    reviewable = application.state in REVIEWABLE and Application.reviewer_in_scope(application, request.user)
    forms = {name: None for _form, name in ACTIONS.values()}
    if reviewable:
        forms["approve_form"] = bound.get("approve_form") or ApproveForm(prefix="approve")
        forms["reject_form"] = bound.get("reject_form") or RejectForm(prefix="reject")
        if application.state == State.NEEDS_REVIEW:
            forms["supplement_form"] = bound.get("supplement_form") or SupplementRequestForm(
                prefix="supplement"
            )
    context = {
        "application": application,
        "case": case,
        "checks": check_rows(application.checks.all()),
        "failed": [c for c in application.checks.all() if c.result != "pass"],
        "timeline": timeline_rows(case),
        "attachments": Attachment.objects.filter(case=case).order_by("uploaded_at", "pk"),
        "open_pause": case.pauses.filter(ended_on__isnull=True).first() if case.clock_paused else None,
        "reviewable": reviewable,
        "today": cases.local_today(),
        "summary": case_summary(case, user=request.user),
        **forms,
    }
    return render(request, "enrollment/review/detail.html", context, status=status)


@reviewer_required
def detail(request, reference_no: str):
    return _render_review(request, application_for_user(request.user, reference_no))


@reviewer_required
@require_POST
def act(request, reference_no: str, action: str):
    if action not in ACTIONS:
        raise Http404("no such action")
    application = application_for_user(request.user, reference_no)
    form_class, name = ACTIONS[action]
    form = form_class(request.POST, prefix=action)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "approve":
                services.application_approve(application=application, by=request.user, note=data["note"])
                done = _("Application %(ref)s approved; the family has been told.")
            elif action == "reject":
                services.application_reject(application=application, by=request.user, note=data["note"])
                done = _("Application %(ref)s rejected; the family has been told why.")
            else:
                services.application_request_supplement(
                    application=application,
                    by=request.user,
                    note=data["note"],
                    due_working_days=data["due_working_days"],
                )
                done = _("The family has been asked for the material; the clock is paused.")
        except ActionNotAllowed as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("enrollment:review", reference_no=reference_no)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done % {"ref": reference_no})
            return redirect("enrollment:review", reference_no=reference_no)
    application.refresh_from_db()
    return _render_review(request, application, status=400, **{name: form})
