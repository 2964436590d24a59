"""The package manifest: an XML encapsulation in the spirit of DA/T 48 (基于XML的电子文件封装规范) carrying
DA/T 46-style metadata (文书类电子文件元数据) and a SHA-256 digest of every part, sealed by a signature.

Shape (element names as in DA/T 48)::

    电子文件封装包
      封装包格式描述, 版本
      被签名对象
        封装包类型, 封装包类型描述, 封装包创建时间, 封装包创建单位
        封装内容
          文件实体块/文件实体     来源 (全宗), 档号, 内容描述 (题名, 责任者, 日期, 办件…), 保管期限,
                                 计算机文件/文件数据 × n (路径, 格式, 大小, 数字摘要), 内嵌数据
          业务实体块/业务实体 × n 受理, 办结, 归档 (行为, 时间, 机构人员)
          机构人员实体块/机构人员实体 × n
      电子签名块/电子签名        签名规则, 签名时间, 签名人, 签名结果, 证书块 (公钥, 证书引证), 签名算法标识

The signature (Ed25519) covers the manifest's exact bytes with the content of 签名结果 left out, so a
change to any byte of the file — metadata, a digest, even whitespace — breaks it; the digests in turn bind
every other part of the package.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import xml.etree.ElementTree as ET  # noqa: S405 - building only; parsing goes through defusedxml
from dataclasses import dataclass

from defusedxml import ElementTree as SafeET

EEP_VERSION = "2009"
FORMAT_DESCRIPTION = "本封装包参照 DA/T 48《基于XML的电子文件封装规范》生成，元数据参照 DA/T 46。"
SIGNATURE_RULE = "Ed25519；签名对象为本文件的UTF-8字节，签名结果元素的内容除外"
_PLACEHOLDER = "@@SIGNATURE@@"
_SIGNATURE_RE = re.compile("<签名结果>([^<]*)</签名结果>".encode())

# the metadata every package must carry (integrity check); path below 文件实体
MANDATORY_METADATA = {
    "全宗号": "来源/全宗号",
    "全宗名称": "来源/全宗名称",
    "档号": "档号",
    "题名": "内容描述/题名",
    "责任者": "内容描述/责任者",
    "日期": "内容描述/日期",
    "办件编号": "内容描述/办件编号",
    "保管期限": "保管期限",
}
RETENTION_VALUES = {"永久", "30年", "10年"}


class ManifestError(ValueError):
    """The manifest is not well-formed XML or lacks the structure of a package manifest."""


@dataclass(frozen=True)
class Part:
    """One file of the package, as the manifest lists it."""

    path: str  # relative, with forward slashes
    role: str  # document | attachment
    mime: str
    size: int
    sha256: str
    label: str = ""

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "role": self.role,
            "mime": self.mime,
            "size": self.size,
            "sha256": self.sha256,
            "label": self.label,
        }


@dataclass(frozen=True)
class PackageMeta:
    archival_code: str
    fonds_code: str
    fonds_name: str
    title: str
    responsible: str
    document_date: dt.date
    retention_label: str  # 永久 / 30年 / 10年
    retention_code: str  # Y / D30 / D10
    reference_no: str
    service_code: str
    service_name: str
    outcome: str  # the case's final status label
    accepted_on: dt.date
    created_at: dt.datetime
    embedded_name: str
    embedded_sha256: str
    events: int


@dataclass(frozen=True)
class Manifest:
    metadata: dict[str, str]  # MANDATORY_METADATA keys → text ("" when missing)
    parts: list[Part]
    embedded: dict[str, str]  # file, name, sha256, events
    public_key_pem: str
    key_id: str
    algorithm: str


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = str(text)
    return element


def _business(block, action: str, at: str, description: str, actor: str) -> None:
    entity = _sub(block, "业务实体")
    _sub(entity, "业务行为", action)
    _sub(entity, "行为时间", at)
    _sub(entity, "行为描述", description)
    _sub(entity, "机构人员", actor)


def build_manifest(
    *, meta: PackageMeta, parts: list[Part], closed_at: str, sign, public_key_pem: str, key_id: str
) -> bytes:
    """The signed manifest as UTF-8 bytes. ``sign(message) -> signature`` seals it."""
    root = ET.Element("电子文件封装包")
    _sub(root, "封装包格式描述", FORMAT_DESCRIPTION)
    _sub(root, "版本", EEP_VERSION)
    signed = _sub(root, "被签名对象", eep版本=EEP_VERSION)
    _sub(signed, "封装包类型", "原始型")
    _sub(signed, "封装包类型描述", "办件办结后由系统自动封装的电子文件及其元数据，未经修改")
    _sub(signed, "封装包创建时间", meta.created_at.isoformat(timespec="seconds"))
    _sub(signed, "封装包创建单位", meta.fonds_name)
    content = _sub(signed, "封装内容")

    entity = _sub(_sub(content, "文件实体块"), "文件实体")
    _sub(entity, "聚合层次", "件")
    source = _sub(entity, "来源")
    _sub(source, "全宗号", meta.fonds_code)
    _sub(source, "全宗名称", meta.fonds_name)
    _sub(source, "立档单位名称", meta.fonds_name)
    _sub(entity, "档号", meta.archival_code)
    description = _sub(entity, "内容描述")
    _sub(description, "题名", meta.title)
    _sub(description, "责任者", meta.responsible)
    _sub(description, "日期", meta.document_date.isoformat())
    _sub(description, "办件编号", meta.reference_no)
    _sub(description, "事项", meta.service_name, 代码=meta.service_code)
    _sub(description, "办理结果", meta.outcome)
    _sub(entity, "保管期限", meta.retention_label, 代码=meta.retention_code)
    form = _sub(entity, "形式特征")
    _sub(form, "文件组合类型", "单件" if len(parts) == 1 else "组合文件")
    _sub(form, "件数", str(len(parts)))
    files = _sub(entity, "计算机文件")
    for number, part in enumerate(parts, start=1):
        data = _sub(files, "文件数据", 编号=number, 角色=part.role)
        _sub(data, "文件路径", part.path)
        _sub(data, "格式", part.mime)
        _sub(data, "计算机文件大小", str(part.size), 单位="字节")
        _sub(data, "数字摘要", part.sha256, 算法="SHA-256")
        if part.label:
            _sub(data, "说明", part.label)
    _sub(
        entity,
        "内嵌数据",
        meta.embedded_sha256,
        文件="document.pdf",
        名称=meta.embedded_name,
        算法="SHA-256",
        事件数=meta.events,
    )

    business = _sub(content, "业务实体块")
    _business(business, "受理", meta.accepted_on.isoformat(), f"{meta.service_name} 受理", meta.fonds_name)
    _business(business, "办结", closed_at, f"办理结果：{meta.outcome}", meta.responsible)
    _business(
        business,
        "归档",
        meta.created_at.isoformat(timespec="seconds"),
        "办结后自动归档（单套制），四性检测通过后入库",
        "教育一网通办 电子档案系统",
    )
    agents = _sub(content, "机构人员实体块")
    for kind, name in (
        ("单位", meta.fonds_name),
        ("部门", meta.responsible),
        ("系统", "教育一网通办 电子档案系统"),
    ):
        agent = _sub(agents, "机构人员实体")
        _sub(agent, "机构人员类型", kind)
        _sub(agent, "机构人员名称", name)

    signature = _sub(_sub(root, "电子签名块"), "电子签名")
    _sub(signature, "签名标识符", "1")
    _sub(signature, "签名规则", SIGNATURE_RULE)
    _sub(signature, "签名时间", meta.created_at.isoformat(timespec="seconds"))
    _sub(signature, "签名人", f"{meta.fonds_name} 电子档案系统")
    _sub(signature, "签名结果", _PLACEHOLDER)
    certificate = _sub(signature, "证书块")
    _sub(certificate, "证书", "\n" + public_key_pem.strip() + "\n")
    _sub(certificate, "证书引证", key_id, 算法="SHA-256")
    _sub(signature, "签名算法标识", "Ed25519")

    ET.indent(root, space=" ")
    document = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        root, encoding="utf-8", xml_declaration=False
    )
    document += b"\n"
    placeholder = _PLACEHOLDER.encode("ascii")
    unsigned = document.replace(placeholder, b"")
    value = base64.b64encode(sign(unsigned))
    return document.replace(placeholder, value)


def signed_message(document: bytes) -> tuple[bytes, bytes]:
    """(the bytes the signature covers, the decoded signature). ManifestError unless there is exactly
    one 签名结果 with base64 content."""
    matches = list(_SIGNATURE_RE.finditer(document))
    if len(matches) != 1:
        raise ManifestError(f"expected one 签名结果 element, found {len(matches)}")
    match = matches[0]
    try:
        signature = base64.b64decode(match.group(1).strip(), validate=True)
    except ValueError as exc:
        raise ManifestError("签名结果 is not base64") from exc
    return document[: match.start(1)] + document[match.end(1) :], signature


def _text(element, path: str) -> str:
    found = element.find(path) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def parse_manifest(document: bytes) -> Manifest:
    """Read a manifest (defused: no entities, no external references). ManifestError when it is not
    well-formed or not a package manifest; missing metadata is reported as "" for the integrity check."""
    try:
        root = SafeET.fromstring(document)
    except (SafeET.ParseError, ValueError) as exc:  # defusedxml's refusals are ValueErrors
        raise ManifestError(f"not well-formed XML: {exc}") from exc
    if root.tag != "电子文件封装包":
        raise ManifestError(f"root element is {root.tag!r}, not 电子文件封装包")
    entity = root.find("被签名对象/封装内容/文件实体块/文件实体")
    if entity is None:
        raise ManifestError("no 文件实体 in 被签名对象/封装内容/文件实体块")
    metadata = {name: _text(entity, path) for name, path in MANDATORY_METADATA.items()}
    parts = []
    for data in entity.findall("计算机文件/文件数据"):
        try:
            size = int(_text(data, "计算机文件大小"))
        except ValueError:
            size = -1
        parts.append(
            Part(
                path=_text(data, "文件路径"),
                role=data.get("角色", ""),
                mime=_text(data, "格式"),
                size=size,
                sha256=_text(data, "数字摘要").lower(),
                label=_text(data, "说明"),
            )
        )
    embedded_element = entity.find("内嵌数据")
    embedded = {}
    if embedded_element is not None:
        embedded = {
            "file": embedded_element.get("文件", ""),
            "name": embedded_element.get("名称", ""),
            "sha256": (embedded_element.text or "").strip().lower(),
            "events": embedded_element.get("事件数", ""),
        }
    signature_element = root.find("电子签名块/电子签名")
    return Manifest(
        metadata=metadata,
        parts=parts,
        embedded=embedded,
        public_key_pem=_text(signature_element, "证书块/证书"),
        key_id=_text(signature_element, "证书块/证书引证").lower(),
        algorithm=_text(signature_element, "签名算法标识"),
    )
