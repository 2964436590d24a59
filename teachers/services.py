"""Teacher certificates and honours: one function per action (DESIGN.md, Workflows).

Every state change goes through the kernel's ``perform``; what is the action's own (a reason required, a
certificate number, the issued document, the courier, a message) is written here. Registry look-ups run
outside any transaction (each is recorded for audit; a slow registry holds no lock).
"""

import datetime as dt
import logging
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange import sources as S
from exchange.checks import CheckResult
from exchange.errors import ExchangeError
from exchange.models import Lookup
from exchange.services import authorisations_grant, roster_lookup
from portal.accounts.models import Role, User
from portal.cases import services as cases
from portal.cases import workflow
from portal.cases.models import Channel
from portal.cases.workflow import ActionNotAllowed, perform
from portal.catalog.models import ServiceItem
from portal.core import pii
from portal.deliveries.models import DeliveryStatus
from portal.deliveries.services import delivery_create
from portal.documents.services import document_revoke_for_case
from portal.invitations.registry import Candidate
from portal.invitations.services import invitation_accept
from portal.notify.services import message_send
from portal.orgs.models import District, School
from teachers import checks as C
from teachers import documents
from teachers.catalogue import CERTIFICATE_ITEM, HONOUR_ITEM, TeacherAction
from teachers.models import (
    RUNNING_STATES,
    STAGE_DIGIT,
    ApplicationWindow,
    CertificateApplication,
    CertificateCheck,
    CertificateState,
    Honour,
    HonourState,
    TeacherStage,
)

log = logging.getLogger(__name__)

HONOUR_YEARS = 30
CERTIFICATE_ITEM_NAME = "教师资格证书"
HONOUR_ITEM_NAME = "从教三十年荣誉证书"


# --- applying -------------------------------------------------------------------------------------------


def _district_for(user: User) -> District:
    districts = list(District.objects.order_by("code"))
    if len(districts) == 1:
        return districts[0]
    area = (user.id_number or "")[:6]
    match = next((d for d in districts if d.code == area), None)
    if match is None:
        raise ValidationError(
            {"non_field_errors": [_("No district of this portal handles your application.")]}
        )
    return match


def _open_window(district: District, today: dt.date) -> ApplicationWindow:
    """The window open today, else ActionNotAllowed (409) naming the next window's dates."""
    windows = ApplicationWindow.objects.filter(district=district)
    current = windows.filter(opens_on__lte=today, closes_on__gte=today).first()
    if current is not None:
        return current
    upcoming = windows.filter(opens_on__gt=today).order_by("opens_on").first()
    if upcoming is None:
        raise ActionNotAllowed(
            _("Applications are closed; the bureau has not published the next window yet."), code="window"
        )
    raise ActionNotAllowed(
        _("Applications are closed now. The next window, %(name)s, is open from %(a)s to %(b)s.")
        % {"name": upcoming.name, "a": upcoming.opens_on.isoformat(), "b": upcoming.closes_on.isoformat()},
        code="window",
    )


def _running(applicant_hash: str, stage: str) -> CertificateApplication | None:
    return (
        CertificateApplication.objects.select_related("case")
        .filter(applicant_id_hash=applicant_hash, stage=stage, state__in=RUNNING_STATES)
        .first()
    )


def _duplicate(existing: CertificateApplication) -> ActionNotAllowed:
    return ActionNotAllowed(
        _("You already have a running application for this stage: %(ref)s.")
        % {"ref": existing.case.reference_no},
        code="duplicate",
    )


def _validate(*, stage, subject, exam_pass_no, mandarin_cert_no, medical_report_no, delivery_address) -> dict:
    errors: dict[str, list[str]] = {}
    clean = {}
    if stage not in TeacherStage.values:
        errors["stage"] = [_("Choose kindergarten, primary, junior or senior.")]
    for name, value, label in (
        ("subject", subject, _("the subject")),
        ("exam_pass_no", exam_pass_no, _("the exam pass certificate number")),
        ("mandarin_cert_no", mandarin_cert_no, _("the Mandarin certificate number")),
        ("medical_report_no", medical_report_no, _("the medical report number")),
    ):
        value = (value or "").strip()
        if not value or len(value) > 64:
            errors[name] = [_("Enter %(what)s (at most 64 characters).") % {"what": label}]
        clean[name] = value
    address = " ".join((delivery_address or "").split())
    if len(address) < 5 or len(address) > 300:
        errors["delivery_address"] = [_("Enter the full delivery address (5 to 300 characters).")]
    clean["delivery_address"] = address
    if errors:
        raise ValidationError(errors)
    return {"stage": stage, **clean}


