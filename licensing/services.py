"""Private-school licensing: one function per action (DESIGN.md, Workflows).

Every state change goes through the kernel's ``perform``; what is the action's own (the registry check,
the joint review's parallel tasks, the licence number, the issued document, the courier, a message) is
written here. The market-regulation look-up runs outside any transaction (it is recorded for audit).
"""

import logging
import secrets
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange import sources as X
from exchange.errors import ExchangeError, Mismatch, NotFound
from exchange.services import authorisations_grant, lookup
from licensing import draw as D
from licensing import materials as M
from licensing.catalogue import ITEM, LicensingAction, application_forbidden
from licensing.models import (
    LICENSED_KINDS,
    RUNNING,
    Application,
    ApplicationState,
    DepartmentReview,
    Inspection,
    InspectionCampaign,
    InspectionResult,
    Institution,
    Kind,
    Level,
    LicensingSettings,
    ListEntry,
    ListKind,
    ReviewDepartment,
    ReviewState,
    bureau_in_scope,
    reviewer_of_department,
    the_applicant,
)
from portal.accounts.models import Role, User
from portal.cases import services as cases
from portal.cases import workflow
from portal.cases.models import Channel
from portal.cases.workdays import add_working_days
from portal.cases.workflow import ActionNotAllowed, perform
from portal.catalog.models import ServiceItem
from portal.core import pii
from portal.core.idcodes import normalize_credit_code
from portal.deliveries.models import DeliveryStatus
from portal.deliveries.services import delivery_create
from portal.documents.models import DocumentKind, DocumentStatus, IssuedDocument
from portal.documents.services import document_issue, document_revoke
from portal.notify.services import message_send
from portal.orgs.models import Department, District

log = logging.getLogger(__name__)

PURPOSE = "民办学校审批：核验举办者主体资格（市场监管）"
LICENCE_TITLE = "民办学校办学许可证"
S = ApplicationState


def institution_subject_key(credit_code: str) -> str:
    return f"licensing.institution:{credit_code}"


# --- applying -------------------------------------------------------------------------------------------


def _district() -> District:
    district = District.objects.order_by("code").first()
    if district is None:
        raise ValidationError({"non_field_errors": [_("No district of this portal handles licensing.")]})
    return district


def _settings(district: District) -> LicensingSettings:
    return LicensingSettings.objects.filter(district=district).first() or LicensingSettings(district=district)


def _validate(*, kind, credit_code, school_name, level, address, capacity) -> dict:
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values:
        errors["kind"] = [_("Choose preparation, establishment, change or termination.")]
    try:
        credit_code = normalize_credit_code(credit_code)
    except ValidationError as exc:
        errors["credit_code"] = exc.messages
    school_name = " ".join((school_name or "").split())
    if not school_name or len(school_name) > 200:
        errors["school_name"] = [_("Enter the school's name (at most 200 characters).")]
    if level not in Level.values:
        errors["level"] = [_("Choose the school's level.")]
    address = " ".join((address or "").split())
    if len(address) < 5 or len(address) > 300:
        errors["address"] = [_("Enter the school's full address (5 to 300 characters).")]
    try:
        capacity = int(capacity)
        if not 1 <= capacity <= 100000:
            raise ValueError
    except (TypeError, ValueError):
        errors["capacity"] = [_("Enter the number of pupils the school takes (1 to 100000).")]
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "credit_code": credit_code,
        "school_name": school_name,
        "level": level,
        "address": address,
        "capacity": capacity,
    }


def blacklist_entry(*, credit_code: str, sponsor_id_number: str = "") -> ListEntry | None:
    """The black-list entry in force today for the institution or its sponsor, if any."""
    today = cases.local_today()
    entries = ListEntry.objects.filter(list_kind=ListKind.BLACK, starts_on__lte=today).exclude(
        ends_on__lt=today
    )
    match = entries.filter(credit_code=credit_code).first()
    if match is None and sponsor_id_number:
        match = entries.filter(sponsor_id_hash=pii.keyed_hash(sponsor_id_number)).first()
    return match


