"""Pages: the running public notices (no sign-in), objecting (signed in), and the bureau's answers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from portal.accounts.models import Role
from portal.cases.workflow import ActionNotAllowed
from portal.core.forms import add_service_errors
from portal.core.views import role_required
from portal.notices import selectors, services
from portal.notices.forms import AnswerForm, ObjectionForm
from portal.notices.models import Notice, NoticeEntry, NoticeStatus, ObjectionState


def _is_bureau(user) -> bool:
    return user.is_superuser or (user.role == Role.BUREAU and user.district_id is not None)


bureau_required = role_required(_is_bureau, "Only bureau staff answer objections.")


def _noindex(response):
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def notice_list(request):
    return _noindex(render(request, "notices/list.html", {"notices": selectors.running_notices()}))


def _notice(pk: int) -> Notice:
    return get_object_or_404(
        Notice.objects.select_related("service", "district", "school").prefetch_related("entries"),
        pk=pk,
        status=NoticeStatus.PUBLISHED,
    )


@require_safe
def notice_detail(request, pk: int):
    notice = _notice(pk)
    context = {"notice": notice, "running": selectors.notice_is_running(notice)}
    return _noindex(render(request, "notices/detail.html", context))


@login_required
def object_to_notice(request, pk: int):
    notice = _notice(pk)
    form = ObjectionForm(request.POST or None, notice=notice, initial={"entry": request.GET.get("entry")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            entry_id = form.cleaned_data["entry"]
            entry = NoticeEntry.objects.filter(notice=notice, pk=entry_id).first() if entry_id else None
            try:
                objection = services.objection_raise(
                    notice=notice, entry=entry, text=form.cleaned_data["text"], by=request.user
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
    context = {"notice": notice, "form": form, "running": selectors.notice_is_running(notice)}
    return render(request, "notices/object.html", context, status=status)


@bureau_required
def objection_list(request):
    objections = selectors.objections_for_staff(request.user)[:200]
    return render(request, "notices/objections.html", {"objections": objections})


@bureau_required
def objection_detail(request, pk: int):
    objection = selectors.objections_for_staff(request.user).filter(pk=pk).first()
    if objection is None:
        raise Http404("no such objection")
    form = AnswerForm(request.POST or None) if objection.state == ObjectionState.OPEN else None
    status = 200
    if request.method == "POST" and form is not None:
        if form.is_valid():
            try:
                services.objection_answer(
                    objection=objection,
                    upheld=form.cleaned_data["outcome"] == "uphold",
                    answer=form.cleaned_data["answer"],
                    by=request.user,
                )
            except ActionNotAllowed as exc:
                messages.error(request, " ".join(exc.messages))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Answered; the objector has been told."))
                return redirect("notices:objection", pk=pk)
        status = 400
    return render(
        request, "notices/objection_detail.html", {"objection": objection, "form": form}, status=status
    )
