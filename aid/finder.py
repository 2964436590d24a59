"""应助尽助: the periodic finder registered with the kernel's invitations (ADR 0014).

Every enrolled student of an open scheme's stages is checked against civil-affairs and disability data in
bulk (``exchange.sources.welfare_records_batch`` / ``disability_records_batch``: 1,000 subjects per
request), never one look-up per student. Those who qualify by the scheme's rules and have neither an
invitation nor a live application this year are yielded as candidates; the kernel invites each guardian
once per student, service and year (its unique constraint), so a second run invites nobody twice.

Accepting opens the application with the checks already passed (:func:`invitation_on_accept`): it goes
straight to the school's review.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from aid import checks as C
from aid.catalogue import ITEM, AidAction
from aid.models import LIVE_STATES, AidApplication, AidCheck, AidState, Scheme
from exchange import sources as S
from exchange.checks import CheckResult
from exchange.services import batch_lookup
from payments.money import format_yuan
from portal.accounts.models import User
from portal.cases import services as cases
from portal.core import pii
from portal.invitations.models import Invitation
from portal.invitations.registry import Candidate
from portal.orgs.models import School
from studentstatus.selectors import enrolled_records, record_for_id_number

log = logging.getLogger(__name__)

CHUNK = 1000
PURPOSE = "学生资助主动发现（应助尽助）批量比对"


def bulk_welfare(id_numbers: list[str]) -> dict:
    return batch_lookup(S.welfare_records_batch, purpose=PURPOSE, id_numbers=id_numbers)


def bulk_disability(id_numbers: list[str]) -> dict:
    return batch_lookup(S.disability_records_batch, purpose=PURPOSE, id_numbers=id_numbers)


def _open_schemes(year: int) -> list[Scheme]:
    today = cases.local_today()
    return list(
        Scheme.objects.filter(year=year, opens_on__lte=today, closes_on__gte=today)
        .select_related("district")
        .prefetch_related("levels")
        .order_by("code")
    )


def _already(year: int, schemes: list[Scheme]) -> set[str]:
    """Students' keyed hashes with an aid invitation this year or a live application to these schemes."""
    invited = set(
        Invitation.objects.filter(service__code=ITEM, year=year).values_list("subject_id_hash", flat=True)
    )
    applied = set(
        AidApplication.objects.filter(scheme__in=schemes, state__in=LIVE_STATES).values_list(
            "student_hash", flat=True
        )
    )
    return invited | applied


@dataclass(frozen=True)
class _Pupil:
    id_number: str
    name: str
    stage: str
    school_id: int
    guardian_id: int | None


def find_eligible_students(year: int) -> Iterator[Candidate]:
    """The invitations finder (see the module's docstring)."""
    schemes = _open_schemes(year)
    if not schemes:
        return
    today = cases.local_today()
    skip = _already(year, schemes)
    rules = {s.pk: C.rules_of(s) for s in schemes}
    by_district: dict[int, list[Scheme]] = {}
    for scheme in schemes:
        by_district.setdefault(scheme.district_id, []).append(scheme)
    for district_schemes in by_district.values():
        stages = {stage for s in district_schemes for stage in s.stage_list}
        rows = (
            enrolled_records(stages=stages, district=district_schemes[0].district)
            .values_list("student_no", "name", "stage", "school_id", "source_case__applicant_id")
            .iterator(chunk_size=CHUNK)
        )
        chunk: list[_Pupil] = []
        for student_no, name, stage, school_id, guardian_id in rows:
            id_number = student_no[1:]  # 学籍号 = "G" + the ID number
            if pii.keyed_hash(id_number) in skip:
                continue
            chunk.append(_Pupil(id_number, name, stage, school_id, guardian_id))
            if len(chunk) == CHUNK:
                yield from _candidates(chunk, district_schemes, rules, today)
                chunk = []
        if chunk:
            yield from _candidates(chunk, district_schemes, rules, today)


