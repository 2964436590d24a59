"""The automatic checks of a teacher-certificate application, against the registries via the exchange.

Five checks, their look-ups in parallel (``TEACHERS_LOOKUP_WORKERS`` threads; one in tests): identity
(户籍, name as on the account), degree (学历) at or above the stage's minimum, the exam pass (考试合格证明)
for this person, stage and subject and not expired, the Mandarin level (普通话) at or above the stage's
(higher for Chinese-language teachers), and the designated hospital's medical result fit. Each check
gives ``pass`` or ``fail`` with its reason, or ``unavailable`` when its registry did not answer — which
sends the application to the bureau's review, never a silent pass.
"""

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections
from django.utils.translation import gettext as _

from exchange import sources as S
from exchange.checks import CheckResult
from exchange.errors import ExchangeError, Mismatch, NotFound
from exchange.services import lookup
from teachers.models import DEGREE_ORDER, CertificateApplication, DegreeLevel, StageRequirement

PURPOSE = "教师资格认定条件核验 (teacher certificate check)"
SOURCES = [S.HUKOU, S.DEGREE, S.TEACHER_EXAM, S.MANDARIN, S.MEDICAL]
CHECK_NAMES = ("identity", "degree", "exam", "mandarin", "medical")

# 教师法 defaults, used when the bureau has not set a stage's requirement in the admin
DEFAULT_MIN_DEGREE = {
    "kindergarten": DegreeLevel.ASSOCIATE,
    "primary": DegreeLevel.ASSOCIATE,
    "junior": DegreeLevel.BACHELOR,
    "senior": DegreeLevel.BACHELOR,
}


@dataclass(frozen=True)
class Outcome:
    name: str
    result: str
    reason: str
    source: str


class _Unavailable:
    def __init__(self, error: str):
        self.error = error


class _NotThere:
    def __init__(self, mismatch: bool):
        self.mismatch = mismatch


def requirement_for(stage: str) -> StageRequirement:
    found = StageRequirement.objects.filter(stage=stage).first()
    return found or StageRequirement(stage=stage, min_degree=DEFAULT_MIN_DEGREE[stage])


def _fetch(fn: Callable, *, case, **params):
    close_old_connections() if _parallel() else None
    try:
        return lookup(fn, purpose=PURPOSE, case=case, **params)
    except NotFound:
        return _NotThere(mismatch=False)
    except Mismatch:
        return _NotThere(mismatch=True)
    except ExchangeError as exc:
        return _Unavailable(str(exc))
    finally:
        close_old_connections() if _parallel() else None


def _parallel() -> bool:
    return getattr(settings, "TEACHERS_LOOKUP_WORKERS", 1) > 1


def gather(application: CertificateApplication) -> dict:
    """The registries' answers, by check name (outside any transaction: each look-up is recorded)."""
    id_number = application.applicant.id_number
    case = application.case
    calls = {
        "identity": (S.hukou_person, {"id_number": id_number, "name": application.applicant.real_name}),
        "degree": (S.degrees, {"id_number": id_number}),
        "exam": (S.teacher_exam_verify, {"id_number": id_number, "cert_no": application.exam_pass_no}),
        "mandarin": (S.mandarin_verify, {"id_number": id_number, "cert_no": application.mandarin_cert_no}),
        "medical": (S.medical_verify, {"id_number": id_number, "report_no": application.medical_report_no}),
    }
    if _parallel():
        with ThreadPoolExecutor(max_workers=settings.TEACHERS_LOOKUP_WORKERS) as pool:
            futures = {name: pool.submit(_fetch, fn, case=case, **p) for name, (fn, p) in calls.items()}
            return {name: f.result() for name, f in futures.items()}
    return {name: _fetch(fn, case=case, **p) for name, (fn, p) in calls.items()}


def _unavailable(name: str, source: str, answer: _Unavailable) -> Outcome:
    return Outcome(
        name,
        CheckResult.UNAVAILABLE,
        _("The %(registry)s did not answer; bureau staff will check this by hand.")
        % {"registry": S.SOURCES[source].split(" ", 1)[0]},
        source,
    )


