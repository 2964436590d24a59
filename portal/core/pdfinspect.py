"""What is inside a PDF: pages, PDF/A declaration, fonts without a font program, active content (scripts,
launch and form actions, media) and embedded files. The archive's four-properties check judges packages
with it; attachment uploads are refused with it, so that no family's file can keep their case out of the
archive."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from defusedxml import ElementTree as SafeET
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"
# keys and action types that run code or reach outside the document
ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/RichMedia", "/XFA"}
ACTIVE_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/SubmitForm",
    "/ImportData",
    "/ResetForm",
    "/GoToR",
    "/GoToE",
    "/Rendition",
    "/RichMediaExecute",
    "/Movie",
    "/Sound",
}
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")

# what reading a damaged, unusual or password-protected PDF raises
PDF_READ_ERRORS = (PyPdfError, ValueError, KeyError, TypeError, SafeET.ParseError)


@dataclass
class PdfFindings:
    pages: int = 0
    pdfa: tuple[str, str] = ("", "")  # (part, conformance) from the XMP metadata
    unembedded_fonts: list[str] = field(default_factory=list)
    active: list[str] = field(default_factory=list)
    embedded_files: dict[str, bytes] = field(default_factory=dict)


def _walk(root) -> list[DictionaryObject]:
    """Every dictionary reachable from ``root`` (streams' dictionaries included), each once."""
    seen_refs: set[tuple[int, int]] = set()
    seen_ids: set[int] = set()
    found: list[DictionaryObject] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen_refs:
                continue
            seen_refs.add(ref)
            node = node.get_object()
        if id(node) in seen_ids:
            continue
        if isinstance(node, DictionaryObject):
            seen_ids.add(id(node))
            found.append(node)
            stack.extend(node.values())
        elif isinstance(node, ArrayObject):
            seen_ids.add(id(node))
            stack.extend(node)
    return found


def _xmp_pdfa(reader: PdfReader) -> tuple[str, str]:
    metadata = reader.trailer["/Root"].get("/Metadata")
    if metadata is None:
        return ("", "")
    root = SafeET.fromstring(metadata.get_object().get_data())
    part = conformance = ""
    for element in root.iter():
        for name, value in element.attrib.items():
            if name == f"{{{PDFAID_NS}}}part":
                part = value
            elif name == f"{{{PDFAID_NS}}}conformance":
                conformance = value
        if element.tag == f"{{{PDFAID_NS}}}part":
            part = (element.text or "").strip()
        elif element.tag == f"{{{PDFAID_NS}}}conformance":
            conformance = (element.text or "").strip()
    return (part, conformance)


def inspect_pdf(data: bytes) -> PdfFindings:
    """Pages, PDF/A declaration, fonts without an embedded font program, active content and embedded
    files of a PDF. Raises pypdf's errors (or ValueError) when it does not parse."""
    reader = PdfReader(io.BytesIO(data), strict=False)
    findings = PdfFindings(pages=len(reader.pages))
    findings.pdfa = _xmp_pdfa(reader)
    for node in _walk(reader.trailer):
        kind = node.get("/Type")
        if kind == "/Font" and node.get("/Subtype") not in ("/Type0", "/Type3"):
            descriptor = node.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else None
            if descriptor is None or not any(k in descriptor for k in FONT_FILES):
                findings.unembedded_fonts.append(str(node.get("/BaseFont", "?")))
        for key in ACTIVE_KEYS & set(node.keys()):
            findings.active.append(key)
        action = node.get("/S")
        if action in ACTIVE_ACTIONS:
            findings.active.append(f"/S {action}")
    for name, contents in reader.attachments.items():
        findings.embedded_files[name] = contents[0] if contents else b""
    findings.unembedded_fonts = sorted(set(findings.unembedded_fonts))
    findings.active = sorted(set(findings.active))
    return findings
