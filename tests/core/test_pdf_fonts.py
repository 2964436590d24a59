"""Compact font subsets (portal.core.pdf_fonts): the same pages, pixel for pixel in two independent
renderers (poppler, MuPDF) and character for character in two text extractors (pdftotext, pypdf), as
WeasyPrint's own subsets with retained glyph IDs, in a fraction of the size."""

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fontTools.cffLib import CFFFontSet
from pypdf import PdfReader

from portal.core import pdf, pdf_fonts

# Serif and bold sans faces, rare name characters (Extension B/C, Extension A), Latin, digits, the middle
# dot of minority names, and a character no installed font has (drawn as .notdef).
HTML = """<html><body>
<h1>王小𬌗 2027年小学入学申请</h1>
<p>申请人：阿依古丽·买买提 郑𠈌 龑䶮 身份证 330411202103150531 Zoë Ångström</p>
<p><strong>办理过程</strong>：自动核验完成 → 待审核；居住核验未通过（请上传唯一住宅证明）。</p>
<p>缺字：\U000f0000\U0010fff0</p>
</body></html>"""


def _render(tmp_path: Path, name: str, *, compact: bool, monkeypatch) -> Path:
    weasyprint, font_config, base_css, fetcher = pdf._renderer()
    if not compact:
        monkeypatch.setattr(pdf_fonts, "_compact_subset", lambda *args: None)
    data = weasyprint.HTML(string=HTML, url_fetcher=fetcher).write_pdf(
        stylesheets=[base_css], font_config=font_config, pdf_variant="pdf/a-3b"
    )
    monkeypatch.undo()
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    return path


def _tool(*command: str) -> bytes:
    exe = shutil.which(command[0])
    assert exe, f"{command[0]} is missing: install poppler-utils and mupdf-tools (make setup does)"
    return subprocess.run([exe, *command[1:]], capture_output=True, check=True).stdout


def _font_files(path: Path) -> list[tuple[str, bytes]]:
    """(FontFile3 subtype, font program) of each font on the first page."""
    fonts = PdfReader(path).pages[0]["/Resources"]["/Font"]
    files = []
    for font in fonts.values():
        descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        stream = (descriptor.get("/FontFile3") or descriptor.get("/FontFile2")).get_object()
        files.append((stream.get("/Subtype"), stream.get_data()))
    return files


@pytest.fixture
def rendered(tmp_path, monkeypatch):
    assert pdf_fonts.install(), "the pinned WeasyPrint is the one pdf_fonts was written for"
    return (
        _render(tmp_path, "retained", compact=False, monkeypatch=monkeypatch),
        _render(tmp_path, "compact", compact=True, monkeypatch=monkeypatch),
    )


def test_compact_subsets_draw_the_same_pixels_and_text(rendered, tmp_path):
    retained, compact = rendered
    for path in rendered:
        _tool("pdftoppm", "-r", "100", "-png", str(path), str(tmp_path / f"poppler-{path.stem}"))
        mupdf_pages = str(tmp_path / f"mupdf-{path.stem}-%d.png")
        _tool("mutool", "draw", "-q", "-r", "100", "-o", mupdf_pages, str(path))
    for renderer in ("poppler", "mupdf"):
        retained_page = (tmp_path / f"{renderer}-retained-1.png").read_bytes()
        assert retained_page == (tmp_path / f"{renderer}-compact-1.png").read_bytes(), renderer

    text = _tool("pdftotext", "-enc", "UTF-8", str(compact), "-").decode()
    assert text == _tool("pdftotext", "-enc", "UTF-8", str(retained), "-").decode()
    assert "王小𬌗" in text and "郑𠈌" in text and "阿依古丽·买买提" in text and "Zoë Ångström" in text
    extracted = PdfReader(compact).pages[0].extract_text()
    assert extracted == PdfReader(retained).pages[0].extract_text()
    # (the body font has WeasyPrint's CMap for the missing characters, which pypdf does not read either way)
    assert "王小𬌗 2027年小学入学申请" in extracted

    fonts = _tool("pdffonts", str(compact)).decode().splitlines()[2:]
    assert len(fonts) >= 2, fonts  # serif body, bold sans heading
    for line in fonts:
        # Identity-H, or WeasyPrint's own CMap sending missing characters to .notdef (the serif body here)
        assert "CID Type 0C " in line and ("Identity-H" in line or "Custom" in line), line
        assert line.split()[-5:-2] == ["yes", "yes", "yes"], line  # embedded, subset, ToUnicode