def _blacklisted(entry: ListEntry) -> ActionNotAllowed:
    return ActionNotAllowed(
        _("%(name)s is on the black list since %(since)s (%(source)s): %(reason)s")
        % {
            "name": pii.mask_name(entry.name) if entry.sponsor_id_hash else entry.name,
            "since": entry.starts_on.isoformat(),
            "source": entry.source,
            "reason": entry.reason,
        },
        code="blacklisted",
    )


def _registry_check(*, applicant: User, credit_code: str) -> dict:
    """The 市场监管 record of the credit code, the applicant as its legal representative: NotFound is a
    field error, another representative 403, a revoked registration 409; no answer is recorded as
    ``unavailable`` for the bureau to check by hand (never a silent pass)."""
    authorisations_grant(
        guardian=applicant,
        purpose=PURPOSE,
        subjects=[(credit_code, [X.ENTERPRISE])],
        subject_name=applicant.real_name,
    )
    try:
        record = lookup(
            X.enterprise,
            purpose=PURPOSE,
            requester=applicant,
            credit_code=credit_code,
            legal_rep_id=applicant.id_number,
        )
    except NotFound:
        raise ValidationError(
            {"credit_code": [_("The market-regulation registry holds no organisation with this code.")]}
        ) from None
    except Mismatch:
        raise PermissionDenied(
            _("The market-regulation registry names another legal representative for this code.")
        ) from None
    except ExchangeError:
        return {
            "name": "credit_code",
            "result": "unavailable",
            "reason": _("The market-regulation registry did not answer; the bureau checks it by hand."),
        }
    if not record.is_active:
        raise ActionNotAllowed(
            _("The registration of %(name)s is revoked in the market-regulation registry.")
            % {"name": record.name},
            code="revoked",
        )
    return {
        "name": "credit_code",
        "result": "pass",
        "reason": _("Market regulation: %(name)s, legal representative confirmed.") % {"name": record.name},
    }


def application_apply(
    *,
    applicant: User,
    kind: str,
    credit_code: str,
    school_name: str,
    level: str,
    address: str,
    capacity,
    by: User | None = None,
) -> Application:
    """Apply for the institution whose credit code is given. Field errors → ValidationError; not its
    legal representative (market regulation) → PermissionDenied; black-listed, a running application of
    the same kind, or no licence to change or terminate → ActionNotAllowed (409)."""
    if applicant.role != Role.CITIZEN or not applicant.is_real_name_verified or not applicant.id_number:
        raise PermissionDenied(_("Only a real-name verified representative of the institution can apply."))
    data = _validate(
        kind=kind,
        credit_code=credit_code,
        school_name=school_name,
        level=level,
        address=address,
        capacity=capacity,
    )
    if not applicant.phone:
        raise ValidationError(
            {"non_field_errors": [_("Add a mobile number to your account for the courier.")]}
        )
    entry = blacklist_entry(credit_code=data["credit_code"], sponsor_id_number=applicant.id_number)
    if entry is not None:
        raise _blacklisted(entry)
    existing = _running(data["credit_code"], data["kind"])
    if existing is not None:
        raise _duplicate(existing)
    institution = Institution.objects.filter(credit_code=data["credit_code"]).first()
    if data["kind"] in (Kind.CHANGE, Kind.TERMINATION) and not (institution and institution.licensed):
        raise ActionNotAllowed(
            _(
                "The institution holds no valid licence to change or terminate; "
                "apply for establishment first."
            ),
            code="no_licence",
        )
    check = _registry_check(applicant=applicant, credit_code=data["credit_code"])  # outside a transaction
    checks = [check, {"name": "black_list", "result": "pass", "reason": _("Not on the black list.")}]
    listed = M.fetch_materials(
        applicant=applicant, kind=data["kind"], address=data["address"], registry_check=check
    )  # the kind's list, what the exchange can fetch fetched (outside a transaction too)
    district = _district()
    service = ServiceItem.objects.get(code=ITEM)
    try:
        with (
            transaction.atomic(),
            cases.case_opening(
                service=service,
                applicant=applicant,
                subject_name=data["school_name"],
                channel=Channel.ONLINE,
                district=district,
                by=by,
            ) as case,
        ):
            institution, _created = Institution.objects.get_or_create(
                credit_code=data["credit_code"],
                defaults={
                    "name": data["school_name"],
                    "level": data["level"],
                    "address": data["address"],
                    "capacity": data["capacity"],
                    "representative": applicant,
                },
            )
            if institution.representative_id != applicant.pk and check["result"] == "pass":
                institution.representative = applicant  # the registry says so
            if check["result"] == "pass":
                institution.registry_checked_at = timezone.now()
            institution.save()
            application = Application.objects.create(
                case=case,
                applicant=applicant,
                institution=institution,
                checks=checks,
                materials=listed,
                **data,
            )
            cases.case_log_event(
                case=case,
                action=LicensingAction.CHECKED,
                by=by or applicant,
                data={
                    "results": {c["name"]: c["result"] for c in checks},
                    "fetched": [m["name"] for m in listed if m["fetched"]],
                },
            )
            cases.case_set_next_step(
                case=case,
                text=_("Upload the materials; the bureau accepts the application (容缺: some may follow)."),
            )
    except IntegrityError:
        existing = _running(data["credit_code"], data["kind"])
        if existing is None:
            raise
        raise _duplicate(existing) from None
    return application


