"""The teachers' side of the kernel's issued documents (portal.documents: document_issue, /verify/).

Kept behind these three functions so the rest of the app does not care whether the documents kernel is
installed: until it is, nothing is registered, the detail lists no documents and the certificate prints
its number without a QR code (docs/workflows/teachers.md).
"""

from django.apps import apps

TEACHER_CERTIFICATE = "teacher_certificate"
HONOUR_CERTIFICATE = "honour_certificate"


def available() -> bool:
    return apps.is_installed("portal.documents")


def issue(
    *, kind: str, case, holder_name: str, subject_key: str, title: str, facts: dict, download_path: str, by
):
    """Register the document (its code goes into the QR code); None without the documents kernel."""
    if not available():
        return None
    from portal.documents.services import document_issue

    return document_issue(
        kind=kind,
        case=case,
        holder_name=holder_name,
        subject_key=subject_key,
        title=title,
        facts=facts,
        download_path=download_path,
        by=by,
    )


def for_case(case) -> list[dict]:
    """``"documents"`` of the case detail: ``[{"document", "url", "verify_url", "status"}]``."""
    if not available():
        return []
    from portal.documents.selectors import documents_for_case

    return documents_for_case(case)


def verify_url(*, kind: str, subject_key: str) -> str | None:
    """The address the QR code of the latest valid document of ``kind`` about ``subject_key`` carries."""
    if not available():
        return None
    from portal.documents.models import DocumentStatus, IssuedDocument
    from portal.documents.selectors import verify_url as url_of

    document = (
        IssuedDocument.objects.filter(kind=kind, subject_key=subject_key, status=DocumentStatus.VALID)
        .order_by("-issued_at", "-pk")
        .first()
    )
    return url_of(document) if document is not None else None
