"""Pages: the guardian applies and follows a case on a phone; clerks and bureau staff see their queue
(overdue first) and act on the case page. Every action goes through the services (and so ``perform``)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from portal.accounts.models import Role
from portal.cases.selectors import case_timeline
from portal.cases.workflow import ActionNotAllowed
from studentstatus import api, selectors

STAFF = (Role.CLERK, Role.BUREAU)
KIND_LABELS = {
    "transfers": gettext_lazy("Transfers (转学)"),
    "suspensions": gettext_lazy("Suspensions (休学)"),
    "resumptions": gettext_lazy("Resumptions (复学)"),
    "corrections": gettext_lazy("Corrections (信息更正)"),
}


class TransferForm(forms.Form):
    student_id_number = forms.CharField(label=gettext_lazy("Student's ID number"), max_length=18)
    to_school_code = forms.CharField(label=gettext_lazy("Receiving school code"), max_length=32)
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


def _errors_into(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_http_methods(["GET", "POST"])
def transfer_apply(request):
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = api.CREATE["transfers"][1](request.user, form.cleaned_data)
        except ValidationError as exc:
            _errors_into(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("studentstatus:case", "transfers", transfer.case.reference_no)
    return render(
        request, "studentstatus/apply.html", {"form": form, "title": _("Apply for a transfer (转学)")}
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_page(request, kind, reference_no):
    if kind not in selectors.MODELS:
        raise Http404
    obj = selectors.case_of(kind, request.user, reference_no)
    if obj is None:
        raise Http404
    error = ""
    if request.method == "POST" and request.FILES.get("file") and not request.POST.get("action"):
        try:  # an upload (the certificate), through the kind's own check when it has one
            api.attach(
                kind,
                obj,
                by=request.user,
                kind_of_file=request.POST.get("kind", ""),
                uploaded_file=request.FILES["file"],
            )
            return redirect("studentstatus:case", kind, reference_no)
        except (ValidationError, PermissionDenied) as exc:
            error = "; ".join(getattr(exc, "messages", [str(exc)]))
    elif request.method == "POST":
        action = request.POST.get("action", "")
        service = api.ACTIONS.get(kind, {}).get(action)
        try:
            if service is None:
                raise Http404
            if action == "upload":
                raise Http404
            extra = {name: request.POST.get(name, "") for name in api.PARAMS.get((kind, action), ())}
            service(**{kind[:-1]: obj}, by=request.user, note=request.POST.get("note", ""), **extra)
            return redirect("studentstatus:case", kind, reference_no)
        except (ValidationError, ActionNotAllowed) as exc:
            error = "; ".join(exc.messages)
        except PermissionDenied as exc:
            error = str(exc)
    data = selectors.representation(kind, obj, request.user)
    context = {
        "obj": obj,
        "kind": kind,
        "data": data,
        "timeline": [{"entry": e} for e in case_timeline(obj.case)],
        "error": error,
    }
    return render(request, "studentstatus/case.html", context, status=409 if error else 200)


@login_required
def queue(request):
    """The staff queue of student-status cases: open ones in scope, overdue first, then the soonest due."""
    if request.user.role not in STAFF and not request.user.is_superuser:
        raise PermissionDenied(_("Only school clerks and bureau staff have a queue."))
    from portal.cases.services import local_today

    today = local_today()
    kind_filter = request.GET.get("kind", "")
    rows = []
    for kind in selectors.MODELS:
        if kind_filter and kind != kind_filter:
            continue
        for obj in selectors.cases_of(kind, request.user).exclude(
            case__status__in=("done", "rejected", "withdrawn")
        ):
            mine = obj.whose_step(request.user)
            rows.append(
                {
                    "kind": kind,
                    "obj": obj,
                    "overdue": bool(obj.step_due and obj.step_due < today),
                    "mine": mine,
                }
            )
    if request.GET.get("mine"):
        rows = [r for r in rows if r["mine"]]
    if request.GET.get("overdue"):
        rows = [r for r in rows if r["overdue"]]
    rows.sort(key=lambda r: (not r["overdue"], not r["mine"], r["obj"].step_due or today.replace(year=9999)))
    return render(
        request,
        "studentstatus/queue.html",
        {
            "rows": rows,
            "kinds": [(k, KIND_LABELS.get(k, k)) for k in selectors.MODELS],
            "kind": kind_filter,
            "mine": bool(request.GET.get("mine")),
            "overdue_only": bool(request.GET.get("overdue")),
        },
    )
