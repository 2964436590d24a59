"""Student aid: one function per action (DESIGN.md, Workflows).

Every state change goes through the kernel's ``perform``; what is the action's own (a reason required, a
level changed, the public notice, a message) is written here. Registry look-ups run outside any
transaction (each is recorded; a slow registry holds no lock). Disbursement batches are in
``aid.disbursement``, the proactive finder (应助尽助) in ``aid.finder``.
"""

import datetime as dt
import logging
import re
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aid import checks as C
from aid.catalogue import ITEM, AidAction
from aid.models import (
    DECLARED_QUALIFICATIONS,
    KINDERGARTEN_SUBSIDY_FEN,
    LIVE_STATES,
    AidApplication,
    AidCheck,
    AidState,
    LevelRule,
    Qualification,
    Scheme,
    SchemeKind,
    SchemeLevel,
    bureau_in_scope,
    school_reviewer,
)
from exchange.checks import CheckResult
from exchange.models import Lookup
from exchange.services import authorisations_grant
from payments.money import format_yuan
from portal.accounts.models import Role, User
from portal.cases import services as cases
from portal.cases import workflow
from portal.cases.models import Channel
from portal.cases.workflow import ActionNotAllowed, perform
from portal.catalog.models import ServiceItem
from portal.core import pii
from portal.core.idcodes import normalize_id_number
from portal.notices.models import NoticeEntry
from portal.notices.selectors import notice_is_running
from portal.notices.services import notice_publish, objection_raise
from portal.notify.services import message_send
from studentstatus.selectors import record_for_id_number
from studentstatus.services.common import guardian_record

log = logging.getLogger(__name__)

REASON_MAX = 2000
ACCOUNT_RE = re.compile(r"^\d{8,30}$")


# --- schemes -------------------------------------------------------------------------------------------


def scheme_ensure_defaults(*, scheme: Scheme) -> None:
    """A 普惠性幼儿园 subsidy scheme without levels gets one: 200 元 per child per year, given by every
    qualification (the bureau may change it in the admin)."""
    if scheme.kind != SchemeKind.KINDERGARTEN or scheme.levels.exists():
        return
    level = SchemeLevel.objects.create(
        scheme=scheme, level="1", name="补助标准", amount_fen=KINDERGARTEN_SUBSIDY_FEN
    )
    LevelRule.objects.bulk_create(
        [LevelRule(scheme=scheme, qualification=q, level=level) for q in Qualification.values]
    )


# --- applying ------------------------------------------------------------------------------------------


def _validate(*, scheme_code, student_id_number, reason, declared, account_name, bank_account) -> dict:
    errors: dict[str, list[str]] = {}
    scheme = Scheme.objects.select_related("district").filter(code=(scheme_code or "").strip()).first()
    if scheme is None:
        errors["scheme_code"] = [_("No aid scheme has this code.")]
    try:
        student_id = normalize_id_number(student_id_number or "")
    except ValidationError as exc:
        errors["student_id_number"] = exc.messages
        student_id = ""
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        errors["reason"] = [_("Keep it under %(n)d characters.") % {"n": REASON_MAX}]
    declared = [d for d in dict.fromkeys(declared or ()) if d]
    if any(d not in DECLARED_QUALIFICATIONS for d in declared):
        errors["declared"] = [_("Choose orphan or other hardship.")]
    elif declared and not reason:
        errors["reason"] = [_("Describe the situation you state; the school reads it.")]
    account_name, bank_account = (account_name or "").strip(), re.sub(r"\s", "", bank_account or "")
    if bank_account and not ACCOUNT_RE.match(bank_account):
        errors["bank_account"] = [_("Enter the account number: 8 to 30 digits.")]
    if bank_account and not account_name:
        errors["account_name"] = [_("Enter the account holder's name.")]
    if errors:
        raise ValidationError(errors)
    return {
        "scheme": scheme,
        "student_id": student_id,
        "reason": reason,
        "declared": declared,
        "account_name": account_name[:100],
        "bank_account": bank_account,
    }


def _live(scheme: Scheme, student_hash: str) -> AidApplication | None:
    return (
        AidApplication.objects.select_related("case")
        .filter(scheme=scheme, student_hash=student_hash, state__in=LIVE_STATES)
        .first()
    )


def _duplicate(existing: AidApplication) -> ActionNotAllowed:
    return ActionNotAllowed(
        _("This student already has an application for this scheme this year: %(ref)s.")
        % {"ref": existing.case.reference_no},
        code="duplicate",
    )