def _candidates(pupils: list[_Pupil], schemes, rules, today) -> Iterator[Candidate]:
    ids = [p.id_number for p in pupils]
    welfare = bulk_welfare(ids)
    disability = bulk_disability(ids)
    found_by_pupil = []
    for pupil in pupils:
        found = C.qualifications_from(
            welfare=welfare.get(pupil.id_number) or (),
            disability=disability.get(pupil.id_number),
            today=today,
        )
        if found:
            found_by_pupil.append((pupil, found))
    if not found_by_pupil:
        return
    schools = School.objects.in_bulk({p.school_id for p, _ in found_by_pupil})
    guardians = User.objects.in_bulk({p.guardian_id for p, _ in found_by_pupil if p.guardian_id})
    for pupil, found in found_by_pupil:
        for scheme in schemes:
            if pupil.stage not in scheme.stage_list:
                continue
            level, reasons = C.propose_level(scheme, found, rules=rules[scheme.pk])
            if level is None:
                continue
            guardian = guardians.get(pupil.guardian_id)
            if guardian is None:
                log.info("aid finder: a qualifying student has no known guardian; skipped")
                break
            yield Candidate(
                subject_name=pupil.name,
                subject_id_number=pupil.id_number,
                district=scheme.district,
                school=schools.get(pupil.school_id),
                person=guardian,
                prefill={
                    "scheme_code": scheme.code,
                    "level": level.level,
                    "qualifications": sorted(found),
                    "reasons": reasons,
                    "welfare": "；".join(why for q, why in found.items() if q != "disability"),
                    "disability": found.get("disability", ""),
                },
                summary=_(
                    "%(scheme)s: %(level)s, %(amount)s. The registries already show the child qualifies."
                )
                % {"scheme": scheme.name, "level": level.name, "amount": format_yuan(level.amount_fen)},
            )
            break


def invitation_on_accept(*, invitation, case, by) -> None:
    """The kernel opened the case for an accepted invitation: the application is written with the checks
    the finder already passed, and goes to the school's review."""
    prefill = invitation.prefill or {}
    scheme = Scheme.objects.get(code=prefill["scheme_code"])
    level = scheme.levels.get(level=prefill["level"])
    record = record_for_id_number(prefill["subject_id_number"])
    if record is None:
        raise ValueError("the invited student has no student record any more")
    application = AidApplication.objects.create(
        case=case,
        scheme=scheme,
        guardian=by,
        student_id_number=record.id_number,
        student_name=record.name,
        school=record.school,
        stage=record.stage,
        grade=record.grade,
        proposed_level=level,
        level=level,
        amount_fen=level.amount_fen,
        invitation=invitation,
        state=AidState.AWAITING_SCHOOL,
    )
    rows = [
        AidCheck(
            application=application,
            name="student",
            result=CheckResult.PASS,
            reason=_("Enrolled at school (student record)."),
        )
    ]
    if prefill.get("welfare"):
        rows.append(
            AidCheck(
                application=application,
                name="welfare",
                result=CheckResult.PASS,
                reason=prefill["welfare"][:300],
            )
        )
    if prefill.get("disability"):
        rows.append(
            AidCheck(
                application=application,
                name="disability",
                result=CheckResult.PASS,
                reason=prefill["disability"][:300],
            )
        )
    rows.append(
        AidCheck(
            application=application,
            name="level",
            result=CheckResult.PASS,
            reason="；".join(prefill.get("reasons") or [])[:300],
        )
    )
    AidCheck.objects.bulk_create(rows)
    cases.case_log_event(
        case=case,
        action=AidAction.OPENED_FROM_INVITATION,
        by=by,
        to_state=AidState.AWAITING_SCHOOL,
        data={"level": level.name, "scheme": scheme.code},
    )
    cases.case_transition(case=case, transition="start_processing", by=None)
    cases.case_set_next_step(
        case=case, text=_("The school reviews the application. Add the bank account the aid is paid to.")
    )
