"""Pages of graduation: the bureau runs a year's graduation and follows its progress; a guardian (or the
school, or the bureau) opens a record and downloads its graduation certificate (学历证明)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from portal.accounts.models import Role
from portal.cases import services as cases
from portal.cases.workflow import ActionNotAllowed
from studentstatus import certificate as pdf
from studentstatus import selectors
from studentstatus.models import GraduationCertificate, GraduationRun, RecordStatus, RunState, StudentRecord
from studentstatus.services import common, graduation

LOOKUP_PURPOSE = "查看学籍和下载学历证明：核验监护关系"


class GraduationForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Graduating year (届)"), min_value=2000, max_value=2100)


def _bureau_district(user):
    if user.is_superuser and user.district_id is None:
        return None
    if user.role != Role.BUREAU and not user.is_superuser:
        raise PermissionDenied(_("Only the education bureau runs the graduation."))
    return user.district


@login_required
@require_http_methods(["GET", "POST"])
def graduation_page(request):
    """Start the graduation of a year; every run of the district with its progress (the page refreshes
    itself while a run is working)."""
    district = _bureau_district(request.user)
    form = GraduationForm(request.POST or None, initial={"year": cases.local_today().year})
    if request.method == "POST":
        if district is None:
            raise PermissionDenied(_("Only the education bureau runs the graduation."))
        if form.is_valid():
            try:
                graduation.graduation_start(
                    district=district, year=form.cleaned_data["year"], by=request.user
                )
            except ValidationError as exc:
                for field, messages in getattr(exc, "message_dict", {None: exc.messages}).items():
                    form.add_error(field if field in form.fields else None, messages)
            else:
                return redirect("studentstatus:graduation")
    runs = GraduationRun.objects.select_related("case", "district").order_by("-created_at", "-pk")
    if district is not None:
        runs = runs.filter(district=district)
    runs = list(runs[:20])
    pending = graduation.graduates_of(district).count() if district is not None else None
    return render(
        request,
        "studentstatus/graduation.html",
        {
            "form": form,
            "runs": runs,
            "pending": pending,
            "working": any(r.state != RunState.DONE or r.certificates < r.graduated for r in runs),
        },
    )


class LookupForm(forms.Form):
    student_id_number = forms.CharField(label=gettext_lazy("Student's ID number"), max_length=18)


@login_required
@require_http_methods(["GET", "POST"])
def records_page(request):
    """The records the user may see (a guardian: their children); a guardian finds a child's record by
    the ID number (checked against the 户口簿 or birth record through the exchange)."""
    form = LookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = common.guardian_record(
                guardian=request.user,
                student_id_number=form.cleaned_data["student_id_number"],
                purpose=LOOKUP_PURPOSE,
            )
        except ValidationError as exc:
            for messages in getattr(exc, "message_dict", {None: exc.messages}).values():
                form.add_error("student_id_number", messages)
        except (PermissionDenied, ActionNotAllowed) as exc:
            form.add_error("student_id_number", str(exc.messages[0] if hasattr(exc, "messages") else exc))
        else:
            request.session.setdefault("studentstatus_records", [])
            if record.pk not in request.session["studentstatus_records"]:
                request.session["studentstatus_records"] = [
                    *request.session["studentstatus_records"],
                    record.pk,
                ]
            return redirect("studentstatus:record", record.pk)
    records = list(_records_for(request).order_by("school__code", "grade", "pk")[:200])
    return render(request, "studentstatus/records.html", {"records": records, "form": form})


def _records_for(request):
    """What :func:`selectors.records_of` allows, plus the records this guardian proved in this session."""
    qs = selectors.records_of(request.user)
    extra = request.session.get("studentstatus_records") or []
    if extra and request.user.role == Role.CITIZEN:
        qs = qs | StudentRecord.objects.select_related("school").filter(pk__in=extra)
    return qs


def _record(request, pk):
    record = _records_for(request).filter(pk=pk).first()
    if record is None:
        raise Http404
    return record


@login_required
def record_page(request, pk):
    record = _record(request, pk)
    certificate = GraduationCertificate.objects.filter(record=record).first()
    staff = request.user.role in (Role.CLERK, Role.BUREAU, Role.AUDITOR) or request.user.is_superuser
    return render(
        request,
        "studentstatus/record.html",
        {
            "record": record,
            "certificate": certificate if record.status == RecordStatus.GRADUATED else None,
            "history": list(record.history.select_related("by", "case").order_by("at", "pk"))
            if staff
            else [],
        },
    )


def certificate_response(record) -> HttpResponse:
    """The PDF of ``record``'s graduation certificate; 409 (as a page: 404 is for strangers) when the
    record is not a graduated junior pupil's or has no certificate yet."""
    certificate = (
        GraduationCertificate.objects.select_related(
            "record", "school", "run", "run__district", "run__case", "document"
        )
        .filter(record=record)
        .first()
    )
    if record.status != RecordStatus.GRADUATED or record.stage != "junior" or certificate is None:
        raise ActionNotAllowed(
            _("A graduation certificate exists only for a junior pupil who has graduated.")
        )
    response = HttpResponse(graduation.certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{_quote(pdf.certificate_filename(certificate))}"
    )
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@login_required
def record_certificate(request, pk):
    record = _record(request, pk)
    try:
        return certificate_response(record)
    except ActionNotAllowed as exc:
        return render(
            request,
            "studentstatus/record.html",
            {"record": record, "certificate": None, "history": [], "error": exc.messages[0]},
            status=409,
        )