def _running(credit_code: str, kind: str) -> Application | None:
    return (
        Application.objects.select_related("case")
        .filter(credit_code=credit_code, kind=kind, state__in=RUNNING)
        .first()
    )


def _duplicate(existing: Application) -> ActionNotAllowed:
    return ActionNotAllowed(
        _("This institution already has a running application of this kind: %(ref)s.")
        % {"ref": existing.case.reference_no},
        code="duplicate",
    )


# --- materials ------------------------------------------------------------------------------------------


def materials(application: Application) -> list[dict]:
    """The application's materials list (its kind's), each with fetched / uploaded / missing."""
    return M.application_materials(application)


def material_upload(*, application: Application, by: User, kind: str, uploaded_file):
    return M.material_upload(application=application, by=by, kind=kind, uploaded_file=uploaded_file)


def _missing_uploads(application: Application, names) -> list[str]:
    uploaded = set(application.case.attachments.values_list("kind", flat=True))
    return [n for n in names if n not in uploaded]


# --- acceptance (受理, 容缺) and the joint review ----------------------------------------------------------


def application_accept(*, application: Application, by: User, missing=(), note: str = "") -> Application:
    """受理: every key material is in; the non-key ones named in ``missing`` may follow by the supplement
    deadline (容缺). The departments' reviews open at once, in parallel, each with its due date."""
    if not bureau_in_scope(application, by):
        raise PermissionDenied(application_forbidden(application, by, "accept"))
    named = [m.strip() for m in (missing or []) if m and m.strip()]
    listed = {m["name"]: m for m in materials(application)}
    missing = M.to_supplement(application, named)  # ValidationError for a name not on the list
    key_named = [m for m in named if listed[m]["key"]]
    if key_named:
        raise ActionNotAllowed(
            _("A key material cannot be accepted missing (容缺 is for non-key materials only): %(names)s.")
            % {"names": "、".join(key_named)},
            code="key_missing",
        )
    key_absent = [m["name"] for m in listed.values() if m["key"] and not m["present"]]
    if key_absent:
        raise ActionNotAllowed(
            _(
                "The application cannot be accepted: key materials are missing (%(names)s). "
                "Only non-key materials may follow later (容缺)."
            )
            % {"names": "、".join(key_absent)},
            code="materials",
        )
    today = cases.local_today()
    config = _settings(application.case.district)
    due = add_working_days(today, config.supplement_working_days) if missing else None

    def then(app: Application) -> None:
        _open_reviews(app, config=config, today=today)
        if missing:
            text = _("Accepted with materials to follow by %(due)s: %(names)s.") % {
                "due": due.isoformat(),
                "names": "、".join(missing),
            }
        else:
            text = _("Accepted; the departments review the application in parallel.")
        cases.case_set_next_step(case=app.case, text=text[:300])
        message_send(
            recipient=app.applicant,
            subject=_("Application %(ref)s is accepted") % {"ref": app.case.reference_no},
            body=text,
            case=app.case,
        )
        if not app.reviews.exists():
            perform(app, "send_to_bureau", by=None, then=_tell_bureau)

    return perform(
        application,
        "accept",
        by=by,
        note=note,
        data={"missing": missing, "supplement_due": due.isoformat() if due else None},
        then=then,
        missing=missing,
        supplement_due=due,
        at=timezone.now(),
    )


