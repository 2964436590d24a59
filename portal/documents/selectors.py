"""Reads: one document by its code (public verification), a case's documents (the case detail)."""

from __future__ import annotations

import re

from django.conf import settings
from django.urls import reverse

from portal.documents.models import DocumentStatus, IssuedDocument

# what new_code() makes (token_urlsafe), with room for longer codes later; anything else is not looked up
CODE_RE = re.compile(r"[A-Za-z0-9_-]{22,64}")


def document_by_code(code: str) -> IssuedDocument | None:
    """The document ``code`` names, or None. A malformed code is refused before the database, a
    well-formed unknown one costs the same single indexed look-up as a known one."""
    if not isinstance(code, str) or not CODE_RE.fullmatch(code):
        return None
    return IssuedDocument.objects.filter(code=code).first()


def document_by_legacy_token(token: str) -> IssuedDocument | None:
    if not token or len(token) > 300:
        return None
    return IssuedDocument.objects.filter(legacy_token=token).first()


def verify_url(document: IssuedDocument) -> str:
    """The address the document's QR code carries."""
    return settings.SITE_URL.rstrip("/") + reverse("documents:verify", args=[document.code])


def verification(document: IssuedDocument) -> dict:
    """The public JSON of contracts/api-services.md, exactly these keys."""
    return {
        "valid": document.status == DocumentStatus.VALID,
        "document": document.kind,
        "holder": document.holder_masked,
        "issued_on": document.issued_on.isoformat(),
        "status": document.status,
    }


def documents_for_case(case, *, subject_key: str | None = None) -> list[dict]:
    """``"documents"`` of a case's detail: ``[{"document", "url", "verify_url", "status"}]``, oldest
    first (only those about ``subject_key`` if given: one bill of a case). ``url`` (where the PDF is
    downloaded) only for a valid document: the download renders the current one."""
    rows = IssuedDocument.objects.filter(case=case).order_by("issued_at", "pk")
    if subject_key is not None:
        rows = rows.filter(subject_key=subject_key)
    site = settings.SITE_URL.rstrip("/")
    return [
        {
            "document": d.kind,
            "url": site + d.download_path if d.download_path and d.status == DocumentStatus.VALID else None,
            "verify_url": verify_url(d),
            "status": d.status,
        }
        for d in rows
    ]
