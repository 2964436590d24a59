"""The teachers' side of the kernel's issued documents (portal.documents, docs/adr/0012): the teacher
certificate (``teacher_certificate``) and the 30-year honour certificate (``honour_certificate``).

Issuing and rendering call the same ``…_document`` function (``document_ensure``), so the PDF always prints
the code that was registered at issue — and a certificate issued before the registry existed is registered
on its first render. A revoked certificate stays revoked (``document_ensure`` returns it, never a new one).
"""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from portal.cases import services as cases
from portal.documents.models import DocumentKind, DocumentStatus, IssuedDocument
from portal.documents.selectors import documents_for_case
from portal.documents.selectors import verify_url as url_of
from portal.documents.services import document_ensure
from teachers.models import CertificateApplication, Honour

TEACHER_CERTIFICATE = DocumentKind.TEACHER_CERTIFICATE
HONOUR_CERTIFICATE = DocumentKind.HONOUR_CERTIFICATE
CERTIFICATE_TITLE = "教师资格证书"
HONOUR_TITLE = "从教三十年荣誉证书"
HONOUR_YEARS = 30


def bureau_date(at: dt.datetime | None) -> dt.date:
    """The bureau's calendar day of ``at`` (the decision, the acceptance) — today if not yet stamped."""
    return timezone.localtime(at, cases.BUREAU_TZ).date() if at is not None else cases.local_today()


def honour_subject_key(honour: Honour) -> str:
    return f"teachers.honour:{honour.pk}"


def certificate_document(application: CertificateApplication, *, by=None) -> IssuedDocument:
    """The certificate's registry entry (issued now if it has none). Call with the number allocated."""
    return document_ensure(
        kind=TEACHER_CERTIFICATE,
        case=application.case,
        subject_key=application.subject_key,
        fingerprint="",
        holder_name=application.applicant.real_name,
        title=CERTIFICATE_TITLE,
        facts={
            "certificate_no": application.certificate_no,
            "stage": f"{application.get_stage_display()}教师资格",
            "subject": application.subject,
        },
        download_path=reverse("api:teachers-certificate-pdf", args=[application.case.reference_no]),
        issued_on=bureau_date(application.decided_at),
        by=by,
    )


def honour_document(honour: Honour, *, by=None) -> IssuedDocument:
    return document_ensure(
        kind=HONOUR_CERTIFICATE,
        case=honour.case,
        subject_key=honour_subject_key(honour),
        fingerprint="",
        holder_name=honour.teacher.real_name or honour.case.subject_name,
        title=HONOUR_TITLE,
        facts={"reference_no": honour.case.reference_no, "honour_year": honour.year},
        download_path=reverse("api:teachers-honour-pdf", args=[honour.case.reference_no]),
        issued_on=bureau_date(honour.accepted_at),
        by=by,
    )


def certificate_revoked(application: CertificateApplication) -> IssuedDocument | None:
    """The certificate's revoked registry entry, if the bureau revoked it (None while it stands)."""
    latest = (
        IssuedDocument.objects.filter(kind=TEACHER_CERTIFICATE, subject_key=application.subject_key)
        .exclude(status=DocumentStatus.SUPERSEDED)
        .order_by("-issued_at", "-pk")
        .first()
    )
    return latest if latest is not None and latest.status == DocumentStatus.REVOKED else None


def for_case(case) -> list[dict]:
    """``"documents"`` of the case detail: ``[{"document", "url", "verify_url", "status"}]``."""
    return documents_for_case(case)


verify_url = url_of