def departments_for(kind: str) -> list[tuple[Department, int | None]]:
    """The departments that review ``kind`` (the bureau's table; none configured: every department)."""
    rows = list(ReviewDepartment.objects.filter(kind=kind).select_related("department"))
    if rows:
        return [(r.department, r.working_days) for r in rows]
    return [(d, None) for d in Department.objects.order_by("code")]


def _open_reviews(app: Application, *, config: LicensingSettings, today) -> None:
    reviews = []
    for department, days in departments_for(app.kind):
        reviews.append(
            DepartmentReview(
                application=app,
                department=department,
                due_on=add_working_days(today, days if days is not None else config.default_review_days),
            )
        )
    DepartmentReview.objects.bulk_create(reviews)
    app.case.departments.add(*[r.department for r in reviews])
    for review in reviews:
        for reviewer in User.objects.filter(role=Role.REVIEWER, department=review.department, is_active=True):
            message_send(
                recipient=reviewer,
                subject=_("Joint review of %(ref)s due %(due)s")
                % {"ref": app.case.reference_no, "due": review.due_on.isoformat()},
                body=_("%(school)s (%(kind)s) waits for your department's opinion.")
                % {"school": app.school_name, "kind": app.get_kind_display()},
                case=app.case,
            )


def _tell_bureau(app: Application) -> None:
    cases.case_set_next_step(case=app.case, text=_("Every department approved; the bureau decides."))


def review_decide(*, review: DepartmentReview, by: User, approve: bool, note: str = "") -> DepartmentReview:
    """A department's approve or reject. The application's row is locked first, so departments deciding
    at the same moment go one after the other, and the last approval moves it to the bureau exactly once.
    A rejection returns the application with the department's reason and closes the other reviews."""
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": [_("Give the reason for the rejection; the applicant will read it.")]})
    with transaction.atomic():
        app = workflow.lock(Application, review.application_id)
        if not reviewer_of_department(review, by):  # who acts, before anything about the state
            raise PermissionDenied(
                _("Only a reviewer of this department can decide its part of the joint review.")
            )
        if app.state != S.IN_JOINT_REVIEW:
            raise ActionNotAllowed(
                _("Application %(ref)s is %(state)s; the joint review is over.")
                % {"ref": app.case.reference_no, "state": app.get_state_display()},
                code="state",
            )
        now = timezone.now()
        decided = perform(
            review,
            "approve" if approve else "reject",
            by=by,
            note=note,
            reviewer=by,
            opinion=note,
            at=now,
        )
        if approve:
            if app.all_departments_approved():
                perform(app, "send_to_bureau", by=None, then=_tell_bureau)
        else:
            for other in app.reviews.filter(state=ReviewState.PENDING):
                perform(other, "cancel", by=None)
            reason = _("%(department)s: %(reason)s") % {"department": review.department.name, "reason": note}
            perform(
                app,
                "reject_by_department",
                by=None,
                note=reason,
                then=partial(_tell_rejected, reason=reason),
                at=now,
            )
    review.refresh_from_db()
    return decided


def review_for(application: Application, user: User) -> DepartmentReview:
    """The review of ``user``'s department for ``application`` (403 for anyone else)."""
    review = application.reviews.select_related("department").filter(department_id=user.department_id).first()
    if review is None or user.role != Role.REVIEWER:
        raise PermissionDenied(
            _("Only a reviewer of this department can decide its part of the joint review.")
        )
    return review


