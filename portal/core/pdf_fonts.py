"""Compact font subsets for WeasyPrint: only the glyphs used, embedded as a bare CID-keyed CFF font.

WeasyPrint 70 subsets every embedded font keeping the original glyph IDs (HarfBuzz ``RETAIN_GIDS``),
because it has already written those IDs into the content streams (as CIDs, ``Identity-H``) when it
subsets the font at the end. With Noto CJK (65,535 glyphs) such a subset still has an empty slot for every
glyph below the highest one used: ~170 KB of the ~195 KB of a two-page archive document, and about a third
of its render time goes into subsetting, writing and compressing those slots
(docs/workflows/archive.md, Performance; ADR 0009).

A CID-keyed CFF font needs no such slots: its charset says which CID each glyph draws, and a PDF reader
selects glyphs of a ``CIDFontType0C`` font program by CID through that charset (PDF 32000-1 9.7.4.2), as
Acrobat and other producers embed CJK fonts. HarfBuzz's compact subset keeps the original CIDs in the
charset, so :func:`install` makes WeasyPrint embed, for such fonts, the subset's bare ``CFF`` table as
``FontFile3``/``CIDFontType0C`` instead of the whole OpenType font with retained IDs. The page content,
``Identity-H``, the widths (``W``) and ``ToUnicode`` stay exactly as WeasyPrint writes them. (Readers take
the glyph index for the CID in an OpenType-wrapped font — poppler does — so the wrapper has to go.)

It applies only where the font's CIDs are its glyph IDs (Noto CJK, Source Han: ``Adobe-Identity-0``),
checked glyph by glyph against HarfBuzz's subset plan. Anything else — TrueType outlines, name-keyed CFF,
variable or colour fonts, another WeasyPrint version (then nothing is patched) — keeps WeasyPrint's own
path. Tests rasterise documents both ways and compare the pixels, and extract the text with two readers.
"""

from __future__ import annotations

import logging
import struct
import threading
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

_state = threading.local()  # .compact: {font hash: True} for the compact fonts of the document being built
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
        file_type = fonts.Font.type

        def compact(font) -> bool:
            return bool((getattr(_state, "compact", None) or {}).get(font.hash))

        def harfbuzz_subset(font, to_unicode, hinting):
            compacted = getattr(_state, "compact", None)
            if compacted is not None and _compact_subset(font, to_unicode, hinting):
                compacted[font.hash] = True
            else:
                retaining_subset(font, to_unicode, hinting)

        def font_type(font):
            # "otf" gives CIDFontType0 and FontFile3, which a bare CFF font program is embedded as
            return "otf" if compact(font) else file_type.fget(font)

        def build_fonts_dictionary(pdf, fonts_, compress, subset, options):
            _state.compact = {}
            try:
                return build_all(pdf, fonts_, compress, subset, options)
            finally:
                _state.compact = None

        def build_vector_font_dictionary(
            font_dictionary, pdf, font, widths, compress, reference, pdf_version
        ):
            build_vector(font_dictionary, pdf, font, widths, compress, reference, pdf_version)
            if compact(font):  # the font file stream WeasyPrint wrote as /OpenType
                pdf.objects[int(reference.split()[0])].extra["Subtype"] = "/CIDFontType0C"

        fonts.Font._harfbuzz_subset = harfbuzz_subset
        fonts.build_fonts_dictionary = build_fonts_dictionary
        weasy_pdf.build_fonts_dictionary = build_fonts_dictionary
        fonts._build_vector_font_dictionary = build_vector_font_dictionary
        fonts.Font.type = property(font_type)
        _installed = True
        return True


