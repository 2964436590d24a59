"""The counter (一窗受理) for school clerks and bureau staff: one keyboard-first form that takes in an
application for a family in person, then a printable receipt. ``enrollment.counter`` does the work."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from enrollment import counter as counter_services
from enrollment import services
from enrollment.forms import CounterForm
from enrollment.selectors import application_for_user
from enrollment.views.common import NOTICE_PDF_URL, check_rows, open_years
from portal.core.forms import add_service_errors


def counter_staff_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not counter_services.may_work_at_counter(request.user):
            raise PermissionDenied("Only school clerks and bureau staff work at the counter.")
        return view(request, *args, **kwargs)

    return wrapper


def _render(request, form, *, status=200, duplicate=None):
    context = {"form": form, "duplicate": duplicate, "access_keys": CounterForm.ACCESS_KEYS}
    return render(request, "enrollment/counter/form.html", context, status=status)


@counter_staff_required
@require_http_methods(["GET", "POST"])
def counter_start(request):
    form = CounterForm(request.POST if request.method == "POST" else None, years=open_years())
    if request.method == "GET":
        return _render(request, form)
    if not form.is_valid():
        return _render(request, form, status=400)
    data = form.cleaned_data
    try:
        result = counter_services.counter_application_submit(
            by=request.user,
            guardian_id_number=data["guardian_id_number"],
            year=data["year"],
            stage=data["stage"],
            child_id_number=data["child_id_number"],
            other_guardian_id_number=data["other_guardian_id_number"] or None,
            single_parent=data["single_parent"],
            residence=data["residence"],
            consent=data["consent"],
            originals=data["originals"],
        )
    except services.DuplicateApplication as exc:
        try:
            existing = application_for_user(request.user, exc.reference_no)
        except Http404:  # another school's case: show the number only
            existing = None
        form.add_error(
            None,
            _("This child already has an application for that year and stage: %(ref)s.")
            % {"ref": exc.reference_no},
        )
        return _render(request, form, status=409, duplicate=existing)
    except services.NotTheGuardian as exc:
        form.add_error("child_id_number", str(exc))
        return _render(request, form, status=403)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _render(request, form, status=400)
    reference_no = result.application.case.reference_no
    messages.success(request, _("Application %(ref)s has been taken in.") % {"ref": reference_no})
    if not result.originals_recorded:
        messages.warning(
            request,
            _(
                "The automatic checks have already handed the application to its zone school, so the "
                "originals could not be recorded here; note them on the printed receipt."
            ),
        )
    return redirect("enrollment:counter_receipt", reference_no=reference_no)


@counter_staff_required
def counter_receipt(request, reference_no: str):
    """The page the clerk prints for the family (受理回执)."""
    application = counter_services.counter_receipt_for(request.user, reference_no)
    context = {
        "application": application,
        "case": application.case,
        "checks": check_rows(application.checks.all()),
        "notice_url": NOTICE_PDF_URL.format(ref=application.case.reference_no)
        if application.state in ("qualified", "admitted")
        else "",
    }
    return render(request, "enrollment/counter/receipt.html", context)
