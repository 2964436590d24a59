"""Admission actions: one function per action (DESIGN.md, Workflows). See docs/workflows/admission.md.

Lock order, everywhere: the round row, then seat ledgers (in primary-key order), then placements, then
applications — so two actions never wait for each other in a cycle.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import time
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from admission import allocation as A
from admission import draw as D
from admission import notices, seats
from admission.catalogue import AdmissionAction
from admission.models import (
    AdmissionRound,
    AllocationRun,
    How,
    Placement,
    PlacementState,
    RunPhase,
    RunStatus,
    SeatLedger,
)
from enrollment import services as enrollment_services
from enrollment.models import Application, State
from portal.accounts.models import Role
from portal.cases import services as cases
from portal.cases.workdays import add_working_days
from portal.cases.workflow import ActionNotAllowed
from portal.notices import selectors as notice_selectors
from portal.notify.services import message_send
from portal.orgs.models import Stage
from studentstatus import services as studentstatus

log = logging.getLogger(__name__)
SEED_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
FIRST_GRADE = {Stage.KINDERGARTEN: 1, Stage.PRIMARY: 1, Stage.JUNIOR: 7}


# --- who acts ---------------------------------------------------------------------------------------


def is_district_bureau(user, district_id: int) -> bool:
    """Bureau staff of the district (or a superuser): they run allocations and decide objections."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or (user.role == Role.BUREAU and user.district_id == district_id)


def _require_bureau(by, district_id: int) -> None:
    if by is not None and not is_district_bureau(by, district_id):
        raise PermissionDenied(_("Only the district's bureau staff may do this."))


# --- rounds and the seed ----------------------------------------------------------------------------


def round_for(*, district, year: int, stage: str) -> AdmissionRound:
    if stage not in Stage.values:
        raise ValidationError({"stage": [_("Choose kindergarten, primary or junior.")]})
    if not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": [_("Enter an entry year such as 2027.")]})
    round_, _created = AdmissionRound.objects.get_or_create(district=district, year=int(year), stage=stage)
    return round_


def round_publish_seed(*, round_: AdmissionRound, by, seed: str | None = None) -> AdmissionRound:
    """Publish the lottery seed (before any draw). Without ``seed`` a random one is drawn. Publishing the
    same seed again is harmless; a different one, once published, is refused."""
    _require_bureau(by, round_.district_id)
    if seed is not None:
        seed = str(seed).strip()
        if not SEED_PATTERN.match(seed):
            raise ValidationError(
                {"seed": [_("Use 1 to 64 letters, digits or . _ : - (for example a public lottery result).")]}
            )
    with transaction.atomic():
        locked = AdmissionRound.objects.select_for_update().get(pk=round_.pk)
        if locked.seed:
            if seed is not None and seed != locked.seed:
                raise ActionNotAllowed(
                    _("The seed %(seed)s was published on %(at)s; a draw cannot use another.")
                    % {
                        "seed": locked.seed,
                        "at": timezone.localtime(locked.seed_published_at).strftime("%Y-%m-%d %H:%M"),
                    },
                    code="seed",
                )
            return locked
        locked.seed = seed or secrets.token_hex(16)
        locked.seed_published_at = timezone.now()
        locked.seed_published_by = by
        locked.save(update_fields=["seed", "seed_published_at", "seed_published_by"])
    round_.refresh_from_db()
    return locked


# --- allocation runs --------------------------------------------------------------------------------


def allocation_start(
    *, round_: AdmissionRound, by, dry_run: bool = False, seed: str | None = None, queue: bool = True
) -> AllocationRun:
    """Ask for an allocation (or a dry run) of ``round_``; the Celery task runs it after commit.

    A real allocation publishes the seed first (committed before the draw starts). A dry run uses the
    published seed, else ``seed``, else a throw-away one, and publishes nothing."""
    _require_bureau(by, round_.district_id)
    if dry_run:
        if seed is not None and not SEED_PATTERN.match(str(seed)):
            raise ValidationError({"seed": [_("Use 1 to 64 letters, digits or . _ : -.")]})
        use_seed = round_.seed or seed or f"dry-run-{secrets.token_hex(8)}"
    else:
        round_ = round_publish_seed(round_=round_, by=by, seed=seed)
        use_seed = round_.seed
    with transaction.atomic():
        if not dry_run:
            busy = AllocationRun.objects.filter(
                round=round_, dry_run=False, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
            ).first()
            if busy is not None:
                raise ActionNotAllowed(
                    _("Allocation #%(n)d of this round is still running.") % {"n": busy.pk}, code="busy"
                )
        run = AllocationRun.objects.create(round=round_, dry_run=dry_run, requested_by=by, seed=use_seed)
        if queue:
            from admission.tasks import execute_run

            transaction.on_commit(partial(execute_run.delay, run.pk))
    return run