def _tell_rejected(app: Application, *, reason: str) -> None:
    cases.case_set_next_step(case=app.case, text=(_("Rejected: %(reason)s") % {"reason": reason})[:300])
    message_send(
        recipient=app.applicant,
        subject=_("Application %(ref)s is rejected") % {"ref": app.case.reference_no},
        body=reason,
        case=app.case,
    )


# --- the applicant --------------------------------------------------------------------------------------


def application_supplement(*, application: Application, by: User, note: str = "") -> Application:
    """补正: every material named missing is uploaded now; an approved application gets its licence."""
    if by is not None and the_applicant(application, by) and application.state in RUNNING:
        missing = _missing_uploads(application, application.missing_materials)
        if missing:
            raise ActionNotAllowed(
                _("Upload these materials first: %(names)s.") % {"names": "、".join(missing)},
                code="materials",
            )

    def then(app: Application) -> None:
        cases.case_set_next_step(case=app.case, text=_("Every missing material is in."))
        if app.state == S.APPROVED and app.kind in LICENSED_KINDS:
            _issue_licence(app, by=None)

    return perform(application, "supplement", by=by, note=note, then=then, at=timezone.now())


def application_withdraw(*, application: Application, by: User, note: str = "") -> Application:
    def then(app: Application) -> None:
        for review in app.reviews.filter(state=ReviewState.PENDING):
            perform(review, "cancel", by=None)
        cases.case_set_next_step(case=app.case, text=_("Withdrawn."))

    return perform(application, "withdraw", by=by, note=note, then=then)


# --- the bureau's decision ------------------------------------------------------------------------------


def application_approve(*, application: Application, by: User, note: str = "", missing=()) -> Application:
    """The bureau's ``approve``: in ``awaiting_materials`` it accepts (受理, with ``missing`` for 容缺); in
    ``awaiting_bureau`` it decides. An establishment or change is licensed at once unless a supplement is
    still outstanding; a termination revokes the licence."""
    if application.state == S.AWAITING_MATERIALS:
        return application_accept(application=application, by=by, missing=missing, note=note)
    return perform(
        application, "approve", by=by, note=note, then=partial(_after_approval, by=by), at=timezone.now()
    )


def _after_approval(app: Application, *, by) -> None:
    if app.kind in LICENSED_KINDS:
        if app.missing_materials:
            cases.case_set_next_step(
                case=app.case,
                text=_("Approved. The licence is issued once the missing materials are supplemented."),
            )
            return
        _issue_licence(app, by=by)
    elif app.kind == Kind.TERMINATION:
        _revoke_licence(app, by=by)
        cases.case_set_next_step(case=app.case, text=_("Termination approved; the licence is revoked."))
    else:
        cases.case_set_next_step(
            case=app.case, text=_("Preparation approved; apply for establishment when the school is ready.")
        )
    message_send(
        recipient=app.applicant,
        subject=_("Application %(ref)s is approved") % {"ref": app.case.reference_no},
        body=_("%(school)s: %(kind)s approved.")
        % {"school": app.school_name, "kind": app.get_kind_display()},
        case=app.case,
    )


def application_reject(*, application: Application, by: User, note: str) -> Application:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Give the reason for the rejection; the applicant will read it.")]})

    def then(app: Application) -> None:
        for review in app.reviews.filter(state=ReviewState.PENDING):
            perform(review, "cancel", by=None)
        _tell_rejected(app, reason=note)

    return perform(application, "reject", by=by, note=note, then=then, at=timezone.now())


# --- the licence ----------------------------------------------------------------------------------------


def licence_series(*, district_code: str, year: int) -> str:
    """The kernel number series of a district's licences in a year."""
    return f"licensing.licence:{year}:{district_code}"


def allocate_licence_no(*, district_code: str, year: int) -> str:
    """教民 + district (6) + year (4) + 5-digit sequence + 号, from the kernel's number series (row-locked
    until the caller commits, so concurrent issues never share a number and a rollback gives it back)."""
    sequence = cases.number_take(series=licence_series(district_code=district_code, year=year))
    return f"教民{district_code[:6]:0>6}{year}{sequence:05d}号"


