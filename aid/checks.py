"""The automatic checks of an aid application, against the registries via the exchange, and the level
the scheme's rules propose from what they found.

Three look-ups: the 学籍 registry (the student is enrolled), civil affairs (低保 / 特困 / 低边 valid today)
and the disabled persons' federation (残疾人证). Each check gives ``pass`` or ``fail`` with its reason, or
``unavailable`` when its registry did not answer; an application then waits (``verifying``) and is tried
again, and after the retries the school checks by hand — never a silent pass. What the family declares
(orphan, other hardship) is ``pending``: the school confirms it.

:func:`qualifications_from` and :func:`propose_level` are pure, so the finder's bulk scan and an
application's checks apply the very same rules.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from aid.models import AidApplication, LevelRule, Qualification, Scheme, SchemeLevel
from exchange import sources as S
from exchange.checks import CheckResult
from exchange.errors import ExchangeError, NotFound
from exchange.services import lookup
from payments.money import format_yuan

PURPOSE = "学生资助资格核验 (student aid check)"
SOURCES = [S.STUDENT, S.WELFARE, S.DISABILITY]
WELFARE_TYPES = {"dibao": Qualification.DIBAO, "tekun": Qualification.TEKUN, "dibian": Qualification.DIBIAN}


@dataclass(frozen=True)
class Outcome:
    name: str
    result: str
    reason: str
    source: str = ""


class Unavailable:
    """A registry that did not answer."""

    def __init__(self, error: str = ""):
        self.error = error


def _fetch(fn, *, case, **params):
    try:
        return lookup(fn, purpose=PURPOSE, case=case, **params)
    except NotFound:
        return None
    except ExchangeError as exc:
        return Unavailable(str(exc))


def gather(application: AidApplication) -> dict:
    """The registries' answers by check name (outside any transaction: each look-up is recorded)."""
    child = application.student_id_number
    case = application.case
    return {
        "student": _fetch(S.student_records, case=case, id_number=child),
        "welfare": _fetch(S.welfare_records, case=case, id_number=child),
        "disability": _fetch(S.disability_record, case=case, id_number=child),
    }


def qualifications_from(*, welfare, disability, today: dt.date) -> dict[str, str]:
    """Qualification → the reason it holds, from civil-affairs records (a tuple; expired ones do not
    count) and a disability record (or None)."""
    found: dict[str, str] = {}
    for record in welfare or ():
        kind = WELFARE_TYPES.get(record.type)
        if kind is None or record.valid_until < today:
            continue
        found[kind] = _("%(what)s, valid until %(date)s (civil affairs)") % {
            "what": Qualification(kind).label,
            "date": record.valid_until.isoformat(),
        }
    if disability is not None and not isinstance(disability, Unavailable):
        found[Qualification.DISABILITY] = _(
            "Disability certificate, grade %(level)s (disabled persons' federation)"
        ) % {"level": disability.level}
    return found


def rules_of(scheme: Scheme) -> dict[str, SchemeLevel]:
    return {r.qualification: r.level for r in LevelRule.objects.filter(scheme=scheme).select_related("level")}


def propose_level(
    scheme: Scheme, qualifications: dict[str, str], *, rules: dict | None = None
) -> tuple[SchemeLevel | None, list[str]]:
    """The level the scheme's rules give for ``qualifications`` — the highest amount among them — and
    one reason per qualification that gives a level."""
    rules = rules_of(scheme) if rules is None else rules
    best: SchemeLevel | None = None
    reasons = []
    for qualification, why in qualifications.items():
        level = rules.get(qualification)
        if level is None:
            continue
        reasons.append(
            _("%(why)s → %(level)s (%(amount)s)")
            % {"why": why, "level": level.name, "amount": format_yuan(level.amount_fen)}
        )
        if best is None or level.amount_fen > best.amount_fen:
            best = level
    return best, reasons


def evaluate(
    application: AidApplication, answers: dict, *, today: dt.date
) -> tuple[list[Outcome], SchemeLevel | None]:
    """One outcome per check with its reason, and the proposed level (pure but for reading the rules)."""
    out: list[Outcome] = []
    registry_down = _("The %(registry)s did not answer; it is asked again, then the school checks by hand.")

    a = answers["student"]
    if isinstance(a, Unavailable):
        out.append(
            Outcome(
                "student",
                CheckResult.UNAVAILABLE,
                registry_down % {"registry": _("student registry")},
                S.STUDENT,
            )
        )
    else:
        enrolled = [r for r in (a or ()) if r.status == "enrolled"]
        if enrolled:
            out.append(
                Outcome("student", CheckResult.PASS, _("Enrolled at school (student registry)."), S.STUDENT)
            )
        else:
            out.append(
                Outcome("student", CheckResult.FAIL, _("The student registry shows no enrolment."), S.STUDENT)
            )

    welfare, disability = answers["welfare"], answers["disability"]
    found = qualifications_from(
        welfare=None if isinstance(welfare, Unavailable) else welfare,
        disability=None if isinstance(disability, Unavailable) else disability,
        today=today,
    )
    if isinstance(welfare, Unavailable):
        out.append(
            Outcome(
                "welfare",
                CheckResult.UNAVAILABLE,
                registry_down % {"registry": _("civil affairs registry")},
                S.WELFARE,
            )
        )
    else:
        held = [why for q, why in found.items() if q != Qualification.DISABILITY]
        if held:
            out.append(Outcome("welfare", CheckResult.PASS, "；".join(held), S.WELFARE))
        else:
            out.append(
                Outcome(
                    "welfare",
                    CheckResult.FAIL,
                    _("Civil affairs hold no valid 低保, 特困 or 低边 record."),
                    S.WELFARE,
                )
            )
    if isinstance(disability, Unavailable):
        out.append(
            Outcome(
                "disability",
                CheckResult.UNAVAILABLE,
                registry_down % {"registry": _("disability registry")},
                S.DISABILITY,
            )
        )
    elif Qualification.DISABILITY in found:
        out.append(Outcome("disability", CheckResult.PASS, found[Qualification.DISABILITY], S.DISABILITY))
    else:
        out.append(
            Outcome(
                "disability",
                CheckResult.FAIL,
                _("The disabled persons' federation holds no certificate."),
                S.DISABILITY,
            )
        )

    declared = {}
    for item in application.declared_list:
        declared[item] = _("%(what)s, stated by the family (the school confirms)") % {
            "what": Qualification(item).label
        }
    if declared:
        out.append(Outcome("declared", CheckResult.PENDING, "；".join(declared.values())))

    level, reasons = propose_level(application.scheme, {**found, **declared})
    if level is not None:
        out.append(Outcome("level", CheckResult.PASS, "；".join(reasons)[:300]))
    elif any(o.result == CheckResult.UNAVAILABLE for o in out):
        out.append(Outcome("level", CheckResult.PENDING, _("No level yet: a registry did not answer.")))
    else:
        out.append(
            Outcome(
                "level",
                CheckResult.FAIL,
                _("No qualification of the scheme was found; the school may set a level for other hardship."),
            )
        )
    return out, level