def _progress(run: AllocationRun, phase: str, percent: int, **extra) -> None:
    AllocationRun.objects.filter(pk=run.pk).update(phase=phase, progress=percent, **extra)


def allocation_execute(*, run_id: int) -> AllocationRun:
    """Run an allocation (the task body). Idempotent: a finished run is left as it is; a real run writes
    its placements, seats, inputs file and summary in one transaction, so a run killed half-way leaves
    nothing and its redelivered task starts again."""
    run = AllocationRun.objects.select_related("round", "round__district").get(pk=run_id)
    if run.status == RunStatus.DONE:
        return run
    round_ = run.round
    started = time.perf_counter()
    _progress(run, RunPhase.LOADING, 5, status=RunStatus.RUNNING, started_at=timezone.now(), error="")
    try:
        free = D.free_seats_unlocked(round_)
        inputs = D.load_inputs(round_, free=free)
        _progress(run, RunPhase.DRAWING, 35, applicants=len(inputs.applicants))
        result = A.allocate(inputs.schools, inputs.applicants, run.seed, use_dates=round_.use_ranking_dates)
        timings = {"load_and_draw_s": round(time.perf_counter() - started, 3)}
        if run.dry_run:
            summary = D.summarise(inputs, result)
            _save_inputs(run, inputs, round_)
            _finish(run, summary, result, timings, started)
        else:
            _progress(run, RunPhase.WRITING, 65)
            _write(run, round_, inputs, result, timings, started)
    except Exception as exc:
        log.exception("allocation run %s failed", run.pk)
        message = (
            "; ".join(exc.messages) if isinstance(exc, ValidationError) else f"{type(exc).__name__}: {exc}"
        )
        _progress(
            run,
            RunPhase.FINISHED,
            100,
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            error=message[:2000],
        )
        raise
    run.refresh_from_db()
    return run


def _save_inputs(run: AllocationRun, inputs: D.DrawInputs, round_: AdmissionRound) -> None:
    about = {
        "district": round_.district.code,
        "year": round_.year,
        "stage": round_.stage,
        "run": run.pk,
        "dry_run": run.dry_run,
        "seed_published_at": round_.seed_published_at.isoformat() if round_.seed_published_at else None,
    }
    document = inputs.document(seed=run.seed, use_dates=round_.use_ranking_dates, about=about)
    data = A.canonical_json(document)
    run.inputs_sha256 = hashlib.sha256(data).hexdigest()
    run.inputs_file.save("inputs.json", ContentFile(data), save=False)
    AllocationRun.objects.filter(pk=run.pk).update(
        inputs_sha256=run.inputs_sha256, inputs_file=run.inputs_file.name
    )


def _finish(run, summary, result, timings, started) -> None:
    timings["total_s"] = round(time.perf_counter() - started, 3)
    summary["timings"] = timings
    _progress(
        run,
        RunPhase.FINISHED,
        100,
        status=RunStatus.DONE,
        finished_at=timezone.now(),
        summary=summary,
        result_sha256=result.digest(),
        applicants=len(result.assignments),
    )


def _write(run, round_, inputs, result, timings, started) -> None:
    today = cases.local_today()
    seats.ensure_ledgers(schools=D.round_schools(round_), year=round_.year)
    with transaction.atomic():
        # one real allocation of a round at a time
        AdmissionRound.objects.select_for_update(no_key=True).get(pk=round_.pk)
        locked_run = AllocationRun.objects.select_for_update().get(pk=run.pk)
        if locked_run.status == RunStatus.DONE:
            return
        mark = time.perf_counter()
        ledgers = seats.lock_ledgers(schools=D.round_schools(round_), year=round_.year)
        free = {school_id: ledger.free for school_id, ledger in ledgers.items()}
        unplaced = D.unplaced_ids(round_)
        if free != {k: v for k, v in inputs.free.items() if k in free} or unplaced != inputs.unplaced:
            # seats or applications changed since the first pass: draw again on the locked state
            inputs = D.load_inputs(round_, free=free)
            result = A.allocate(
                inputs.schools, inputs.applicants, run.seed, use_dates=round_.use_ranking_dates
            )
            timings["redrawn_under_lock"] = True
        timings["lock_and_check_s"] = round(time.perf_counter() - mark, 3)
        mark = time.perf_counter()
        placed = D.write_placements(
            round_=round_,
            run=run,
            inputs=inputs,
            result=result,
            ledgers=ledgers,
            today=today,
        )
        timings["write_s"] = round(time.perf_counter() - mark, 3)
        mark = time.perf_counter()
        notices.publish_run(round_=round_, run=run)  # one kernel public notice (公示) per school
        timings["notices_s"] = round(time.perf_counter() - mark, 3)
        mark = time.perf_counter()
        _save_inputs(run, inputs, round_)
        summary = D.summarise(inputs, result)
        timings["inputs_file_and_summary_s"] = round(time.perf_counter() - mark, 3)
        summary["placed"] = placed
        summary["notice_working_days"] = round_.notice_working_days
        _finish(run, summary, result, timings, started)
    if round_.notice_working_days == 0:
        transaction.on_commit(partial(_queue_finalise_round, round_.pk))


