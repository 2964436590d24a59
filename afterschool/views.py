"""Pages of after-school care: the guardian's (phone-sized: programmes, the application, who may collect
the pupil) and the school's (programmes, review queue, waitlist, the day's pick-up rosters: a teacher's
phone page to mark pick-ups, a printable page and an Excel file). Views translate HTTP to service calls;
reads go through the selectors (404 outside the user's scope) and every change through the services,
whose refusals are shown as messages."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from afterschool import pickups, selectors, services
from afterschool.excel import roster_workbook
from afterschool.models import LIVE_STATES, MAX_COLLECTORS, ProgramSlot, State
from portal.accounts.models import Role
from portal.cases import services as cases
from portal.cases.selectors import case_summary, case_timeline
from portal.cases.workflow import ActionNotAllowed, allowed_actions
from portal.core.views import role_required
from portal.orgs.models import School

school_staff_required = role_required(
    lambda user: user.is_superuser or user.role in (Role.CLERK, Role.BUREAU),
    _("Only school clerks and bureau staff manage after-school care."),
)


def _state_label(value: str) -> str:
    try:
        return str(State(value).label)
    except ValueError:
        return value


def _timeline(case) -> list[dict]:
    return [
        {"entry": e, "from_label": _state_label(e.from_state), "to_label": _state_label(e.to_state)}
        for e in case_timeline(case)
    ]


def _program_rows(programs) -> list[dict]:
    today = cases.local_today()
    rows = []
    for program in programs:
        figures = selectors.slot_figures(program)
        rows.append(
            {
                "program": program,
                "slots": figures,
                "status": selectors.program_status(program, today=today, figures=figures),
            }
        )
    return rows


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for messages_ in exc.message_dict.values() for m in messages_]
    return exc.messages


# --- the guardian ---------------------------------------------------------------------------------------


@login_required
def home(request):
    """Open programmes, and the family's applications."""
    if request.user.role in (Role.CLERK, Role.BUREAU):
        return redirect("afterschool:school")
    programs = selectors.programs_visible().filter(phase="running")
    school = request.GET.get("school", "")
    if school:
        programs = programs.filter(school__code=school)
    context = {
        "programs": _program_rows(programs[:50]),
        "applications": selectors.applications_for_user(request.user)[:50],
        "school": school,
    }
    return render(request, "afterschool/home.html", context)