def certificate_apply(
    *,
    applicant: User,
    stage: str,
    subject: str,
    exam_pass_no: str,
    mandarin_cert_no: str,
    medical_report_no: str,
    delivery_address: str,
    by: User | None = None,
) -> CertificateApplication:
    """Apply for a teacher certificate. Field errors → ValidationError; not a real-name verified citizen →
    PermissionDenied; outside the bureau's windows or a running application for the stage →
    ActionNotAllowed (409). The checks run after commit (task ``teachers.verify_application``)."""
    if applicant.role != Role.CITIZEN or not applicant.is_real_name_verified or not applicant.id_number:
        raise PermissionDenied(_("Only a real-name verified person can apply for a teacher certificate."))
    data = _validate(
        stage=stage,
        subject=subject,
        exam_pass_no=exam_pass_no,
        mandarin_cert_no=mandarin_cert_no,
        medical_report_no=medical_report_no,
        delivery_address=delivery_address,
    )
    if not applicant.phone:
        raise ValidationError(
            {"non_field_errors": [_("Add a mobile number to your account for the courier.")]}
        )
    district = _district_for(applicant)
    _open_window(district, cases.local_today())
    applicant_hash = pii.keyed_hash(applicant.id_number)
    existing = _running(applicant_hash, data["stage"])
    if existing is not None:
        raise _duplicate(existing)
    service = ServiceItem.objects.get(code=CERTIFICATE_ITEM)
    try:
        with (
            transaction.atomic(),
            cases.case_opening(
                service=service,
                applicant=applicant,
                subject_name=applicant.real_name,
                subject_id_number=applicant.id_number,
                channel=Channel.ONLINE,
                district=district,
                by=by,
            ) as case,
        ):
            application = CertificateApplication.objects.create(
                case=case, applicant=applicant, applicant_id_hash=applicant_hash, **data
            )
            authorisations_grant(
                guardian=applicant,
                purpose=C.PURPOSE,
                subjects=[(applicant.id_number, C.SOURCES)],
                case=case,
                subject_name=applicant.real_name,
            )
            cases.case_log_event(
                case=case, action=TeacherAction.AUTHORISED, by=by or applicant, data={"sources": C.SOURCES}
            )
            cases.case_set_next_step(
                case=case, text=_("The portal is checking your records with the registries.")
            )
            _queue_verification(application)
    except IntegrityError:
        existing = _running(applicant_hash, data["stage"])
        if existing is None:
            raise
        raise _duplicate(existing) from None
    return application


def _queue_verification(application: CertificateApplication) -> None:
    from teachers.tasks import verify_application

    transaction.on_commit(partial(verify_application.delay, application.pk))


# --- automatic checks -----------------------------------------------------------------------------------


