"""Compact font subsets for WeasyPrint: glyphs renumbered instead of kept at their original IDs.

WeasyPrint 70 subsets every embedded font keeping the original glyph IDs (HarfBuzz ``RETAIN_GIDS``),
because it has already written those IDs into the content streams when it subsets the font at the end.
With Noto CJK (65,535 glyphs) such a subset still has an empty slot for every glyph below the highest
one used: ~170 KB of the ~195 KB of a two-page archive document, and about a third of its render time
goes into subsetting, writing and compressing those slots (docs/workflows/archive.md, Performance).

:func:`install` makes WeasyPrint subset to a compact font (glyphs 0…n-1) and keeps every page exact
without touching a content stream:

- the content streams keep the original glyph IDs as character codes, so ``ToUnicode`` (code → text,
  what text extraction and the archive's pdftotext check read) is unchanged;
- the font's ``Encoding`` becomes an embedded CMap from each code to the new glyph number, used as the
  CID (WeasyPrint writes the same kind of CMap itself for fonts with missing glyphs);
- ``W`` (the widths) is keyed by the new CIDs;
- a CID-keyed CFF font (Noto CJK) selects glyphs through its charset (PDF 32000 9.7.4.2), which HarfBuzz
  fills with the original CIDs, while other readers (poppler) take the CID as the glyph index. The charset
  is rewritten to the identity (glyph n is CID n) so that both read the same glyph.

Anything unexpected leaves a font to WeasyPrint's own path: another WeasyPrint version (nothing is
patched), variable or colour fonts, a subset with other glyphs than asked for (a closure added some), a
CFF charset the identity does not fit into. Tests rasterise documents both ways and compare the pixels.
"""

from __future__ import annotations

import logging
import struct
import sys
import threading
from array import array
from functools import cache

logger = logging.getLogger(__name__)

#: The WeasyPrint release whose internals (``weasyprint.pdf.fonts``) this module was written against.
SUPPORTED_WEASYPRINT = "70.0"

# Tables WeasyPrint drops from its subsets (weasyprint.pdf.fonts.Font._harfbuzz_subset).
DROPPED_TABLES = (
    b"BASE",
    b"DSIG",
    b"EBDT",
    b"EBLC",
    b"EBSC",
    b"GPOS",
    b"GSUB",
    b"JSTF",
    b"LTSH",
    b"PCLT",
    b"SVG ",
)

_state = threading.local()  # .maps: {font hash: {code: new glyph id}} while a document's fonts are built
_install_lock = threading.Lock()
_installed: bool | None = None


def install() -> bool:
    """Patch WeasyPrint (once per process) to embed compact subsets; False when its version is not the one
    this was written for, in which case WeasyPrint keeps its own behaviour."""
    global _installed
    with _install_lock:
        if _installed is not None:
            return _installed
        import weasyprint
        from weasyprint import pdf as weasy_pdf
        from weasyprint.pdf import fonts

        if weasyprint.__version__ != SUPPORTED_WEASYPRINT:
            logger.warning(
                "WeasyPrint %s is not %s: fonts are embedded with retained glyph IDs (larger, slower PDFs)",
                weasyprint.__version__,
                SUPPORTED_WEASYPRINT,
            )
            _installed = False
            return False

        retaining_subset = fonts.Font._harfbuzz_subset
        build_all = fonts.build_fonts_dictionary
        build_vector = fonts._build_vector_font_dictionary

        def harfbuzz_subset(font, to_unicode, hinting):
            maps = getattr(_state, "maps", None)
            glyph_map = None if maps is None else _compact_subset(font, to_unicode, hinting)
            if glyph_map is None:
                retaining_subset(font, to_unicode, hinting)
            else:
                maps[font.hash] = glyph_map

        def build_fonts_dictionary(pdf, fonts_, compress, subset, options):
            _state.maps = {}
            try:
                return build_all(pdf, fonts_, compress, subset, options)
            finally:
                _state.maps = None

        def build_vector_font_dictionary(
            font_dictionary, pdf, font, widths, compress, reference, pdf_version
        ):
            glyph_map = (getattr(_state, "maps", None) or {}).get(font.hash)
            if glyph_map is None:
                return build_vector(font_dictionary, pdf, font, widths, compress, reference, pdf_version)
            cid_widths = {glyph_map[code]: width for code, width in widths.items() if code in glyph_map}
            # WeasyPrint reads font.widths (fixed pitch, CIDSet) and font.missing (its own CMap) as well.
            saved = font.widths, font.missing
            font.widths, font.missing = cid_widths, {}
            try:
                build_vector(font_dictionary, pdf, font, cid_widths, compress, reference, pdf_version)
            finally:
                font.widths, font.missing = saved
            encoding = _encoding_cmap(font.to_unicode, glyph_map, compress)
            pdf.add_object(encoding)
            font_dictionary["Encoding"] = encoding.reference
            return None

        fonts.Font._harfbuzz_subset = harfbuzz_subset
        fonts.build_fonts_dictionary = build_fonts_dictionary
        weasy_pdf.build_fonts_dictionary = build_fonts_dictionary
        fonts._build_vector_font_dictionary = build_vector_font_dictionary
        _installed = True
        return True