def test_compact_subsets_are_a_fraction_of_the_size(rendered):
    retained, compact = rendered
    assert compact.stat().st_size * 3 < retained.stat().st_size
    for subtype, font in _font_files(compact):
        assert subtype == "/CIDFontType0C" and len(font) < 60_000


def test_the_embedded_cff_selects_each_used_glyph_by_its_original_id(rendered):
    """Page content carries original glyph IDs as CIDs (Identity-H); the compact font has a glyph for
    each of them, found through its charset."""
    _retained, compact = rendered
    reader = PdfReader(compact)
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(descriptor["/FontFile3"].get_object().get_data()), None)
        top = cff.topDictIndex[0]
        assert top.ROS == ("Adobe", "Identity", 0)
        cids = {int(name[3:]) for name in top.charset if name.startswith("cid")}
        to_unicode = font["/ToUnicode"].get_object().get_data().decode()
        used = {int(code, 16) for code in re.findall(r"^<([0-9a-f]{4})> <", to_unicode, re.MULTILINE)}
        missing_glyph_codes = {code for code in used if code >= 65535 - 2}  # .notdef stand-ins, if any
        assert used - missing_glyph_codes <= cids | {0}
        assert len(top.charset) < 400  # the glyphs used, not 65,535 slots


def test_charsets_of_every_format_are_read():
    assert pdf_fonts.charset_cids(bytes([0, 0, 9, 0, 12]), 0, 3) == [0, 9, 12]
    assert pdf_fonts.charset_cids(bytes([1, 0, 7, 1, 1, 0, 0]), 0, 4) == [0, 7, 8, 256]
    assert pdf_fonts.charset_cids(bytes([2, 0, 7, 0, 2]), 0, 4) == [0, 7, 8, 9]
    with pytest.raises(ValueError):
        pdf_fonts.charset_cids(bytes([2, 0, 7, 0, 5]), 0, 4)  # runs past the glyphs
    with pytest.raises(ValueError):
        pdf_fonts.charset_cids(bytes([3, 0, 0]), 0, 2)  # no such format


def test_a_font_whose_cids_are_not_its_glyph_ids_is_left_to_weasyprint(tmp_path):
    """cid_keyed_cff hands out the CFF table only when glyph n draws the CID the page content will ask
    for; otherwise the font keeps WeasyPrint's subset (an OpenType font with retained glyph IDs)."""
    assert pdf_fonts.install()
    real, seen = pdf_fonts.cid_keyed_cff, []

    def spy(font, original, *, shift=0):
        seen.append((font, original))
        return real(font, [original[0], *(glyph + shift for glyph in original[1:])])

    weasyprint, font_config, base_css, fetcher = pdf._renderer()
    paths = {}
    for shift in (0, 1):
        pdf_fonts.cid_keyed_cff = lambda font, original, shift=shift: spy(font, original, shift=shift)
        try:
            data = weasyprint.HTML(string=HTML, url_fetcher=fetcher).write_pdf(
                stylesheets=[base_css], font_config=font_config, pdf_variant="pdf/a-3b"
            )
        finally:
            pdf_fonts.cid_keyed_cff = real
        paths[shift] = tmp_path / f"shift{shift}.pdf"
        paths[shift].write_bytes(data)
    assert seen and all(font[:4] == b"OTTO" for font, _original in seen)
    assert {subtype for subtype, _font in _font_files(paths[0])} == {"/CIDFontType0C"}
    assert {subtype for subtype, _font in _font_files(paths[1])} == {"/OpenType"}
    assert pdf_fonts.cid_keyed_cff(b"OTTO" + b"\0" * 8, [0]) is None  # no tables at all
    assert pdf_fonts.cid_keyed_cff(_font_files(paths[0])[0][1], [0]) is None  # a bare CFF is no OpenType


def test_another_weasyprint_version_is_left_alone(monkeypatch):
    import weasyprint
    from weasyprint.pdf import fonts

    subset = fonts.Font._harfbuzz_subset
    monkeypatch.setattr(pdf_fonts, "_installed", None)
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    monkeypatch.setattr(fonts.Font, "_harfbuzz_subset", subset)  # restored after the test either way
    assert pdf_fonts.install() is False
    assert fonts.Font._harfbuzz_subset is subset
