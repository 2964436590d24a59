"""The parent's online application (入学一件事), one short step per screen, phone first.

Steps follow DOMAIN.md's seven: (1) signed in, stage and year; (2) the child and the authorisation;
(3) the other guardian or a single-parent family; (4) 学籍, checked automatically; (5) residence;
(6) special situations, detected automatically, and 长幼随学; then (7) a preview of what the registries
said and the checks' results, and submit. The answers are kept in a ``Draft`` (encrypted JSON) so the
wizard resumes at the saved step. A session that times out loses nothing: the draft is the user's, the
sign-in sends the parent back (``next=``) to the step, and answers posted after the time-out are kept
(encrypted) in the new anonymous session and shown again on that step once signed in. The pages only
collect answers: ``services.application_preview`` and
``services.application_submit`` fetch, check and decide.
"""

import json
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from enrollment import forms as F
from enrollment import services
from enrollment.models import Application, Draft, Residence, State
from enrollment.selectors import application_for_user
from enrollment.views.common import authorisation_list, citizen_required, open_years, preview_context
from portal.core import pii
from portal.core.forms import add_service_errors
from portal.core.pii import mask_id


@dataclass(frozen=True)
class Step:
    number: int
    slug: str
    title: str
    template: str
    form_class: type | None


STEPS = (
    Step(1, "start", gettext_lazy("Stage and year"), "enrollment/wizard/start.html", F.StartForm),
    Step(2, "child", gettext_lazy("Child and authorisation"), "enrollment/wizard/child.html", F.ChildForm),
    Step(
        3,
        "other-guardian",
        gettext_lazy("Other guardian"),
        "enrollment/wizard/other_guardian.html",
        F.OtherGuardianForm,
    ),
    Step(
        4,
        "school-record",
        gettext_lazy("School record (学籍)"),
        "enrollment/wizard/school_record.html",
        F.ContinueForm,
    ),
    Step(5, "residence", gettext_lazy("Residence"), "enrollment/wizard/residence.html", F.ResidenceForm),
    Step(6, "family", gettext_lazy("Special situations"), "enrollment/wizard/family.html", F.FamilyForm),
    Step(7, "preview", gettext_lazy("Check and submit"), "enrollment/wizard/preview.html", None),
)
BY_SLUG = {s.slug: s for s in STEPS}
BY_NUMBER = {s.number: s for s in STEPS}
# which step asks for each answer (a service's field error is shown on that step)
FIELD_STEP = {
    "stage": "start",
    "year": "start",
    "child_id_number": "child",
    "consent": "child",
    "other_guardian_id_number": "other-guardian",
    "single_parent": "other-guardian",
    "residence": "residence",
    "sibling_reference_no": "family",
}
BOOLEAN_ANSWERS = ("consent", "single_parent")


# --- the draft ------------------------------------------------------------------------------------------


def _answers(draft: Draft) -> dict:
    try:
        data = json.loads(draft.data or "{}")
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def _save_answers(draft: Draft, answers: dict, *, reached: int) -> None:
    draft.data = json.dumps(answers, ensure_ascii=False)
    draft.step = max(draft.step, min(reached, len(STEPS)))
    draft.save()


def _step_url(draft: Draft, number: int) -> str:
    return reverse("enrollment:apply_step", args=[draft.pk, BY_NUMBER[number].slug])


def _drafts(user):
    return Draft.objects.filter(guardian=user).order_by("-updated_at")


def _draft_or_404(request, pk: int) -> Draft:
    return get_object_or_404(Draft, pk=pk, guardian=request.user)


def _service_kwargs(user, draft: Draft, answers: dict) -> dict:
    return {
        "guardian": user,
        "year": draft.year,
        "stage": draft.stage,
        "child_id_number": answers.get("child_id_number", ""),
        "other_guardian_id_number": answers.get("other_guardian_id_number") or None,
        "single_parent": bool(answers.get("single_parent")),
        "residence": answers.get("residence", ""),
        "consent": answers.get("consent") is True,
    }


# --- rendering a step -------------------------------------------------------------------------------------


def _form_kwargs(request, draft: Draft | None, step: Step) -> dict:
    user = request.user
    answers = _answers(draft) if draft else {}
    if step.slug == "start":
        years = open_years()
        if draft and draft.year not in years:
            years = sorted({*years, draft.year})
        return {"years": years}
    if step.slug == "child":
        return {"guardian_id_number": user.id_number}
    if step.slug == "other-guardian":
        return {"own_ids": (user.id_number, answers.get("child_id_number", ""))}
    if step.slug == "family":
        siblings = (
            Application.objects.select_related("case")
            .filter(guardian=user)
            .exclude(state__in=[State.WITHDRAWN, State.REJECTED])
            .exclude(child_id_number="")
            .order_by("-case__submitted_at")
        )
        child = answers.get("child_id_number", "")
        return {"siblings": [a for a in siblings if a.child_id_number != child]}
    return {}