def _compact_subset(font, to_unicode, hinting) -> bool:
    """Replace ``font``'s file by a compact subset of the glyphs of ``to_unicode`` as a bare CID-keyed CFF
    font program, when every glyph's CID is its original glyph ID; False (font untouched) otherwise."""
    from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset
    from weasyprint.text.fonts import get_hb_object_data

    if "CFF " not in font.tables or "fvar" in font.tables or font.png or font.svg or font.colr:
        return False  # no CFF outlines, or fonts WeasyPrint rewrites with fontTools after subsetting
    plan_api = _subset_plan_api()
    if plan_api is None:
        return False
    kept = sorted({0, *(glyph for glyph in to_unicode if glyph < font.glyph_count)})

    subset_input = ffi.gc(
        harfbuzz_subset.hb_subset_input_create_or_fail(), harfbuzz_subset.hb_subset_input_destroy
    )
    if subset_input == ffi.NULL:
        return False
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

    api, subset_lib, hb_lib = plan_api
    plan = subset_lib.hb_subset_plan_create_or_fail(
        _cast(api, "hb_face_t *", font.hb_face), _cast(api, "hb_subset_input_t *", subset_input)
    )
    if plan == api.NULL:
        return False
    try:
        # the original glyph of each subset glyph (HarfBuzz may add some: components, variation sequences)
        new_to_old = subset_lib.hb_subset_plan_new_to_old_glyph_mapping(plan)
        original = [
            hb_lib.hb_map_get(new_to_old, new) for new in range(hb_lib.hb_map_get_population(new_to_old))
        ]
        subset_face = subset_lib.hb_subset_plan_execute_or_fail(plan)
    finally:
        subset_lib.hb_subset_plan_destroy(plan)
    if subset_face == api.NULL:
        return False
    face = ffi.gc(_cast(ffi, "hb_face_t *", subset_face), harfbuzz.hb_face_destroy)
    content = get_hb_object_data(face)
    cff = cid_keyed_cff(content, original) if content else None
    if cff is None:
        return False
    font.file_content = cff
    return True


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


# --- OpenType/CFF ------------------------------------------------------------------------------------------


def cid_keyed_cff(font: bytes, original_glyphs: list[int]) -> bytes | None:
    """The ``CFF`` table of an OpenType ``font`` when it is CID-keyed and glyph n draws CID
    ``original_glyphs[n]`` (so that a code = an original glyph ID selects the same glyph); else None."""
    if font[:4] != b"OTTO":
        return None
    try:
        tables = _table_records(font)
        if b"CFF " not in tables:
            return None
        _record, offset, length = tables[b"CFF "]
        cff = font[offset : offset + length]
        top = _top_dict(cff)
        if (12, 30) not in top:  # no ROS operator: name-keyed
            return None
        charset_at, charstrings_at = top.get(15, [0])[0], top.get(17, [0])[0]
        if charset_at < 3 or not charstrings_at:  # 0-2 are the predefined (name-keyed) charsets
            return None
        count = struct.unpack_from(">H", cff, charstrings_at)[0]
        cids = charset_cids(cff, charset_at, count)
    except (IndexError, ValueError, struct.error):
        return None
    return cff if cids == list(original_glyphs) else None


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


def charset_cids(cff: bytes, at: int, glyphs: int) -> list[int]:
    """The CID of each of ``glyphs`` glyphs from the CFF charset at ``at`` (glyph 0, .notdef, is CID 0)."""
    cids, form, i = [0], cff[at], at + 1
    if form == 0:
        cids += struct.unpack_from(f">{glyphs - 1}H", cff, i)
    elif form in (1, 2):  # ranges of (first CID, glyphs left), "left" one byte in format 1, two in 2
        while len(cids) < glyphs:
            first = struct.unpack_from(">H", cff, i)[0]
            left = cff[i + 2] if form == 1 else struct.unpack_from(">H", cff, i + 2)[0]
            cids += range(first, first + left + 1)
            i += 3 if form == 1 else 4
    else:
        raise ValueError(f"unknown CFF charset format {form}")
    if len(cids) != glyphs:
        raise ValueError("the charset's ranges run past the glyph count")
    return cids
