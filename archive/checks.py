"""The four-properties check (四性检测, after DA/T 70) of a package folder: authenticity, integrity,
usability, security. A library function: the build runs it before a package is stored, ``manage.py
archive_verify`` and the bureau's check page run it on demand. It reads only the folder (and the trusted
key fingerprints), so an exported copy can be checked anywhere.

Every item names the part it is about, so a failure says where to look.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from django.db import models
from django.utils.translation import gettext_lazy as _

from archive import keys
from archive import manifest as mf
from archive.package import DOCUMENT, EMBEDDED, MANIFEST, PART_TYPES
from portal.core.filetypes import sniff_content_type
from portal.core.pdfinspect import PDF_READ_ERRORS, inspect_pdf

logger = logging.getLogger(__name__)


class Property(models.TextChoices):
    AUTHENTICITY = "authenticity", _("Authenticity (真实性)")
    INTEGRITY = "integrity", _("Integrity (完整性)")
    USABILITY = "usability", _("Usability (可用性)")
    SECURITY = "security", _("Security (安全性)")


LABELS = {
    "signature": _("Manifest signature verifies"),
    "signing_key": _("Signed with a trusted key"),
    "digest": _("SHA-256 digest matches the manifest"),
    "embedded_digest": _("Embedded case data matches the manifest"),
    "registry": _("Manifest matches the archive registry"),
    "parts_present": _("Every part listed in the manifest is present"),
    "metadata": _("Mandatory metadata present"),
    "trace": _("Processing trace complete (no gaps)"),
    "attachments_listed": _("Attachments agree with the case data"),
    "xml": _("Manifest is well-formed XML"),
    "pdf_parses": _("PDF parses"),
    "pdfa": _("PDF declares PDF/A in its XMP metadata"),
    "fonts": _("All fonts embedded"),
    "embedded_data": _("Embedded case data readable (JSON)"),
    "format": _("File content matches its declared format"),
    "active_content": _("No JavaScript, launch or other active content"),
    "file_types": _("Only allowed file types"),
    "undeclared": _("No files outside the manifest"),
}


@dataclass(frozen=True)
class CheckItem:
    property: str
    code: str
    passed: bool
    part: str = ""
    detail: str = ""

    @property
    def label(self) -> str:
        return str(LABELS.get(self.code, self.code))

    @property
    def property_label(self) -> str:
        return str(Property(self.property).label)


@dataclass
class CheckReport:
    items: list[CheckItem] = field(default_factory=list)

    def add(self, prop: Property, code: str, passed: bool, part: str = "", detail: str = "") -> bool:
        self.items.append(CheckItem(str(prop.value), code, bool(passed), part, detail))
        return bool(passed)

    @property
    def passed(self) -> bool:
        return bool(self.items) and all(item.passed for item in self.items)

    @property
    def failures(self) -> list[CheckItem]:
        return [item for item in self.items if not item.passed]

    def as_json(self) -> list[dict]:
        return [asdict(item) for item in self.items]

    @classmethod
    def from_json(cls, rows: list[dict]) -> CheckReport:
        return cls([CheckItem(**row) for row in rows])


# --- the check ----------------------------------------------------------------------------------------------


def _safe_relative(path: str) -> bool:
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in path


def _trace_gaps(trace) -> str:
    """'' when the trace is a complete sequence 1..n ending in a final status, else what is wrong."""
    if not isinstance(trace, list) or not trace:
        return "the trace is empty"
    seqs = [entry.get("seq") if isinstance(entry, dict) else None for entry in trace]
    expected = list(range(1, len(trace) + 1))
    if seqs != expected:
        missing = sorted(set(expected) - {s for s in seqs if isinstance(s, int)})
        return f"event numbers are not 1..{len(trace)} in order (missing {missing[:10]})"
    if not any(entry.get("to") in ("done", "rejected", "withdrawn") for entry in trace):
        return "no event closes the case"
    return ""


def check_package(folder: Path, *, trusted_key_ids: frozenset[str] | None = None) -> CheckReport:
    """Run the four-properties check on a package folder; one item per check (and per part)."""
    report = CheckReport()
    folder = Path(folder)
    trusted = keys.trusted_key_ids() if trusted_key_ids is None else trusted_key_ids
    A, I, U, S = Property.AUTHENTICITY, Property.INTEGRITY, Property.USABILITY, Property.SECURITY  # noqa: E741

    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        report.add(I, "parts_present", False, MANIFEST, "the manifest is missing")
        return report
    document = manifest_path.read_bytes()
    try:
        manifest = mf.parse_manifest(document)
    except mf.ManifestError as exc:
        report.add(U, "xml", False, MANIFEST, str(exc))
        report.add(A, "signature", False, MANIFEST, "cannot be verified: the manifest does not parse")
        return report
    report.add(U, "xml", True, MANIFEST)

    # authenticity: the signature over the manifest, by a trusted key
    try:
        message, signature = mf.signed_message(document)
        public_key = keys.load_public_pem(manifest.public_key_pem)
        valid = keys.verify(public_key, signature, message)
        detail = "" if valid else "the signature does not match the manifest's content"
        key_id = keys.fingerprint(public_key)
    except (mf.ManifestError, ValueError) as exc:
        valid, detail, key_id = False, str(exc), ""
    report.add(A, "signature", valid, MANIFEST, detail)
    report.add(
        A,
        "signing_key",
        bool(key_id) and key_id in trusted and key_id == manifest.key_id,
        MANIFEST,
        f"key {key_id[:16] or '?'}…" + ("" if key_id in trusted else " is not a trusted archive key"),
    )

    # integrity: metadata
    missing = [name for name, value in manifest.metadata.items() if not value]
    bad_retention = (
        manifest.metadata.get("保管期限") and manifest.metadata["保管期限"] not in mf.RETENTION_VALUES
    )
    report.add(
        I,
        "metadata",
        not missing and not bad_retention,
        MANIFEST,
        ("missing: " + ", ".join(missing) if missing else "")
        + (f" retention {manifest.metadata['保管期限']!r} is not 永久/30年/10年" if bad_retention else ""),
    )

    # every part: present, digest, declared and actual type
    listed = set()
    contents: dict[str, bytes] = {}
    roles = [p.role for p in manifest.parts]
    report.add(
        I,
        "parts_present",
        roles.count("document") == 1 and manifest.parts[0].path == DOCUMENT if manifest.parts else False,
        MANIFEST,
        "" if roles.count("document") == 1 else "the manifest must list exactly one document.pdf",
    )
    for part in manifest.parts:
        listed.add(part.path)
        if not _safe_relative(part.path):
            report.add(S, "file_types", False, part.path or "?", "unsafe path in the manifest")
            continue
        path = folder / part.path
        if not path.is_file() or path.is_symlink():
            report.add(I, "parts_present", False, part.path, "listed in the manifest but missing")
            continue
        data = path.read_bytes()
        contents[part.path] = data
        digest = hashlib.sha256(data).hexdigest()
        report.add(
            A,
            "digest",
            digest == part.sha256 and len(data) == part.size,
            part.path,
            ""
            if digest == part.sha256
            else f"SHA-256 {digest[:16]}… differs from the manifest's {part.sha256[:16]}…",
        )
        actual = sniff_content_type(data[:16])
        report.add(
            S,
            "file_types",
            part.mime in PART_TYPES and actual == part.mime,
            part.path,
            "" if actual == part.mime else f"declared {part.mime}, content is {actual or 'unknown'}",
        )

    # security: nothing in the folder that the manifest does not list
    undeclared = sorted(
        str(p.relative_to(folder).as_posix())
        for p in folder.rglob("*")
        if (p.is_file() or p.is_symlink())
        and p.name != MANIFEST
        and p.relative_to(folder).as_posix() not in listed
    )
    report.add(
        S,
        "undeclared",
        not undeclared,
        ", ".join(undeclared),
        "not listed in the manifest" if undeclared else "",
    )

    # usability and security of each PDF; the embedded case data
    embedded: bytes | None = None
    for path, data in contents.items():
        if sniff_content_type(data[:16]) != "application/pdf":
            continue
        try:
            findings = inspect_pdf(data)
        except PDF_READ_ERRORS as exc:
            report.add(U, "pdf_parses", False, path, f"{type(exc).__name__}: {exc}")
            continue
        report.add(U, "pdf_parses", findings.pages > 0, path, f"{findings.pages} page(s)")
        report.add(
            S,
            "active_content",
            not findings.active,
            path,
            ("found " + ", ".join(findings.active)) if findings.active else "",
        )
        if path == DOCUMENT:
            part, conformance = findings.pdfa
            report.add(
                U,
                "pdfa",
                part in ("1", "2", "3", "4") and conformance.upper() in ("A", "B", "U"),
                path,
                f"PDF/A-{part or '?'}{conformance.lower() or '?'}",
            )
            report.add(
                U,
                "fonts",
                not findings.unembedded_fonts,
                path,
                ("not embedded: " + ", ".join(findings.unembedded_fonts))
                if findings.unembedded_fonts
                else "",
            )
            others = sorted(set(findings.embedded_files) - {EMBEDDED})
            report.add(
                S,
                "active_content",
                not others,
                path,
                f"unexpected embedded files: {others}" if others else "",
            )
            embedded = findings.embedded_files.get(EMBEDDED)
        elif findings.embedded_files:
            report.add(S, "active_content", False, path, f"embedded files: {sorted(findings.embedded_files)}")

    if DOCUMENT in contents:
        where = f"{DOCUMENT}#{EMBEDDED}"
        if embedded is None:
            report.add(U, "embedded_data", False, where, "no embedded case data")
        else:
            digest = hashlib.sha256(embedded).hexdigest()
            report.add(A, "embedded_digest", digest == manifest.embedded.get("sha256"), where)
            try:
                data = json.loads(embedded)
            except ValueError as exc:
                report.add(U, "embedded_data", False, where, str(exc))
            else:
                report.add(U, "embedded_data", isinstance(data, dict), where)
                if isinstance(data, dict):
                    gaps = _trace_gaps(data.get("trace"))
                    events = str(len(data.get("trace") or []))
                    if not gaps and manifest.embedded.get("events") != events:
                        gaps = f"{events} events, the manifest says {manifest.embedded.get('events')}"
                    report.add(I, "trace", not gaps, where, gaps or f"{events} events")
                    in_data = sorted((a.get("path"), a.get("sha256")) for a in data.get("attachments") or [])
                    in_manifest = sorted((p.path, p.sha256) for p in manifest.parts if p.role == "attachment")
                    report.add(
                        I,
                        "attachments_listed",
                        in_data == in_manifest,
                        where,
                        ""
                        if in_data == in_manifest
                        else "the case data and the manifest list different attachments",
                    )
    return report
