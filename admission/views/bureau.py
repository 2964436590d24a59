"""Bureau staff pages: admission rounds (seed, dry run, allocation with progress), objections, the early
warning (学位预警) with its Excel export, and the zone-list import. The services check who acts."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from admission import excel, forecast, selectors, services
from admission.forms import RoundForm, RunForm, SeedForm, WarningForm, ZoneImportForm
from admission.models import AllocationRun
from portal.accounts.models import Role
from portal.cases.workflow import ActionNotAllowed
from portal.core.forms import add_service_errors
from portal.core.views import role_required
from portal.orgs.models import Stage


def is_bureau(user) -> bool:
    return user.is_superuser or (user.role == Role.BUREAU and user.district_id is not None)


bureau_required = role_required(is_bureau, "Only bureau staff run admissions.")


def _round(user, pk):
    round_ = selectors.rounds_for(user).filter(pk=pk).first()
    if round_ is None:
        raise Http404("no such round")
    return round_


def _district(user):
    if user.district_id:
        return user.district
    from portal.orgs.models import District

    district = District.objects.first()
    if district is None:
        raise Http404("no district configured")
    return district


@bureau_required
def rounds(request):
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.round_for(district=_district(request.user), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("admission:round", pk=round_.pk)
    context = {"rounds": selectors.rounds_for(request.user), "form": form}
    return render(request, "admission/rounds.html", context, status=400 if form.errors else 200)


@bureau_required
def round_detail(request, pk: int, *, seed_form=None, status=200):
    round_ = _round(request.user, pk)
    context = {
        "round": round_,
        "stats": selectors.round_stats(round_),
        "runs": round_.runs.select_related("requested_by")[:20],
        "seed_form": seed_form or SeedForm(),
        "run_form": RunForm(),
        "objections": selectors.round_objections(round_).order_by("state", "-pk")[:50],
    }
    return render(request, "admission/round_detail.html", context, status=status)


@bureau_required
@require_POST
def publish_seed(request, pk: int):
    round_ = _round(request.user, pk)
    form = SeedForm(request.POST)
    if form.is_valid():
        try:
            services.round_publish_seed(
                round_=round_, by=request.user, seed=form.cleaned_data["seed"] or None
            )
        except ActionNotAllowed as exc:
            messages.error(request, " ".join(exc.messages))
        except ValidationError as exc:
            add_service_errors(form, exc)
            return round_detail(request, pk, seed_form=form, status=400)
        else:
            messages.success(request, _("The seed is published; the public notice shows it."))
            return redirect("admission:round", pk=pk)
    return (
        round_detail(request, pk, seed_form=form, status=400)
        if form.errors
        else redirect("admission:round", pk=pk)
    )


@bureau_required
@require_POST
def start_run(request, pk: int):
    round_ = _round(request.user, pk)
    form = RunForm(request.POST)
    form.is_valid()
    try:
        run = services.allocation_start(
            round_=round_, by=request.user, dry_run=form.cleaned_data.get("dry_run", False)
        )
    except ActionNotAllowed as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("admission:round", pk=pk)
    return redirect("admission:run", pk=run.pk)


def _run(user, pk) -> AllocationRun:
    run = AllocationRun.objects.select_related("round", "round__district").filter(pk=pk).first()
    if run is None or not services.is_district_bureau(user, run.round.district_id):
        raise Http404("no such run")
    return run


@bureau_required
def run_detail(request, pk: int):
    run = _run(request.user, pk)
    return render(request, "admission/run_detail.html", {"run": run, "summary": run.summary or {}})


@bureau_required
@never_cache
def run_progress(request, pk: int):
    return JsonResponse(selectors.run_progress(_run(request.user, pk)))


@bureau_required
def objection_list(request):
    """Objections are answered on the kernel's staff page now (portal.notices); old links go there."""
    return redirect("notices:objections", permanent=True)


@bureau_required
def objection_detail(request, pk: int):
    """Objection ids were kept when they moved to the kernel (admission migration 0004)."""
    return redirect("notices:objection", pk=pk, permanent=True)


@bureau_required
def early_warning(request):
    form = WarningForm(request.GET or None)
    stage = Stage.PRIMARY
    start_year = None
    if form.is_bound and form.is_valid():
        stage = form.cleaned_data["stage"]
        start_year = form.cleaned_data["start_year"]
    district = _district(request.user)
    error, rows = "", []
    try:
        rows = forecast.forecast(
            district=district, stage=stage, start_year=start_year, requester=request.user
        )
    except forecast.StatisticsUnavailable:
        error = _("The registries' statistics could not be fetched now; try again later.")
    if request.GET.get("format") == "xlsx" and not error:
        data = excel.early_warning_workbook(rows, district=district, stage_label=str(Stage(stage).label))
        response = HttpResponse(
            data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="early-warning-{district.code}-{stage}.xlsx"'
        return response
    years = [y.year for y in rows[0].years] if rows else []
    context = {
        "form": form,
        "rows": rows,
        "years": years,
        "error": error,
        "district": district,
        "stage": stage,
    }
    return render(request, "admission/warning.html", context, status=503 if error else 200)


@bureau_required
def zones_import(request):
    if request.GET.get("template"):
        response = HttpResponse(
            excel.zone_template(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="zones-template.xlsx"'
        return response
    form = ZoneImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > 5 * 1024 * 1024:
                    raise excel.ZoneFileError(_("The file is larger than 5 MB."))
                district = None if request.user.is_superuser else request.user.district
                summary = excel.import_zones(upload.read(), district=district)
            except excel.ZoneFileError as exc:
                form.add_error("file", str(exc))
            else:
                messages.success(
                    request,
                    _("Zones of %(s)d schools replaced: %(c)d communities (%(n)d new).")
                    % {"s": summary.schools, "c": summary.communities, "n": summary.created},
                )
                return redirect("admission:zones_import")
        status = 400
    return render(request, "admission/zones_import.html", {"form": form}, status=status)
