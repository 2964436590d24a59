"""Archive packages (单套制): N packages of a 2-page enrollment case on 2 processes, and, in the same run,
the plain WeasyPrint render of the same document.

    python -m bench archive

What is timed per package is what the worker does after reading the case: render the PDF/A-3b document
(case data embedded as JSON), copy two attachments, write and sign the manifest, and run the whole
four-properties check (pypdf parse, fonts, active content, digests, signature). The case is a stand-in
snapshot (no database: reads and the registry insert are a few ms and not what this measures) with the
enrollment template, a 40-entry processing trace and two small attachments — two A4 pages.

"plain" is the same content rendered the straightforward way (:func:`plain_render`): the trace as a 7-column
table with automatic layout, a "page X of Y" footer, serif body and bold sans headings, ``overflow-wrap:
anywhere``, a fresh font configuration and freshly parsed CSS per document, and WeasyPrint's own font
subsets (glyph IDs retained) — i.e. without the levers in docs/workflows/archive.md (Performance).
Wall-clock rates depend on what else runs on the machine, so the CPU time per job (and the rate it allows
with both CPUs free) and the load average are reported too.

``BENCH_ARCHIVE_PACKAGES`` changes N (default 40); ``BENCH_ARCHIVE_PLAIN`` the plain renders (default 6).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

PACKAGES = 40
PLAIN = 6
PROCESSES = 2
TRACE_EVENTS = 40

_state: dict = {}


def _silence() -> None:
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def stand_in_snapshot(seq: int = 1):
    """A closed enrollment case with 40 trace entries and two attachments, as ``snapshot_case`` makes it."""
    from archive.package import AttachmentSource, CaseSnapshot, archival_code
    from archive.registry import ArchiveRecord

    ref = f"JY-ENR-2027-{seq:06d}"
    actors = ["王𠈌（申请人）", "系统", "张老师（学校工作人员）", "李老师（教育局工作人员）"]
    steps = [  # (action, label, to-state label, note), as enrollment/archive.py and snapshot_case give them
        ("submitted", "已提交", "已提交", "网上申请"),
        ("enrollment.authorised", "已授权查询", "", "户籍、不动产、出生医学证明、学籍"),
        ("status_changed", "状态变更", "办理中", ""),
        ("enrollment.checked", "自动核验完成", "待审核", "居住核验未通过"),
        ("enrollment.supplement_requested", "要求补正材料（容缺）", "待补正", "请上传唯一住宅证明"),
        ("attachment_added", "上传附件", "", "唯一住宅证明.pdf"),
        ("enrollment.approved", "审核通过", "符合条件", "符合A类条件"),
        ("note_added", "备注", "", "电话告知家长"),
    ]
    events = []
    for i in range(1, TRACE_EVENTS + 1):
        action, label, to_label, note = steps[(i - 1) % len(steps)]
        last = i == TRACE_EVENTS
        events.append(
            {
                "seq": i,
                "at": f"2027-05-{10 + i // 8:02d}T{9 + i % 8:02d}:{i % 60:02d}:00+08:00",
                "actor": actors[i % len(actors)],
                "action": "status_changed" if last else action,
                "action_label": "状态变更" if last else label,
                "from": "",
                "to": "withdrawn" if last else "",
                "from_label": "",
                "to_label": "已撤回" if last else to_label,
                "note": note,
                "data": {"attempt": i},
            }
        )
    pdf_attachment = _tiny_pdf()
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
        b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    import hashlib

    attachments = [
        AttachmentSource(
            kind=kind,
            original_name=name,
            content_type=mime,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_at="2027-05-11T10:00:00+08:00",
            uploaded_by="王𠈌",
            open=lambda data=data: io.BytesIO(data),
        )
        for kind, name, mime, data in (
            ("监护关系证明", "监护关系证明.pdf", "application/pdf", pdf_attachment),
            ("照片", "photo.png", "image/png", png),
        )
    ]
    checks = [
        {"name": n, "label": lbl, "result": "pass", "result_label": "通过", "reason": r}
        for n, lbl, r in (
            ("age", "年龄", "2021年3月15日出生，入学时满6周岁"),
            ("guardianship", "监护关系", "出生医学证明记载的父母与申请人一致"),
            ("student_status", "学籍", "无小学学籍"),
            ("residence", "居住", "房户一致：户籍与自有住房均在实验小学施教区"),
            ("category", "入学类别", "A 类 · 房户一致"),
        )
    ]
    form = {
        "year": 2027,
        "stage_label": "小学",
        "child_name": "王小𬌗",
        "child_id_masked": "330***********0239",
        "guardian": "王𠈌",
        "guardian_id_masked": "330***********0031",
        "other_guardian_id_masked": "330***********0048",
        "single_parent": False,
        "residence_label": "自有住房",
        "sibling_reference_no": "",
        "consent_at": "2027-05-10T09:00:00+08:00",
        "originals_seen": [],
    }
    outcome = {
        "state_label": "已撤回",
        "tier": "A",
        "tier_label": "房户一致",
        "zone_school": {"code": "P1", "name": "实验小学"},
        "admitted_to": {},
        "points": "",
        "note": "材料齐全，符合A类条件",
        "decided_by": actors[2],
    }
    lookups = [
        {"registry": r, "outcome": "已应答", "answer_sha256": "0" * 64}
        for r in ("户籍", "户籍", "出生医学证明", "学籍", "不动产", "婚姻登记")
    ]
    record = ArchiveRecord(
        template_name="enrollment/archive_document.html",
        context={"form": form, "checks": checks, "lookups": lookups, "outcome": outcome},
        data={"application": form, "checks": checks, "registry_lookups": lookups, "decision": outcome},
        title="王小𬌗 2027年小学入学申请",
    )
    case = {
        "reference_no": ref,
        "service_code": "ENR",
        "service_name": "义务教育入学（入学一件事）",
        "department": "区教育局基础教育科",
        "district": "秀洲区",
        "school": "实验小学",
        "school_code": "P1",
        "applicant": "王𠈌",
        "subject_name": "王小𬌗",
        "subject_id_masked": "330***********0239",
        "channel": "online",
        "channel_label": "网上办理",
        "status": "withdrawn",
        "status_label": "已撤回",
        "submitted_at": "2027-05-10T09:00:00+08:00",
        "accepted_on": "2027-05-10",
        "deadline": "2027-05-17",
        "closed_at": "2027-05-20T16:30:00+08:00",
        "promised_days": 5,
        "paused_working_days": 2,
        "visits": 0,
    }
    return CaseSnapshot(
        archival_code=archival_code(
            fonds_code="JY330411", year=2027, retention_period="30y", reference_no=ref
        ),
        fonds_code="JY330411",
        fonds_name="秀洲区教育局",
        title=record.title,
        responsible="区教育局基础教育科",
        retention_period="30y",
        document_date=dt.date(2027, 5, 20),
        closed_at=dt.datetime(2027, 5, 20, 8, 30, tzinfo=dt.UTC),
        case=case,
        events=events,
        attachments=attachments,
        record=record,
    )


def _tiny_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- one package, as the worker makes it (no database) ------------------------------------------------------


def _setup_worker() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    _silence()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from archive.keys import SigningKey

    _state["key"] = SigningKey(Ed25519PrivateKey.generate())
    _state["dir"] = Path(tempfile.mkdtemp(prefix="bench-archive-"))
    make_package(0)  # warm: WeasyPrint import, fonts, templates


def make_package(seq: int) -> dict:
    from pypdf import PdfReader

    from archive.checks import check_package
    from archive.package import write_package

    key = _state["key"]
    folder = _state["dir"] / f"p{os.getpid()}-{seq}"
    c0 = time.process_time()
    t0 = time.perf_counter()
    written = write_package(stand_in_snapshot(seq), folder, key)
    t1 = time.perf_counter()
    report = check_package(folder, trusted_key_ids=frozenset({key.key_id}))
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    if not report.passed:
        raise AssertionError(f"package {seq} fails its check: {report.failures}")
    document = (folder / "document.pdf").read_bytes()
    return {
        "cpu_s": cpu,
        "write_s": t1 - t0,
        "check_s": t2 - t1,
        "document_bytes": len(document),
        "package_bytes": written.size,
        "pages": len(PdfReader(io.BytesIO(document)).pages),
    }


def _time_render_only(n: int) -> float:
    """The document alone (render_document as the package does it), per document, in this process."""
    from archive.package import case_data, render_document

    snapshot = stand_in_snapshot(1)
    parts = [_fake_part(a) for a in snapshot.attachments]
    data = case_data(snapshot, parts)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        render_document(snapshot, data, parts)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _fake_part(source):
    from archive.manifest import Part

    return Part(
        f"attachments/{source.original_name}", "attachment", source.content_type, source.size, source.sha256
    )


PLAIN_CSS = """
@page { size: A4; margin: 20mm 18mm;
        @bottom-center { content: "第 " counter(page) " 页 共 " counter(pages) " 页"; } }
