"""The graduation certificate (学历证明) as PDF: WeasyPrint through the kernel's ``render_pdf`` (Noto CJK
with the rare-character fallback, compact font subsets, the stylesheet parsed once per process), the
bureau's seal and a QR code of the issued document's public verification address.

:func:`render_certificate_pdf` takes a plain context (:func:`certificate_context` builds it from the
database), so the benchmark renders stand-ins exactly as the worker renders real certificates.
"""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from portal.core import pii
from portal.core.pdf import qr_svg, render_pdf

TEMPLATE = "studentstatus/certificate_pdf.html"
STYLESHEET = "studentstatus/certificate_pdf.css"
TITLE = "学历证明"


def certificate_no_for(*, year: int, district_code: str, record_pk: int) -> str:
    """One per record, the same whenever it is worked out: 届 + district + record (so a re-run matches)."""
    return f"BY{year}{district_code}{record_pk:08d}"


def bureau_name(district) -> str:
    return f"{district.name}教育局"


def context_for(
    *,
    name: str,
    gender: str,
    birth_date: dt.date | None,
    student_no: str,
    school_name: str,
    entry_year: int,
    year: int,
    graduated_on: dt.date,
    issued_on: dt.date,
    certificate_no: str,
    bureau: str,
    verify_url: str,
) -> dict:
    return {
        "title": TITLE,
        "bureau": bureau,
        "name": name,
        "gender": {"M": "男", "F": "女"}.get(gender, ""),
        "birth_date": birth_date,
        "student_no_masked": "G" + pii.mask_id(student_no[1:]),
        "school_name": school_name,
        "entry_year": entry_year,
        "year": year,
        "graduated_on": graduated_on,
        "issued_on": issued_on,
        "certificate_no": certificate_no,
        "verify_url": verify_url,
        "qr": qr_svg(verify_url),
    }


def certificate_context(certificate) -> dict:
    """Everything the PDF shows, from a :class:`~studentstatus.models.GraduationCertificate` with its
    registered document."""
    from portal.documents.selectors import verify_url

    record, run = certificate.record, certificate.run
    return context_for(
        name=record.name,
        gender=record.gender,
        birth_date=record.birth_date,
        student_no=record.student_no,
        school_name=certificate.school.name,
        entry_year=record.entry_year,
        year=run.year,
        graduated_on=record.graduated_on or run.graduated_on,
        issued_on=certificate.document.issued_on,
        certificate_no=certificate.certificate_no,
        bureau=bureau_name(run.district),
        verify_url=verify_url(certificate.document),
    )


def render_certificate_pdf(context: dict) -> bytes:
    """PDF bytes of one certificate (Chinese whatever the requester's language: an official document)."""
    with translation.override("zh-hans"):
        return render_pdf(TEMPLATE, context, stylesheets=[STYLESHEET])


def certificate_filename(certificate) -> str:
    return f"{TITLE}-{certificate.certificate_no}.pdf"
