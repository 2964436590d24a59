"""The counter (一窗受理): a school clerk or bureau officer enters the application for a family in person.

The family may have no account yet. The clerk has checked the guardian's ID card, so the guardian's
account is found by the ID number's keyed hash, or created real-name verified with the name from the
household registry (户籍) — the family signs the authorisation at the counter first. The application then
follows the same rules, decision and archive as one made online (``services.application_submit``).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment import services
from enrollment.models import Application
from enrollment.selectors import application_for_user
from exchange import sources as S
from exchange.errors import ExchangeError, NotFound
from exchange.services import authorisation_grant, lookup
from portal.accounts.models import Role, User
from portal.cases import services as cases
from portal.cases.actions import CaseAction
from portal.cases.models import Channel
from portal.cases.scoping import can_handle
from portal.core import pii
from portal.core.idcodes import normalize_id_number

COUNTER_ROLES = (Role.CLERK, Role.BUREAU)

# originals a clerk can tick as seen (the values are stored as they are shown: the Chinese names)
ORIGINALS = ("户口簿", "不动产权证", "居住证", "租赁合同", "结婚证", "出生医学证明")


def may_work_at_counter(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active) and (
        user.role in COUNTER_ROLES or user.is_superuser
    )


def _require_counter_staff(by) -> None:
    if not may_work_at_counter(by):
        raise PermissionDenied(_("Only school clerks and bureau staff take in applications at the counter."))


def counter_guardian_for(*, id_number: str, by: User) -> User:
    """The citizen account of the guardian whose ID card the clerk ``by`` has checked; created when the
    family has none (username ``id-`` + the first 12 characters of the ID's keyed hash).

    A new account's real name comes from the 户籍, fetched under the authorisation the guardian signs at
    the counter; it stays inactive until the registry has confirmed the person. Raises ValidationError
    (``id_number``) for a malformed number, a staff member's number, a person unknown to the registry or
    a registry that cannot answer now, and PermissionDenied unless ``by`` works at a counter."""
    _require_counter_staff(by)
    try:
        id_number = normalize_id_number(id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from None
    digest = pii.keyed_hash(id_number)
    user = User.objects.filter(id_number_hash=digest).first()
    if user is not None and user.role != Role.CITIZEN:
        raise ValidationError({"id_number": [_("This ID number belongs to a staff account.")]})
    if user is not None and user.real_name:  # known and confirmed (online sign-in or an earlier visit)
        if not user.is_active:
            raise ValidationError({"id_number": [_("This person's account is disabled; ask the bureau.")]})
        return user
    if user is None:
        try:
            with transaction.atomic():
                user = User(
                    username=f"id-{digest[:12]}", role=Role.CITIZEN, id_number=id_number, is_active=False
                )
                user.set_unusable_password()
                user.save()
        except IntegrityError:  # the same person taken in at two counters at once
            user = User.objects.get(id_number_hash=digest)
            if user.real_name and user.is_active:
                return user

    # the guardian signs the authorisation at the counter; the look-up is recorded with the clerk's name
    purpose = _("Counter: confirm the guardian's identity for an enrollment application")
    authorisation_grant(guardian=user, subject_id_number=id_number, purpose=purpose, sources=[S.HUKOU])
    try:
        person = lookup(S.hukou_person, id_number=id_number, purpose=purpose, requester=by)
    except NotFound:
        raise ValidationError(
            {"id_number": [_("No one with this ID number is in the household registry; check the ID card.")]}
        ) from None
    except ExchangeError:
        raise ValidationError(
            {
                "id_number": [
                    _("The household registry cannot be reached right now; try again in a few minutes.")
                ]
            }
        ) from None
    User.objects.filter(pk=user.pk).update(
        real_name=person.name, real_name_verified_at=timezone.now(), is_active=True
    )
    user.refresh_from_db()
    return user


@dataclass
class CounterResult:
    application: Application
    originals_recorded: bool


def counter_application_submit(
    *,
    by: User,
    guardian_id_number: str,
    year: int,
    stage: str,
    child_id_number: str,
    residence: str,
    consent: bool,
    originals: list[str],
    other_guardian_id_number: str | None = None,
    single_parent: bool = False,
) -> CounterResult:
    """Take in an application at the counter: the guardian's account, the application (channel
    ``counter``, one visit), and the originals the clerk has seen.

    The case is given to the clerk's school while it has no zone school yet, so the counter that took it
    in can see it; the automatic checks later hand it to the zone school. When they already have (the
    zone school is another school's), the originals cannot be recorded by this clerk:
    ``originals_recorded`` is then False. Raises what ``application_submit`` raises; a ValidationError
    about the guardian's ID number is keyed ``guardian_id_number``."""
    _require_counter_staff(by)
    if consent is not True:
        raise ValidationError(
            {"consent": [_("The family must sign the authorisation before the records can be fetched.")]}
        )
    unknown = sorted(set(originals) - set(ORIGINALS))
    if unknown:
        raise ValidationError({"originals": [_("Unknown originals: %(o)s") % {"o": ", ".join(unknown)}]})
    try:
        guardian = counter_guardian_for(id_number=guardian_id_number, by=by)
    except ValidationError as exc:
        raise ValidationError(
            {"guardian_id_number": exc.message_dict.get("id_number", exc.messages)}
        ) from None
    application = services.application_submit(
        guardian=guardian,
        year=year,
        stage=stage,
        child_id_number=child_id_number,
        other_guardian_id_number=other_guardian_id_number,
        single_parent=single_parent,
        residence=residence,
        consent=True,
        channel=Channel.COUNTER,
        by=by,
    )
    case = application.case
    case.refresh_from_db()
    if case.school_id is None and by.school_id and by.school.district_id == case.district_id:
        cases.case_assign_school(
            case=case,
            school=by.school,
            note=_("Taken in at the counter by %(clerk)s") % {"clerk": by.display_name},
        )
    application.refresh_from_db()
    recorded = False
    if originals and can_handle(by, application.case):
        application = services.application_record_originals(
            application=application, by=by, originals=originals
        )
        recorded = True
    return CounterResult(application=application, originals_recorded=recorded or not originals)


def counter_receipt_for(user, reference_no: str) -> Application:
    """The application for the counter's printed receipt: one the user may see, or one the user took in
    at the counter (after the automatic checks gave it to another school). Http404 otherwise."""
    try:
        return application_for_user(user, reference_no)
    except Http404:
        if not may_work_at_counter(user):
            raise
    application = (
        Application.objects.select_related("case", "case__service", "zone_school", "school", "guardian")
        .filter(
            case__reference_no=reference_no,
            case__channel=Channel.COUNTER,
            case__events__action=CaseAction.SUBMITTED,
            case__events__actor=user,
        )
        .first()
    )
    if application is None:
        raise Http404("no such application")
    return application