def _check_record(record, scheme: Scheme) -> None:
    if record.status != "enrolled":
        raise ActionNotAllowed(
            _("The student record shows the student is not at school now."), code="not_enrolled"
        )
    if record.stage not in scheme.stage_list:
        raise ActionNotAllowed(
            _("%(scheme)s is for %(stages)s pupils; the student is in %(stage)s.")
            % {"scheme": scheme.name, "stages": scheme.stages, "stage": record.get_stage_display()},
            code="stage",
        )
    if record.school.district_id != scheme.district_id:
        raise ActionNotAllowed(_("The student's school is not in this scheme's district."), code="district")


def application_submit(
    *,
    guardian: User,
    scheme_code: str,
    student_id_number: str,
    reason: str = "",
    declared=(),
    account_name: str = "",
    bank_account: str = "",
    by: User | None = None,
    channel: str = Channel.ONLINE,
) -> AidApplication:
    """The guardian applies for their child, enrolled at a school of the scheme's district. ``400`` for bad
    input, ``403`` when the registries do not show the child as the guardian's, ``409`` when a rule
    forbids it (the scheme is closed, another stage, a live application for the scheme). The checks run
    after commit (task ``aid.verify_application``)."""
    data = _validate(
        scheme_code=scheme_code,
        student_id_number=student_id_number,
        reason=reason,
        declared=declared,
        account_name=account_name,
        bank_account=bank_account,
    )
    scheme, student_id = data["scheme"], data["student_id"]
    today = cases.local_today()
    if scheme.status_on(today) != "open":
        raise ActionNotAllowed(
            _("%(scheme)s takes applications from %(a)s to %(b)s.")
            % {"scheme": scheme.name, "a": scheme.opens_on.isoformat(), "b": scheme.closes_on.isoformat()},
            code="closed",
        )
    if by is not None and by.pk != guardian.pk and not by.is_superuser:
        # at the counter: the clerk of the student's school only (asked before any registry is)
        at_school = record_for_id_number(student_id)
        if by.role != Role.CLERK or at_school is None or by.school_id != at_school.school_id:
            raise PermissionDenied(
                _("Only the clerks of the student's school take aid applications at the counter.")
            )
    record = guardian_record(
        guardian=guardian, student_id_number=student_id, purpose=_("Student aid application: the guardian")
    )
    _check_record(record, scheme)
    student_hash = pii.keyed_hash(student_id)
    existing = _live(scheme, student_hash)
    if existing is not None:
        raise _duplicate(existing)
    try:
        with (
            transaction.atomic(),
            cases.case_opening(
                service=ServiceItem.objects.get(code=ITEM),
                applicant=guardian,
                subject_name=record.name,
                subject_id_number=student_id,
                channel=channel,
                district=scheme.district,
                school=record.school,
                by=by,
                note=scheme.name,
            ) as case,
        ):
            application = AidApplication.objects.create(
                case=case,
                scheme=scheme,
                guardian=guardian,
                student_id_number=student_id,
                student_name=record.name,
                school=record.school,
                stage=record.stage,
                grade=record.grade,
                reason=data["reason"],
                declared=",".join(data["declared"]),
                account_name=data["account_name"],
                bank_account=data["bank_account"],
            )
            authorisations_grant(
                guardian=guardian,
                purpose=C.PURPOSE,
                subjects=[(student_id, C.SOURCES)],
                case=case,
                subject_name=record.name,
            )
            cases.case_log_event(
                case=case, action=AidAction.AUTHORISED, by=by or guardian, data={"sources": C.SOURCES}
            )
            cases.case_set_next_step(case=case, text=_("The portal is checking the registries."))
            _queue_verification(application)
    except IntegrityError:
        existing = _live(scheme, student_hash)
        if existing is None:
            raise
        raise _duplicate(existing) from None
    return application


def counter_guardian(*, id_number: str, by: User) -> User:
    """The citizen account of the guardian a school clerk serves at the counter (ID card checked by the
    clerk); created, without a password, when the family has none."""
    if by is None or not (by.is_superuser or (by.role == Role.CLERK and by.school_id)):
        raise PermissionDenied(
            _("Only the clerks of the student's school take aid applications at the counter.")
        )
    try:
        id_number = normalize_id_number(id_number or "")
    except ValidationError as exc:
        raise ValidationError({"guardian_id_number": exc.messages}) from None
    digest = pii.keyed_hash(id_number)
    user = User.objects.filter(id_number_hash=digest).first()
    if user is not None:
        if user.role != Role.CITIZEN:
            raise ValidationError({"guardian_id_number": [_("This ID number belongs to a staff account.")]})
        return user
    try:
        with transaction.atomic():
            user = User(username=f"id-{digest[:12]}", role=Role.CITIZEN, id_number=id_number, is_active=False)
            user.set_unusable_password()
            user.save()
    except IntegrityError:
        user = User.objects.get(id_number_hash=digest)
    return user


