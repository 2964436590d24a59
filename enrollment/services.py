"""Enrollment actions: one function per user action (DESIGN.md, Workflows).

Each runs in one transaction with the application row locked, calls its django-fsm transition, saves,
writes an event to the case trace and queues its side effects (messages, the verification task) after
commit. Registry look-ups never run inside a transaction: they are recorded for audit even when the
action fails, and a slow registry must hold no lock.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from enrollment import evidence as evidence_mod
from enrollment import rules as R
from enrollment.catalogue import EnrollmentAction, forbidden_message, service_code_for
from enrollment.models import Application, Check, EnrollmentRules, Residence, State
from enrollment.selectors import rule_set
from exchange.checks import CheckResult
from exchange.guardianship import child_and_guardianship
from exchange.models import Lookup
from exchange.services import authorisations_grant
from portal.accounts.models import User
from portal.cases import services as cases
from portal.cases import workflow
from portal.cases.actions import CaseAction
from portal.cases.models import Channel
from portal.cases.workdays import add_working_days
from portal.cases.workflow import ActionNotAllowed, perform
from portal.catalog.models import ServiceItem
from portal.core.idcodes import normalize_id_number
from portal.notify.services import message_send
from portal.orgs.models import Community, District, Stage

log = logging.getLogger(__name__)

MAX_VERIFY_ATTEMPTS = 5  # registry still unavailable after this many rounds → a clerk reviews
RETRY_BASE_SECONDS = 30  # default of settings.ENROLLMENT_RETRY_BASE_SECONDS
SUPPLEMENT_WORKING_DAYS = 5


class DuplicateApplication(Exception):
    """The child already has a live application for that year and stage."""

    def __init__(self, reference_no: str):
        self.reference_no = reference_no
        super().__init__(reference_no)


class NotTheGuardian(PermissionDenied):
    """The registries show the signed-in person is not this child's parent."""


def _live_duplicate(child_hash: str, year: int, stage: str) -> str | None:
    """The reference number of the child's live application for that year and stage, if any (one
    narrow read: no row is built, nothing decrypted)."""
    return (
        Application.objects.filter(child_id_hash=child_hash, year=year, stage=stage)
        .exclude(state=State.WITHDRAWN)
        .values_list("case__reference_no", flat=True)
        .first()
    )


def _district_for(child) -> District | None:
    """The district whose attendance zones hold the child's 户籍 community, else the only district."""
    code = getattr(child, "community_code", "") or ""
    community = Community.objects.select_related("district").filter(code=code).first()
    if community is not None:
        return community.district
    districts = list(District.objects.all()[:2])
    return districts[0] if len(districts) == 1 else None


def _validate(
    *, guardian, year, stage, child_id_number, other_guardian_id_number, single_parent, residence, consent
) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    child_id = other_id = ""
    try:
        child_id = normalize_id_number(child_id_number)
    except ValidationError as exc:
        errors["child_id_number"] = exc.messages
    if other_guardian_id_number:
        if single_parent:
            errors["other_guardian_id_number"] = [
                _("Leave the other guardian empty for a single-parent family.")
            ]
        else:
            try:
                other_id = normalize_id_number(other_guardian_id_number)
            except ValidationError as exc:
                errors["other_guardian_id_number"] = exc.messages
    elif not single_parent:
        errors["other_guardian_id_number"] = [
            _("Enter the other guardian's ID number, or declare a single-parent family.")
        ]
    if stage not in Stage.values:
        errors["stage"] = [_("Choose kindergarten, primary or junior.")]
    if residence not in Residence.values:
        errors["residence"] = [_("Choose owned, rented or none.")]
    if consent is not True:
        errors["consent"] = [_("The portal can only fetch the records with your authorisation.")]
    if not guardian.id_number:
        errors["non_field_errors"] = [_("Your account is not real-name verified.")]
    elif child_id and child_id == guardian.id_number:
        errors["child_id_number"] = [_("This is your own ID number; enter the child's.")]
    if other_id and other_id in (guardian.id_number, child_id):
        errors["other_guardian_id_number"] = [_("Enter the other guardian's own ID number.")]
    if errors:
        raise ValidationError(errors)
    return child_id, other_id


