"""The materials list per kind of application (申请材料清单): what it is, what the portal fetches itself
through the exchange (数据多跑路), what the applicant uploads, and what may follow later (容缺).

The bureau edits the lists in the admin (``KindMaterial``); ``ensure_default_materials`` fills a kind that
has no list yet (after ``migrate``, like the catalogue). When an application is made its kind's list is
copied onto it with the results of the look-ups (``Application.materials``), so a later edit of the list
does not change what a running application needs. A material whose registry has no record or does not
answer becomes an upload (never a silent pass).
"""

import logging

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from exchange import sources as X
from exchange.errors import ExchangeError
from exchange.services import authorisations_grant, lookup
from licensing.models import Application, Kind, KindMaterial, MaterialSource
from portal.accounts.models import User
from portal.cases.services import attachment_add

log = logging.getLogger(__name__)

PROPERTY_PURPOSE = "民办学校审批：查询校舍不动产登记信息"
M, U, RE = MaterialSource.MARKET_REGULATION, MaterialSource.UPLOAD, MaterialSource.REAL_ESTATE

# (name, source, key, required, note) per kind: the defaults a fresh district starts from.
DEFAULTS: dict[str, list[tuple[str, str, bool, bool, str]]] = {
    Kind.PREPARATION: [
        ("举办者主体资格信息", M, True, True, "按统一社会信用代码自动查询"),
        ("筹设申请报告", U, True, True, ""),
        ("资产来源、资金数额及有效证明文件", U, True, True, ""),
        ("校舍不动产信息", RE, False, False, "已有校舍的；查不到时上传产权证明或租赁合同"),
    ],
    Kind.ESTABLISHMENT: [
        ("举办者主体资格信息", M, True, True, "按统一社会信用代码自动查询"),
        ("申办报告", U, True, True, ""),
        ("学校章程", U, True, True, ""),
        ("资产来源、资金数额及有效证明文件", U, True, True, ""),
        ("校舍不动产信息", RE, False, True, "查不到时上传产权证明或租赁合同"),
        ("校舍租赁合同", U, False, False, "租赁校舍的"),
        ("拟任校长和教师名单及资格证明", U, False, False, ""),
    ],
    Kind.CHANGE: [
        ("举办者主体资格信息", M, True, True, "按统一社会信用代码自动查询"),
        ("变更申请报告", U, True, True, "写明变更事项（名称、层次、地址、举办者、规模）"),
        ("董事会（理事会）变更决议", U, True, True, ""),
        ("校舍不动产信息", RE, False, False, "变更地址的；查不到时上传产权证明或租赁合同"),
    ],
    Kind.TERMINATION: [
        ("举办者主体资格信息", M, True, True, "按统一社会信用代码自动查询"),
        ("终止办学申请", U, True, True, ""),
        ("财务清算报告", U, True, True, ""),
        ("学生安置方案", U, True, True, ""),
    ],
}


def ensure_default_materials(**kwargs) -> None:
    """post_migrate: give each kind without a list the default one (a kind the bureau edited is kept)."""
    have = set(KindMaterial.objects.values_list("kind", flat=True).distinct())
    rows = [
        KindMaterial(kind=kind, name=name, source=source, key=key, required=required, note=note, order=i)
        for kind, items in DEFAULTS.items()
        if kind not in have
        for i, (name, source, key, required, note) in enumerate(items)
    ]
    KindMaterial.objects.bulk_create(rows)


def kind_list(kind: str) -> list[KindMaterial]:
    return list(KindMaterial.objects.filter(kind=kind))


def lists_per_kind() -> list[tuple[str, list[KindMaterial]]]:
    """``[(kind label, [materials])]`` in the order of the kinds, for the pages."""
    rows = list(KindMaterial.objects.all())
    return [(label, [m for m in rows if m.kind == kind]) for kind, label in Kind.choices]