def _queue_verification(application: AidApplication) -> None:
    from aid.tasks import verify_application

    transaction.on_commit(partial(verify_application.delay, application.pk))


# --- automatic checks ----------------------------------------------------------------------------------


def _gave_up(application: AidApplication, now) -> bool:
    timeout = dt.timedelta(hours=getattr(settings, "AID_VERIFY_TIMEOUT_HOURS", 24))
    attempts = getattr(settings, "AID_VERIFY_MAX_ATTEMPTS", 3)
    return application.verify_attempts >= attempts or application.created_at + timeout <= now


def application_verify(*, application_id: int) -> str:
    """Run the checks. Every registry answered → to the school with the proposed level and reasons. A
    registry down → stays ``verifying`` with the reason, tried again by the sweep; after
    ``AID_VERIFY_MAX_ATTEMPTS`` tries or ``AID_VERIFY_TIMEOUT_HOURS`` → to the school, which checks by hand.
    Idempotent: does nothing unless the application is still ``verifying``."""
    application = AidApplication.objects.select_related("case", "scheme").filter(pk=application_id).first()
    if application is None or application.state != AidState.VERIFYING:
        return "skipped"
    started = timezone.now()
    answers = C.gather(application)  # outside any transaction
    outcomes, level = C.evaluate(application, answers, today=cases.local_today())
    rested_on = dict(
        Lookup.objects.filter(case=application.case, at__gte=started)
        .order_by("at", "pk")
        .values_list("source", "pk")
    )
    with transaction.atomic():
        application = workflow.lock(AidApplication, application_id)
        if application.state != AidState.VERIFYING:
            return "skipped"
        _write_checks(application, outcomes, rested_on)
        application.verify_attempts += 1
        application.save(update_fields=["verify_attempts"])
        down = [o.reason for o in outcomes if o.result == CheckResult.UNAVAILABLE]
        cases.case_log_event(
            case=application.case,
            action=AidAction.CHECKED,
            data={"results": {o.name: o.result for o in outcomes}},
        )
        if down and not _gave_up(application, timezone.now()):
            cases.case_log_event(
                case=application.case, action=AidAction.REGISTRY_WAITING, note="\n".join(down)
            )
            cases.case_set_next_step(
                case=application.case,
                text=_("Waiting for a registry to answer; the portal asks again automatically.")[:200],
            )
            return "waiting"
        reasons = [o.reason for o in outcomes if o.result != CheckResult.PASS]
        note = "\n".join(reasons) if reasons else _("Every check passed.")
        perform(application, "send_to_school", by=None, note=note[:2000], then=_to_school, proposed=level)
        return "sent"


def _write_checks(application, outcomes, rested_on) -> None:
    existing = {c.name: c for c in application.checks.all()}
    for outcome in outcomes:
        check = existing.pop(outcome.name, None) or AidCheck(application=application, name=outcome.name)
        check.result, check.reason = outcome.result, outcome.reason[:300]
        check.lookup_id = rested_on.get(outcome.source)
        check.save()
    for stale in existing.values():
        stale.delete()


def _to_school(application: AidApplication) -> None:
    cases.case_set_next_step(case=application.case, text=_("The school reviews the application."))
    for clerk in User.objects.filter(role=Role.CLERK, school=application.school_id, is_active=True):
        message_send(
            recipient=clerk,
            subject=_("Aid application %(ref)s to review") % {"ref": application.case.reference_no},
            body=_("%(scheme)s: an application waits for the school's review.")
            % {"scheme": application.scheme.name},
            case=application.case,
        )


def applications_sweep(*, now=None) -> dict[str, int]:
    """The periodic job: applications still verifying are checked again (then sent to the school), and
    applications whose notice is over with no open objection go to the bureau. Idempotent."""
    now = now or timezone.now()
    counts = {"verified": 0, "to_bureau": 0}
    stale = now - dt.timedelta(minutes=5)
    for pk in AidApplication.objects.filter(state=AidState.VERIFYING, created_at__lt=stale).values_list(
        "pk", flat=True
    )[:1000]:
        counts["verified"] += application_verify(application_id=pk) in ("sent", "waiting")
    for application in AidApplication.objects.filter(state=AidState.IN_PUBLIC_NOTICE).select_related("case"):
        if workflow.refusal_reason(application, "close_notice") is not None:
            continue
        try:
            perform(application, "close_notice", by=None, then=_to_bureau)
        except ActionNotAllowed:
            continue
        counts["to_bureau"] += 1
    return counts