html { font-family: %(serif)s; font-size: 10.5pt; line-height: 1.6; }
h1, h2, th, strong { font-family: %(sans)s; font-weight: bold; }
table { width: 100%%; border-collapse: collapse; margin-bottom: 2mm; }
th, td { border: 0.5pt solid #555; padding: 1mm 1.5mm; text-align: left; overflow-wrap: anywhere; }
th { background: #eee; }
"""


def plain_html() -> tuple[str, bytes]:
    """The same content as a straightforward template would render it (see the module docstring)."""
    from django.template.loader import render_to_string
    from django.utils import translation
    from django.utils.html import escape

    from archive.package import case_data, document_context

    snapshot = stand_in_snapshot(1)
    parts = [_fake_part(a) for a in snapshot.attachments]
    with translation.override("zh-hans"):
        html = render_to_string(snapshot.record.template_name, document_context(snapshot, parts))
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(v)}</td>"
            for v in (
                e["seq"],
                e["at"][:16].replace("T", " "),
                e["actor"],
                e["action_label"],
                e["from_label"],
                e["to_label"],
                e["note"],
            )
        )
        + "</tr>"
        for e in snapshot.events
    )
    table = (
        "<table><thead><tr><th>序号</th><th>时间</th><th>办理人</th><th>环节</th><th>原状态</th><th>新状态</th>"
        f"<th>说明</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    start = html.index('<div class="trace">')
    end = html.index("</div>", start) + len("</div>")
    return html[:start] + table + html[end:], case_data(snapshot, parts)


def plain_render(_: int = 0) -> dict:
    """Render :func:`plain_html` with WeasyPrint the straightforward way: a fresh font configuration and
    freshly parsed CSS per document, automatic table layout, a "page X of Y" footer, serif body with bold
    sans headings (three faces), ``overflow-wrap: anywhere``; PDF/A-3b with the same embedded JSON."""
    import weasyprint
    from weasyprint.pdf import fonts

    from portal.core.pdf import font_stacks

    if fonts.Font._harfbuzz_subset.__module__ != fonts.__name__:
        raise RuntimeError("plain renders need a process where pdf_fonts has not patched WeasyPrint")
    html, data = plain_html()
    t, c = time.perf_counter(), time.process_time()
    pdf = weasyprint.HTML(string=html).write_pdf(
        stylesheets=[weasyprint.CSS(string=PLAIN_CSS % font_stacks())],
        pdf_variant="pdf/a-3b",
        attachments=[weasyprint.Attachment(string=data, name="case-data.json")],
    )
    return {"wall_s": time.perf_counter() - t, "cpu_s": time.process_time() - c, "bytes": len(pdf)}


def _setup_plain_worker() -> None:
    """A process for plain renders: Django set up, and WeasyPrint as installed (portal.core.pdf_fonts'
    compact font subsets are never turned on here, so WeasyPrint keeps its own retained-glyph-ID subsets)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    _silence()
    plain_render()  # warm: WeasyPrint import, fontconfig


def _on_processes(function, jobs: int, initializer=_setup_worker) -> tuple[float, list]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES, initializer=initializer) as pool:
        pool.map(_noop, range(PROCESSES * 2))  # every worker is up and warm before the clock starts
        t0 = time.perf_counter()
        results = pool.map(function, range(1, jobs + 1), chunksize=1)
        return time.perf_counter() - t0, results


def _noop(_: int) -> None:
    return None


def run() -> dict:
    from portal.core.pdf import harfbuzz_subset_available

    _silence()
    packages = int(os.environ.get("BENCH_ARCHIVE_PACKAGES", PACKAGES))
    plain = int(os.environ.get("BENCH_ARCHIVE_PLAIN", PLAIN))

    _setup_worker()
    render_s = _time_render_only(5)
    one = [make_package(seq) for seq in range(1, 6)]

    load_before = os.getloadavg()[0]
    wall, results = _on_processes(make_package, packages)
    plain_wall, plain_runs = _on_processes(plain_render, plain, _setup_plain_worker)
    cpu_package = statistics.median(r["cpu_s"] for r in results)
    cpu_plain = statistics.median(r["cpu_s"] for r in plain_runs)

    result = {
        "packages": packages,
        "processes": PROCESSES,
        "packages_per_s": round(packages / wall, 2),
        "plain_docs_per_s": round(plain / plain_wall, 2),
        "speedup_vs_plain": round((packages / wall) / (plain / plain_wall), 2),
        # CPU time per job: what the throughput would be with both CPUs free (the wall-clock figures above
        # drop when other work shares the machine; the load average is recorded with them)
        "package_cpu_ms": round(1000 * cpu_package, 1),
        "plain_cpu_ms": round(1000 * cpu_plain, 1),
        "packages_per_s_cpu_bound": round(PROCESSES / cpu_package, 2),
        "plain_docs_per_s_cpu_bound": round(PROCESSES / cpu_plain, 2),
        "load_average_before": round(load_before, 2),
        "document_render_ms": round(1000 * render_s, 1),
        "package_write_ms": round(1000 * statistics.median(r["write_s"] for r in one), 1),
        "package_check_ms": round(1000 * statistics.median(r["check_s"] for r in one), 1),
        "document_kb": round(results[0]["document_bytes"] / 1024, 1),
        "package_kb": round(results[0]["package_bytes"] / 1024, 1),
        "plain_kb": round(plain_runs[0]["bytes"] / 1024, 1),
        "pages": results[0]["pages"],
        "harfbuzz_subset": harfbuzz_subset_available(),
        "targets": {"packages_per_s": 8, "package_kb": 200},
    }
    r = result
    print(
        f"archive: {r['packages_per_s']} packages/s on {PROCESSES} processes; plain render of the same "
        f"document {r['plain_docs_per_s']} docs/s (x{r['speedup_vs_plain']})\n"
        f"  CPU per package {r['package_cpu_ms']} ms, plain {r['plain_cpu_ms']} ms: with 2 free CPUs "
        f"{r['packages_per_s_cpu_bound']} vs {r['plain_docs_per_s_cpu_bound']}/s "
        f"(load average {r['load_average_before']})\n"
        f"  per package: render {r['document_render_ms']} ms, write {r['package_write_ms']} ms, "
        f"check {r['package_check_ms']} ms; {r['pages']} pages, package {r['package_kb']} KB "
        f"(plain document {r['plain_kb']} KB)",
        flush=True,
    )
    return result