def _rules_for(district: District, year: int, stage: str) -> EnrollmentRules:
    # unique per district, year and stage: no ordering (the model's default joins the district to sort)
    rules = EnrollmentRules.objects.filter(district=district, year=year, stage=stage).order_by().first()
    if rules is None:
        raise ValidationError(
            {"year": [_("Applications for %(year)s are not open in this district.") % {"year": year}]}
        )
    today = cases.local_today()
    if (rules.apply_from and today < rules.apply_from) or (rules.apply_until and today > rules.apply_until):
        raise ValidationError(
            {
                "year": [
                    _("Applications are open from %(a)s to %(b)s.")
                    % {"a": rules.apply_from, "b": rules.apply_until}
                ]
            }
        )
    return rules


def application_submit(
    *,
    guardian: User,
    year: int,
    stage: str,
    child_id_number: str,
    residence: str,
    consent: bool,
    other_guardian_id_number: str | None = None,
    single_parent: bool = False,
    sibling_reference_no: str | None = None,
    channel: str = Channel.ONLINE,
    by: User | None = None,
) -> Application:
    """Submit an application for ``guardian``'s child (online, or by a clerk at the counter with ``by``).

    Raises ValidationError (field messages), DuplicateApplication (409 with the existing reference),
    NotTheGuardian (403) when the registries show the child is not the guardian's."""
    child_id, other_id = _validate(
        guardian=guardian,
        year=year,
        stage=stage,
        child_id_number=child_id_number,
        other_guardian_id_number=other_guardian_id_number,
        single_parent=single_parent,
        residence=residence,
        consent=consent,
    )
    from portal.core.pii import keyed_hash

    existing = _live_duplicate(keyed_hash(child_id), year, stage)
    if existing is not None:
        raise DuplicateApplication(existing)
    sibling = None
    if sibling_reference_no:
        sibling = Application.objects.filter(
            case__reference_no=sibling_reference_no, guardian=guardian
        ).first()
        if sibling is None:
            raise ValidationError(
                {"sibling_reference_no": [_("No application of yours has this reference number.")]}
            )

    purpose = _("Enrollment application %(year)s (%(stage)s)") % {"year": year, "stage": stage}
    child, district = _authorise_and_identify(
        guardian=guardian, child_id=child_id, other_id=other_id, purpose=purpose, requester=by or guardian
    )
    rules = _rules_for(district, year, stage)
    service = ServiceItem.objects.get(code=service_code_for(stage))
    child_name = getattr(child, "name", "") or _("(to be verified)")

    try:
        with (
            transaction.atomic(),
            cases.case_opening(
                service=service,
                applicant=guardian,
                subject_name=child_name,
                subject_id_number=child_id,
                channel=channel,
                district=district,
                by=by,
                next_step=_("The portal is fetching and checking your records."),
            ) as case,
        ):
            if rules.promised_days != case.promised_days:
                case.promised_days = rules.promised_days
                case.deadline = add_working_days(case.accepted_on, rules.promised_days)
                case.save(update_fields=["promised_days", "deadline"])
            application = Application.objects.create(
                case=case,
                year=year,
                stage=stage,
                guardian=guardian,
                child_id_number=child_id,
                child_name=child_name,
                other_guardian_id_number=other_id,
                single_parent=single_parent,
                residence=residence,
                sibling=sibling,
                consent_at=timezone.now(),
                verification_queued_at=timezone.now(),
            )
            cases.case_log_event(
                case=case,
                action=EnrollmentAction.AUTHORISED,
                by=by or guardian,
                data={"subjects": 3 if other_id else 2},
            )
            _queue_verification(application)
    except IntegrityError:
        existing = _live_duplicate(keyed_hash(child_id), year, stage)
        if existing is None:
            raise
        raise DuplicateApplication(existing) from None
    return application


def application_preview(
    *,
    guardian: User,
    year: int,
    stage: str,
    child_id_number: str,
    residence: str,
    consent: bool,
    other_guardian_id_number: str | None = None,
    single_parent: bool = False,
) -> tuple[R.Evidence, R.Assessment]:
    """Fetch the evidence and run the checks without submitting, so the family sees what the decision
    will rest on (the wizard's preview step). Records the authorisations and look-ups like a submission;
    writes no application."""
    child_id, other_id = _validate(
        guardian=guardian,
        year=year,
        stage=stage,
        child_id_number=child_id_number,
        other_guardian_id_number=other_guardian_id_number,
        single_parent=single_parent,
        residence=residence,
        consent=consent,
    )
    purpose = _("Enrollment application %(year)s (%(stage)s): preview") % {"year": year, "stage": stage}
    _child, district = _authorise_and_identify(
        guardian=guardian, child_id=child_id, other_id=other_id, purpose=purpose, requester=guardian
    )
    rules = rule_set(_rules_for(district, year, stage))
    draft = Application(  # never saved: it only carries the answers to the evidence gatherer
        guardian=guardian,
        year=year,
        stage=stage,
        child_id_number=child_id,
        other_guardian_id_number=other_id,
        single_parent=single_parent,
        residence=residence,
    )
    evidence = evidence_mod.gather(draft, today=cases.local_today(), rules=rules)
    return evidence, R.evaluate(evidence, rules)


