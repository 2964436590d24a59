"""Public pages: the running public notices (公示) with the published seed and the files to recompute the
draw, a guardian's objection, and the admission notice PDF for the family."""

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from admission import objections, selectors
from admission.forms import ObjectionForm
from admission.models import AllocationRun, RunStatus
from enrollment.models import Application, State
from enrollment.notice import notice_filename, render_notice_pdf
from enrollment.selectors import application_for_user
from portal.cases.workflow import ActionNotAllowed
from portal.core.forms import add_service_errors
from portal.orgs.models import School

TOOLS = {"recompute.py", "allocation.py"}


@require_safe
def notices(request):
    return render(request, "admission/notices.html", {"notices": selectors.open_notices()})


def _notice_context(school, year):
    entries, meta = selectors.school_notice(school=school, year=year)
    if not entries:
        raise Http404("no notice")
    return {"school": school, "year": year, "entries": entries, **meta}


@require_safe
def school_notice(request, code: str, year: int):
    school = get_object_or_404(School.objects.select_related("district"), code=code)
    response = render(request, "admission/notice.html", _notice_context(school, year))
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
def object_to_notice(request, code: str, year: int):
    school = get_object_or_404(School, code=code)
    context = _notice_context(school, year)
    form = ObjectionForm(request.POST or None, initial={"entry_no": request.GET.get("entry")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                objection = objections.objection_submit(
                    by=request.user,
                    school=school,
                    reason=form.cleaned_data["reason"],
                    entry_no=form.cleaned_data["entry_no"],
                )
            except ActionNotAllowed as exc:
                form.add_error(None, exc.messages)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Objection %(ref)s is registered; the bureau reviews it.")
                    % {"ref": objection.case.reference_no},
                )
                return redirect("cases:my_cases")
        status = 400
    return render(request, "admission/objection_form.html", {**context, "form": form}, status=status)


@require_safe
def run_inputs(request, pk: int):
    """The published inputs of a finished allocation (public: anyone may recompute the draw)."""
    run = get_object_or_404(AllocationRun, pk=pk, dry_run=False, status=RunStatus.DONE)
    if not run.inputs_file:
        raise Http404("no inputs file")
    return FileResponse(run.inputs_file.open("rb"), as_attachment=True, filename=f"draw-{run.pk}-inputs.json")


@require_safe
def tool(request, name: str):
    """The recomputation script and the algorithm it runs, exactly as the portal runs them."""
    if name not in TOOLS:
        raise Http404("no such file")
    source = (Path(__file__).resolve().parents[1] / name).read_text(encoding="utf-8")
    response = HttpResponse(source, content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_safe
def notice_pdf(request, reference_no: str):
    """The admission notice (录取通知书) of an admitted application, for its family or staff in scope."""
    application = application_for_user(request.user, reference_no)
    if application.state != State.ADMITTED:
        raise Http404("not admitted yet")
    application = Application.objects.select_related("case", "case__district", "school").get(
        pk=application.pk
    )
    try:
        pdf = render_notice_pdf(application)
    except PermissionDenied:
        raise
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{notice_filename(application)}"'
    return response
