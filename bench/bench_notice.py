"""Render the place notice (公办地段学位告知书) N times warm in one process.

    python -m bench notice

The application is a stand-in object with the attributes the notice reads (no database row), and the
tier label, issue date and verification address are passed in, so only template rendering, layout, font
subsetting and PDF writing are timed. ``BENCH_NOTICE_DOCS`` changes N (default 20). The first render
(import of WeasyPrint, font configuration, fontconfig look-ups) is reported separately as
``first_render_s``.
"""

import datetime as dt
import os
import time
from types import SimpleNamespace

DOCS = 20


def stand_in_application(seq: int = 1) -> SimpleNamespace:
    district = SimpleNamespace(id=1, code="330411", name="秀洲区")
    case = SimpleNamespace(reference_no=f"JY-ENR-2027-{seq:06d}", district=district, district_id=district.id)
    school = SimpleNamespace(code="P1", name="实验小学")
    return SimpleNamespace(
        case=case,
        child_name="王小𬌗",
        child_id_number="330411202103150239",
        stage="primary",
        year=2027,
        category="A",
        state="qualified",
        zone_school=school,
        school=None,
    )


def run() -> dict:
    from enrollment.notice import render_notice_pdf
    from portal.core.pdf import harfbuzz_subset_available

    docs = int(os.environ.get("BENCH_NOTICE_DOCS", DOCS))
    issued = dt.date(2027, 5, 10)

    def render(seq: int) -> bytes:
        return render_notice_pdf(
            stand_in_application(seq),
            tier_label_text="房户一致",
            issued=issued,
            verify_url=f"http://127.0.0.1:8000/verify/{'x' * 32}/",  # no registry row for a stand-in
        )

    t0 = time.perf_counter()
    first = render(0)
    first_s = time.perf_counter() - t0

    sizes, times = [], []
    for seq in range(1, docs + 1):
        t = time.perf_counter()
        sizes.append(len(render(seq)))
        times.append(time.perf_counter() - t)
    total = sum(times)
    result = {
        "docs": docs,
        "docs_per_s": round(docs / total, 2),
        "avg_ms": round(1000 * total / docs, 1),
        "max_ms": round(1000 * max(times), 1),
        "avg_kb": round(sum(sizes) / docs / 1024, 1),
        "first_render_s": round(first_s, 3),
        "first_kb": round(len(first) / 1024, 1),
        "harfbuzz_subset": harfbuzz_subset_available(),
    }
    print(
        f"notice: {docs} docs warm, {result['docs_per_s']} docs/s ({result['avg_ms']} ms each), "
        f"{result['avg_kb']} KB each; first render {result['first_render_s']} s",
        flush=True,
    )
    return result