def _authorise_and_identify(*, guardian: User, child_id: str, other_id: str, purpose: str, requester):
    """Record the consent (授权) before any look-up — the other guardian's is declared by the applicant —
    then find the child and check they are the guardian's. Returns the child (or None when the registry
    cannot answer now) and the district; raises NotTheGuardian or a field error."""
    subjects = [
        (child_id, evidence_mod.CHILD_SOURCES),
        (guardian.id_number, evidence_mod.GUARDIAN_SOURCES),
        *([(other_id, evidence_mod.OTHER_GUARDIAN_SOURCES)] if other_id else []),
    ]
    for_child = authorisations_grant(guardian=guardian, purpose=purpose, subjects=subjects)[0]
    child, belongs = _child_and_guardianship(
        child_id, guardian.id_number, requester=requester, authorisation=for_child
    )
    if belongs is False:
        raise NotTheGuardian(_("The household registry and birth records do not show this child as yours."))
    district = _district_for(child)
    if district is None:
        raise ValidationError({"child_id_number": [_("The child's 户籍 is not in this district.")]})
    return child, district


def _child_and_guardianship(
    child_id: str, guardian_id: str, *, requester, authorisation=None
) -> tuple[object, bool | None]:
    """Who the child is, and whether the guardian is their parent by 户口簿 or birth record.

    ``None`` when the registries cannot answer now — then the automatic check decides later."""
    return child_and_guardianship(
        child_id,
        guardian_id,
        purpose=_("Check that the applicant is the child's guardian"),
        requester=requester,
        authorisation=authorisation,
    )


def _queue_verification(application: Application, countdown: int = 0) -> None:
    from enrollment.tasks import verify_application

    transaction.on_commit(partial(verify_application.apply_async, (application.pk,), countdown=countdown))


# --- automatic checks ------------------------------------------------------------------------------------


def application_verify(*, application_id: int) -> str:
    """Fetch the evidence, run the rules, record one result per check and decide: qualified at once
    (秒批), to review with reasons, or — a registry unavailable — keep waiting and retry, then review.

    Idempotent: does nothing unless the application is still ``verifying``."""
    application = (
        Application.objects.select_related("case", "guardian", "case__district")
        .filter(pk=application_id)
        .first()
    )
    if application is None or application.state != State.VERIFYING:
        return "skipped"
    rules_row = EnrollmentRules.objects.get(
        district=application.case.district, year=application.year, stage=application.stage
    )
    rules = rule_set(rules_row)
    today = cases.local_today()
    started = timezone.now()
    evidence = evidence_mod.gather(application, today=today, rules=rules)  # outside any transaction
    assessment = R.evaluate(evidence, rules)
    # the registry record each check rests on: this round's latest look-up of its source for the case
    rested_on = dict(
        Lookup.objects.filter(case=application.case, at__gte=started)
        .order_by("at", "pk")
        .values_list("source", "pk")
    )
    return _record_assessment(application.pk, assessment, rested_on)


def _write_checks(application: Application, assessment: R.Assessment, rested_on: dict[str, int]) -> None:
    """One row per check with this round's result (the application row is locked): new checks inserted
    and earlier rounds' results updated, each in one statement; checks no longer made are removed."""
    now = timezone.now()
    existing = {c.name: c for c in application.checks.all()}
    stale = set(existing) - {o.name for o in assessment.outcomes}
    if stale:
        application.checks.filter(name__in=stale).delete()
    new, changed = [], []
    for outcome in assessment.outcomes:
        check = existing.get(outcome.name) or Check(application=application, name=outcome.name)
        check.result, check.reason = outcome.result, outcome.reason[:300]
        check.lookup_id, check.updated_at = rested_on.get(outcome.source), now
        (changed if check.pk else new).append(check)
    Check.objects.bulk_create(new)
    Check.objects.bulk_update(changed, ["result", "reason", "lookup_id", "updated_at"])


