"""The family's enrollment documents as PDF, and their public verification.

Two documents, each registered as an issued document (``portal.documents``) whose QR code opens
``<SITE_URL>/verify/<code>/``:

- 公办地段学位告知书 (place notice) once the application is ``qualified``: the child has a claim to a
  place at the zone school, in the tier shown;
- 录取通知书 (admission notice) once allocation ``admitted`` the child (``application.school`` set); it
  supersedes the place notice.

The document is registered when the state that allows it is reached (:func:`notice_document`, called by
the services) and looked up again when the PDF is rendered, so the same notice always carries the same
code; a notice whose school changed is issued anew and supersedes the old one. Withdrawing or rejecting
the case revokes it (``portal.documents``).

Notices printed before the registry carried ``/enrollment/verify/<token>/``: a signed value
(``django.core.signing``, own salt) of the kind, reference number and school code. Those links redirect to
the registered document (:func:`document_for_token`; the data migration stored each token as the
document's ``legacy_token``).

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
from portal.documents.models import DocumentKind
from portal.orgs.models import Stage

TOKEN_SALT = "enrollment.notice.verify.v1"  # noqa: S105 - a namespace for the signature, not a secret
TEMPLATE = "enrollment/notice.html"


class NoticeKind:
    PLACE = "place"  # 公办地段学位告知书
    ADMISSION = "admission"  # 录取通知书

    TITLES = {PLACE: "公办地段学位告知书", ADMISSION: "录取通知书"}
    DOCUMENT_KINDS = {PLACE: DocumentKind.PLACE_NOTICE, ADMISSION: DocumentKind.ADMISSION_NOTICE}
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


def legacy_verification_url(token: str) -> str:
    """The address notices printed before the registry carried; it redirects to ``/verify/<code>/``."""
    return settings.SITE_URL.rstrip("/") + reverse("enrollment_verify:notice", args=[token])


def subject_key(application) -> str:
    return f"enrollment.application:{application.pk}"


def notice_document(application, kind: str | None = None):
    """The registered document of the application's notice (issued now if it was not yet, or if its school
    changed since). ``kind`` defaults to what the state allows; raises :class:`NoticeNotAvailable`."""
    from portal.documents.services import document_ensure

    kind = kind or notice_kind(application)
    case = application.case
    school = notice_school(application, kind)
    with translation.override("zh-hans"):  # an official document: its facts in Chinese
        stage = str(Stage(application.stage).label)
    school_key = "admitted_to" if kind == NoticeKind.ADMISSION else "zone_school"
    return document_ensure(
        kind=NoticeKind.DOCUMENT_KINDS[kind],
        case=case,
        subject_key=subject_key(application),
        fingerprint=school.code,
        holder_name=application.child_name,
        title=NoticeKind.TITLES[kind],
        facts={
            "reference_no": case.reference_no,
            "entry": f"{application.year} {stage}",
            school_key: school.name,  # names, never internal codes, for the public (issue 13 item 5)
        },
        download_path=reverse("api:enrollment-application-notice", args=[case.reference_no]),
        issued_on=issued_on(application, kind),
        replaces_kinds=(DocumentKind.PLACE_NOTICE,) if kind == NoticeKind.ADMISSION else (),
    )


def notice_register(application):
    """Register the notice the application's state now allows (the services call this when the
    application is qualified or admitted); None when the state allows none (qualified without a zone
    school). Inside the caller's transaction."""
    try:
        return notice_document(application)
    except NoticeNotAvailable:
        return None


def document_for_token(token: str):
    """The registered document an earlier ``/enrollment/verify/<token>/`` link names, or None (a forged
    or altered token, or a notice never registered)."""
    from portal.documents.models import IssuedDocument
    from portal.documents.selectors import document_by_legacy_token

    document = document_by_legacy_token(token)
    if document is not None:
        return document
    try:
        claim = read_notice_token(token)
    except InvalidNoticeToken:
        return None
    application = Application.objects.filter(case__reference_no=claim.reference_no).first()
    if application is None:
        return None
    return (
        IssuedDocument.objects.filter(
            subject_key=subject_key(application),
            kind=NoticeKind.DOCUMENT_KINDS[claim.kind],
            fingerprint=claim.school_code,
        )
        .order_by("-issued_at", "-pk")
        .first()
    )


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


def notice_context(
    application,
    *,
    tier_label_text: str | None = None,
    issued: dt.date | None = None,
    verify_url: str | None = None,
) -> dict:
    """Everything ``enrollment/notice.html`` shows. Raises :class:`NoticeNotAvailable`. ``verify_url``
    defaults to the registered document's (the benchmark passes one for its stand-in object)."""
    from portal.documents.selectors import verify_url as document_verify_url

    kind = notice_kind(application)
    case = application.case
    school = notice_school(application, kind)
    url = verify_url or document_verify_url(notice_document(application, kind))
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
    application,
    *,
    tier_label_text: str | None = None,
    issued: dt.date | None = None,
    verify_url: str | None = None,
) -> bytes:
    """The place notice (qualified) or admission notice (admitted) as PDF bytes; ~0.2 s warm.

    Raises :class:`NoticeNotAvailable` in any other state. The document is Chinese whatever the
    requester's language: it is an official document of the bureau."""
    with translation.override("zh-hans"):
        context = notice_context(
            application, tier_label_text=tier_label_text, issued=issued, verify_url=verify_url
        )
        return render_pdf(TEMPLATE, context)


def notice_filename(application) -> str:
    kind = notice_kind(application)
    return f"{NoticeKind.TITLES[kind]}-{application.case.reference_no}.pdf"