def certificate_verify(*, application_id: int) -> str:
    """Run the checks and decide: approved at once (秒批) when all pass, else to the bureau's review with
    the reasons. Idempotent: does nothing unless the application is still ``verifying``."""
    application = (
        CertificateApplication.objects.select_related("case", "applicant").filter(pk=application_id).first()
    )
    if application is None or application.state != CertificateState.VERIFYING:
        return "skipped"
    started = timezone.now()
    answers = C.gather(application)  # outside any transaction
    outcomes = C.evaluate(application, answers, today=cases.local_today())
    rested_on = dict(
        Lookup.objects.filter(case=application.case, at__gte=started)
        .order_by("at", "pk")
        .values_list("source", "pk")
    )
    with transaction.atomic():
        application = workflow.lock(CertificateApplication, application_id)
        if application.state != CertificateState.VERIFYING:
            return "skipped"
        _write_checks(application, outcomes, rested_on)
        application.verify_attempts += 1
        application.save(update_fields=["verify_attempts"])
        cases.case_log_event(
            case=application.case,
            action=TeacherAction.CHECKED,
            data={"results": {o.name: o.result for o in outcomes}},
        )
        if all(o.result == CheckResult.PASS for o in outcomes):
            perform(
                application,
                "approve_automatically",
                by=None,
                note=_("Every check passed."),
                then=partial(_issue_certificate, by=None),
                at=timezone.now(),
            )
            return "approved"
        reasons = [o.reason for o in outcomes if o.result != CheckResult.PASS]

        def then(app: CertificateApplication) -> None:
            cases.case_set_next_step(case=app.case, text=_("Bureau staff review your application."))
            message_send(
                recipient=app.applicant,
                subject=_("Application %(ref)s goes to the bureau's review") % {"ref": app.case.reference_no},
                body=_("Some checks could not confirm your application:\n%(reasons)s")
                % {"reasons": "\n".join(reasons)},
                case=app.case,
            )

        perform(application, "send_to_review", by=None, note="\n".join(reasons)[:2000], then=then)
        return "needs_review"


def _write_checks(application, outcomes, rested_on) -> None:
    existing = {c.name: c for c in application.checks.all()}
    for outcome in outcomes:
        check = existing.get(outcome.name) or CertificateCheck(application=application, name=outcome.name)
        check.result, check.reason = outcome.result, outcome.reason[:300]
        check.lookup_id = rested_on.get(outcome.source)
        check.save()


# --- decision, certificate, delivery --------------------------------------------------------------------


def certificate_approve(
    *, application: CertificateApplication, by: User, note: str = ""
) -> CertificateApplication:
    """Bureau staff approve after review; the certificate is numbered, issued and sent at once."""
    return perform(
        application, "approve", by=by, note=note, then=partial(_issue_certificate, by=by), at=timezone.now()
    )


def certificate_reject(*, application: CertificateApplication, by: User, note: str) -> CertificateApplication:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Give the reason for the rejection; the applicant will read it.")]})

    def then(app: CertificateApplication) -> None:
        cases.case_set_next_step(case=app.case, text=_("Rejected: %(reason)s") % {"reason": note[:250]})
        message_send(
            recipient=app.applicant,
            subject=_("Application %(ref)s is rejected") % {"ref": app.case.reference_no},
            body=note,
            case=app.case,
        )

    return perform(application, "reject", by=by, note=note, then=then, at=timezone.now())


def allocate_certificate_no(*, year: int, district_code: str, stage: str) -> str:
    """The next number of the national format: year (4), province and county (the district's 6 digits),
    stage (1 kindergarten … 4 senior) and a 6-digit sequence — taken from the kernel's number series
    (row-locked until the approval commits), so concurrent approvals never share a number."""
    sequence = cases.number_take(
        series=certificate_series(year=year, district_code=district_code, stage=stage)
    )
    return f"{year}{district_code[:6]:0>6}{STAGE_DIGIT[stage]}{sequence:06d}"


def certificate_series(*, year: int, district_code: str, stage: str) -> str:
    """The kernel number series of one year, district and stage (teachers/migrations/0002 moved the
    counters there)."""
    return f"teachers.certificate:{year}:{district_code}:{stage}"


def certificate_subject_key(application: CertificateApplication) -> str:
    return application.subject_key


def _issue_certificate(application: CertificateApplication, *, by) -> None:
    """Approved → number, issued document, courier → ``certificate_issued`` (in the approval's
    transaction)."""
    application.certificate_no = allocate_certificate_no(
        year=cases.local_today().year, district_code=application.case.district.code, stage=application.stage
    )
    application.save(update_fields=["certificate_no"])
    case = application.case

    def then(app: CertificateApplication) -> None:
        documents.certificate_document(app, by=by)
        delivery_create(
            case=case,
            item=CERTIFICATE_ITEM_NAME,
            recipient_name=app.applicant.real_name,
            phone=app.applicant.phone or "",
            address=app.delivery_address,
            by=by,
        )
        cases.case_set_next_step(
            case=case, text=_("Approved. Your certificate is being mailed; download the electronic copy.")
        )
        message_send(
            recipient=app.applicant,
            subject=_("Teacher certificate %(no)s issued") % {"no": app.certificate_no},
            body=_("Application %(ref)s is approved. The certificate is mailed to the address you gave.")
            % {"ref": case.reference_no},
            case=case,
        )

    perform(application, "issue_certificate", by=by, then=then)


