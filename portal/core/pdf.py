"""The portal's one PDF renderer: Django template → HTML → WeasyPrint → PDF bytes.

Every document (place and admission notices, certificates, receipts, licences, archive documents) goes
through :func:`render_pdf`, so fonts, page set-up and the speed levers measured in DESIGN.md
("Documents") are decided once:

- Fonts: Noto CJK from Debian's ``fonts-noto-cjk`` covers CJK Extension A and the Extension B/C names
  families bring (𠈌 U+2020C, 䶮 U+4DAE, 𬌗 U+2C317) and the middle dot of minority names. The font
  stacks below name families that fontconfig resolves; the installed ones are looked up once per process.
- Font subsetting must go through HarfBuzz-Subset (``libharfbuzz-subset0``): without it WeasyPrint only
  logs a warning and falls back to fontTools, ~20 s instead of ~0.8 s per document.
  :func:`harfbuzz_subset_available` answers the way WeasyPrint itself decides.
- CJK fonts are embedded as compact CID-keyed CFF subsets (:mod:`portal.core.pdf_fonts`, ADR 0009):
  ~40 KB instead of ~170 KB of Noto CJK per face, and ~50 ms less per document.
- Fixed table layout and no "page X of Y" counter (both force costly re-layout).
- ``import weasyprint`` takes ~1 s: it is imported on first use, and the ``FontConfiguration`` and base
  stylesheet are kept for the life of the process (one per thread: Pango objects are not shared between
  threads). Render in a long-lived process (web or Celery worker), never in a fresh one per document.
- A ``weasyprint.Attachment`` serves one document only, so callers pass :class:`PdfAttachment` values
  and a fresh ``Attachment`` is built for every render.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import segno
from django.conf import settings
from django.template.loader import render_to_string

from portal.core import pdf_fonts

logger = logging.getLogger(__name__)

# Preferred families, best first. Noto CJK SC is what the Makefile installs; the others are used when a
# machine has them (Source Han = the same design under Adobe's name; HanaMin / BabelStone Han cover the
# rarest Extension B-H characters should a name ever need one Noto CJK lacks).
SERIF_FAMILIES = ("Noto Serif CJK SC", "Source Han Serif SC", "Noto Sans CJK SC", "Source Han Sans SC")
SANS_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Serif CJK SC", "Source Han Serif SC")
RARE_FALLBACK_FAMILIES = ("HanaMinA", "HanaMinB", "BabelStone Han", "Noto Sans", "DejaVu Sans")

BASE_CSS_TEMPLATE = """
@page {{ size: A4; margin: 20mm 18mm 22mm 18mm; }}
html {{ font-family: {serif}; font-size: 11pt; line-height: 1.6; color: #111; }}
h1, h2, h3, h4, th, strong, b, .sans {{ font-family: {sans}; font-weight: bold; }}
table {{ table-layout: fixed; width: 100%; border-collapse: collapse; }}
td, th {{ overflow-wrap: anywhere; vertical-align: top; }}
img, svg {{ max-width: 100%; }}
"""


@dataclass(frozen=True)
class PdfAttachment:
    """A file embedded in the PDF (e.g. the case data as JSON in a PDF/A-3b archive document)."""

    name: str
    data: bytes
    description: str | None = None
    relationship: str = "Data"  # ISO 32000-2 7.11.3: Source, Data, Alternative, Supplement, Unspecified


# --- fonts ------------------------------------------------------------------------------------------------


@cache
def installed_families() -> frozenset[str]:
    """Font families fontconfig knows on this machine (empty when ``fc-list`` is not available)."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return frozenset()
    try:
        out = subprocess.run(  # noqa: S603 - fixed arguments to fontconfig's own tool
            [fc_list, ":", "family"], capture_output=True, text=True, timeout=20, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):  # pragma: no cover - a broken fontconfig
        logger.warning("fc-list failed; using the configured font stack unchecked", exc_info=True)
        return frozenset()
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(",") if name.strip())


def _stack(preferred: tuple[str, ...], generic: str) -> str:
    installed = installed_families()
    names = [f for f in (*preferred, *RARE_FALLBACK_FAMILIES) if not installed or f in installed]
    return ", ".join([*(f'"{name}"' for name in names), generic])


@cache
def font_stacks() -> dict[str, str]:
    """The CSS ``font-family`` values for body text (serif, as official documents use 宋体) and for
    headings and labels (sans, 黑体)."""
    stacks = {"serif": _stack(SERIF_FAMILIES, "serif"), "sans": _stack(SANS_FAMILIES, "sans-serif")}
    if installed_families() and not set(installed_families()) & {*SERIF_FAMILIES, *SANS_FAMILIES}:
        logger.error("No CJK font installed (Debian: apt-get install fonts-noto-cjk); PDFs will show boxes")
    return stacks


@cache
def _families_covering(codepoint: int) -> frozenset[str]:
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return frozenset()
    out = subprocess.run(  # noqa: S603 - fixed arguments (a hex code point) to fontconfig's own tool
        [fc_list, f":charset={codepoint:x}", "family"], capture_output=True, text=True, timeout=20
    ).stdout
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(",") if name.strip())


