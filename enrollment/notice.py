"""The family's enrollment documents as PDF, and their public verification.

Two documents, both with a QR code that opens ``/enrollment/verify/<token>/``:

- 公办地段学位告知书 (place notice) once the application is ``qualified``: the child has a claim to a
  place at the zone school, in the tier shown;
- 录取通知书 (admission notice) once allocation ``admitted`` the child (``application.school`` set).

The token is a signed, URL-safe value (``django.core.signing``, own salt) of the document kind, the
reference number and the school code printed on it: a forged or altered token fails the signature, and a
genuine one whose school no longer matches (redistribution, withdrawal) shows as no longer valid. It
holds no personal data; the verification page shows the child's name masked.

:func:`render_notice_pdf` reads only attributes of the application (plus, unless given, the tier label
and the issue date from the database), so the benchmark can pass a stand-in object.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone, translation

from enrollment.catalogue import EnrollmentAction
from enrollment.models import Application, State, TierRule
from portal.core import pii
from portal.core.pdf import qr_svg, render_pdf
from portal.orgs.models import School, Stage

TOKEN_SALT = "enrollment.notice.verify.v1"  # noqa: S105 - a namespace for the signature, not a secret
TEMPLATE = "enrollment/notice.html"


class NoticeKind:
    PLACE = "place"  # 公办地段学位告知书
    ADMISSION = "admission"  # 录取通知书

    TITLES = {PLACE: "公办地段学位告知书", ADMISSION: "录取通知书"}
    ISSUING_ACTIONS = {
        PLACE: (EnrollmentAction.QUALIFIED, EnrollmentAction.APPROVED),
        ADMISSION: (EnrollmentAction.ADMITTED,),
    }


class NoticeNotAvailable(Exception):
    """The application is in a state that has no notice (still verifying, in review, rejected, withdrawn,
    or admitted without a school)."""


class InvalidNoticeToken(Exception):
    """The verification token was not issued by this portal, or was altered."""


@dataclass(frozen=True)
class NoticeClaim:
    """What a verification token vouches for."""

    kind: str
    reference_no: str
    school_code: str


# --- which document, and its token --------------------------------------------------------------------


def notice_kind(application) -> str:
    """The document the application's state allows, or :class:`NoticeNotAvailable`."""
    if application.state == State.ADMITTED:
        if getattr(application, "school", None) is None:
            raise NoticeNotAvailable(
                f"{application.case.reference_no}: admitted without a school; no admission notice yet"
            )
        return NoticeKind.ADMISSION
    if application.state == State.QUALIFIED:
        if getattr(application, "zone_school", None) is None:
            raise NoticeNotAvailable(f"{application.case.reference_no}: qualified without a zone school")
        return NoticeKind.PLACE
    raise NoticeNotAvailable(
        f"{application.case.reference_no} is {application.state}: a notice exists only for qualified or "
        "admitted applications"
    )


def notice_school(application, kind: str):
    return application.school if kind == NoticeKind.ADMISSION else application.zone_school


def _signer() -> signing.Signer:
    return signing.Signer(salt=TOKEN_SALT)


def make_notice_token(claim: NoticeClaim) -> str:
    """Deterministic (the same document always carries the same QR code) and URL-safe."""
    return _signer().sign_object({"k": claim.kind, "r": claim.reference_no, "s": claim.school_code})


def read_notice_token(token: str) -> NoticeClaim:
    try:
        data = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise InvalidNoticeToken("not a token issued by this portal") from exc
    if (
        not isinstance(data, dict)
        or data.get("k") not in NoticeKind.TITLES
        or not isinstance(data.get("r"), str)
        or not isinstance(data.get("s"), str)
    ):
        raise InvalidNoticeToken("malformed token")
    return NoticeClaim(kind=data["k"], reference_no=data["r"], school_code=data["s"])


def verification_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("enrollment_verify:notice", args=[token])


# --- facts shared by the PDF and the verification page ------------------------------------------------


def issued_on(application, kind: str) -> dt.date:
    """The day the state that allows the document was reached (from the case trace)."""
    event = (
        application.case.events.filter(action__in=[str(a) for a in NoticeKind.ISSUING_ACTIONS[kind]])
        .order_by("-seq")
        .first()
    )
    return timezone.localdate(event.at) if event else timezone.localdate()