def _clean_address(address: str, *, required: bool) -> str:
    address = " ".join((address or "").split())
    if (address or required) and not 5 <= len(address) <= 300:
        raise ValidationError(
            {"delivery_address": [_("Enter the full delivery address (5 to 300 characters).")]}
        )
    return address


def certificate_resend(
    *, application: CertificateApplication, by: User, address: str = ""
) -> CertificateApplication:
    """The last delivery failed: the holder or bureau staff have the certificate posted again (to a
    corrected ``address`` if given). Refused (409) unless the courier reported the last delivery failed."""
    address = _clean_address(address, required=False)

    def then(app: CertificateApplication) -> None:
        delivery_create(
            case=app.case,
            item=CERTIFICATE_ITEM_NAME,
            recipient_name=app.applicant.real_name,
            phone=app.applicant.phone or "",
            address=app.delivery_address,
            by=by,
        )
        cases.case_set_next_step(case=app.case, text=_("The certificate is being mailed again."))

    return perform(
        application,
        "resend",
        by=by,
        note=_("Sent again to a corrected address.") if address else _("Sent again."),
        then=then,
        address=address,
    )


def certificate_revoke(
    *, application: CertificateApplication, by: User, reason: str
) -> CertificateApplication:
    """Bureau staff revoke an issued certificate (撤销教师资格证书) with a reason: its issued document is
    revoked in the same transaction, so the QR code's verification says ``revoked``; the holder is told
    why. Refused (409) when the certificate is not valid (never issued, or already revoked)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": [_("Give the reason for revoking the certificate; the holder will read it.")]}
        )

    def then(app: CertificateApplication) -> None:
        document_revoke_for_case(case=app.case, subject_key=app.subject_key, reason=reason, by=by)
        cases.case_set_next_step(
            case=app.case, text=_("The certificate is revoked: %(reason)s") % {"reason": reason[:250]}
        )
        message_send(
            recipient=app.applicant,
            subject=_("Teacher certificate %(no)s is revoked") % {"no": app.certificate_no},
            body=_(
                "The education bureau revoked your teacher certificate %(no)s (application %(ref)s). "
                "Reason: %(reason)s"
            )
            % {"no": app.certificate_no, "ref": app.case.reference_no, "reason": reason},
            case=app.case,
        )

    return perform(application, "revoke_certificate", by=by, note=reason[:2000], then=then)


def on_delivery_reported(sender, *, delivery, **kwargs) -> None:
    """The courier reported a delivery: a certificate or honour delivered moves its case on."""
    if delivery.status != DeliveryStatus.DELIVERED:
        return
    code = delivery.case.service.code
    if code == CERTIFICATE_ITEM:
        application = CertificateApplication.objects.filter(case=delivery.case).first()
        if application is not None and application.state == CertificateState.CERTIFICATE_ISSUED:
            perform(application, "mark_delivered", by=None, then=_set_done)
    elif code == HONOUR_ITEM:
        honour = Honour.objects.filter(case=delivery.case).first()
        if honour is not None and honour.state == HonourState.ISSUED:
            perform(honour, "mark_delivered", by=None, then=_set_done)


def _set_done(obj) -> None:
    cases.case_set_next_step(case=obj.case, text=_("Delivered."))


# --- honours (从教三十年) ----------------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    import calendar

    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def thirty_years_on(*, service_start: dt.date, break_months: int, years: int = HONOUR_YEARS) -> dt.date:
    """The day a teacher completes ``years`` of service, breaks (中断) not counted."""
    return _add_months(service_start, years * 12 + break_months)


def find_honourees(year: int):
    """The invitations finder: every teacher on the bureau's roster who completes 30 years of service in
    ``year`` (breaks subtracted). The kernel invites each once per year (its unique constraint)."""
    try:
        roster = roster_lookup(
            S.teacher_roster,
            purpose=f"从教三十年荣誉证书 {year}",
            started_until=dt.date(year - HONOUR_YEARS, 12, 31),
        )
    except ExchangeError:
        log.warning("teachers: the employment roster did not answer; honours wait for the next run")
        raise
    schools = {s.code: s for s in School.objects.select_related("district")}
    only_district = District.objects.order_by("code").first()
    for record in roster:
        reached = thirty_years_on(service_start=record.service_start, break_months=record.break_months)
        if reached.year != year or not record.name:
            continue
        school = schools.get(record.school_code)
        district = school.district if school is not None else only_district
        if district is None:
            continue
        yield Candidate(
            subject_name=record.name,
            subject_id_number=record.id_number,
            district=district,
            school=school,
            person_id_number=record.id_number,
            prefill={
                "school_code": record.school_code,
                "service_start": record.service_start.isoformat(),
                "break_months": record.break_months,
                "reached_on": reached.isoformat(),
            },
            summary=_("%(years)s years of teaching on %(date)s: the honour certificate is yours.")
            % {"years": HONOUR_YEARS, "date": reached.isoformat()},
        )


def honour_on_accept(*, invitation, case, by) -> None:
    """The kernel opened the case for an accepted invitation: the honour, offered, is written."""
    prefill = invitation.prefill or {}
    Honour.objects.create(
        case=case,
        invitation=invitation,
        teacher=by,
        year=invitation.year,
        school_code=prefill.get("school_code", ""),
        service_start=dt.date.fromisoformat(prefill["service_start"]),
        break_months=int(prefill.get("break_months") or 0),
    )
    cases.case_log_event(
        case=case, action=TeacherAction.HONOUR_OFFERED, by=None, to_state=HonourState.OFFERED
    )


def honour_accept(*, invitation, delivery_address: str, by: User) -> Honour:
    """The teacher accepts the offered honour with a delivery address: the case opens, the certificate is
    issued and couriered, all in one transaction."""
    address = " ".join((delivery_address or "").split())
    if len(address) < 5 or len(address) > 300:
        raise ValidationError(
            {"delivery_address": [_("Enter the full delivery address (5 to 300 characters).")]}
        )
    if invitation.service.code != HONOUR_ITEM:
        raise ValidationError({"invitation": [_("This is not an honour invitation.")]})
    if not by.phone:
        raise ValidationError(
            {"non_field_errors": [_("Add a mobile number to your account for the courier.")]}
        )
    with transaction.atomic():
        case = invitation_accept(invitation=invitation, by=by)
        honour = Honour.objects.get(case=case)
        return perform(
            honour,
            "accept",
            by=by,
            then=partial(_issue_honour, by=by),
            delivery_address=address,
            at=timezone.now(),
        )


def _issue_honour(honour: Honour, *, by) -> None:
    def then(h: Honour) -> None:
        documents.honour_document(h, by=by)
        delivery_create(
            case=h.case,
            item=HONOUR_ITEM_NAME,
            recipient_name=h.teacher.real_name or h.case.subject_name,
            phone=h.teacher.phone or "",
            address=h.delivery_address,
            by=by,
        )
        cases.case_set_next_step(case=h.case, text=_("Your honour certificate is being mailed."))

    perform(honour, "issue", by=by, then=then)


def honour_resend(*, honour: Honour, by: User, address: str = "") -> Honour:
    """The last delivery of the honour certificate failed: the teacher or bureau staff have it posted
    again (to a corrected ``address`` if given)."""
    address = _clean_address(address, required=False)

    def then(h: Honour) -> None:
        delivery_create(
            case=h.case,
            item=HONOUR_ITEM_NAME,
            recipient_name=h.teacher.real_name or h.case.subject_name,
            phone=h.teacher.phone or "",
            address=h.delivery_address,
            by=by,
        )
        cases.case_set_next_step(case=h.case, text=_("Your honour certificate is being mailed again."))

    return perform(
        honour,
        "resend",
        by=by,
        note=_("Sent again to a corrected address.") if address else _("Sent again."),
        then=then,
        address=address,
    )
