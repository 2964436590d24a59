"""Making a package: a snapshot of the closed case, then its files, written once into a new folder.

:func:`snapshot_case` reads everything from the database (case, trace, attachments, the service's
:class:`~archive.registry.ArchiveRecord`); :func:`write_package` needs no database: it renders the PDF/A
document with the case data embedded as JSON, copies the attachments (checking each against the SHA-256
recorded at upload), and writes the signed manifest. Every file is created exclusively (``open(…, "xb")``)
and made read-only; nothing here ever opens an existing package file for writing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation

from archive import manifest as mf
from archive.keys import SigningKey
from archive.models import RETENTION_CODES, RETENTION_LABELS_ZH, RETENTION_YEARS
from archive.registry import ArchiveRecord, provider_for
from portal.cases.actions import label_for
from portal.cases.models import CaseStatus
from portal.core import pii
from portal.core.pdf import PdfAttachment, render_pdf

BUREAU_TZ = ZoneInfo("Asia/Shanghai")
DOCUMENT = "document.pdf"
MANIFEST = "manifest.xml"
EMBEDDED = "case-data.json"
DATA_FORMAT = "edu-portal/archive-case/1"
PDF_VARIANT = "pdf/a-3b"
STYLESHEET = "archive/document.css"  # parsed once per process, not once per document
ATTACHMENT_DIR = "attachments"
# what a package may contain, by content (the check sniffs magic bytes, not names)
PART_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
CHUNK = 1 << 16
READ_ONLY_DIR = 0o550  # r-x for owner and group: a folder needs x to be entered; nobody may write


class PackageBuildError(Exception):
    """The package cannot be made as the case stands (e.g. a stored attachment no longer matches the digest
    recorded at upload). Retrying does not help: a person must look."""


@dataclass(frozen=True)
class AttachmentSource:
    kind: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: str
    uploaded_by: str
    open: Callable[[], IO[bytes]] = field(compare=False, repr=False)


@dataclass(frozen=True)
class CaseSnapshot:
    """Everything a package holds about a closed case, read once."""

    archival_code: str
    fonds_code: str
    fonds_name: str
    title: str
    responsible: str
    retention_period: str
    document_date: dt.date
    closed_at: dt.datetime
    case: Mapping[str, Any]  # the kernel's facts, JSON-ready
    events: list[dict]
    attachments: list[AttachmentSource]
    record: ArchiveRecord

    @property
    def reference_no(self) -> str:
        return self.case["reference_no"]

    @property
    def retention_code(self) -> str:
        return RETENTION_CODES[self.retention_period]

    @property
    def retention_label(self) -> str:
        return RETENTION_LABELS_ZH[self.retention_period]

    @property
    def review_due(self) -> dt.date | None:
        """保管期限 counts from 1 January after the year the document was made (DA/T 22)."""
        years = RETENTION_YEARS[self.retention_period]
        return None if years is None else dt.date(self.document_date.year + 1 + years, 1, 1)


@dataclass(frozen=True)
class WrittenPackage:
    parts: list[mf.Part]
    manifest_sha256: str
    key_id: str
    size: int


# --- snapshot (database reads) ------------------------------------------------------------------------------


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value, BUREAU_TZ).isoformat(timespec="seconds") if value else ""


def archival_code(*, fonds_code: str, year: int, retention_period: str, reference_no: str) -> str:
    """档号 in the DA/T 13 order 全宗号-年度-保管期限-件号, the case reference being the item number."""
    return f"{fonds_code}-{year}-{RETENTION_CODES[retention_period]}-{reference_no}"


def _status_label(value: str, extra: Mapping[str, str]) -> str:
    if value in CaseStatus.values:
        return str(CaseStatus(value).label)
    return str(extra.get(value, value))


def snapshot_case(case) -> CaseSnapshot:
    """Read a closed case for its package (in Chinese: the document is an official record)."""
    from portal.cases.models import Attachment, CaseEvent

    service = case.service
    with translation.override("zh-hans"):
        record = provider_for(service.code)(case)
        labels = dict(record.context.get("state_labels", {}))
        closed_at = case.closed_at or timezone.now()
        document_date = timezone.localtime(closed_at, BUREAU_TZ).date()
        retention = record.retention or service.retention_period
        fonds_code = f"JY{case.district.code}"
        events = [
            {
                "seq": e.seq,
                "at": _local(e.at),
                "actor": e.actor_label,
                "action": e.action,
                "action_label": str(label_for(e.action)),
                "from": e.from_state,
                "to": e.to_state,
                "from_label": _status_label(e.from_state, labels) if e.from_state else "",
                "to_label": _status_label(e.to_state, labels) if e.to_state else "",
                "note": e.note,
                "data": e.data,
            }
            for e in CaseEvent.objects.filter(case=case).order_by("seq")
        ]
        attachments = [
            AttachmentSource(
                kind=a.kind,
                original_name=a.original_name,
                content_type=a.content_type,
                size=a.size,
                sha256=a.sha256,
                uploaded_at=_local(a.uploaded_at),
                uploaded_by=a.uploaded_by.display_name,
                open=lambda a=a: a.file.open("rb"),
            )
            for a in Attachment.objects.filter(case=case)
            .select_related("uploaded_by")
            .order_by("uploaded_at", "pk")
        ]
        facts = {
            "reference_no": case.reference_no,
            "service_code": service.code,
            "service_name": service.name,
            "department": service.department,
            "district": case.district.name,
            "school": case.school.name if case.school_id else "",
            "school_code": case.school.code if case.school_id else "",
            "applicant": case.applicant.display_name,
            "subject_name": case.subject_name,
            "subject_id_masked": pii.mask_id(case.subject_id_number) if case.subject_id_number else "",
            "channel": case.channel,
            "channel_label": str(case.get_channel_display()),
            "status": case.status,
            "status_label": str(case.get_status_display()),
            "submitted_at": _local(case.submitted_at),
            "accepted_on": case.accepted_on.isoformat(),
            "deadline": case.deadline.isoformat() if case.deadline else "",
            "closed_at": _local(closed_at),
            "promised_days": case.promised_days,
            "paused_working_days": case.paused_working_days,
            "visits": case.visits,
        }
    return CaseSnapshot(
        archival_code=archival_code(
            fonds_code=fonds_code,
            year=document_date.year,
            retention_period=retention,
            reference_no=case.reference_no,
        ),
        fonds_code=fonds_code,
        fonds_name=f"{case.district.name}教育局",
        title=record.title or f"{service.name}：{case.subject_name}",
        responsible=service.department,
        retention_period=retention,
        document_date=document_date,
        closed_at=closed_at,
        case=facts,
        events=events,
        attachments=attachments,
        record=record,
    )


# --- files (no database) ------------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


def _safe_name(name: str, content_type: str) -> str:
    stem = _UNSAFE.sub("_", Path(name).stem).strip("._") or "file"
    return stem[:60] + PART_TYPES.get(content_type, ".bin")


def _create(path: Path) -> IO[bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "xb")  # noqa: SIM115 - closed by the callers' with-blocks; "x": never overwrite


def _write_new(path: Path, data: bytes) -> None:
    with _create(path) as handle:
        handle.write(data)
    os.chmod(path, 0o444)


def _copy_attachment(source: AttachmentSource, path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with source.open() as src, _create(path) as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
    os.chmod(path, 0o444)
    if digest.hexdigest() != source.sha256:
        raise PackageBuildError(
            f"attachment {source.original_name!r}: the stored file no longer matches the SHA-256 recorded at "
            "upload"
        )
    return size, digest.hexdigest()


def case_data(snapshot: CaseSnapshot, attachment_parts: list[mf.Part]) -> bytes:
    """The machine-readable case: kernel facts, the service's data, the full trace, the attachments."""
    data = {
        "format": DATA_FORMAT,
        "archival_code": snapshot.archival_code,
        "title": snapshot.title,
        "case": dict(snapshot.case),
        "service_data": dict(snapshot.record.data),
        "trace": snapshot.events,
        "attachments": [
            {
                "path": part.path,
                "kind": source.kind,
                "original_name": source.original_name,
                "content_type": source.content_type,
                "size": part.size,
                "sha256": part.sha256,
                "uploaded_at": source.uploaded_at,
                "uploaded_by": source.uploaded_by,
            }
            for source, part in zip(snapshot.attachments, attachment_parts, strict=True)
        ],
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def document_context(snapshot: CaseSnapshot, attachment_parts: list[mf.Part]) -> dict:
    return {
        **snapshot.record.context,
        "archive": {
            "archival_code": snapshot.archival_code,
            "fonds_code": snapshot.fonds_code,
            "fonds_name": snapshot.fonds_name,
            "title": snapshot.title,
            "responsible": snapshot.responsible,
            "retention": snapshot.retention_label,
            "document_date": snapshot.document_date,
        },
        "case": {**snapshot.case, "closed_text": _minutes(snapshot.case["closed_at"])},
        "events": [{**event, "when": _minutes(event["at"])} for event in snapshot.events],
        "attachments": [
            {"kind": s.kind, "name": s.original_name, "path": p.path, "size": p.size, "sha256": p.sha256}
            for s, p in zip(snapshot.attachments, attachment_parts, strict=True)
        ],
        "embedded_name": EMBEDDED,
    }


def _minutes(iso: str) -> str:
    return iso[:16].replace("T", " ")


def render_document(snapshot: CaseSnapshot, data: bytes, attachment_parts: list[mf.Part]) -> bytes:
    with translation.override("zh-hans"):
        return render_pdf(
            snapshot.record.template_name,
            document_context(snapshot, attachment_parts),
            pdf_variant=PDF_VARIANT,
            stylesheets=[STYLESHEET],
            attachments=[
                PdfAttachment(
                    name=EMBEDDED,
                    data=data,
                    description="办件数据与办理过程（case data and processing trace）",
                    relationship="Data",
                )
            ],
        )


def write_package(
    snapshot: CaseSnapshot, folder: Path, key: SigningKey, *, now: dt.datetime | None = None
) -> WrittenPackage:
    """Write the package into ``folder``, which must not exist yet."""
    folder.mkdir(parents=True, exist_ok=False)
    attachment_parts = []
    for number, source in enumerate(snapshot.attachments, start=1):
        relative = f"{ATTACHMENT_DIR}/{number:02d}-{_safe_name(source.original_name, source.content_type)}"
        size, sha256 = _copy_attachment(source, folder / relative)
        attachment_parts.append(
            mf.Part(
                relative,
                "attachment",
                source.content_type,
                size,
                sha256,
                f"{source.kind}：{source.original_name}",
            )
        )
    data = case_data(snapshot, attachment_parts)
    pdf = render_document(snapshot, data, attachment_parts)
    _write_new(folder / DOCUMENT, pdf)
    parts = [
        mf.Part(
            DOCUMENT, "document", "application/pdf", len(pdf), hashlib.sha256(pdf).hexdigest(), "PDF/A-3b"
        ),
        *attachment_parts,
    ]
    meta = mf.PackageMeta(
        archival_code=snapshot.archival_code,
        fonds_code=snapshot.fonds_code,
        fonds_name=snapshot.fonds_name,
        title=snapshot.title,
        responsible=snapshot.responsible,
        document_date=snapshot.document_date,
        retention_label=snapshot.retention_label,
        retention_code=snapshot.retention_code,
        reference_no=snapshot.reference_no,
        service_code=snapshot.case["service_code"],
        service_name=snapshot.case["service_name"],
        outcome=snapshot.case["status_label"],
        accepted_on=dt.date.fromisoformat(snapshot.case["accepted_on"]),
        created_at=timezone.localtime(now or timezone.now(), BUREAU_TZ),
        embedded_name=EMBEDDED,
        embedded_sha256=hashlib.sha256(data).hexdigest(),
        events=len(snapshot.events),
    )
    manifest = mf.build_manifest(
        meta=meta,
        parts=parts,
        closed_at=snapshot.case["closed_at"],
        sign=key.sign,
        public_key_pem=key.public_pem,
        key_id=key.key_id,
    )
    _write_new(folder / MANIFEST, manifest)
    return WrittenPackage(
        parts=parts,
        manifest_sha256=hashlib.sha256(manifest).hexdigest(),
        key_id=key.key_id,
        size=sum(p.size for p in parts) + len(manifest),
    )


def seal_folder(folder: Path) -> None:
    """Make the package's folders read-only too (after it has been moved into place)."""
    for path in [*sorted(folder.rglob("*"), reverse=True), folder]:
        if path.is_dir():
            os.chmod(path, READ_ONLY_DIR)


def archive_root() -> Path:
    configured = getattr(settings, "ARCHIVE_ROOT", "")
    return Path(configured) if configured else Path(settings.MEDIA_ROOT) / "archive"
