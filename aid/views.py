"""Aid pages (Chinese, phone-sized first): the family's, the school's counter and review queue, the
bureau's decisions, batches and figures. Views call services only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aid import disbursement, selectors, services
from aid.forms import (
    AccountForm,
    ApplyForm,
    BatchForm,
    CounterForm,
    LevelForm,
    NoteForm,
    ObjectionForm,
    ReturnFileForm,
)
from aid.models import AidState, DisbursementBatch, Scheme
from portal.accounts.models import Role
from portal.cases import services as cases
from portal.cases.selectors import case_summary, case_timeline
from portal.cases.workflow import ActionNotAllowed, allowed_actions
from portal.core.views import role_required

clerk_required = role_required(
    lambda u: u.is_superuser or (u.role == Role.CLERK and u.school_id),
    _("Only school clerks review aid applications."),
)
bureau_required = role_required(
    lambda u: u.is_superuser or u.role == Role.BUREAU, _("Only bureau staff pay out aid.")
)
figures_required = role_required(
    lambda u: u.is_superuser or u.role in (Role.BUREAU, Role.AUDITOR),
    _("Only bureau staff and auditors see the figures."),
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _errors_to_form(form, exc: ValidationError) -> None:
    if isinstance(exc, ActionNotAllowed) or not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _open_schemes():
    today = cases.local_today()
    return [s for s in Scheme.objects.filter(opens_on__lte=today, closes_on__gte=today).order_by("code")]


@login_required
def home(request):
    user = request.user
    return render(
        request,
        "aid/home.html",
        {
            "schemes": selectors.schemes_public(),
            "today": cases.local_today(),
            "applications": selectors.applications_for_user(user).filter(case__applicant=user),
            "invitations": selectors.invitations_for_user(user).filter(status="open"),
            "is_clerk": user.role == Role.CLERK,
            "is_bureau": user.role in (Role.BUREAU, Role.AUDITOR) or user.is_superuser,
        },
    )


def _submit(request, form):
    data = {k: v for k, v in form.cleaned_data.items() if k != "guardian_id_number"}
    try:
        if "guardian_id_number" in form.cleaned_data:
            guardian = services.counter_guardian(
                id_number=form.cleaned_data["guardian_id_number"], by=request.user
            )
            extra = {"guardian": guardian, "by": request.user, "channel": "counter"}
        else:
            extra = {"guardian": request.user}
        application = services.application_submit(**extra, **data)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    except ValidationError as exc:
        _errors_to_form(form, exc)
    else:
        messages.success(
            request, _("Application %(ref)s submitted.") % {"ref": application.case.reference_no}
        )
        return redirect("aid:application", application.case.reference_no)
    return None


@login_required
def apply(request):
    form = ApplyForm(request.POST or None, schemes=_open_schemes())
    if request.method == "POST" and form.is_valid():
        done = _submit(request, form)
        if done:
            return done
    return render(request, "aid/apply.html", {"form": form, "counter": False})


@clerk_required
def counter(request):
    form = CounterForm(request.POST or None, schemes=_open_schemes())
    if request.method == "POST" and form.is_valid():
        done = _submit(request, form)
        if done:
            return done
    return render(request, "aid/apply.html", {"form": form, "counter": True})


@login_required
def application(request, reference_no):
    app = selectors.application_for_user(request.user, reference_no)
    return render(request, "aid/application.html", _context(request, app))


def _context(request, app, **forms):
    user = request.user
    actions = [a for a in allowed_actions(app, user) if a in selectors.USER_ACTIONS]
    return {
        "application": app,
        "case": app.case,
        "summary": case_summary(app.case, user=user),
        "timeline": case_timeline(app.case),
        "checks": app.checks.all(),
        "actions": actions,
        "level_form": forms.get("level_form") or LevelForm(levels=app.scheme.levels.all()),
        "note_form": forms.get("note_form") or NoteForm(),
        "account_form": forms.get("account_form") or AccountForm(),
        "is_guardian": app.case.applicant_id == user.pk,
        "budget": selectors.budget_outlook(app) if app.state == AidState.AWAITING_BUREAU else None,
    }


@require_POST
@login_required
def application_action(request, reference_no, action):
    app = selectors.application_for_user(request.user, reference_no)
    form = LevelForm(request.POST, levels=app.scheme.levels.all())
    if action == "account":
        form = AccountForm(request.POST)
    if not form.is_valid():
        return render(request, "aid/application.html", _context(request, app, level_form=form), status=400)
    data = form.cleaned_data
    try:
        if action == "approve":
            services.application_approve(
                application=app, by=request.user, note=data["note"], level=data["level"]
            )
        elif action == "reject":
            services.application_reject(application=app, by=request.user, note=data["note"])
        elif action == "withdraw":
            services.application_withdraw(application=app, by=request.user, note=data["note"])
        elif action == "account":
            services.application_set_account(
                application=app,
                by=request.user,
                account_name=data["account_name"],
                bank_account=data["bank_account"],
            )
        else:
            raise Http404(action)
    except ValidationError as exc:
        _errors_to_form(form, exc)
        key = "account_form" if action == "account" else "level_form"
        return render(request, "aid/application.html", _context(request, app, **{key: form}), status=400)
    messages.success(request, _("Done."))
    return redirect("aid:application", reference_no)


@login_required
def object_to(request, reference_no):
    """Anyone signed in objects to an application on public notice (the kernel's objection)."""
    app = selectors.application_on_notice(reference_no)
    form = ObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_object(application=app, by=request.user, text=form.cleaned_data["note"])
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "text" in exc.error_dict:
                form.add_error("note", exc.message_dict["text"])
            else:
                _errors_to_form(form, exc)
        else:
            messages.success(request, _("Your objection is with the bureau."))
            return redirect("aid:home")
    return render(request, "aid/object.html", {"form": form, "application": app})


@clerk_required
def school_queue(request):
    queue = list(selectors.school_queue(request.user).prefetch_related("checks"))
    if request.method == "POST":
        chosen = [a for a in queue if str(a.pk) in request.POST.getlist("application")]
        try:
            notice = services.applications_school_approve(applications=chosen, by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Approved and published: %(title)s") % {"title": notice.title})
            return redirect("aid:school_queue")
    return render(request, "aid/school_queue.html", {"queue": queue})


@bureau_required
def bureau_queue(request):
    queue = [(a, selectors.budget_outlook(a)) for a in selectors.bureau_queue(request.user)]
    return render(request, "aid/bureau_queue.html", {"queue": queue})


@bureau_required
def batches(request):
    schemes = list(selectors.schemes_for_staff(request.user))
    form = BatchForm(request.POST or None, schemes=schemes)
    if request.method == "POST" and form.is_valid():
        scheme = next(s for s in schemes if str(s.pk) == form.cleaned_data["scheme"])
        try:
            result = disbursement.batch_create(scheme=scheme, term=form.cleaned_data["term"], by=request.user)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            if result.without_account:
                messages.warning(
                    request,
                    _("Not in the batch, no bank account yet: %(refs)s")
                    % {"refs": "、".join(result.without_account)},
                )
            return redirect("aid:batch", result.batch.pk)
    return render(
        request, "aid/batches.html", {"form": form, "batches": selectors.batches_for_staff(request.user)}
    )


def _batch(request, pk) -> DisbursementBatch:
    batch = selectors.batches_for_staff(request.user).filter(pk=pk).first()
    if batch is None:
        raise Http404(pk)
    return batch


@bureau_required
def batch(request, pk):
    batch = _batch(request, pk)
    form = ReturnFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            counts = disbursement.batch_import_return(
                batch=batch, data=form.cleaned_data["file"].read(), by=request.user
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Paid: %(paid)s; failed: %(failed)s.") % counts)
            return redirect("aid:batch", batch.pk)
    lines = batch.lines.select_related("application__case", "application__school").order_by("pk")
    return render(
        request,
        "aid/batch.html",
        {"batch": batch, "lines": lines, "form": form, "total": disbursement.batch_total_fen(batch)},
    )


@bureau_required
def batch_file(request, pk):
    batch = _batch(request, pk)
    response = HttpResponse(disbursement.batch_xlsx(batch), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"资助代发-{batch}.xlsx")
    return response


@figures_required
def figures(request):
    rows = selectors.scheme_figures(selectors.schemes_for_staff(request.user))
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(selectors.figures_xlsx(rows), content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, "学生资助统计.xlsx")
        return response
    top = max([max(r["applied"], r["invited"]) for r in rows] or [1]) or 1
    for r in rows:
        r["bars"] = [
            (_("Applied"), r["applied"], 100 * r["applied"] // top),
            (_("Invited"), r["invited"], 100 * r["invited"] // top),
            (_("Accepted"), r["accepted"], 100 * r["accepted"] // top),
            (_("Approved"), r["approved"], 100 * r["approved"] // top),
            (_("Paid"), r["paid"], 100 * r["paid"] // top),
        ]
    return render(request, "aid/figures.html", {"rows": rows})
