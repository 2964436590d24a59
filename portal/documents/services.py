"""Issuing, superseding and revoking documents. Keyword-only, one ``transaction.atomic`` each, never
``request``. Issuing locks the case row, so two issuers of the same document on one case take turns
(the second sees the first's document and supersedes or reuses it)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.cases import workflow
from portal.cases.models import Case
from portal.cases.services import case_log_event, local_today
from portal.cases.workflow import perform
from portal.core import pii
from portal.documents.models import (
    OUTLIVES_CASE,
    DocumentAction,
    DocumentKind,
    DocumentStatus,
    IssuedDocument,
)


def document_issue(
    *,
    kind: str,
    case: Case,
    holder_name: str,
    subject_key: str,
    title: str,
    facts: dict | None = None,
    fingerprint: str = "",
    download_path: str = "",
    issued_on: dt.date | None = None,
    replaces_kinds: tuple[str, ...] = (),
    legacy_token: str = "",
    by=None,
) -> IssuedDocument:
    """Register a new document and return it (its ``code`` goes into the QR code). The valid document of
    the same ``kind`` and ``subject_key`` — and of ``replaces_kinds`` (an admission notice replaces the
    place notice) — is superseded. ``holder_name`` is stored masked only (王*明)."""
    kind = DocumentKind(kind)
    kinds = [kind, *(DocumentKind(k) for k in replaces_kinds)]
    with transaction.atomic():
        locked_case = workflow.lock(case)
        previous = list(
            IssuedDocument.objects.select_for_update().filter(
                subject_key=subject_key, kind__in=kinds, status=DocumentStatus.VALID
            )
        )
        for old in previous:  # first: one valid document per subject
            perform(old, "supersede", by=by, note=old.title)
        document = IssuedDocument.objects.create(
            kind=kind,
            title=title[:100],
            case=locked_case,
            subject_key=subject_key,
            holder_masked=pii.mask_name(holder_name),
            issued_on=issued_on or local_today(),
            facts=facts or {},
            fingerprint=fingerprint,
            download_path=download_path,
            legacy_token=legacy_token,
        )
        case_log_event(
            case=locked_case,
            action=DocumentAction.ISSUED,
            by=by,
            to_state=DocumentStatus.VALID,
            note=document.title,
            data={"document": kind.value, "id": document.pk},
        )
        IssuedDocument.objects.filter(pk__in=[d.pk for d in previous]).update(superseded_by=document)
    return document


def _current(kind: str, subject_key: str, fingerprint: str) -> IssuedDocument | None:
    """The latest document of ``kind`` about ``subject_key`` if it still says the same and was not
    replaced: valid, or revoked (re-rendering a revoked document must not bring it back to life)."""
    latest = (
        IssuedDocument.objects.filter(kind=kind, subject_key=subject_key)
        .exclude(status=DocumentStatus.SUPERSEDED)
        .order_by("-issued_at", "-pk")
        .first()
    )
    return latest if latest is not None and latest.fingerprint == fingerprint else None


def document_ensure(*, kind: str, case: Case, subject_key: str, fingerprint: str, **fields) -> IssuedDocument:
    """The document of ``kind`` for ``subject_key`` if it still says the same (same ``fingerprint``),
    else a newly issued one that supersedes the valid one. So rendering a document twice prints the same
    QR code, a revoked document stays revoked, and a document whose content changed (another school) gets
    a new code."""
    current = _current(kind, subject_key, fingerprint)
    if current is not None:
        return current
    with transaction.atomic():
        workflow.lock(case)  # the check again, under the lock: a concurrent renderer may have issued it
        current = _current(kind, subject_key, fingerprint)
        if current is not None:
            return current
        return document_issue(
            kind=kind, case=case, subject_key=subject_key, fingerprint=fingerprint, **fields
        )


def _revoke_locked(document: IssuedDocument, *, by, reason: str) -> None:
    perform(
        document, "revoke", by=by, note=f"{document.title}: {reason}"[:2000], at=timezone.now(), reason=reason
    )


def document_revoke(*, document: IssuedDocument, by, reason: str) -> IssuedDocument:
    """Revoke one valid document (staff in the admin, a full refund voiding a receipt). Raises
    :class:`~portal.cases.workflow.ActionNotAllowed` when it is already revoked or superseded."""
    reason = (reason or "").strip()
    if not reason:
        from django.core.exceptions import ValidationError

        raise ValidationError({"reason": [_("Say why the document is revoked.")]})
    with transaction.atomic():
        workflow.lock(document.case)  # the case first, as issuing does
        locked = perform(
            document,
            "revoke",
            by=by,
            note=f"{document.title}: {reason}"[:2000],
            at=timezone.now(),
            reason=reason,
        )
    return locked


def document_revoke_for_case(
    *, case: Case, reason: str, by=None, subject_key: str | None = None, include_receipts: bool = False
) -> int:
    """Revoke every valid document of ``case`` (or only those about ``subject_key``): the case closed as
    withdrawn or rejected, or a service took back what the documents vouch for without closing it (a
    place withdrawn). Receipts stand unless ``include_receipts``. Returns how many were revoked."""
    with transaction.atomic():
        workflow.lock(case)
        documents = IssuedDocument.objects.select_for_update().filter(case=case, status=DocumentStatus.VALID)
        if subject_key is not None:
            documents = documents.filter(subject_key=subject_key)
        if not include_receipts:
            documents = documents.exclude(kind__in=OUTLIVES_CASE)
        revoked = 0
        for document in documents.select_related("case").order_by("pk"):
            _revoke_locked(document, by=by, reason=reason)
            revoked += 1
    return revoked