def evaluate(application: CertificateApplication, answers: dict, *, today: dt.date) -> list[Outcome]:
    """One outcome per check, with its reason (pure: no I/O)."""
    req = requirement_for(application.stage)
    stage_label = application.get_stage_display()
    out: list[Outcome] = []

    a = answers["identity"]
    if isinstance(a, _Unavailable):
        out.append(_unavailable("identity", S.HUKOU, a))
    elif isinstance(a, _NotThere):
        reason = (
            _("The household registry holds another name for your ID number.")
            if a.mismatch
            else _("Your ID number is not in the household registry.")
        )
        out.append(Outcome("identity", CheckResult.FAIL, reason, S.HUKOU))
    else:
        out.append(
            Outcome("identity", CheckResult.PASS, _("Name and ID number match the registry."), S.HUKOU)
        )

    a = answers["degree"]
    minimum = DegreeLevel(req.min_degree)
    if isinstance(a, _Unavailable):
        out.append(_unavailable("degree", S.DEGREE, a))
    else:
        held = [d for d in (a if isinstance(a, tuple) else ()) if d.degree in DEGREE_ORDER]
        best = max(held, key=lambda d: DEGREE_ORDER.index(d.degree), default=None)
        if best is None:
            out.append(
                Outcome(
                    "degree", CheckResult.FAIL, _("The degree registry holds no degree of yours."), S.DEGREE
                )
            )
        elif DEGREE_ORDER.index(best.degree) < DEGREE_ORDER.index(minimum):
            out.append(
                Outcome(
                    "degree",
                    CheckResult.FAIL,
                    _("%(stage)s needs at least %(min)s; the registry holds %(held)s.")
                    % {"stage": stage_label, "min": minimum.label, "held": DegreeLevel(best.degree).label},
                    S.DEGREE,
                )
            )
        else:
            out.append(
                Outcome(
                    "degree",
                    CheckResult.PASS,
                    _("%(held)s (%(institution)s %(year)s) meets the minimum %(min)s.")
                    % {
                        "held": DegreeLevel(best.degree).label,
                        "institution": best.institution,
                        "year": best.year,
                        "min": minimum.label,
                    },
                    S.DEGREE,
                )
            )

    a = answers["exam"]
    if isinstance(a, _Unavailable):
        out.append(_unavailable("exam", S.TEACHER_EXAM, a))
    elif isinstance(a, _NotThere):
        reason = (
            _("This exam pass certificate was issued to someone else.")
            if a.mismatch
            else _("No exam pass certificate has this number.")
        )
        out.append(Outcome("exam", CheckResult.FAIL, reason, S.TEACHER_EXAM))
    elif a.stage != application.stage:
        out.append(
            Outcome(
                "exam",
                CheckResult.FAIL,
                _("The exam was passed for another stage (%(stage)s).") % {"stage": a.stage},
                S.TEACHER_EXAM,
            )
        )
    elif a.subject.strip() != application.subject.strip():
        out.append(
            Outcome(
                "exam",
                CheckResult.FAIL,
                _("The exam was passed for another subject (%(subject)s).") % {"subject": a.subject},
                S.TEACHER_EXAM,
            )
        )
    elif a.valid_until < today:
        out.append(
            Outcome(
                "exam",
                CheckResult.FAIL,
                _("The exam pass expired on %(date)s.") % {"date": a.valid_until.isoformat()},
                S.TEACHER_EXAM,
            )
        )
    else:
        out.append(
            Outcome(
                "exam",
                CheckResult.PASS,
                _("Exam passed for this stage and subject, valid until %(date)s.")
                % {"date": a.valid_until.isoformat()},
                S.TEACHER_EXAM,
            )
        )

    a = answers["mandarin"]
    needed = req.mandarin_for(application.subject)
    if isinstance(a, _Unavailable):
        out.append(_unavailable("mandarin", S.MANDARIN, a))
    elif isinstance(a, _NotThere):
        reason = (
            _("This Mandarin certificate was issued to someone else.")
            if a.mismatch
            else _("No Mandarin certificate has this number.")
        )
        out.append(Outcome("mandarin", CheckResult.FAIL, reason, S.MANDARIN))
    elif not a.at_least(needed):
        out.append(
            Outcome(
                "mandarin",
                CheckResult.FAIL,
                _("%(subject)s teachers need Mandarin %(needed)s or better; the certificate says %(level)s.")
                % {"subject": application.subject, "needed": needed, "level": a.level},
                S.MANDARIN,
            )
        )
    else:
        out.append(
            Outcome(
                "mandarin",
                CheckResult.PASS,
                _("Mandarin %(level)s meets %(needed)s.") % {"level": a.level, "needed": needed},
                S.MANDARIN,
            )
        )

    a = answers["medical"]
    if isinstance(a, _Unavailable):
        out.append(_unavailable("medical", S.MEDICAL, a))
    elif isinstance(a, _NotThere):
        reason = (
            _("This medical report is someone else's.")
            if a.mismatch
            else _("The designated hospital has no report with this number.")
        )
        out.append(Outcome("medical", CheckResult.FAIL, reason, S.MEDICAL))
    elif not a.fit:
        out.append(
            Outcome("medical", CheckResult.FAIL, _("The medical result is not fit for teaching."), S.MEDICAL)
        )
    else:
        out.append(
            Outcome(
                "medical",
                CheckResult.PASS,
                _("Fit for teaching (report of %(date)s).") % {"date": a.date.isoformat()},
                S.MEDICAL,
            )
        )
    return out
