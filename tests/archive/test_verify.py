"""四性检测 on demand: ``archive_export`` then ``archive_verify``. Changing one byte of any part of an
exported package fails the check and the failure names that part; each check item can fail on its own."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.management import CommandError, call_command
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from archive import keys
from archive.checks import _trace_gaps, check_package, inspect_pdf
from archive.models import ArchivePackage, PackageCheck
from archive.services import package_folder, package_verify
from tests.archive.helpers import copy_package, reseal
from tests.factories import tiny_pdf

pytestmark = pytest.mark.django_db
LISTED = ("integrity", "attachments_listed", "document.pdf#case-data.json")


@pytest.fixture
def exported(closed_case, tmp_path):
    case = closed_case()
    package = ArchivePackage.objects.get(case=case)
    target = tmp_path / "export"
    out = io.StringIO()
    call_command("archive_export", case.reference_no, str(target), stdout=out)
    assert "4 file(s)" in out.getvalue()
    return package, target


def verify(ref_or_dir) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("archive_verify", str(ref_or_dir), stdout=out)
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def failing(folder: Path) -> set[tuple[str, str, str]]:
    return {(i.property, i.code, i.part) for i in check_package(folder).failures}


def test_an_exported_package_verifies_and_the_stored_one_is_recorded(exported):
    package, folder = exported
    ok, output = verify(folder)
    assert ok, output
    assert "passed all" in output and output.count("ok  ") >= 20

    ok, output = verify(package.archival_code)
    assert ok, output
    check = PackageCheck.objects.filter(package=package, trigger="command").get()
    assert check.passed and any(item["code"] == "registry" and item["passed"] for item in check.items)


def test_the_export_refuses_a_folder_that_is_not_empty(exported, tmp_path):
    package, folder = exported
    with pytest.raises(CommandError, match="not an empty folder"):
        call_command("archive_export", package.archival_code, str(folder))
    with pytest.raises(CommandError, match="no such"):
        call_command("archive_export", "JY-NOPE-2027-000001", str(tmp_path / "x"))
    with pytest.raises(CommandError, match="no such folder, archival code or case reference"):
        call_command("archive_verify", "JY-NOPE-2027-000001")


def test_changing_one_byte_of_any_part_fails_and_names_the_part(exported, tmp_path):
    package, folder = exported
    parts = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert parts == [
        "attachments/01-户口簿_首页.pdf",
        "attachments/02-photo.png",
        "document.pdf",
        "manifest.xml",
    ]
    for index, name in enumerate(parts):
        copy = copy_package(folder, tmp_path / f"copy{index}")
        path = copy / name
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01  # one bit of one byte
        path.write_bytes(bytes(data))
        ok, output = verify(copy)
        assert not ok, name
        named = output.split("failing part(s): ")[1].split(", ")
        assert name in named, output  # named (a changed PDF may fail more than its digest)
        assert "FAIL authenticity " in output and f"[{name}]" in output


def test_archive_verify_exits_non_zero_naming_the_part(exported, tmp_path):
    _package, folder = exported
    photo = folder / "attachments/02-photo.png"
    photo.write_bytes(photo.read_bytes() + b"\x00")
    env = {**os.environ, "ARCHIVE_SIGNING_KEY_FILE": settings.ARCHIVE_SIGNING_KEY_FILE}
    result = subprocess.run(
        [sys.executable, "manage.py", "archive_verify", str(folder)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "FAIL authenticity digest" in result.stdout and "[attachments/02-photo.png]" in result.stdout
    assert "failing part(s): attachments/02-photo.png" in result.stderr


def test_a_package_resealed_with_an_untrusted_key_is_not_authentic(exported, settings):
    _package, folder = exported
    stranger = keys.SigningKey(Ed25519PrivateKey.generate())
    (folder / "document.pdf").write_bytes((folder / "document.pdf").read_bytes() + b"\n")
    reseal(folder, stranger)
    assert failing(folder) == {
        ("authenticity", "signing_key", "manifest.xml")
    }  # the signature itself verifies

    settings.ARCHIVE_TRUSTED_KEYS = [stranger.key_id]  # e.g. a retired key of this archive
    assert failing(folder) == set()


def test_usability_pdfa_declaration_and_embedded_data(exported):
    _package, folder = exported
    (folder / "document.pdf").write_bytes(tiny_pdf("not PDF/A"))
    reseal(folder, keys.signing_key())
    assert failing(folder) == {
        ("usability", "pdfa", "document.pdf"),
        ("usability", "embedded_data", "document.pdf#case-data.json"),
    }


def test_integrity_metadata_and_missing_parts(exported):
    _package, folder = exported
    reseal(
        folder,
        keys.signing_key(),
        edit=lambda text: text.replace("<责任者>区教育局基础教育科</责任者>", "<责任者></责任者>"),
    )
    assert failing(folder) == {("integrity", "metadata", "manifest.xml")}
    reseal(folder, keys.signing_key(), edit=lambda text: text.replace(">10年</保管期限>", ">5年</保管期限>"))
    assert ("integrity", "metadata", "manifest.xml") in failing(folder)

    (folder / "attachments/02-photo.png").unlink()
    assert ("integrity", "parts_present", "attachments/02-photo.png") in failing(folder)


def test_security_undeclared_files_and_wrong_types(exported):
    _package, folder = exported
    (folder / "attachments/run.sh").write_bytes(b"#!/bin/sh\nrm -rf /\n")
    assert failing(folder) == {("security", "undeclared", "attachments/run.sh")}
    (folder / "attachments/run.sh").unlink()

    (folder / "attachments/02-photo.png").write_bytes(b"MZ\x90\x00 an executable, not a PNG")
    reseal(folder, keys.signing_key())
    # the embedded case data still holds the attachment's original digest: a re-sealed manifest cannot hide it
    assert failing(folder) == {("security", "file_types", "attachments/02-photo.png"), LISTED}


def test_a_malformed_manifest_fails_usability_and_authenticity(exported):
    _package, folder = exported
    manifest = folder / "manifest.xml"
    manifest.write_bytes(manifest.read_bytes().replace("</电子文件封装包>".encode(), b""))
    assert failing(folder) == {
        ("usability", "xml", "manifest.xml"),
        ("authenticity", "signature", "manifest.xml"),
    }


def _pdf_with(extra: dict | None = None, *, js: bool = False, font: bool = False) -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    if js:
        action = {"/S": NameObject("/JavaScript"), "/JS": TextStringObject("app.alert('hi');")}
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {NameObject(k): v for k, v in action.items()}
        )
    if extra:
        writer._root_object.update({NameObject(k): v for k, v in extra.items()})
    if font:
        helvetica = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(helvetica)})}
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_inspect_pdf_finds_javascript_launch_actions_and_unembedded_fonts():
    assert inspect_pdf(_pdf_with(js=True)).active == ["/JS", "/S /JavaScript"]
    launch = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): DictionaryObject()})
    assert inspect_pdf(_pdf_with({"/OpenAction": launch})).active == ["/S /Launch"]
    clean = inspect_pdf(_pdf_with(font=True))
    assert clean.active == [] and clean.unembedded_fonts == ["/Helvetica"]


def test_an_attachment_with_javascript_is_refused_by_the_security_check(exported):
    _package, folder = exported
    (folder / "attachments/01-户口簿_首页.pdf").write_bytes(_pdf_with(js=True))
    reseal(folder, keys.signing_key())
    assert failing(folder) == {("security", "active_content", "attachments/01-户口簿_首页.pdf"), LISTED}


def test_trace_gaps():
    done = {"seq": 2, "to": "done"}
    assert _trace_gaps([{"seq": 1, "to": "submitted"}, done]) == ""
    assert "missing [2]" in _trace_gaps([{"seq": 1}, {"seq": 3, "to": "done"}])
    assert "empty" in _trace_gaps([])
    assert "closes" in _trace_gaps([{"seq": 1, "to": "submitted"}])


def test_a_stored_package_changed_on_disk_fails_on_the_bureau_check(closed_case, bureau):
    package = ArchivePackage.objects.get(case=closed_case(attachments=False))
    manifest = package_folder(package) / "manifest.xml"
    os.chmod(manifest, 0o644)
    manifest.write_bytes(manifest.read_bytes().replace(b"<!--", b"<!--"))  # unchanged: still passes
    assert package_verify(package=package, by=bureau).passed
    manifest.write_bytes(manifest.read_bytes() + b"\n")
    check = package_verify(package=package, by=bureau)
    assert not check.passed
    assert {(i["code"], i["part"]) for i in check.items if not i["passed"]} == {
        ("signature", "manifest.xml"),
        ("registry", "manifest.xml"),
    }