def _to_bureau(application: AidApplication) -> None:
    cases.case_set_next_step(case=application.case, text=_("The public notice is over; the bureau decides."))


# --- the school's review and the public notice ---------------------------------------------------------


def _level_of(application: AidApplication, code: str) -> SchemeLevel:
    level = SchemeLevel.objects.filter(scheme=application.scheme_id, level=(code or "").strip()).first()
    if level is None:
        choices = "、".join(f"{lv.level}（{lv.name}）" for lv in application.scheme.levels.all())
        raise ValidationError(
            {"level": [_("Choose one of the scheme's levels: %(levels)s.") % {"levels": choices}]}
        )
    return level


def applications_school_approve(*, applications, by: User, levels: dict | None = None, note: str = ""):
    """The school approves applications of one scheme (its own pupils), possibly changing a level (a
    reason is then required), and publishes them in one public notice (公示) through the kernel: masked
    name, school, grade, scheme and level — never the ID number, the hardship or a disability. One
    transaction: all or none. Returns the notice."""
    applications = list(applications)
    levels = levels or {}
    note = (note or "").strip()
    if not applications:
        raise ValidationError({"applications": [_("Choose at least one application.")]})
    for application in applications:
        if not school_reviewer(application, by):
            raise PermissionDenied(_("Only the clerks of the student's school review aid applications."))
    if len({(a.scheme_id, a.school_id) for a in applications}) > 1:
        raise ValidationError({"applications": [_("One notice covers one scheme at one school.")]})
    now = timezone.now()
    with transaction.atomic():
        approved = []
        for application in applications:
            locked = workflow.lock(application)
            code = levels.get(application.pk) or ""
            if code and (locked.level is None or code != locked.level.level):
                level = _level_of(locked, code)
                if locked.level_id is not None and not note:
                    raise ValidationError({"note": [_("Give the reason for changing the level.")]})
                before = locked.level.name if locked.level_id else ""
                locked.level, locked.amount_fen = level, level.amount_fen
                locked.level_note = note[:300] if locked.proposed_level_id != level.pk else ""
                locked.save(update_fields=["level", "amount_fen", "level_note"])
                cases.case_log_event(
                    case=locked.case,
                    action=AidAction.LEVEL_CHANGED,
                    by=by,
                    note=note,
                    data={"from": before, "to": level.name},
                )
            approved.append(perform(locked, "approve", by=by, note=note, then=_on_notice, at=now))
        first = approved[0]
        notice = notice_publish(
            service=ITEM,
            title=_("%(scheme)s: %(school)s") % {"scheme": first.scheme.name, "school": first.school.name},
            entries=[(a.case, public_entry(a)) for a in approved],
            period_working_days=first.scheme.notice_working_days,
            by=by,
            district=first.scheme.district,
            school=first.school,
            source=f"aid-scheme:{first.scheme.code}",
        )
    return notice


def public_entry(application: AidApplication) -> dict:
    """What the public notice shows of an application — and nothing else (the kernel refuses other keys)."""
    return {
        "name": application.student_name,
        "school": application.school.name,
        "grade": _("Grade %(n)s") % {"n": application.grade},
        "scheme": application.scheme.name,
        "level": application.level.name if application.level_id else "",
        "year": application.scheme.year,
    }


def _on_notice(application: AidApplication) -> None:
    cases.case_set_next_step(
        case=application.case,
        text=_("Approved by the school; on public notice for %(n)s working days.")
        % {"n": application.scheme.notice_working_days},
    )
    message_send(
        recipient=application.guardian,
        subject=_("Aid application %(ref)s: on public notice") % {"ref": application.case.reference_no},
        body=_(
            "The school approved %(level)s. The public notice shows the masked name, school, grade "
            "and level only."
        )
        % {"level": application.level.name},
        case=application.case,
    )


def application_bureau_approve(*, application: AidApplication, by: User, note: str = "") -> AidApplication:
    """The bureau grants after the notice, within the scheme's budget (the scheme's row is locked, so two
    approvals at once never pass the budget together)."""

    def then(granted: AidApplication) -> None:
        cases.case_set_next_step(
            case=granted.case, text=_("Approved; the money is paid in the next disbursement.")
        )
        message_send(
            recipient=granted.guardian,
            subject=_("Aid application %(ref)s approved") % {"ref": granted.case.reference_no},
            body=_("%(scheme)s, %(level)s: %(amount)s.")
            % {
                "scheme": granted.scheme.name,
                "level": granted.level.name,
                "amount": format_yuan(granted.amount_fen),
            },
            case=granted.case,
        )

    with transaction.atomic():
        Scheme.objects.select_for_update().get(pk=application.scheme_id)
        return perform(application, "approve", by=by, note=note, then=then, at=timezone.now())


