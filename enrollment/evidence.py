"""Fetching the evidence an application rests on, from the registries through the exchange.

Look-ups run in parallel (``ENROLLMENT_LOOKUP_WORKERS`` threads of a pool that lives as long as the
thread that uses it, so its threads keep their database connections between applications, within
``CONN_MAX_AGE``, instead of opening one per look-up). Every one is recorded by
``exchange.services.lookup`` with its purpose and the case. A registry that does not answer becomes
``rules.Missing`` — the check that needs it is "unavailable", never a pass.
"""

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from django.conf import settings
from django.db import close_old_connections

from enrollment import rules as R
from enrollment.models import Application, Residence
from exchange import sources as S
from exchange.errors import ExchangeError, Mismatch, NotFound
from exchange.services import authorisations_in_force, lookup

log = logging.getLogger(__name__)
PURPOSE = "入学资格核验 (enrollment eligibility check)"

CHILD_SOURCES = [S.HUKOU, S.BIRTH, S.STUDENT]
GUARDIAN_SOURCES = [S.HUKOU, S.PROPERTY, S.RESIDENCE_PERMIT, S.LEASE, S.SOCIAL_INSURANCE, S.MARRIAGE]
OTHER_GUARDIAN_SOURCES = [S.HUKOU, S.PROPERTY, S.MARRIAGE]


def _fetch(fn: Callable, *, case, empty, **params):
    """One recorded look-up: the result; ``empty`` when the registry has no record; Missing when it cannot
    answer."""
    try:
        return lookup(fn, purpose=PURPOSE, case=case, **params)
    except NotFound:
        return empty
    except Mismatch:
        return empty
    except ExchangeError as exc:
        return R.Missing(fn.source, str(exc))


def _fetch_in_pool(fn: Callable, **kwargs):
    """:func:`_fetch` on a pool thread, whose database connection is checked before and after like a
    request's: dropped when broken or older than ``CONN_MAX_AGE`` (at once when that is 0)."""
    close_old_connections()
    try:
        return _fetch(fn, **kwargs)
    finally:
        close_old_connections()


def _parallel() -> bool:
    return getattr(settings, "ENROLLMENT_LOOKUP_WORKERS", 1) > 1


_pools = threading.local()


def _pool() -> ThreadPoolExecutor:
    """The calling thread's look-up pool, made on first use in this process (a forked worker child makes
    its own) and kept while the thread lives; a changed ``ENROLLMENT_LOOKUP_WORKERS`` gets a new one."""
    size, pid = settings.ENROLLMENT_LOOKUP_WORKERS, os.getpid()
    pool = getattr(_pools, "pool", None)
    if pool is None or _pools.key != (pid, size):
        if pool is not None and _pools.key[0] == pid:
            pool.shutdown(wait=False)
        pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="lookup")
        _pools.pool, _pools.key = pool, (pid, size)
    return pool


def _run_all(calls: dict[str, tuple]) -> dict:
    """Run ``{key: (fn, kwargs)}`` look-ups, in parallel when configured."""
    if not _parallel():
        return {key: _fetch(fn, **kwargs) for key, (fn, kwargs) in calls.items()}
    pool = _pool()
    futures = {key: pool.submit(_fetch_in_pool, fn, **kwargs) for key, (fn, kwargs) in calls.items()}
    return {key: future.result() for key, future in futures.items()}


def gather(application: Application, *, today: date, rules: R.RuleSet) -> R.Evidence:
    """The evidence for ``application`` (saved, or an unsaved one carrying a preview's answers)."""
    case = application.case if application.case_id else None
    child_id = application.child_id_number
    guardian_id = application.guardian.id_number
    other_id = application.other_guardian_id_number or None
    calls: dict[str, tuple] = {
        "child": (S.hukou_person, {"case": case, "empty": None, "id_number": child_id}),
        "child_household": (S.hukou_household, {"case": case, "empty": None, "id_number": child_id}),
        "birth": (S.birth_record, {"case": case, "empty": None, "child_id": child_id}),
        "student_records": (S.student_records, {"case": case, "empty": (), "id_number": child_id}),
        "guardian": (S.hukou_person, {"case": case, "empty": None, "id_number": guardian_id}),
        "properties": (S.properties_by_owner, {"case": case, "empty": (), "id_number": guardian_id}),
        "marriages": (S.marriages, {"case": case, "empty": (), "id_number": guardian_id}),
    }
    if application.residence == Residence.RENTED:
        calls["residence_permit"] = (
            S.residence_permit,
            {"case": case, "empty": None, "id_number": guardian_id},
        )
        calls["leases"] = (S.leases_by_tenant, {"case": case, "empty": (), "id_number": guardian_id})
        calls["social_insurance"] = (
            S.social_insurance,
            {"case": case, "empty": (), "id_number": guardian_id},
        )
    if application.residence == Residence.NONE:
        calls["no_property"] = (S.no_property_proof, {"case": case, "empty": None, "id_number": guardian_id})
    if other_id:
        calls["other_guardian"] = (S.hukou_person, {"case": case, "empty": None, "id_number": other_id})
        calls["other_properties"] = (
            S.properties_by_owner,
            {"case": case, "empty": (), "id_number": other_id},
        )
    in_force = authorisations_in_force(subject_ids=[child_id, guardian_id, other_id], case=case)
    for fn, kwargs in calls.values():
        kwargs["authorisation"] = in_force(kwargs[fn.subject_param], fn.source)
    got = _run_all(calls)

    properties = got["properties"]
    other_properties = got.get("other_properties", ())
    if isinstance(properties, R.Missing) or isinstance(other_properties, R.Missing):
        merged = properties if isinstance(properties, R.Missing) else other_properties
    else:
        seen = {p.cert_no: p for p in (*properties, *other_properties)}
        merged = tuple(seen.values())

    evidence = R.Evidence(
        today=today,
        residence=application.residence,
        single_parent=application.single_parent,
        child=got["child"] if got["child"] is not None else R.Missing(S.HUKOU, "child not in the registry"),
        guardian=got["guardian"] if got["guardian"] is not None else R.Missing(S.HUKOU, "guardian not found"),
        child_household=got["child_household"],
        other_guardian=got.get("other_guardian") if other_id else None,
        birth=got["birth"],
        marriages=got["marriages"],
        student_records=got["student_records"],
        properties=merged,
        no_property=got.get("no_property"),
        residence_permit=got.get("residence_permit"),
        leases=got.get("leases", ()),
        social_insurance=got.get("social_insurance", ()),
    )
    if other_id and evidence.other_guardian is None:
        evidence.other_guardian = R.Missing(S.HUKOU, "other guardian not found")
    _fetch_sole_residence_proof(evidence, application, case, rules)
    return evidence


def _fetch_sole_residence_proof(
    evidence: R.Evidence, application: Application, case, rules: R.RuleSet
) -> None:
    """Only when the owned home is small for the household (the 18 m² rule) — fetched second, because it
    needs the certificate number from the first round."""
    if application.residence != Residence.OWNED or isinstance(evidence.properties, R.Missing):
        return
    if not R.needs_sole_residence_proof(evidence, rules):
        return
    home = R.decisive_home(evidence, rules)
    owner = application.guardian.id_number
    if owner not in home.owner_ids and application.other_guardian_id_number in home.owner_ids:
        owner = application.other_guardian_id_number
    evidence.sole_residence = _fetch(
        S.sole_residence_proof, case=case, empty=None, id_number=owner, cert_no=home.cert_no
    )
