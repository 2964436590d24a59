"""The Simplified Chinese catalogue is complete: msgfmt finds no error, no fuzzy and no untranslated entry.

A fuzzy entry is a guess by makemessages and is not used at run time, so the page would show English."""

import shutil
import subprocess
from pathlib import Path

import pytest

PO_FILE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_zh_hans_catalogue_is_complete_and_valid(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (GNU gettext) is not installed; apt-get install gettext")
    assert PO_FILE.is_file(), PO_FILE
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(PO_FILE)],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C", "LANG": "C", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "fuzzy" not in output, output
    assert "untranslated" not in output, output
    assert "translated message" in output, output