def _record_assessment(application_id: int, assessment: R.Assessment, rested_on: dict[str, int]) -> str:
    with transaction.atomic():
        application = Application.objects.select_for_update().select_related("case").get(pk=application_id)
        if application.state != State.VERIFYING:
            return "skipped"
        case = application.case
        _write_checks(application, assessment, rested_on)
        application.category = assessment.category
        application.points = assessment.points
        application.tie_date = assessment.tie_date
        if assessment.zone_school:
            from portal.orgs.models import School

            application.zone_school = School.objects.filter(code=assessment.zone_school).first()
        application.verify_attempts += 1
        unavailable = [o for o in assessment.outcomes if o.result == CheckResult.UNAVAILABLE]
        failed = [o for o in assessment.outcomes if o.result == CheckResult.FAIL]
        summary = {o.name: o.result for o in assessment.outcomes}
        cases.case_log_event(
            case=case,
            action=EnrollmentAction.CHECKED,
            data={"results": summary, "attempt": application.verify_attempts},
        )
        if application.zone_school_id and case.school_id != application.zone_school_id:
            cases.case_assign_school(case=case, school=application.zone_school)

        if unavailable and application.verify_attempts < MAX_VERIFY_ATTEMPTS:
            sources = sorted({o.source for o in unavailable})
            application.waiting_reason = _(
                "Waiting for the registries: %(s)s; the portal retries automatically."
            ) % {"s": ", ".join(sources)}
            application.verification_queued_at = timezone.now()
            application.save()
            cases.case_log_event(
                case=case,
                action=EnrollmentAction.WAITING_REGISTRY,
                note=application.waiting_reason,
                data={"sources": sources},
            )
            cases.case_set_next_step(case=case, text=application.waiting_reason)
            base = getattr(settings, "ENROLLMENT_RETRY_BASE_SECONDS", RETRY_BASE_SECONDS)
            _queue_verification(application, countdown=base * 2 ** (application.verify_attempts - 1))
            return "waiting"

        application.waiting_reason = ""
        application.save()
        if not unavailable and not failed and can_proceed(application.qualify_automatically):
            perform(
                application,
                "qualify_automatically",
                by=None,
                note=_("Every check passed."),
                then=_tell_qualified,
            )
            return "qualified"

        reasons = [o.reason for o in failed] + [o.reason for o in unavailable]
        if unavailable:
            reasons.append(
                _("A registry stayed unavailable; a clerk will check the uploaded evidence instead.")
            )

        def then(app: Application) -> None:
            cases.case_set_next_step(
                case=app.case, text=_("A clerk reviews your application; you may be asked for a document.")
            )
            message_send(
                recipient=app.guardian,
                subject=_("Application %(ref)s needs a clerk's review") % {"ref": app.case.reference_no},
                body=_("Some checks could not confirm your application:\n%(reasons)s")
                % {"reasons": "\n".join(reasons)},
                case=app.case,
            )

        perform(application, "send_to_review", by=None, note="\n".join(reasons)[:2000], then=then)
        return "needs_review"


def _tell_qualified(application: Application) -> None:
    from enrollment.notice import notice_register

    notice_register(application)  # the place notice, in the document registry (portal.documents)
    case = application.case
    school = application.zone_school.name if application.zone_school_id else _("your zone school")
    cases.case_set_next_step(
        case=case, text=_("Qualified. Download the place notice; admission follows the allocation.")
    )
    message_send(
        recipient=application.guardian,
        subject=_("Application %(ref)s is qualified") % {"ref": case.reference_no},
        body=_(
            "%(child)s qualifies for a place at %(school)s (tier %(tier)s). "
            "The place notice is ready to download."
        )
        % {"child": application.child_name, "school": school, "tier": application.category},
        case=case,
    )


# --- review, supplement, withdrawal ---------------------------------------------------------------------
# Every action goes through the kernel's perform (lock, role, state, transition, event, case status);
# what is the action's own — a reason required, a next step, a message, the clock — is written here.


def application_approve(*, application: Application, by: User, note: str = "") -> Application:
    def then(app: Application) -> None:
        if app.case.clock_paused:
            cases.case_resume_clock(case=app.case, by=by, note=_("Approved."))
        _tell_qualified(app)

    return perform(application, "approve", by=by, note=note, then=then)