@login_required
def apply(request, program_id: int):
    program = get_object_or_404(selectors.programs_visible(), pk=program_id)
    errors: list[str] = []
    values = {"student_id_number": "", "slot": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            application = services.application_submit(guardian=request.user, program=program, **values)
        except (ValidationError, PermissionDenied) as exc:
            errors = _errors(exc) if isinstance(exc, ValidationError) else [str(exc)]
        else:
            messages.success(
                request, _("Application %(ref)s submitted.") % {"ref": application.case.reference_no}
            )
            return redirect("afterschool:application", application.case.reference_no)
    context = {"row": _program_rows([program])[0], "errors": errors, "values": values}
    return render(request, "afterschool/apply.html", context, status=400 if errors else 200)


@login_required
def application(request, reference_no: str):
    app = selectors.application_for_user(request.user, reference_no)
    today = cases.local_today()
    context = {
        "app": app,
        "summary": case_summary(app.case, user=request.user),
        "timeline": _timeline(app.case),
        "position": selectors.waitlist_position(app),
        "refund_fen": selectors.refund_quote(app, on=today),
        "actions": allowed_actions(app, request.user),
        "other_slots": [s for s in app.program.slots.all() if s.pk != app.slot_id],
        "confirm_withdraw": request.GET.get("confirm") == "withdraw",
        "collectors": None,
    }
    if app.guardian_id == request.user.pk and app.state in LIVE_STATES:
        active = list(app.collectors.filter(removed_at__isnull=True))
        context |= {"collectors": active, "can_add_collector": len(active) < MAX_COLLECTORS}
    return render(request, "afterschool/application.html", context)


@login_required
@require_POST
def act(request, reference_no: str, action: str):
    """Every button of the application and review pages posts here."""
    app = selectors.application_for_user(request.user, reference_no)
    note = request.POST.get("note", "").strip()
    try:
        if action == "withdraw":
            services.application_withdraw(application=app, by=request.user, note=note)
        elif action == "change_slot":
            services.application_change_slot(
                application=app, by=request.user, slot=request.POST.get("slot", ""), note=note
            )
        elif action == "approve":
            services.application_approve(application=app, by=request.user, note=note)
        elif action == "reject":
            services.application_reject(application=app, by=request.user, note=note)
        else:
            raise ValidationError(_("Unknown action."))
    except ActionNotAllowed as exc:
        messages.error(request, "; ".join(exc.messages))
    except ValidationError as exc:
        messages.error(request, "; ".join(_errors(exc)))
    else:
        messages.success(request, _("Done."))
    target = "afterschool:review" if action in ("approve", "reject") else "afterschool:application"
    return redirect(target, reference_no)


# --- the school -----------------------------------------------------------------------------------------


def _staff_programs(user):
    programs = selectors.programs_visible()
    if user.is_superuser:
        return programs
    if user.role == Role.CLERK:
        return programs.filter(school_id=user.school_id)
    return programs.filter(school__district_id=user.district_id)


@school_staff_required
def school(request):
    """The school's programmes with seats per slot, and the review queue."""
    context = {
        "programs": _program_rows(_staff_programs(request.user)),
        "queue": selectors.review_queue(request.user)[:100],
    }
    return render(request, "afterschool/school.html", context)


@school_staff_required
def program_waitlist(request, program_id: int):
    program = get_object_or_404(_staff_programs(request.user), pk=program_id)
    rows = []
    for app in selectors.waitlist(request.user, program):
        rows.append({"app": app, "position": selectors.waitlist_position(app)})
    context = {"row": _program_rows([program])[0], "rows": rows}
    return render(request, "afterschool/waitlist.html", context)


@school_staff_required
@require_POST
def slot_capacity(request, slot_id: int):
    slot = get_object_or_404(ProgramSlot.objects.select_related("program__school"), pk=slot_id)
    if not _staff_programs(request.user).filter(pk=slot.program_id).exists():
        raise PermissionDenied(
            _("Only the school's clerks and the district's bureau staff manage its programmes.")
        )
    try:
        capacity = int(request.POST.get("capacity", ""))
        services.slot_set_capacity(slot=slot, capacity=capacity, by=request.user)
    except (TypeError, ValueError):
        messages.error(request, _("Enter a number of seats from 0 to 2000."))
    except ValidationError as exc:
        messages.error(request, "; ".join(_errors(exc)))
    else:
        messages.success(request, _("Capacity saved; the waitlist was promoted as far as the seats go."))
    return redirect("afterschool:waitlist", slot.program_id)


@school_staff_required
def review(request, reference_no: str):
    app = selectors.application_for_user(request.user, reference_no)
    context = {
        "app": app,
        "summary": case_summary(app.case, user=request.user),
        "timeline": _timeline(app.case),
        "position": selectors.waitlist_position(app),
        "actions": allowed_actions(app, request.user),
        "collectors": app.collectors.filter(removed_at__isnull=True),
    }
    return render(request, "afterschool/review.html", context)


# --- authorised collectors (the guardian) --------------------------------------------------------------


@login_required
@require_POST
def collector_add(request, reference_no: str):
    app = selectors.application_for_user(request.user, reference_no)
    try:
        pickups.collector_add(
            application=app,
            by=request.user,
            name=request.POST.get("name", ""),
            relation=request.POST.get("relation", ""),
            phone=request.POST.get("phone", ""),
        )
    except PermissionDenied:
        raise
    except ValidationError as exc:
        messages.error(request, "; ".join(_errors(exc)))
    else:
        messages.success(request, _("Saved: they may collect the pupil."))
    return redirect("afterschool:application", reference_no)


@login_required
@require_POST
def collector_remove(request, reference_no: str, collector_id: int):
    app = selectors.application_for_user(request.user, reference_no)
    collector = get_object_or_404(app.collectors.all(), pk=collector_id)
    pickups.collector_remove(collector=collector, by=request.user)
    messages.success(request, _("Removed: they may no longer collect the pupil."))
    return redirect("afterschool:application", reference_no)


# --- pick-up rosters (the school) -----------------------------------------------------------------------


def _roster_day(request) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return cases.local_today()


def _roster_schools(user):
    schools = School.objects.filter(afterschool_programs__isnull=False).distinct().order_by("code")
    if user.is_superuser:
        return schools
    if user.role == Role.CLERK:
        return schools.filter(pk=user.school_id)
    return schools.filter(district_id=user.district_id)


def _roster_school(request):
    """The clerk's own school; bureau staff choose one of their district's (``?school=CODE``)."""
    schools = _roster_schools(request.user)
    code = request.GET.get("school", "")
    school = schools.filter(code=code).first() if code else schools.first()
    if school is None:
        raise Http404("school")
    return school, schools


def _roster_slot(request, slot_id: int) -> ProgramSlot:
    return get_object_or_404(
        ProgramSlot.objects.select_related("program__school").filter(
            program__in=_staff_programs(request.user)
        ),
        pk=slot_id,
    )


@school_staff_required
def rosters(request):
    """The day's rosters of a school: per leave-time slot, the pupils and how many were collected."""
    school, schools = _roster_school(request)
    day = _roster_day(request)
    context = {
        "school": school,
        "schools": schools,
        "day": day,
        "sections": selectors.roster(school=school, day=day),
    }
    return render(request, "afterschool/rosters.html", context)


@school_staff_required
def roster_slot(request, slot_id: int):
    """The teacher's phone page for one slot and day: each pupil, who may collect them, and a button to
    mark the pick-up (who, when)."""
    slot = _roster_slot(request, slot_id)
    day = _roster_day(request)
    status = 200
    if request.method == "POST":
        app = get_object_or_404(
            selectors.applications_for_user(request.user).filter(slot=slot),
            case__reference_no=request.POST.get("application", ""),
        )
        collector = request.POST.get("collector", "guardian")
        try:
            at = dt.time.fromisoformat(request.POST["at"]) if request.POST.get("at") else None
        except ValueError:
            at = False
        if at is False:
            messages.error(request, _("Give the time as HH:MM, e.g. 17:35."))
            status = 400
        elif collector != "guardian" and not collector.isdigit():
            messages.error(request, _("Choose who collected the pupil."))
            status = 400
        else:
            try:
                pickup = pickups.pickup_mark(
                    application=app,
                    day=day,
                    by=request.user,
                    collector_id=None if collector == "guardian" else int(collector),
                    at=at,
                )
            except ValidationError as exc:
                messages.error(request, "; ".join(_errors(exc)))
                status = 400
            else:
                messages.success(
                    request,
                    _("%(name)s collected by %(who)s.")
                    % {"name": app.student_name, "who": pickup.collected_by},
                )
                return redirect(f"{request.path}?day={day.isoformat()}")
    sections = selectors.roster(school=slot.program.school, day=day, slot=slot)
    context = {
        "slot": slot,
        "day": day,
        "section": sections[0] if sections else None,
        "now": timezone.localtime(timezone.now(), cases.BUREAU_TZ).strftime("%H:%M"),
    }
    return render(request, "afterschool/roster_slot.html", context, status=status)


def _roster_scope(request):
    """School, day and (optionally) one slot of a print or Excel request."""
    slot_id = request.GET.get("slot", "")
    if slot_id:
        if not slot_id.isdigit():
            raise Http404("slot")
        slot = _roster_slot(request, int(slot_id))
        return slot.program.school, _roster_day(request), slot
    school, _schools = _roster_school(request)
    return school, _roster_day(request), None


@school_staff_required
def roster_print(request):
    """A printable roster (A4) of a school's day, or of one slot (``?slot=``)."""
    school, day, slot = _roster_scope(request)
    context = {"school": school, "day": day, "sections": selectors.roster(school=school, day=day, slot=slot)}
    return render(request, "afterschool/roster_print.html", context)


@school_staff_required
def roster_xlsx(request):
    """The same roster as an Excel workbook, one sheet per slot."""
    school, day, slot = _roster_scope(request)
    data = roster_workbook(selectors.roster(school=school, day=day, slot=slot), school=school, day=day)
    name = f"roster-{school.code}-{day:%Y%m%d}{'-' + slot.leave_at.replace(':', '') if slot else ''}.xlsx"
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
