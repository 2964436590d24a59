"""Place and admission notices as PDF (the child's rare-character name must show, in embedded fonts,
subset by HarfBuzz) and their public verification page. Applications are qualified through the real
path: submit → verification task → sandbox registries → rules. Rendering costs ~0.2 s warm (~1.5 s for
the first in a process), so only two tests render."""

import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
from weasyprint.pdf import fonts as weasy_fonts

from enrollment.models import State
from enrollment.notice import (
    NoticeClaim,
    NoticeKind,
    NoticeNotAvailable,
    legacy_verification_url,
    make_notice_token,
    notice_context,
    render_notice_pdf,
)
from enrollment.services import application_withdraw
from portal.core import pdf, pdf_fonts
from portal.documents.models import DocumentKind, DocumentStatus
from tests.enrollment.conftest import new_id, submit

pytestmark = pytest.mark.django_db

RARE_NAMES = "王小𬌗 王𠈌 李䶮 阿依古丽·买买提"


@pytest.fixture
def qualified(family, django_capture_on_commit_callbacks):
    app = submit(family.load(), django_capture_on_commit_callbacks)
    assert app.state == State.QUALIFIED and app.child_name == "王小𬌗"
    return app


def poppler(tool: str, pdf_bytes: bytes, tmp_path, *args: str) -> str:
    exe = shutil.which(tool)
    assert exe, f"{tool} is missing: install poppler-utils (make setup does)"
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf_bytes)
    return subprocess.run(
        [exe, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def subset_spy(monkeypatch):
    """Records which subsetting path WeasyPrint takes for each embedded font, and its missing glyphs."""
    pdf_fonts.install()  # first, so that the spies wrap the methods the documents use
    calls = []
    for method in ("_harfbuzz_subset", "_fonttools_subset"):
        original = getattr(weasy_fonts.Font, method)

        def spy(self, *args, _original=original, _method=method, **kwargs):
            calls.append((_method, self.family, dict(self.missing)))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(weasy_fonts.Font, method, spy)
    return calls


def test_the_fonts_cover_rare_characters_and_harfbuzz_subset_is_there():
    assert pdf.harfbuzz_subset_available(), "install libharfbuzz-subset0: without it a PDF takes ~20 s"
    assert pdf.uncovered_characters(RARE_NAMES) == []
    assert pdf.pdf_environment_problems() == []


def test_place_notice_shows_the_rare_name_in_embedded_fonts_subset_by_harfbuzz(
    qualified, tmp_path, subset_spy, caplog
):
    document = render_notice_pdf(qualified)

    assert document.startswith(b"%PDF-")
    assert len(document) < 1_000_000  # subset fonts, not whole 20 MB collections
    text = poppler("pdftotext", document, tmp_path, "-enc", "UTF-8")
    assert "公办地段学位告知书" in text
    assert "王小𬌗" in text  # the full name, rare character included, on the family's own document
    assert "实验小学" in text and "P1" not in text  # the name, not the internal code
    assert qualified.case.reference_no in text
    assert "A 类" in text and "房户一致" in text
    assert qualified.child_id_number not in text  # the ID number only masked
    assert f"{qualified.child_id_number[:3]}***********{qualified.child_id_number[-4:]}" in text
    assert "教育局（电子印章）" in "".join(text.split())
    url = notice_context(qualified)["verify_url"]
    flat = "".join(text.split()).replace("-", "")  # the printed URL wraps; pdftotext drops a line-end "-"
    assert url.replace("-", "") in flat  # printed under the QR code for those who cannot scan

    listing = poppler("pdffonts", document, tmp_path).splitlines()[2:]
    assert listing, "no font in the PDF"
    for line in listing:  # name type encoding emb sub uni …: every font embedded (and subset)
        assert line.split()[-5:-3] == ["yes", "yes"], line

    assert subset_spy, "no font was subset"
    assert {method for method, _, _ in subset_spy} == {"_harfbuzz_subset"}, subset_spy
    assert all(not missing for _, _, missing in subset_spy), f".notdef boxes: {subset_spy}"
    assert not [r for r in caplog.records if "notdef" in r.getMessage() or "fontTools" in r.getMessage()]


@pytest.mark.skipif(not shutil.which("zbarimg"), reason="zbar-tools not installed: cannot decode QR codes")
def test_the_printed_qr_code_decodes_to_the_verification_url(qualified, tmp_path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(render_notice_pdf(qualified))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", str(path), str(tmp_path / "page")], check=True
    )
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert decoded == notice_context(qualified)["verify_url"]


def test_admission_notice_once_admitted(qualified, tmp_path):
    qualified.admit(school=qualified.zone_school)
    qualified.save()

    text = poppler("pdftotext", render_notice_pdf(qualified), tmp_path, "-enc", "UTF-8")
    assert "录取通知书" in text and "录取学校" in text and "王小𬌗" in text and "实验小学" in text


def test_the_qr_link_opens_the_public_verification_page(qualified, client):
    context = notice_context(qualified)
    assert context["qr"] == pdf.qr_svg(context["verify_url"])
    url = urlsplit(context["verify_url"])
    assert url.path.startswith("/verify/")  # the document registry (portal.documents)
    assert notice_context(qualified)["verify_url"] == context["verify_url"]  # the same code every time

    response = client.get(url.path)  # no sign-in
    assert response.status_code == 200
    page = response.content.decode()
    assert "王*𬌗" in page and "王小𬌗" not in page
    assert qualified.case.reference_no in page and "实验小学" in page and "公办地段学位告知书" in page
    assert qualified.child_id_number not in page
    document = response.context["d"]
    assert (document.kind, document.status) == (DocumentKind.PLACE_NOTICE, DocumentStatus.VALID)
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def _legacy_path(application, kind, school_code="P1") -> str:
    token = make_notice_token(NoticeClaim(kind, application.case.reference_no, school_code))
    return urlsplit(legacy_verification_url(token)).path


def test_a_notice_printed_before_the_registry_still_verifies(qualified, client):
    """Its QR code carries /enrollment/verify/<signed token>/: it redirects to the document's page."""
    path = _legacy_path(qualified, NoticeKind.PLACE)
    assert path.startswith("/enrollment/verify/")
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == urlsplit(notice_context(qualified)["verify_url"]).path
    assert client.get(response["Location"]).context["d"].status == DocumentStatus.VALID


def test_an_altered_or_forged_token_is_not_a_genuine_notice(qualified, client):
    token = _legacy_path(qualified, NoticeKind.PLACE).rstrip("/").rsplit("/", 1)[-1]
    payload, signature = token.rsplit(":", 1)
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    for bad in (
        f"{flipped}:{signature}",  # altered payload
        f"{payload}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",  # altered signature
        "eyJrIjoiYWRtaXNzaW9uIn0:forged",
        "nonsense",
    ):
        response = client.get(f"/enrollment/verify/{bad}/")
        assert response.status_code == 404, bad
        assert response.context["genuine"] is False
        assert qualified.case.reference_no not in response.content.decode()


def test_a_withdrawn_application_revokes_its_notice(qualified, client):
    path = urlsplit(notice_context(qualified)["verify_url"]).path
    application_withdraw(application=qualified, by=qualified.guardian, note="moved away")

    response = client.get(path)
    assert response.status_code == 200
    assert response.context["d"].status == DocumentStatus.REVOKED
    with pytest.raises(NoticeNotAvailable):
        render_notice_pdf(qualified)


def test_after_admission_the_place_notice_is_superseded_and_the_admission_notice_valid(qualified, client):
    place_path = urlsplit(notice_context(qualified)["verify_url"]).path
    qualified.admit(school=qualified.zone_school)
    qualified.save()
    admission_path = urlsplit(notice_context(qualified)["verify_url"]).path

    assert admission_path != place_path
    assert client.get(place_path).context["d"].status == DocumentStatus.SUPERSEDED
    assert client.get(admission_path).context["d"].status == DocumentStatus.VALID
    assert client.get(admission_path).context["d"].kind == DocumentKind.ADMISSION_NOTICE


def test_no_notice_unless_qualified_or_admitted(family, django_capture_on_commit_callbacks):
    born = "2021-09-01"  # too young on 31 August: goes to review
    family.children = [(new_id(born, male=True), "王小𬌗", born)]
    app = submit(family.load(), django_capture_on_commit_callbacks)
    assert app.state == State.NEEDS_REVIEW

    with pytest.raises(NoticeNotAvailable):
        render_notice_pdf(app)