def _compact_subset(font, to_unicode, hinting) -> dict[int, int] | None:
    """Subset ``font`` to the glyphs of ``to_unicode`` numbered 0…n-1 in their original order; the map from
    original glyph ID to new one, or None (font untouched) where the compact form is not safe."""
    from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset
    from weasyprint.text.fonts import get_hb_object_data

    if "fvar" in font.tables or font.png or font.svg or font.colr:
        return None  # WeasyPrint rewrites these with fontTools after subsetting
    kept = sorted({0, *(glyph for glyph in to_unicode if glyph < font.glyph_count)})

    subset_input = ffi.gc(
        harfbuzz_subset.hb_subset_input_create_or_fail(), harfbuzz_subset.hb_subset_input_destroy
    )
    if subset_input == ffi.NULL:
        return None
    glyphs = ffi.new(f"hb_codepoint_t[{len(kept)}]", kept)
    harfbuzz.hb_set_add_sorted_array(
        harfbuzz_subset.hb_subset_input_glyph_set(subset_input), glyphs, len(kept)
    )
    flags = (
        harfbuzz_subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED
        | harfbuzz_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE
    )
    if not hinting:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING
    if font.missing:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NOTDEF_OUTLINE
    harfbuzz_subset.hb_subset_input_set_flags(subset_input, flags)
    tags = sorted(harfbuzz.hb_tag_from_string(tag, -1) for tag in DROPPED_TABLES)
    drop = harfbuzz_subset.hb_subset_input_set(subset_input, harfbuzz_subset.HB_SUBSET_SETS_DROP_TABLE_TAG)
    harfbuzz.hb_set_add_sorted_array(drop, ffi.new(f"hb_codepoint_t[{len(tags)}]", tags), len(tags))

    plan_api = _subset_plan_api()
    if plan_api is None:
        return None
    api, subset_lib, hb_lib = plan_api
    plan = subset_lib.hb_subset_plan_create_or_fail(
        _cast(api, "hb_face_t *", font.hb_face), _cast(api, "hb_subset_input_t *", subset_input)
    )
    if plan == api.NULL:
        return None
    try:
        # HarfBuzz may add glyphs to those asked for (components, variation sequences): its own numbering.
        new_to_old = subset_lib.hb_subset_plan_new_to_old_glyph_mapping(plan)
        old_to_new = {
            hb_lib.hb_map_get(new_to_old, new): new for new in range(hb_lib.hb_map_get_population(new_to_old))
        }
        subset_face = subset_lib.hb_subset_plan_execute_or_fail(plan)
    finally:
        subset_lib.hb_subset_plan_destroy(plan)
    if subset_face == api.NULL or any(glyph not in old_to_new for glyph in kept):
        return None
    face = ffi.gc(_cast(ffi, "hb_face_t *", subset_face), harfbuzz.hb_face_destroy)
    content = get_hb_object_data(face)
    if not content:
        return None
    if content[:4] == b"OTTO":
        content = identity_cid_charset(content)
        if content is None:
            return None
    font.file_content = content
    return old_to_new


_PLAN_CDEF = """
typedef struct hb_face_t hb_face_t;
typedef struct hb_subset_input_t hb_subset_input_t;
typedef struct hb_subset_plan_t hb_subset_plan_t;
typedef struct hb_map_t hb_map_t;
typedef uint32_t hb_codepoint_t;
hb_subset_plan_t * hb_subset_plan_create_or_fail (hb_face_t *face, const hb_subset_input_t *input);
hb_face_t * hb_subset_plan_execute_or_fail (hb_subset_plan_t *plan);
void hb_subset_plan_destroy (hb_subset_plan_t *plan);
const hb_map_t * hb_subset_plan_new_to_old_glyph_mapping (const hb_subset_plan_t *plan);
hb_codepoint_t hb_map_get (const hb_map_t *map, hb_codepoint_t key);
unsigned int hb_map_get_population (const hb_map_t *map);
"""


