"""Applicant pages (Chinese, phone-sized), the departments' and the bureau's queues and case pages, and
the public lists and inspections. Views call services only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from licensing import materials as kind_materials
from licensing import selectors, services
from licensing.api import act
from licensing.forms import AcceptForm, ApplyForm, MaterialUploadForm, NoteForm
from licensing.models import ApplicationState, ReviewState
from portal.cases.selectors import case_summary, case_timeline
from portal.cases.services import local_today
from portal.cases.workflow import ActionNotAllowed
from portal.core.views import role_required
from portal.deliveries.selectors import delivery_for_case
from portal.documents.selectors import documents_for_case

bureau_required = role_required(
    lambda u: u.is_superuser or u.role == "bureau", _("Only bureau staff decide licensing applications.")
)
reviewer_required = role_required(
    lambda u: u.role == "reviewer" and u.department_id, _("Only department reviewers see this queue.")
)


def _errors_to_form(form, exc: ValidationError) -> None:
    if isinstance(exc, ActionNotAllowed) or not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _case_context(application, user):
    return {
        "application": application,
        "case": application.case,
        "summary": case_summary(application.case, user=user),
        "timeline": case_timeline(application.case),
        "delivery": delivery_for_case(application.case),
        "documents": documents_for_case(application.case),
        "materials": services.materials(application),
        "reviews": list(application.reviews.all()),
        "today": local_today(),
    }


@login_required
def home(request):
    applications = selectors.applications_for_user(request.user).filter(case__applicant=request.user)
    return render(request, "licensing/home.html", {"applications": applications})


@login_required
def apply(request):
    form = ApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_apply(applicant=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(
                request, _("Application %(ref)s submitted.") % {"ref": application.case.reference_no}
            )
            return redirect("licensing:application", application.case.reference_no)
    context = {"form": form, "lists": kind_materials.lists_per_kind()}
    return render(request, "licensing/apply.html", context)


@login_required
def application(request, reference_no):
    app = selectors.application_for_user(request.user, reference_no)
    if app.case.applicant_id != request.user.pk:
        raise Http404
    listed = services.materials(app)
    upload = MaterialUploadForm(request.POST or None, request.FILES or None, materials=listed)
    if request.method == "POST" and upload.is_valid():
        try:
            services.material_upload(
                application=app,
                by=request.user,
                kind=upload.cleaned_data["kind"],
                uploaded_file=upload.cleaned_data["file"],
            )
        except ValidationError as exc:
            _errors_to_form(upload, exc)
        else:
            messages.success(request, _("File added."))
            return redirect("licensing:application", reference_no)
    context = {**_case_context(app, request.user), "upload": upload, "note_form": NoteForm()}
    context["materials"] = listed
    return render(request, "licensing/application.html", context)


@require_POST
@login_required
def application_action(request, reference_no, action):
    app = selectors.application_for_user(request.user, reference_no)
    if action not in ("supplement", "withdraw"):
        raise Http404
    return _act(request, app, action, "licensing:application")


def _act(request, app, action, back):
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        act(app, request.user, action, form.cleaned_data.get("note", ""), request.POST.getlist("missing"))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Done."))
    return redirect(back, app.case.reference_no)


@reviewer_required
def department_queue(request):
    reviews = list(selectors.department_queue(request.user)[:300])
    return render(
        request,
        "licensing/department_queue.html",
        {"reviews": reviews, "today": local_today(), "pending": ReviewState.PENDING},
    )


@reviewer_required
def department_case(request, reference_no):
    app = selectors.application_for_user(request.user, reference_no)
    review = services.review_for(app, request.user)
    context = {**_case_context(app, request.user), "review": review, "form": NoteForm()}
    return render(request, "licensing/department_case.html", context)


@require_POST
@reviewer_required
def department_action(request, reference_no, action):
    if action not in ("approve", "reject"):
        raise Http404
    return _act(
        request,
        selectors.application_for_user(request.user, reference_no),
        action,
        "licensing:department_case",
    )


@bureau_required
def bureau_queue(request):
    state = request.GET.get("state") or ""
    applications = selectors.applications_for_user(request.user)
    if state in ApplicationState.values:
        applications = applications.filter(state=state)
    rows = [(a, case_summary(a.case, user=request.user)) for a in applications[:300]]
    rows.sort(key=lambda r: (r[1].deadline is None, r[1].deadline or r[0].created_at.date()))
    return render(
        request,
        "licensing/bureau_queue.html",
        {"rows": rows, "states": ApplicationState.choices, "state": state, "today": local_today()},
    )


@bureau_required
def bureau_case(request, reference_no):
    app = selectors.application_for_user(request.user, reference_no)
    context = _case_context(app, request.user)
    context["accept_form"] = AcceptForm(materials=context["materials"])
    if app.state == ApplicationState.AWAITING_MATERIALS:
        context["will_follow"] = kind_materials.to_supplement(app)
        context["key_absent"] = [m["name"] for m in context["materials"] if m["key"] and not m["present"]]
    context["form"] = NoteForm()
    return render(request, "licensing/bureau_case.html", context)


@require_POST
@bureau_required
def bureau_action(request, reference_no, action):
    if action not in ("approve", "reject"):
        raise Http404
    return _act(
        request, selectors.application_for_user(request.user, reference_no), action, "licensing:bureau_case"
    )


def lists(request):
    return render(request, "licensing/lists.html", selectors.public_lists())


def inspections(request):
    return render(request, "licensing/inspections.html", {"campaigns": selectors.published_inspections()})
