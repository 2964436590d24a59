"""The school licence (民办学校办学许可证) as PDF: CJK fonts and the QR code of its public verification
address (portal.core.pdf)."""

from licensing.models import Application
from portal.core.pdf import qr_svg, render_pdf
from portal.documents.models import DocumentKind, IssuedDocument
from portal.documents.selectors import verify_url

BUREAU = "嘉兴市秀洲区教育局"


def licence_document(application: Application) -> IssuedDocument | None:
    return (
        IssuedDocument.objects.filter(kind=DocumentKind.SCHOOL_LICENCE, case=application.case)
        .order_by("-issued_at", "-pk")
        .first()
    )


def render_licence_pdf(application: Application) -> bytes:
    document = licence_document(application)
    url = verify_url(document) if document is not None else None
    context = {
        "title": "民办学校办学许可证",
        "bureau": BUREAU,
        "application": application,
        "level": application.get_level_display(),
        "issued_on": application.decided_at.date() if application.decided_at else None,
        "verify_url": url,
        "qr": qr_svg(url) if url else None,
    }
    return render_pdf("licensing/licence_pdf.html", context)
