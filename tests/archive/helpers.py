"""Test helpers: run poppler tools, re-seal a package folder after a deliberate change (so one check can
be tested on its own), export a package."""

import base64
import hashlib
import shutil
import subprocess
from pathlib import Path

from archive import manifest as mf
from archive.keys import SigningKey


def poppler(tool: str, path: Path, *args: str) -> str:
    exe = shutil.which(tool)
    assert exe, f"{tool} is missing: install poppler-utils (make setup does)"
    command = [exe, *args, str(path), *(["-"] if tool == "pdftotext" else [])]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def copy_package(source: Path, target: Path) -> Path:
    """A writable copy of a (read-only) package folder."""
    for path in sorted(source.rglob("*")):
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
    return target


def reseal(folder: Path, key: SigningKey, *, edit=None) -> None:
    """Recompute the manifest's digests and sizes from the files, optionally ``edit(text) -> text`` the
    manifest, and sign it again with ``key``: the result is authentic again except for what the test
    changed on purpose."""
    manifest = folder / "manifest.xml"
    text = manifest.read_text(encoding="utf-8")
    for part in mf.parse_manifest(manifest.read_bytes()).parts:
        path = folder / part.path
        if path.is_file():
            data = path.read_bytes()
            text = text.replace(part.sha256, hashlib.sha256(data).hexdigest())
            text = text.replace(
                f"<文件路径>{part.path}</文件路径>\n       <格式>{part.mime}</格式>\n       "
                f'<计算机文件大小 单位="字节">{part.size}</计算机文件大小>',
                f"<文件路径>{part.path}</文件路径>\n       <格式>{part.mime}</格式>\n       "
                f'<计算机文件大小 单位="字节">{len(data)}</计算机文件大小>',
            )
    if edit is not None:
        text = edit(text)
    old_key = text[text.index("<证书>") + len("<证书>") : text.index("</证书>")]
    text = text.replace(old_key, "\n" + key.public_pem.strip() + "\n")
    start = text.index("<证书引证")
    end = text.index("</证书引证>")
    text = text[:start] + f'<证书引证 算法="SHA-256">{key.key_id}' + text[end:]
    document = text.encode("utf-8")
    message, _ = mf.signed_message(document)
    signature_at = document.index("<签名结果>".encode()) + len("<签名结果>".encode())
    unsigned_end = document.index("</签名结果>".encode())

    value = base64.b64encode(key.sign(message))
    manifest.write_bytes(document[:signature_at] + value + document[unsigned_end:])