def _queue_finalise_round(round_id: int) -> None:
    from admission.tasks import finalise_due

    finalise_due.delay()


# --- placements by hand, and revocation ---------------------------------------------------------------


def _notice_dates(round_: AdmissionRound):
    today = cases.local_today()
    days = round_.notice_working_days
    return today, add_working_days(today, days) if days else today - dt.timedelta(days=1)


def placement_add(*, application: Application, school, by, note: str = "") -> Placement:
    """Bureau staff place a qualified application at a school with a free seat (a late application, or a
    correction after an objection). The placement goes on the public notice like a drawn one."""
    errors = {}
    if application.case.district_id != school.district_id:
        errors["school"] = [_("The school is not in the application's district.")]
    elif school.stage != application.stage:
        errors["school"] = [_("The school does not take this stage.")]
    if errors:
        raise ValidationError(errors)
    _require_bureau(by, school.district_id)
    round_ = round_for(district=school.district, year=application.year, stage=application.stage)
    seats.ensure_ledgers(schools=[school], year=application.year)
    with transaction.atomic():
        ledger = seats.lock_ledgers(schools=[school], year=application.year).get(school.pk)
        if ledger is None:
            raise seats.NoSeat(
                _("%(school)s has no capacity for %(year)d.")
                % {"school": school.name, "year": application.year},
                code="full",
            )
        app = (
            Application.objects.select_for_update(of=("self",))
            .select_related("case", "guardian")
            .get(pk=application.pk)
        )
        if app.state != State.QUALIFIED:
            raise ActionNotAllowed(
                _("Application %(ref)s is %(state)s; only a qualified application can be placed.")
                % {"ref": app.case.reference_no, "state": app.get_state_display()},
                code="state",
            )
        if Placement.objects.filter(application=app).exclude(state=PlacementState.REVOKED).exists():
            raise ActionNotAllowed(
                _("Application %(ref)s already has a seat.") % {"ref": app.case.reference_no}
            )
        seats.take(ledger)
        today, until = _notice_dates(round_)
        try:
            with transaction.atomic():
                placement = Placement.objects.create(
                    round=round_,
                    application=app,
                    school=school,
                    year=app.year,
                    seat_no=seats.free_seat_numbers(ledger, 1)[0],
                    how=How.MANUAL,
                    notice_from=today,
                    notice_until=until,
                )
        except IntegrityError:
            raise ActionNotAllowed(
                _("Application %(ref)s already has a seat.") % {"ref": app.case.reference_no}
            ) from None
        cases.case_log_event(
            case=app.case,
            action=AdmissionAction.PLACED,
            by=by,
            note=note,
            data={"school": school.code, "how": How.MANUAL, "notice_until": until.isoformat()},
        )
        placement.application = app
        notices.publish(round_=round_, placements=[placement], by=by)
        _tell_placed(app, placement)
    return placement


def _tell_placed(app: Application, placement: Placement) -> None:
    message_send(
        recipient=app.guardian,
        subject=_("%(child)s is on the public notice of %(school)s")
        % {"child": app.child_name, "school": placement.school.name},
        body=_(
            "The allocation gives %(child)s a seat at %(school)s. The result is on public notice until "
            "%(until)s; the admission notice follows when the notice period ends."
        )
        % {"child": app.child_name, "school": placement.school.name, "until": placement.notice_until},
        case=app.case,
    )


def _revoke_locked(placement: Placement, ledger: SeatLedger, *, by, reason: str) -> None:
    placement.revoke()
    placement.revoked_reason = reason[:300]
    placement.decided_at = timezone.now()
    placement.save()
    seats.give_back(ledger)
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("case", "guardian")
        .get(pk=placement.application_id)
    )
    cases.case_log_event(
        case=app.case,
        action=AdmissionAction.PLACEMENT_REVOKED,
        by=by,
        note=reason,
        data={"school": placement.school.code, "seat": placement.seat_no},
    )
    if app.state == State.QUALIFIED:
        message_send(
            recipient=app.guardian,
            subject=_("The seat at %(school)s is withdrawn") % {"school": placement.school.name},
            body=_("%(reason)s\nThe application stays qualified; the bureau places it again.")
            % {"reason": reason},
            case=app.case,
        )