def _issue_licence(app: Application, *, by) -> None:
    """Approved, nothing missing → number, institution updated, issued document (superseding the old
    licence on a change), courier → ``licence_issued`` (in the caller's transaction)."""
    app.licence_no = allocate_licence_no(district_code=app.case.district.code, year=cases.local_today().year)
    app.save(update_fields=["licence_no"])
    institution = Institution.objects.select_for_update().get(pk=app.institution_id)
    institution.name, institution.level, institution.address = app.school_name, app.level, app.address
    institution.capacity, institution.licence_no, institution.licensed = app.capacity, app.licence_no, True
    institution.save()
    case = app.case

    def then(locked: Application) -> None:
        document_issue(
            kind=DocumentKind.SCHOOL_LICENCE,
            case=case,
            holder_name=locked.school_name,
            subject_key=institution_subject_key(locked.credit_code),
            title=LICENCE_TITLE,
            facts={
                "licence_no": locked.licence_no,
                "school_name": locked.school_name,
                "level": locked.get_level_display(),
                "address": locked.address,
                "capacity": locked.capacity,
            },
            download_path=reverse("api:licensing-licence-pdf", args=[case.reference_no]),
            by=by,
        )
        delivery_create(
            case=case,
            item=LICENCE_TITLE,
            recipient_name=locked.applicant.real_name,
            phone=locked.applicant.phone or "",
            address=locked.address,
            by=by,
        )
        cases.case_set_next_step(
            case=case, text=_("The licence %(no)s is issued and being mailed.") % {"no": locked.licence_no}
        )
        message_send(
            recipient=locked.applicant,
            subject=_("School licence %(no)s issued") % {"no": locked.licence_no},
            body=_("Application %(ref)s: the licence is mailed to the school's address.")
            % {"ref": case.reference_no},
            case=case,
        )

    perform(app, "issue_licence", by=by, then=then)


def _revoke_licence(app: Application, *, by) -> None:
    key = institution_subject_key(app.credit_code)
    for document in IssuedDocument.objects.filter(
        kind=DocumentKind.SCHOOL_LICENCE, subject_key=key, status=DocumentStatus.VALID
    ):
        document_revoke(
            document=document, by=by, reason=_("Terminated: %(ref)s") % {"ref": app.case.reference_no}
        )
    Institution.objects.filter(pk=app.institution_id).update(licensed=False)
    cases.case_log_event(
        case=app.case, action=LicensingAction.LICENCE_REVOKED, by=by, data={"credit_code": app.credit_code}
    )


def on_delivery_reported(sender, *, delivery, **kwargs) -> None:
    """The courier reported a delivery (kernel signal): a licence delivered closes its case."""
    if delivery.status != DeliveryStatus.DELIVERED or delivery.case.service.code != ITEM:
        return
    app = Application.objects.filter(case=delivery.case).first()
    if app is not None and app.state == S.LICENCE_ISSUED:
        perform(
            app,
            "mark_delivered",
            by=None,
            then=lambda a: cases.case_set_next_step(case=a.case, text=_("Delivered.")),
        )


# --- overdue (sweep) ------------------------------------------------------------------------------------