def application_approve(
    *, application: AidApplication, by: User, note: str = "", level: str = ""
) -> AidApplication:
    """``approve`` of the API and pages: the school's step (with the notice) or the bureau's."""
    if application.state == AidState.AWAITING_SCHOOL:
        applications_school_approve(
            applications=[application], by=by, levels={application.pk: level} if level else None, note=note
        )
        application.refresh_from_db()
        return application
    return application_bureau_approve(application=application, by=by, note=note)


def application_reject(*, application: AidApplication, by: User, note: str = "") -> AidApplication:
    """Not granted, by the school or (after the notice) the bureau; the reason is required."""
    note = (note or "").strip()
    if not note:
        # the role is checked before the input, so that a stranger learns nothing
        may = bureau_in_scope if application.state == AidState.AWAITING_BUREAU else school_reviewer
        if not may(application, by):
            raise PermissionDenied(
                str(workflow.workflow_for(application).forbidden(application, by, "reject"))
            )
        raise ValidationError({"note": [_("Give the reason for the rejection; the family reads it.")]})

    def then(rejected: AidApplication) -> None:
        cases.case_set_next_step(case=rejected.case, text=_("Rejected: %(reason)s") % {"reason": note[:200]})
        message_send(
            recipient=rejected.guardian,
            subject=_("Aid application %(ref)s is rejected") % {"ref": rejected.case.reference_no},
            body=note,
            case=rejected.case,
        )

    return perform(application, "reject", by=by, note=note, then=then, at=timezone.now())


def application_withdraw(*, application: AidApplication, by: User, note: str = "") -> AidApplication:
    return perform(application, "withdraw", by=by, note=note)


def application_set_account(
    *, application: AidApplication, by: User, account_name: str, bank_account: str
) -> AidApplication:
    """The guardian gives (or corrects) the bank account the aid is paid to, until it is in a batch."""
    if not (application.case.applicant_id == getattr(by, "pk", None)):
        raise PermissionDenied(_("Only the guardian who applied can give the bank account."))
    account_name, bank_account = (account_name or "").strip(), re.sub(r"\s", "", bank_account or "")
    errors = {}
    if not ACCOUNT_RE.match(bank_account):
        errors["bank_account"] = [_("Enter the account number: 8 to 30 digits.")]
    if not account_name:
        errors["account_name"] = [_("Enter the account holder's name.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = workflow.lock(application)
        if (
            locked.state in (AidState.PAID, AidState.REJECTED, AidState.WITHDRAWN)
            or locked.batch_lines.filter(status="pending").exists()
        ):
            raise ActionNotAllowed(_("The account cannot be changed now: the payment is under way or over."))
        locked.account_name, locked.bank_account = account_name[:100], bank_account
        locked.save(update_fields=["account_name", "bank_account"])
    application.refresh_from_db()
    return application


# --- objections to the notice --------------------------------------------------------------------------


def notice_entry_of(application: AidApplication) -> NoticeEntry | None:
    """The entry of the running notice the application is on."""
    entries = NoticeEntry.objects.filter(case=application.case, notice__status="published").select_related(
        "notice"
    )
    return next((e for e in entries.order_by("-notice__starts_on") if notice_is_running(e.notice)), None)


def application_object(*, application: AidApplication, by: User, text: str):
    """Anyone signed in (real-name verified) objects to the application's entry during its notice; the
    kernel opens the review case for the bureau, and the case waits for the answer."""
    application.refresh_from_db(fields=["state"])
    entry = notice_entry_of(application) if application.state == AidState.IN_PUBLIC_NOTICE else None
    if entry is None:
        raise ActionNotAllowed(
            _("Objections are taken only while the application is on public notice."), code="period"
        )
    return objection_raise(notice=entry.notice, entry=entry, by=by, text=text)


def on_objection_upheld(objection, *, by) -> None:
    """The bureau upheld an objection to an aid notice: the entry (or, for the notice as a whole, every
    entry) leaves the notice and goes to the bureau's decision with the answer shown (in the answering
    transaction)."""
    case_ids = (
        [objection.entry.case_id]
        if objection.entry_id
        else list(objection.notice.entries.values_list("case_id", flat=True))
    )
    for application in AidApplication.objects.filter(case_id__in=case_ids, state=AidState.IN_PUBLIC_NOTICE):
        perform(
            application,
            "uphold_objection",
            by=by,
            note=objection.answer,
            then=_to_bureau,
            answer=objection.answer or "",
        )