def tier_label(application) -> str:
    if not application.category:
        return ""
    label = (
        TierRule.objects.filter(
            rules__district_id=application.case.district_id,
            rules__year=application.year,
            rules__stage=application.stage,
            code=application.category,
        )
        .values_list("label", flat=True)
        .first()
    )
    return label or ""


def notice_context(application, *, tier_label_text: str | None = None, issued: dt.date | None = None) -> dict:
    """Everything ``enrollment/notice.html`` shows. Raises :class:`NoticeNotAvailable`."""
    kind = notice_kind(application)
    case = application.case
    school = notice_school(application, kind)
    token = make_notice_token(NoticeClaim(kind=kind, reference_no=case.reference_no, school_code=school.code))
    url = verification_url(token)
    district = case.district.name
    return {
        "kind": kind,
        "title": NoticeKind.TITLES[kind],
        "bureau": f"{district}教育局",
        "district": district,
        "reference_no": case.reference_no,
        "child_name": application.child_name,
        "child_id_masked": pii.mask_id(application.child_id_number),
        "stage_label": Stage(application.stage).label,
        "year": application.year,
        "school_name": school.name,
        "school_code": school.code,
        "tier": application.category,
        "tier_label": tier_label(application) if tier_label_text is None else tier_label_text,
        "issued_on": issued or issued_on(application, kind),
        "verify_url": url,
        "qr": qr_svg(url),
    }


def render_notice_pdf(
    application, *, tier_label_text: str | None = None, issued: dt.date | None = None
) -> bytes:
    """The place notice (qualified) or admission notice (admitted) as PDF bytes; ~0.2 s warm.

    Raises :class:`NoticeNotAvailable` in any other state. The document is Chinese whatever the
    requester's language: it is an official document of the bureau."""
    with translation.override("zh-hans"):
        context = notice_context(application, tier_label_text=tier_label_text, issued=issued)
        return render_pdf(TEMPLATE, context)


def notice_filename(application) -> str:
    kind = notice_kind(application)
    return f"{NoticeKind.TITLES[kind]}-{application.case.reference_no}.pdf"


# --- public verification ------------------------------------------------------------------------------


class NoticeStatus:
    VALID = "valid"
    SUPERSEDED = "superseded"  # a place notice after admission: genuine, the admission notice now decides
    NO_LONGER_VALID = "no_longer_valid"


@dataclass(frozen=True)
class NoticeVerification:
    kind: str
    title: str
    reference_no: str
    masked_child_name: str
    school_name: str
    school_code: str
    stage_label: str
    year: int
    status: str
    issued_on: dt.date

    @property
    def is_valid(self) -> bool:
        return self.status != NoticeStatus.NO_LONGER_VALID


def verify_notice(token: str) -> NoticeVerification:
    """What the public verification page shows for ``token``. Raises :class:`InvalidNoticeToken` for a
    token this portal did not issue, or one whose application no longer exists."""
    claim = read_notice_token(token)
    application = (
        Application.objects.select_related("case", "zone_school", "school")
        .filter(case__reference_no=claim.reference_no)
        .first()
    )
    if application is None:
        raise InvalidNoticeToken("no application with this reference number")
    current = notice_school(application, claim.kind)
    same_school = current is not None and current.code == claim.school_code
    if claim.kind == NoticeKind.ADMISSION:
        status = NoticeStatus.VALID if application.state == State.ADMITTED and same_school else None
    elif application.state == State.QUALIFIED and same_school:
        status = NoticeStatus.VALID
    elif application.state == State.ADMITTED and same_school:
        status = NoticeStatus.SUPERSEDED
    else:
        status = None
    school = current if same_school else School.objects.filter(code=claim.school_code).first()
    return NoticeVerification(
        kind=claim.kind,
        title=NoticeKind.TITLES[claim.kind],
        reference_no=claim.reference_no,
        masked_child_name=pii.mask_name(application.child_name),
        school_name=school.name if school else claim.school_code,
        school_code=claim.school_code,
        stage_label=str(Stage(application.stage).label),
        year=application.year,
        status=status or NoticeStatus.NO_LONGER_VALID,
        issued_on=issued_on(application, claim.kind),
    )