@cache
def _subset_plan_api():
    """HarfBuzz-Subset's plan API (HarfBuzz >= 4), which tells the glyph numbering of a subset; WeasyPrint's
    bindings do not declare it. None when the libraries cannot be loaded."""
    import cffi

    api = cffi.FFI()
    api.cdef(_PLAN_CDEF)
    try:
        return (
            api,
            _dlopen(api, "libharfbuzz-subset.so.0", "harfbuzz-subset"),
            _dlopen(api, "libharfbuzz.so.0", "harfbuzz"),
        )
    except OSError:
        logger.warning("HarfBuzz's subset plan API is not available: fonts keep their glyph IDs")
        return None


def _dlopen(api, *names):
    for name in names[:-1]:
        try:
            return api.dlopen(name)
        except OSError:
            continue
    return api.dlopen(names[-1])


def _cast(target_ffi, c_type: str, pointer):
    """The same C pointer as a ``c_type`` of ``target_ffi`` (WeasyPrint's bindings and ours are two FFIs
    over one cffi backend, which casts a pointer of either to an integer)."""
    return target_ffi.cast(c_type, int(target_ffi.cast("uintptr_t", pointer)))


def _encoding_cmap(to_unicode: dict, glyph_map: dict[int, int], compress: bool):
    """The font's Encoding: an embedded CMap taking each code the page content uses (the original glyph
    ID) to its new CID; codes of missing glyphs go to CID 0 (.notdef), as in WeasyPrint's own CMap."""
    import pydyf

    system_info = pydyf.Dictionary(
        {"Registry": pydyf.String("Adobe"), "Ordering": pydyf.String("Identity"), "Supplement": 0}
    )
    cmap = pydyf.Stream(
        [
            b"/CIDInit /ProcSet findresource begin",
            b"12 dict begin",
            b"begincmap",
            b"/CIDSystemInfo 3 dict dup begin",
            b"/Registry (Adobe) def /Ordering (Identity) def /Supplement 0 def",
            b"end def",
            b"/CMapName /WP-Renumbered-0 def",
            b"/CMapType 1 def",
            b"1 begincodespacerange",
            b"<0000> <ffff>",
            b"endcodespacerange",
        ],
        pydyf.Dictionary({"Type": "/CMap", "CMapName": "/WP-Renumbered-0", "CIDSystemInfo": system_info}),
        compress=compress,
    )
    ranges = cid_ranges(sorted(to_unicode), glyph_map)
    for start in range(0, len(ranges), 100):  # at most 100 entries a block (PDF 32000 9.7.5.4)
        block = ranges[start : start + 100]
        cmap.stream.append(f"{len(block)} begincidrange".encode())
        cmap.stream.extend(f"<{low:04x}> <{high:04x}> {cid}".encode() for low, high, cid in block)
        cmap.stream.append(b"endcidrange")
    cmap.stream.extend([b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"])
    return cmap


def cid_ranges(codes: list[int], glyph_map: dict[int, int]) -> list[tuple[int, int, int]]:
    """(first code, last code, first CID) runs of sorted ``codes`` whose CIDs go up by one with the code;
    a code not in ``glyph_map`` (a missing glyph) goes to CID 0."""
    ranges: list[list[int]] = []
    for code in codes:
        cid = glyph_map.get(code, 0)
        last = ranges[-1] if ranges else None
        if last and code == last[1] + 1 and cid == last[2] + code - last[0]:
            last[1] = code
        else:
            ranges.append([code, code, cid])
    return [(low, high, cid) for low, high, cid in ranges]


# --- OpenType/CFF: an identity charset ---------------------------------------------------------------------


def identity_cid_charset(font: bytes) -> bytes | None:
    """``font`` (an OpenType font with CFF outlines) with the charset of a CID-keyed CFF table rewritten so
    that glyph n is CID n, and the table and font checksums updated. Returned unchanged when the CFF is not
    CID-keyed (glyphs are then selected by index anyway); None when the charset cannot be rewritten in place.
    """
    tables = _table_records(font)
    if b"CFF " not in tables:
        return font
    record, offset, length = tables[b"CFF "]
    cff = bytearray(font[offset : offset + length])
    try:
        top = _top_dict(cff)
        if (12, 30) not in top:  # no ROS operator: not CID-keyed
            return font
        charset_at, charstrings_at = top.get(15, [0])[0], top.get(17, [0])[0]
        if charset_at < 3 or not charstrings_at:  # 0-2 are the predefined (non-CID) charsets
            return None
        count = struct.unpack_from(">H", cff, charstrings_at)[0]
        charset = _identity_charset_in_place(cff, charset_at, count)
    except (IndexError, ValueError, struct.error):
        return None
    if charset is None:
        return None
    cff[charset_at : charset_at + len(charset)] = charset
    out = bytearray(font)
    out[offset : offset + length] = cff
    struct.pack_into(">I", out, record + 4, _checksum(cff))
    if b"head" in tables:  # checkSumAdjustment: computed over the whole font with itself at 0
        head = tables[b"head"][1]
        struct.pack_into(">I", out, head + 8, 0)
        struct.pack_into(">I", out, head + 8, (0xB1B0AFBA - _checksum(out)) & 0xFFFFFFFF)
    return bytes(out)


def _table_records(font: bytes) -> dict[bytes, tuple[int, int, int]]:
    """{tag: (position of its record, table offset, table length)} from an sfnt table directory."""
    records = {}
    for i in range(struct.unpack_from(">H", font, 4)[0]):
        position = 12 + 16 * i
        tag, _sum, offset, length = struct.unpack_from(">4sIII", font, position)
        records[tag] = (position, offset, length)
    return records


def _index(data: bytes, at: int) -> tuple[list[tuple[int, int]], int]:
    """A CFF INDEX at ``at``: the (start, end) of each object, and the position after the INDEX."""
    count = struct.unpack_from(">H", data, at)[0]
    if count == 0:
        return [], at + 2
    size = data[at + 2]
    offsets = [
        int.from_bytes(data[at + 3 + i * size : at + 3 + (i + 1) * size], "big") for i in range(count + 1)
    ]
    base = at + 3 + (count + 1) * size - 1  # offsets count from the byte before the data
    return [(base + offsets[i], base + offsets[i + 1]) for i in range(count)], base + offsets[-1]


def _top_dict(cff: bytes) -> dict:
    """The first Top DICT of a CFF table as {operator: operands}; escaped operators are (12, n)."""
    _names, after_names = _index(cff, cff[2])  # the Name INDEX follows the header (hdrSize bytes)
    dicts, _after = _index(cff, after_names)
    start, end = dicts[0]
    entries: dict = {}
    operands: list = []
    i = start
    while i < end:
        b0 = cff[i]
        if b0 <= 21:
            operator = (12, cff[i + 1]) if b0 == 12 else b0
            i += 2 if b0 == 12 else 1
            entries[operator], operands = operands, []
        elif b0 == 28:
            operands.append(struct.unpack_from(">h", cff, i + 1)[0])
            i += 3
        elif b0 == 29:
            operands.append(struct.unpack_from(">i", cff, i + 1)[0])
            i += 5
        elif b0 == 30:  # a real: nibbles up to a 0xf terminator (never an offset; kept as None)
            i += 1
            while cff[i] >> 4 != 0x0F and cff[i] & 0x0F != 0x0F:
                i += 1
            i += 1
            operands.append(None)
        elif 32 <= b0 <= 246:
            operands.append(b0 - 139)
            i += 1
        elif 247 <= b0 <= 250:
            operands.append((b0 - 247) * 256 + cff[i + 1] + 108)
            i += 2
        elif 251 <= b0 <= 254:
            operands.append(-(b0 - 251) * 256 - cff[i + 1] - 108)
            i += 2
        else:
            raise ValueError(f"reserved CFF DICT byte {b0}")
    return entries


def _identity_charset_in_place(cff: bytes, at: int, glyphs: int) -> bytes | None:
    """An identity charset (glyph n is CID n) for ``glyphs`` glyphs, no longer than the one at ``at``."""
    if glyphs < 2:
        return None
    form = cff[at]
    if form == 0:  # a CID per glyph: the identity is exactly as long
        return bytes([0]) + b"".join(struct.pack(">H", cid) for cid in range(1, glyphs))
    if form not in (1, 2):
        return None
    # Ranges of (first CID, glyphs left): one byte for "left" in format 1, two in format 2.
    length, covered, left_size = 1, 0, 1 if form == 1 else 2
    while covered < glyphs - 1:
        left = int.from_bytes(cff[at + length + 2 : at + length + 2 + left_size], "big")
        covered += left + 1
        length += 2 + left_size
    if glyphs - 2 <= 255 and length >= 4:
        return struct.pack(">BHB", 1, 1, glyphs - 2)
    if length >= 5:
        return struct.pack(">BHH", 2, 1, glyphs - 2)
    return None


def _checksum(data: bytes | bytearray) -> int:
    """The OpenType checksum: the sum of the big-endian 32-bit words (zero-padded) modulo 2**32."""
    words = array("I", bytes(data) + b"\0" * (-len(data) % 4))
    if sys.byteorder == "little":
        words.byteswap()
    return sum(words) & 0xFFFFFFFF