def _same_place(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


def fetch_materials(*, applicant: User, kind: str, address: str, registry_check: dict) -> list[dict]:
    """The kind's list with each fetchable material looked up now (outside any transaction): the
    market-regulation record is the one just checked (``registry_check``); the premises' title is looked
    up in 不动产 among the titles of the applicant (the sponsor's representative) at the school's address."""
    items = []
    for m in kind_list(kind):
        item = {
            "name": m.name,
            "key": m.key and m.required,
            "required": m.required,
            "source": "fetched" if m.fetched else "upload",
            "registry": str(m.get_source_display()) if m.fetched else "",
            "fetched": False,
            "reason": m.note,
        }
        if m.source == MaterialSource.MARKET_REGULATION:
            item["fetched"] = registry_check.get("result") == "pass"
            item["reason"] = registry_check.get("reason", "")
        elif m.source == MaterialSource.REAL_ESTATE:
            item["fetched"], item["reason"] = _premises(applicant=applicant, address=address)
        if m.fetched and not item["fetched"]:
            item["source"] = "upload"  # the registry could not give it: the applicant uploads it
        items.append(item)
    return items


def _premises(*, applicant: User, address: str) -> tuple[bool, str]:
    try:
        authorisations_grant(
            guardian=applicant,
            purpose=PROPERTY_PURPOSE,
            subjects=[(applicant.id_number, [X.PROPERTY])],
            subject_name=applicant.real_name,
        )
        titles = lookup(
            X.properties_by_owner,
            purpose=PROPERTY_PURPOSE,
            requester=applicant,
            id_number=applicant.id_number,
        )
    except (ExchangeError, ValidationError) as exc:
        log.info("licensing: real-estate look-up failed: %s", exc)
        return False, _("The real-estate registry did not answer; upload the title or the lease.")
    for title in titles:
        if _same_place(title.address, address):
            return True, _("Real estate: %(cert)s, %(address)s.") % {
                "cert": title.cert_no,
                "address": title.address,
            }
    return False, _(
        "No title at the school's address in the real-estate registry; upload the title or the lease."
    )


def application_materials(application: Application) -> list[dict]:
    """The application's list, each item with whether it is fetched, uploaded, present, and missing
    (named in the 容缺 list)."""
    items = application.materials or [
        {
            "name": m.name,
            "key": m.key and m.required,
            "required": m.required,
            "source": "upload",
            "registry": "",
            "fetched": False,
            "reason": m.note,
        }
        for m in kind_list(application.kind)
    ]
    uploaded = set(application.case.attachments.values_list("kind", flat=True))
    missing = set(application.missing_materials or [])
    return [
        {
            **item,
            "uploaded": item["name"] in uploaded,
            "present": item["fetched"] or item["name"] in uploaded,
            "missing": item["name"] in missing,
        }
        for item in items
    ]


def to_supplement(application: Application, named=()) -> list[str]:
    """What acceptance names as missing (容缺): the non-key materials named by the bureau and every
    required non-key material not in yet, in the list's order. Raises ValidationError for a name not on
    the list; the key ones are the caller's to refuse."""
    items = application_materials(application)
    names = {i["name"] for i in items}
    unknown = [n for n in named if n not in names]
    if unknown:
        raise ValidationError(
            {
                "missing": [
                    _("Not a material of this kind of application: %(names)s.")
                    % {"names": "、".join(unknown)}
                ]
            }
        )
    named = set(named)
    return [
        i["name"]
        for i in items
        if i["name"] in named or (i["required"] and not i["key"] and not i["present"])
    ]


def material_upload(*, application: Application, by: User, kind: str, uploaded_file):
    """Upload one material of the application's list (``kind`` is its name)."""
    names = [i["name"] for i in application_materials(application)]
    if kind not in names:
        raise ValidationError(
            {
                "kind": [
                    _("Choose one of this application's materials: %(names)s.") % {"names": "、".join(names)}
                ]
            }
        )
    return attachment_add(case=application.case, by=by, kind=kind, uploaded_file=uploaded_file)