def placement_revoke(*, placement: Placement, by, reason: str) -> Placement:
    """Bureau staff (or the system, ``by=None``) revoke a placement still on notice; the seat goes back."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the placement is revoked; the family reads it.")]})
    _require_bureau(by, placement.school.district_id)
    with transaction.atomic():
        ledger = seats.lock_ledgers(schools=[placement.school], year=placement.year)[placement.school_id]
        locked = (
            Placement.objects.select_for_update(of=("self",)).select_related("school").get(pk=placement.pk)
        )
        if locked.state != PlacementState.ON_NOTICE:
            raise ActionNotAllowed(
                _("This placement is %(state)s; only one on public notice can be revoked.")
                % {"state": locked.get_state_display()},
                code="state",
            )
        _revoke_locked(locked, ledger, by=by, reason=reason)
    placement.refresh_from_db()
    return locked


# --- final admission ---------------------------------------------------------------------------------


def due_placements(*, today=None):
    """Placements whose notice period is over and whose public notice has no open objection."""
    today = today or cases.local_today()
    due = list(
        Placement.objects.filter(state=PlacementState.ON_NOTICE, notice_until__lt=today)
        .order_by("pk")
        .values_list("pk", "application__case_id")
    )
    held = notice_selectors.held_case_ids(case_id for _pk, case_id in due)
    return [pk for pk, case_id in due if case_id not in held]


def placement_finalise(*, placement_id: int, today=None) -> str:
    """Make one placement final once its notice period is over: the application is admitted with the
    school, the case is done, the family gets the admission notice (PDF with QR verification) by message
    and the student record (学籍号 G + ID number) is created. Idempotent; a withdrawn application's
    placement is revoked instead. Returns what happened."""
    today = today or cases.local_today()
    head = Placement.objects.select_related("school").filter(pk=placement_id).first()
    if head is None or head.state != PlacementState.ON_NOTICE:
        return "skipped"
    with transaction.atomic():
        ledger = seats.lock_ledgers(schools=[head.school], year=head.year)[head.school_id]
        placement = (
            Placement.objects.select_for_update(of=("self",))
            .select_related("school", "round")
            .get(pk=placement_id)
        )
        if placement.state != PlacementState.ON_NOTICE:
            return "skipped"
        app = (
            Application.objects.select_for_update(of=("self",))
            .select_related("case", "guardian")
            .get(pk=placement.application_id)
        )
        if placement.notice_until >= today or notice_selectors.case_on_notice(app.case, today=today):
            return "not_due"
        if notice_selectors.case_held_by_objection(app.case):
            return "held"
        if app.state != State.QUALIFIED:
            _revoke_locked(
                placement,
                ledger,
                by=None,
                reason=_("The application is %(state)s.") % {"state": app.get_state_display()},
            )
            return "revoked"
        placement.finalise()
        placement.decided_at = timezone.now()
        placement.save()
        app = enrollment_services.application_admit(
            application=app,
            school=placement.school,
            by=None,
            note=_("Admitted to %(school)s after the public notice.") % {"school": placement.school.name},
            data={"school": placement.school.code, "seat": placement.seat_no, "how": placement.how},
        )
        from enrollment.notice import notice_register

        notice_register(app)  # the admission notice, superseding the place notice (portal.documents)
        record = _student_record(app, placement.school)
        cases.case_log_event(
            case=app.case,
            action=AdmissionAction.STUDENT_RECORD,
            data={"student_no": record.masked_student_no, "school": placement.school.code},
        )
        cases.case_set_next_step(case=app.case, text=_("Admitted. Download the admission notice."))
        url = settings.SITE_URL.rstrip("/") + reverse("admission:notice_pdf", args=[app.case.reference_no])
        message_send(
            recipient=app.guardian,
            subject=_("Admission notice: %(child)s, %(school)s")
            % {"child": app.child_name, "school": placement.school.name},
            body=_(
                "%(child)s is admitted to %(school)s for %(year)s. Student number (学籍号): %(no)s.\n"
                "Download the admission notice (录取通知书): %(url)s"
            )
            % {
                "child": app.child_name,
                "school": placement.school.name,
                "year": app.year,
                "no": record.masked_student_no,
                "url": url,
            },
            case=app.case,
        )
    return "admitted"


def _student_record(app: Application, school):
    """The child's 学籍 on the school's roll (student status creates or moves it and keeps the history)."""
    record, _changed = studentstatus.record_enrol(
        id_number=app.child_id_number,
        name=app.child_name,
        school=school,
        stage=app.stage,
        entry_year=app.year,
        grade=FIRST_GRADE.get(app.stage, 1),
        source_case=app.case,
    )
    return record


def finalise_all_due(*, today=None) -> dict[str, int]:
    """Finalise every due placement now (the command; the beat job queues one task per placement)."""
    outcomes: dict[str, int] = {}
    for pk in due_placements(today=today):
        outcome = placement_finalise(placement_id=pk, today=today)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