def application_reject(*, application: Application, by: User, note: str) -> Application:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Give the reason for the rejection; the family will read it.")]})

    def then(app: Application) -> None:
        cases.case_set_next_step(case=app.case, text=_("Rejected: %(reason)s") % {"reason": note[:250]})

    return perform(application, "reject", by=by, note=note, then=then)


def application_request_supplement(
    *, application: Application, by: User, note: str, due_working_days: int = SUPPLEMENT_WORKING_DAYS
) -> Application:
    """容缺: ask the family for a material; the case clock pauses until they upload it."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say which material the family should supply.")]})
    try:
        due_working_days = int(due_working_days)
    except (TypeError, ValueError):
        due_working_days = 0
    if not 1 <= due_working_days <= 30:
        raise ValidationError({"due_working_days": [_("Give between 1 and 30 working days.")]})
    due = add_working_days(cases.local_today(), due_working_days)

    def then(app: Application) -> None:
        cases.case_pause_clock(case=app.case, by=by, reason=note)
        cases.case_set_next_step(
            case=app.case,
            text=_("Upload: %(what)s (by %(due)s).") % {"what": note[:200], "due": due.isoformat()},
        )

    return perform(
        application,
        "request_supplement",
        by=by,
        note=note,
        data={"due": due.isoformat()},
        then=then,
        due=due,
    )


def application_supplement_received(
    *, application: Application, by: User, uploaded_file, kind: str
) -> Application:
    """The family uploads the material; the clock resumes and the application returns to review."""

    def then(app: Application) -> None:
        cases.attachment_add(case=app.case, by=by, kind=kind or _("Supplement"), uploaded_file=uploaded_file)
        cases.case_resume_clock(case=app.case, by=by, note=_("Material supplied."))
        cases.case_set_next_step(case=app.case, text=_("A clerk reviews the material you supplied."))

    return perform(application, "receive_supplement", by=by, then=then)


def application_withdraw(*, application: Application, by: User, note: str = "") -> Application:
    def then(app: Application) -> None:
        cases.case_set_next_step(case=app.case, text=_("Withdrawn."))

    return perform(application, "withdraw", by=by, note=note, then=then)


def application_admit(*, application: Application, school, by=None, note: str = "", data=None) -> Application:
    """Admission gave the child a seat at ``school`` (after the public notice): the application is
    admitted, its case moves to that school (so the school's clerks see it) and closes as done."""

    def then(app: Application) -> None:
        if app.case.school_id != school.pk:
            cases.case_assign_school(case=app.case, school=school, by=by, note=note)

    return perform(application, "admit", by=by, note=note, data=data, then=then, school=school)


def application_record_originals(*, application: Application, by: User, originals: list[str]) -> Application:
    """At the counter: which original documents the clerk has seen."""
    cleaned = [o.strip()[:100] for o in originals if o and o.strip()]
    with transaction.atomic():
        app = workflow.lock(application)
        if not Application.reviewer_in_scope(app, by):
            raise PermissionDenied(forbidden_message(app, by, "record_originals"))
        app.originals_seen = sorted(set(app.originals_seen) | set(cleaned))
        app.save(update_fields=["originals_seen"])
        cases.case_log_event(
            case=app.case, action=EnrollmentAction.ORIGINALS_SEEN, by=by, data={"originals": cleaned}
        )
    application.refresh_from_db()
    return app


def requeue_stuck(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """The sweeper: re-queue applications still ``verifying`` whose task should have run by now
    (a lost broker message or a killed worker loses no work)."""
    cutoff = timezone.now() - older_than
    stuck = list(
        Application.objects.filter(state=State.VERIFYING, verification_queued_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:1000]
    )
    from enrollment.tasks import verify_application

    for pk in stuck:
        Application.objects.filter(pk=pk).update(verification_queued_at=timezone.now())
        verify_application.delay(pk)
    return len(stuck)


__all__ = [
    "ActionNotAllowed",
    "DuplicateApplication",
    "NotTheGuardian",
    "application_approve",
    "application_record_originals",
    "application_reject",
    "application_request_supplement",
    "application_submit",
    "application_supplement_received",
    "application_verify",
    "application_withdraw",
    "requeue_stuck",
    "CaseAction",
]