def _initial(draft: Draft | None, step: Step) -> dict:
    if draft is None:
        return {}
    initial = {k: v for k, v in _answers(draft).items() if k not in ("stage", "year")}
    if step.slug == "start":
        initial.update(stage=draft.stage, year=draft.year)
    return initial


def _as_form_data(draft: Draft, step: Step) -> dict:
    """The saved answers as a submitted form would carry them (to show a service's errors on them)."""
    data = {}
    for key, value in _initial(draft, step).items():
        if key in BOOLEAN_ANSWERS:
            if value:
                data[key] = "on"
        elif value is not None:
            data[key] = str(value)
    return data


def _render_step(request, draft: Draft | None, step: Step, form, *, status: int = 200, extra=None):
    context = {
        "step": step,
        "steps": STEPS,
        "draft": draft,
        "form": form,
        "reached": draft.step if draft else 1,
        "previous": BY_NUMBER.get(step.number - 1) if draft else None,
        "action": _step_url(draft, step.number) if draft else reverse("enrollment:apply"),
        "stage_label": draft.get_stage_display() if draft else "",
        **(extra or {}),
    }
    if step.slug == "child":
        context["authorisation"] = authorisation_list()
    if step.slug == "residence":
        context["residence_help"] = F.RESIDENCE_HELP
    if step.slug == "start":
        context["other_drafts"] = [d for d in _drafts(request.user) if d != draft]
        context["masked_id"] = mask_id(request.user.id_number)
    return render(request, step.template, context, status=status)


def _show_service_errors(request, draft: Draft, exc: ValidationError):
    """Put a service's field errors back on the (earliest) step that asks for those answers."""
    fields = list(getattr(exc, "error_dict", {}).keys())
    numbers = [BY_SLUG[FIELD_STEP[f]].number for f in fields if f in FIELD_STEP]
    if not numbers:
        return None
    step = BY_NUMBER[min(numbers)]
    form = step.form_class(_as_form_data(draft, step), **_form_kwargs(request, draft, step))
    form.is_valid()
    add_service_errors(form, exc)
    return _render_step(request, draft, step, form, status=400)


def _not_the_guardian(request, draft: Draft, exc):
    step = BY_SLUG["child"]
    form = step.form_class(_as_form_data(draft, step), **_form_kwargs(request, draft, step))
    form.is_valid()
    form.add_error(
        None,
        _(
            "%(reason)s Check the child's ID number. If you are the child's guardian by another "
            "arrangement, apply at a school counter with the 户口簿 and 出生医学证明."
        )
        % {"reason": exc},
    )
    return _render_step(request, draft, step, form, status=403)


# --- answers posted after the session timed out --------------------------------------------------------

PENDING_ANSWERS = "enrollment_pending_answers"
NOT_ANSWERS = ("csrfmiddlewaretoken",)
SIGNED_OUT_KEPT = gettext_lazy(
    "You were signed out after a while without activity. What you entered is kept: check it and continue."
)