def flag_overdue(*, today=None) -> dict:
    """Flag (once) and message the department reviews and the supplements past their due date. Safe to
    run twice: what is flagged stays flagged."""
    today = today or cases.local_today()
    now = timezone.now()
    counts = {"reviews": 0, "supplements": 0}
    for pk in DepartmentReview.objects.filter(
        state=ReviewState.PENDING, due_on__lt=today, overdue_flagged_at__isnull=True
    ).values_list("pk", flat=True):
        with transaction.atomic():
            review = workflow.lock(DepartmentReview, pk)
            if review.overdue_flagged_at is not None or review.state != ReviewState.PENDING:
                continue
            review.overdue_flagged_at = now
            review.save(update_fields=["overdue_flagged_at"])
            case = review.application.case
            cases.case_log_event(
                case=case,
                action=LicensingAction.REVIEW_OVERDUE,
                data={"department": review.department.code, "due_on": review.due_on.isoformat()},
            )
            for user in User.objects.filter(role=Role.REVIEWER, department=review.department, is_active=True):
                message_send(
                    recipient=user,
                    subject=_("Joint review of %(ref)s is overdue") % {"ref": case.reference_no},
                    body=_("It was due on %(due)s.") % {"due": review.due_on.isoformat()},
                    case=case,
                )
            counts["reviews"] += 1
    for pk in (
        Application.objects.filter(
            state__in=RUNNING, supplement_due__lt=today, supplement_overdue_at__isnull=True
        )
        .exclude(missing_materials=[])
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            app = workflow.lock(Application, pk)
            if app.supplement_overdue_at is not None or not app.missing_materials:
                continue
            app.supplement_overdue_at = now
            app.save(update_fields=["supplement_overdue_at"])
            cases.case_log_event(
                case=app.case,
                action=LicensingAction.SUPPLEMENT_OVERDUE,
                data={"missing": app.missing_materials, "due": app.supplement_due.isoformat()},
            )
            message_send(
                recipient=app.applicant,
                subject=_("Materials for %(ref)s are overdue") % {"ref": app.case.reference_no},
                body=_("%(names)s were due on %(due)s; the bureau may reject the application.")
                % {"names": "、".join(app.missing_materials), "due": app.supplement_due.isoformat()},
                case=app.case,
            )
            counts["supplements"] += 1
    return counts


# --- double-random inspections --------------------------------------------------------------------------


def _bureau_only(user) -> None:
    if user is None or not (user.is_superuser or user.role == Role.BUREAU):
        raise PermissionDenied(_("Only bureau staff run inspection campaigns."))


def campaign_draw(*, campaign: InspectionCampaign, by: User, seed: str = "") -> InspectionCampaign:
    """Draw the institutions and their inspectors with ``seed`` (a new random one if empty); the seed is
    kept and published so anyone can recompute the draw (licensing.draw)."""
    _bureau_only(by)
    seed = (seed or "").strip() or secrets.token_hex(8)
    with transaction.atomic():
        locked = workflow.lock(campaign)
        institutions = {i.credit_code: i for i in Institution.objects.filter(licensed=True)}
        pool = {
            inspector.code: (inspector, {i.credit_code for i in inspector.linked_institutions.all()})
            for inspector in locked.inspectors.prefetch_related("linked_institutions")
        }
        if not institutions or len(pool) < 2:
            raise ActionNotAllowed(
                _("A draw needs licensed institutions and at least two inspectors in the pool."), code="pool"
            )
        assignment = D.draw(
            institutions=list(institutions),
            inspectors={code: linked for code, (_i, linked) in pool.items()},
            share_percent=locked.share_percent,
            seed=seed,
        )

        def then(c: InspectionCampaign) -> None:
            for position, (code, inspector_codes) in enumerate(assignment):
                excluded = sorted(i for i, (_i, linked) in pool.items() if code in linked)
                inspection = Inspection.objects.create(
                    campaign=c, institution=institutions[code], position=position, excluded=excluded
                )
                inspection.inspectors.set([pool[i][0] for i in inspector_codes])

        return perform(
            locked,
            "mark_drawn",
            by=by,
            then=then,
            seed=seed,
            population=sorted(institutions),
            at=timezone.now(),
        )


def inspection_record(*, inspection: Inspection, by: User, result: str, findings: str = "") -> Inspection:
    _bureau_only(by)
    if result not in InspectionResult.values or result == InspectionResult.PENDING:
        raise ValidationError({"result": [_("Choose compliant, to rectify or non-compliant.")]})
    with transaction.atomic():
        campaign = workflow.lock(inspection.campaign)
        if campaign.state != "drawn":
            raise ActionNotAllowed(_("Results are recorded after the draw and before publication."))
        Inspection.objects.filter(pk=inspection.pk).update(
            result=result, findings=(findings or "").strip()[:2000], recorded_at=timezone.now()
        )
    inspection.refresh_from_db()
    return inspection


def campaign_publish(*, campaign: InspectionCampaign, by: User) -> InspectionCampaign:
    _bureau_only(by)
    return perform(campaign, "publish", by=by, at=timezone.now())
