"""Compact font subsets (portal.core.pdf_fonts): the same pages, pixel for pixel and character for
character, as WeasyPrint's own subsets with retained glyph IDs, in a fraction of the size."""

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
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
    assert exe, f"{command[0]} is missing: install poppler-utils (make setup does)"
    return subprocess.run([exe, *command[1:]], capture_output=True, check=True).stdout


def _embedded_fonts(path: Path) -> list[bytes]:
    fonts = PdfReader(path).pages[0]["/Resources"]["/Font"]
    files = []
    for font in fonts.values():
        descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        stream = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
        files.append(stream.get_object().get_data())
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
        _tool("pdftoppm", "-r", "100", "-png", str(path), str(tmp_path / path.stem))
    assert (tmp_path / "retained-1.png").read_bytes() == (tmp_path / "compact-1.png").read_bytes()

    text = _tool("pdftotext", "-enc", "UTF-8", str(compact), "-").decode()
    assert text == _tool("pdftotext", "-enc", "UTF-8", str(retained), "-").decode()
    assert "王小𬌗" in text and "郑𠈌" in text and "阿依古丽·买买提" in text and "Zoë Ångström" in text

    fonts = _tool("pdffonts", str(compact)).decode().splitlines()[2:]
    assert len(fonts) >= 2, fonts  # serif body, bold sans heading
    for line in fonts:
        assert "Custom" in line and line.split()[-5:-2] == ["yes", "yes", "yes"], line  # emb sub uni


def test_compact_subsets_are_a_fraction_of_the_size(rendered):
    retained, compact = rendered
    assert compact.stat().st_size * 3 < retained.stat().st_size
    for font in _embedded_fonts(compact):
        assert len(font) < 60_000


def test_the_cid_keyed_cff_subset_numbers_cids_as_glyphs_with_valid_checksums(rendered):
    _retained, compact = rendered
    for data in _embedded_fonts(compact):
        font = TTFont(io.BytesIO(data), checkChecksums=2)  # a wrong table checksum raises
        order = font.getGlyphOrder()
        assert font["CFF "].cff.topDictIndex[0].ROS == ("Adobe", "Identity", 0)
        assert order == [".notdef", *(f"cid{n:05d}" for n in range(1, len(order)))]
        whole = pdf_fonts._checksum(data)
        assert whole == 0xB1B0AFBA, "head.checkSumAdjustment makes the whole font sum to the magic number"


def test_cid_ranges_join_runs_and_send_missing_glyphs_to_notdef():
    glyph_map = {0: 0, 5: 1, 6: 2, 7: 3, 9: 4, 10: 5, 300: 6}
    codes = [0, 5, 6, 7, 9, 10, 300, 65000, 65001]
    assert pdf_fonts.cid_ranges(codes, glyph_map) == [
        (0, 0, 0),
        (5, 7, 1),
        (9, 10, 4),
        (300, 300, 6),
        (65000, 65000, 0),
        (65001, 65001, 0),
    ]


def test_identity_charsets_are_written_in_the_space_of_the_old_one():
    # Format 0 (a CID per glyph) keeps its length; ranges become one range.
    assert pdf_fonts._identity_charset_in_place(bytes([0, 0, 9, 0, 12]), 0, 3) == bytes([0, 0, 1, 0, 2])
    assert pdf_fonts._identity_charset_in_place(bytes([1, 0, 7, 1]), 0, 3) == bytes([1, 0, 1, 1])
    two_ranges = bytes([1, 0, 7, 255, 1, 10, 42])  # 256 + 43 glyphs after .notdef
    assert pdf_fonts._identity_charset_in_place(two_ranges, 0, 300) == bytes([2, 0, 1, 1, 42])
    assert pdf_fonts._identity_charset_in_place(bytes([3, 0, 0]), 0, 3) is None  # no such format
    assert pdf_fonts._identity_charset_in_place(bytes([0]), 0, 1) is None  # .notdef only


def test_another_weasyprint_version_is_left_alone(monkeypatch):
    import weasyprint
    from weasyprint.pdf import fonts

    subset = fonts.Font._harfbuzz_subset
    monkeypatch.setattr(pdf_fonts, "_installed", None)
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    monkeypatch.setattr(fonts.Font, "_harfbuzz_subset", subset)  # restored after the test either way
    assert pdf_fonts.install() is False
    assert fonts.Font._harfbuzz_subset is subset
