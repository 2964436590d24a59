"""The teacher certificate and the honour certificate as PDF (WeasyPrint via portal.core.pdf: CJK fonts,
QR code of the issued document's public verification address, the bureau's seal).

The photo comes from the applicant's upload when there is one (an attachment whose kind names a photo,
e.g. 证件照); the household registry's photo is not served by the exchange yet, so otherwise a frame is
left for it. The QR code carries the issued document's ``<SITE_URL>/verify/<code>/``.
"""

import base64

from portal.core.pdf import qr_svg, render_pdf
from teachers import documents
from teachers.documents import bureau_date
from teachers.models import CertificateApplication, Honour

BUREAU = "嘉兴市秀洲区教育局"


def _photo(case) -> str | None:
    attachment = case.attachments.filter(kind__contains="照").order_by("-pk").first()
    if attachment is None:
        return None
    try:
        with attachment.file.open("rb") as f:
            data = f.read()
    except (OSError, ValueError):
        return None
    if data[:4] == b"\x89PNG":
        mime = "image/png"
    elif data[:3] == b"\xff\xd8\xff":
        mime = "image/jpeg"
    else:  # a scan uploaded as PDF is no photo
        return None
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def certificate_context(application: CertificateApplication) -> dict:
    url = documents.verify_url(documents.certificate_document(application))
    applicant = application.applicant
    return {
        "title": documents.CERTIFICATE_TITLE,
        "bureau": BUREAU,
        "name": applicant.real_name,
        "gender": "男" if int(applicant.id_number[16]) % 2 else "女",
        "id_masked": applicant.id_number[:3] + "*" * 11 + applicant.id_number[-4:],
        "stage": application.get_stage_display(),
        "subject": application.subject,
        "certificate_no": application.certificate_no,
        "issued_on": bureau_date(application.decided_at),
        "reference_no": application.case.reference_no,
        "photo": _photo(application.case),
        "verify_url": url,
        "qr": qr_svg(url),
    }


def render_certificate_pdf(application: CertificateApplication) -> bytes:
    return render_pdf("teachers/certificate_pdf.html", certificate_context(application))


def render_honour_pdf(honour: Honour) -> bytes:
    url = documents.verify_url(documents.honour_document(honour))
    context = {
        "title": documents.HONOUR_TITLE,
        "bureau": BUREAU,
        "name": honour.teacher.real_name or honour.case.subject_name,
        "certificate_no": honour.case.reference_no,
        "service_start": honour.service_start,
        "year": honour.year,
        "issued_on": bureau_date(honour.accepted_at),
        "reference_no": honour.case.reference_no,
        "verify_url": url,
        "qr": qr_svg(url),
        "honour": True,
    }
    return render_pdf("teachers/certificate_pdf.html", context)