def uncovered_characters(text: str) -> list[str]:
    """Characters of ``text`` that no family of the documents' font stack can draw (they would come out
    as empty boxes). ASCII is assumed covered. Asks fontconfig, so it answers for this machine."""
    wanted = {*SERIF_FAMILIES, *SANS_FAMILIES, *RARE_FALLBACK_FAMILIES}
    missing = []
    for char in dict.fromkeys(text):
        if ord(char) < 0x80 or char.isspace():
            continue
        if not _families_covering(ord(char)) & wanted:
            missing.append(char)
    return missing


def harfbuzz_subset_available() -> bool:
    """True when WeasyPrint subsets fonts with HarfBuzz-Subset rather than the slow fontTools fallback.

    The same test WeasyPrint applies in ``weasyprint.pdf.fonts.Font.subset``: the library was found by
    ``weasyprint.text.ffi`` (``dlopen('harfbuzz-subset')``) and HarfBuzz is at least 4.1.0."""
    from weasyprint.text import ffi

    return ffi.harfbuzz_subset is not None and bool(ffi.harfbuzz.hb_version_atleast(4, 1, 0))


def pdf_environment_problems() -> list[str]:
    """What is missing on this machine for fast, correct PDFs (for a system check or a health page)."""
    problems = []
    if not harfbuzz_subset_available():
        problems.append("libharfbuzz-subset0 (HarfBuzz-Subset >= 4.1) is missing: PDFs take ~20 s each")
    installed = installed_families()
    if installed and not installed & {*SERIF_FAMILIES, *SANS_FAMILIES}:
        problems.append("no CJK font (fonts-noto-cjk) is installed: Chinese text would show as boxes")
    rare = uncovered_characters("𠈌䶮𬌗·")
    if installed and rare:
        problems.append(f"no installed font draws {' '.join(rare)}: rare name characters would show as boxes")
    return problems


# --- rendering --------------------------------------------------------------------------------------------

_local = threading.local()


def _renderer():
    """This thread's long-lived FontConfiguration, base stylesheet and URL fetcher."""
    state = getattr(_local, "state", None)
    if state is None:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        if not harfbuzz_subset_available():
            logger.error("HarfBuzz-Subset is missing (Debian: libharfbuzz-subset0); PDFs will be very slow")
        pdf_fonts.install()
        font_config = FontConfiguration()
        # Only inline data and local files: a document never reaches out to the network while rendering.
        fetcher = weasyprint.URLFetcher(allowed_protocols={"data", "file"}, timeout=5)
        css = weasyprint.CSS(
            string=BASE_CSS_TEMPLATE.format(**font_stacks()), font_config=font_config, url_fetcher=fetcher
        )
        state = _local.state = (weasyprint, font_config, css, fetcher)
    return state


def _stylesheet(template_name: str):
    """This thread's parsed copy of a CSS template (see ``render_pdf(stylesheets=…)``)."""
    weasyprint, font_config, _base_css, fetcher = _renderer()
    cache = _local.__dict__.setdefault("stylesheets", {})
    css = cache.get(template_name)
    if css is None:
        source = render_to_string(template_name, font_stacks())
        css = cache[template_name] = weasyprint.CSS(
            string=source, font_config=font_config, url_fetcher=fetcher, base_url=default_base_url()
        )
    return css


def default_base_url() -> str:
    """Relative ``src``/``href`` in document templates resolve against the project's static folder."""
    return Path(settings.BASE_DIR, "static").as_uri() + "/"


def render_pdf(
    template_name: str,
    context: Mapping | None,
    *,
    pdf_variant: str | None = None,
    attachments: Iterable[PdfAttachment | tuple[str, bytes]] = (),
    base_url: str | None = None,
    stylesheets: Iterable[str] = (),
) -> bytes:
    """Render a Django template to PDF bytes.

    ``pdf_variant`` is passed to WeasyPrint (``"pdf/a-3b"`` for archive documents). ``attachments`` are
    :class:`PdfAttachment` values or ``(name, data)`` pairs; a new ``weasyprint.Attachment`` is made for
    each, because one can serve a single document only (a ready-made one is refused). ``stylesheets`` names
    CSS templates (rendered with the font stacks ``serif`` and ``sans``) applied after the base CSS and
    parsed once per process instead of once per document, as a ``<style>`` element would be."""
    weasyprint, font_config, base_css, fetcher = _renderer()
    extra_css = [_stylesheet(name) for name in stylesheets]
    html = render_to_string(template_name, dict(context or {}))
    built = []
    for item in attachments:
        if isinstance(item, weasyprint.Attachment):
            raise TypeError("pass PdfAttachment values: a weasyprint.Attachment serves one document only")
        if not isinstance(item, PdfAttachment):
            name, data = item
            item = PdfAttachment(name=name, data=data)
        built.append(
            weasyprint.Attachment(
                string=item.data,
                name=item.name,
                description=item.description,
                relationship=item.relationship,
                url_fetcher=fetcher,
            )
        )
    document = weasyprint.HTML(string=html, base_url=base_url or default_base_url(), url_fetcher=fetcher)
    return document.write_pdf(
        stylesheets=[base_css, *extra_css],
        font_config=font_config,
        pdf_variant=pdf_variant,
        attachments=built or None,
    )


def qr_svg(url: str, *, scale: int = 4, border: int = 2) -> str:
    """A QR code for ``url`` as an SVG data URI, for ``<img src="…">`` in HTML and PDF templates
    (error correction M: still readable from a crumpled print-out)."""
    qr = segno.make(url, error="m", micro=False, boost_error=False)
    return qr.svg_data_uri(scale=scale, border=border)