def keep_answers_over_sign_in(view):
    """Outside ``citizen_required``: a POST that arrives signed out (the session timed out) is sent to the
    sign-in page by ``login_required``; what it carried is kept, encrypted, in the new session (which
    ``login`` keeps) for the same step to show once the parent is back."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST" and not request.user.is_authenticated:
            answers = {k: v for k, v in request.POST.lists() if k not in NOT_ANSWERS}
            request.session[PENDING_ANSWERS] = {
                "path": request.path,
                "data": pii.encrypt_str(json.dumps(answers, ensure_ascii=False)),
            }
        return view(request, *args, **kwargs)

    return wrapper


def _pending_answers(request):
    """The answers posted to this step while signed out, once (a ``QueryDict``-like dict), else None."""
    pending = request.session.get(PENDING_ANSWERS)
    if not isinstance(pending, dict) or pending.get("path") != request.path:
        return None
    del request.session[PENDING_ANSWERS]
    try:
        answers = json.loads(pii.decrypt_str(pending.get("data", "")))
    except (ValueError, TypeError, AttributeError):  # a key rotated away, a mangled session: nothing to keep
        return None
    if not isinstance(answers, dict):
        return None
    data = QueryDict(mutable=True)
    for key, values in answers.items():
        if isinstance(values, list):
            data.setlist(str(key), [str(v) for v in values])
    return data


# --- views ------------------------------------------------------------------------------------------------


@keep_answers_over_sign_in
@citizen_required
@require_http_methods(["GET", "POST"])
def apply_start(request):
    """Step 1. With a saved draft (and no ``?new``), resume it at its saved step."""
    user = request.user
    if not user.is_real_name_verified or not user.id_number:
        return render(request, "enrollment/wizard/not_verified.html", status=403)
    step = BY_SLUG["start"]
    if request.method == "GET":
        pending = _pending_answers(request)
        if pending is not None:
            messages.info(request, SIGNED_OUT_KEPT)
            form = F.StartForm(pending, **_form_kwargs(request, None, step))
            return _render_step(request, None, step, form)
        latest = _drafts(user).first()
        if latest is not None and "new" not in request.GET:
            return redirect(_step_url(latest, latest.step))
        return _render_step(request, None, step, F.StartForm(**_form_kwargs(request, None, step)))
    form = F.StartForm(request.POST, **_form_kwargs(request, None, step))
    if not form.is_valid():
        return _render_step(request, None, step, form, status=400)
    draft, created = Draft.objects.get_or_create(
        guardian=user, year=form.cleaned_data["year"], stage=form.cleaned_data["stage"]
    )
    if not created:
        messages.info(request, _("You had started this application before; your answers were kept."))
        return redirect(_step_url(draft, draft.step))
    _save_answers(draft, {}, reached=2)
    return redirect(_step_url(draft, 2))


@citizen_required
def apply_resume(request, pk: int):
    draft = _draft_or_404(request, pk)
    return redirect(_step_url(draft, draft.step))


@keep_answers_over_sign_in
@citizen_required
@require_http_methods(["GET", "POST"])
def apply_step(request, pk: int, slug: str):
    draft = _draft_or_404(request, pk)
    step = BY_SLUG.get(slug)
    if step is None:
        raise Http404("no such step")
    if step.number > draft.step:  # no skipping ahead: the earlier answers are needed
        return redirect(_step_url(draft, draft.step))
    if step.slug == "preview":
        return _preview(request, draft)

    kwargs = _form_kwargs(request, draft, step)
    if request.method == "GET":
        pending = _pending_answers(request)
        if pending is not None:
            messages.info(request, SIGNED_OUT_KEPT)
            return _render_step(request, draft, step, step.form_class(pending, **kwargs))
        return _render_step(request, draft, step, step.form_class(initial=_initial(draft, step), **kwargs))
    form = step.form_class(request.POST, **kwargs)
    if not form.is_valid():
        return _render_step(request, draft, step, form, status=400)
    answers = _answers(draft)
    if step.slug == "start":
        draft.year, draft.stage = form.cleaned_data["year"], form.cleaned_data["stage"]
        try:
            _save_answers(draft, answers, reached=2)
        except IntegrityError:
            form.add_error("stage", _("You have another saved application for this stage and year."))
            draft.refresh_from_db()
            return _render_step(request, draft, step, form, status=400)
    else:
        answers.update(form.cleaned_data)
        if step.slug == "other-guardian" and answers.get("single_parent"):
            answers["other_guardian_id_number"] = ""
        _save_answers(draft, answers, reached=step.number + 1)
    return redirect(_step_url(draft, step.number + 1))


def _preview(request, draft: Draft):
    """Fetch and check without submitting (GET), or submit (POST)."""
    answers = _answers(draft)
    kwargs = _service_kwargs(request.user, draft, answers)
    if request.method == "POST":
        return _submit(request, draft, kwargs, answers.get("sibling_reference_no") or None)
    try:
        evidence, assessment = services.application_preview(**kwargs)
    except services.NotTheGuardian as exc:
        return _not_the_guardian(request, draft, exc)
    except ValidationError as exc:
        response = _show_service_errors(request, draft, exc)
        if response is not None:
            return response
        return _render_step(
            request, draft, BY_SLUG["preview"], None, status=400, extra={"errors": exc.messages}
        )
    extra = {
        "preview": preview_context(evidence, assessment),
        "answers": {
            "child": mask_id(kwargs["child_id_number"]),
            "other": mask_id(kwargs["other_guardian_id_number"] or ""),
            "single_parent": kwargs["single_parent"],
            "residence": Residence(kwargs["residence"]).label
            if kwargs["residence"] in Residence.values
            else "",
            "sibling": answers.get("sibling_reference_no") or "",
        },
    }
    return _render_step(request, draft, BY_SLUG["preview"], None, extra=extra)


def _submit(request, draft: Draft, kwargs: dict, sibling: str | None):
    try:
        application = services.application_submit(**kwargs, sibling_reference_no=sibling)
    except services.DuplicateApplication as exc:
        return _duplicate(request, exc.reference_no)
    except services.NotTheGuardian as exc:
        return _not_the_guardian(request, draft, exc)
    except ValidationError as exc:
        response = _show_service_errors(request, draft, exc)
        if response is not None:
            return response
        return _render_step(
            request, draft, BY_SLUG["preview"], None, status=400, extra={"errors": exc.messages}
        )
    draft.delete()
    messages.success(
        request,
        _("Your application %(ref)s has been submitted.") % {"ref": application.case.reference_no},
    )
    return redirect("enrollment:application", reference_no=application.case.reference_no)


def _duplicate(request, reference_no: str):
    try:
        existing = application_for_user(request.user, reference_no)
    except Http404:
        existing = None
    return render(
        request,
        "enrollment/wizard/duplicate.html",
        {"reference_no": reference_no, "existing": existing},
        status=409,
    )


@citizen_required
@require_POST
def apply_discard(request, pk: int):
    draft = _draft_or_404(request, pk)
    draft.delete()
    messages.info(request, _("Your saved answers have been deleted."))
    return redirect("enrollment:home")
