"""The archive document's rendering levers (docs/workflows/archive.md, Performance) are in effect: its CSS
is parsed once per process (render_pdf(stylesheets=…)), it uses one font face, and the trace is one line
per entry."""

import pytest

from archive.models import ArchivePackage
from archive.package import STYLESHEET
from archive.services import package_folder
from portal.core import pdf
from tests.archive.helpers import poppler

pytestmark = pytest.mark.django_db


def test_the_document_stylesheet_is_parsed_once_per_process_and_applied(closed_case, monkeypatch):
    parsed = []
    original = pdf._stylesheet

    def spy(name):
        css = original(name)
        parsed.append((name, id(css)))
        return css

    monkeypatch.setattr(pdf, "_stylesheet", spy)
    first = ArchivePackage.objects.get(case=closed_case(attachments=False))
    second = ArchivePackage.objects.get(case=closed_case(attachments=False))
    assert [name for name, _ in parsed] == [STYLESHEET, STYLESHEET]
    assert parsed[0][1] == parsed[1][1], "the parsed stylesheet is reused, not parsed again"

    for package in (first, second):
        document = package_folder(package) / "document.pdf"
        fonts = poppler("pdffonts", document).splitlines()[2:]
        assert len(fonts) == 1, fonts  # the base CSS would make headings bold: a second face
        text = poppler("pdftotext", document, "-layout", "-enc", "UTF-8")
        assert "序号 · 时间" in text and "办理过程" in text
