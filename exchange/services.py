"""Writes: grant and revoke authorisations; make a look-up, refused unless authorised, and record it.

    auth = authorisation_grant(guardian=parent, subject_id_number=child_id, purpose="幼升小入学报名",
                               sources=[sources.HUKOU, sources.STUDENT], case=case)
    person = lookup(sources.hukou_person, id_number=child_id, purpose="入学资格核验", case=case)

Every call of ``lookup`` writes one ``Lookup`` row — answered, not found, mismatched, unavailable or refused —
before it returns or raises. ``batch_lookup`` (批量比对, the bureau's proactive scans) writes one row per
person compared, with one insert per batch request. Write them outside a transaction that may roll back
(Celery tasks are), or the audit rows go with it.
"""

import inspect
import time
import uuid
from collections.abc import Callable, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone

from exchange.client import recording
from exchange.errors import ExchangeError, NotAuthorised
from exchange.models import Authorisation, Lookup, Outcome, answer_digest
from exchange.sources import SOURCES, chunks, unique_id_numbers
from portal.core import pii
from portal.core.idcodes import normalize_credit_code, normalize_id_number

SYSTEM_LABEL = "系统自动核验 (portal)"


def normalise_subject(value: str) -> str:
    """An ID number, or for an enterprise a unified social credit code; ValidationError otherwise."""
    try:
        return normalize_id_number(value)
    except ValidationError as id_error:
        try:
            return normalize_credit_code(value)
        except ValidationError:
            raise id_error from None


def authorisation_grant(
    *,
    guardian,
    subject_id_number: str,
    purpose: str,
    sources: Iterable[str] | None = None,
    case=None,
    subject_name: str = "",
) -> Authorisation:
    """Record the guardian's consent (授权) to fetch a person's data from ``sources`` (all when None)."""
    (authorisation,) = authorisations_grant(
        guardian=guardian,
        purpose=purpose,
        subjects=[(subject_id_number, sources)],
        case=case,
        subject_name=subject_name,
    )
    return authorisation


def authorisations_grant(
    *,
    guardian,
    purpose: str,
    subjects: Iterable[tuple[str, Iterable[str] | None]],
    case=None,
    subject_name: str = "",
) -> list[Authorisation]:
    """The guardian's consent for several people at once (one form, one purpose): an authorisation per
    ``(id number, sources)`` pair, all recorded with one insert, in ``subjects``' order."""
    if not purpose.strip():
        raise ValidationError("an authorisation states its purpose")
    if case is not None and case.applicant_id != guardian.pk:
        raise ValidationError("only the case's applicant can authorise look-ups for it")
    rows = []
    for subject_id_number, sources in subjects:
        subject = normalise_subject(subject_id_number)
        allowed = list(dict.fromkeys(sources)) if sources is not None else list(SOURCES)
        unknown = [s for s in allowed if s not in SOURCES]
        if unknown or not allowed:
            raise ValidationError(
                f"unknown registries: {', '.join(unknown)}" if unknown else "no registry chosen"
            )
        row = Authorisation(
            guardian=guardian,
            subject_id_number=subject,
            subject_name=subject_name,
            case=case,
            purpose=purpose.strip()[:200],
            sources=allowed,
        )
        row.derive_subject()  # bulk_create does not call save()
        rows.append(row)
    return Authorisation.objects.bulk_create(rows)


def authorisation_revoke(*, authorisation: Authorisation, by) -> Authorisation:
    """Withdraw consent from now on; look-ups already made stay on record."""
    if by.pk != authorisation.guardian_id and not by.is_superuser:
        raise PermissionDenied("only the guardian who granted an authorisation can revoke it")
    Authorisation.objects.filter(pk=authorisation.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    authorisation.refresh_from_db()
    return authorisation


def find_authorisation(*, subject_hash: str, source: str, case=None) -> Authorisation | None:
    """The newest active authorisation covering this subject and registry, for this case or for none."""
    return _in_force([subject_hash], case)(subject_hash, source)


def authorisations_in_force(*, subject_ids, case=None) -> Callable[[str, str], Authorisation | None]:
    """:func:`find_authorisation` for several people at once, with one query: returns
    ``find(id_number, source)``, to pass as ``lookup(authorisation=…)`` when one application makes many
    look-ups (consent revoked afterwards is seen by the next call of this, not by ``find``)."""
    hashes = {pii.keyed_hash(normalise_subject(i)) for i in subject_ids if i}
    find = _in_force(hashes, case)
    return lambda id_number, source: find(pii.keyed_hash(normalise_subject(id_number)), source)


def _in_force(subject_hashes, case) -> Callable[[str, str], Authorisation | None]:
    scope = Q(case__isnull=True) | (Q(case=case) if case is not None else Q(pk__in=[]))
    candidates = list(
        Authorisation.objects.filter(
            scope, subject_hash__in=list(subject_hashes), revoked_at__isnull=True
        ).order_by("-granted_at", "-pk")
    )
    return lambda subject_hash, source: next(
        (a for a in candidates if a.subject_hash == subject_hash and source in a.sources), None
    )


def _requester_label(requester) -> str:
    if requester is None:
        return SYSTEM_LABEL
    return f"{requester.get_role_display()} · {requester.display_name}"[:120]


def lookup(
    fn: Callable,
    /,
    *,
    purpose: str,
    requester=None,
    case=None,
    authorisation: Authorisation | None = None,
    **params,
):
    """Call the typed look-up ``fn`` (from exchange.sources) with ``params`` if an authorisation covers
    it, and record the look-up. Returns ``fn``'s result or raises its ExchangeError (NotAuthorised when no
    authorisation is on record); the ``Lookup`` row is written either way."""
    source, subject_param = fn.source, fn.subject_param
    if subject_param is None:
        raise TypeError(f"{fn.__name__} is a roster look-up: call it through roster_lookup")
    if getattr(fn, "batch", False):
        raise TypeError(f"{fn.__name__} is a batch look-up: call it through batch_lookup")
    inspect.signature(fn).bind(
        **params
    )  # a wrong parameter is a programming error: TypeError, nothing recorded
    if not purpose or not purpose.strip():
        raise ValueError("a look-up states its purpose")
    subject = normalise_subject(params[subject_param])
    subject_hash = pii.keyed_hash(subject)
    record = {
        "source": source,
        "operation": fn.__name__,
        "case": case,
        "purpose": purpose.strip()[:200],
        "requester": requester,
        "requester_label": _requester_label(requester),
        "subject_hash": subject_hash,
        "subject_masked": pii.mask_id(subject),
        "query": params,
    }
    if authorisation is not None:
        valid = (
            authorisation.subject_hash == subject_hash
            and authorisation.covers(source)
            and authorisation.case_id in (None, getattr(case, "pk", None))
        )
        authorisation = authorisation if valid else None
    else:
        authorisation = find_authorisation(subject_hash=subject_hash, source=source, case=case)
    if authorisation is None:
        error = NotAuthorised(f"no authorisation on record covers {source} for this person", source=source)
        Lookup.objects.create(**record, outcome=Outcome.NOT_AUTHORISED, error=str(error))
        raise error

    started = time.monotonic()
    failure: ExchangeError | None = None
    with recording() as wire:
        try:
            result = fn(**params)
        except ExchangeError as exc:
            failure = exc
    Lookup.objects.create(
        **record,
        authorisation=authorisation,
        outcome=failure.outcome if failure else Outcome.OK,
        attempts=wire.attempts,
        http_status=wire.http_status,
        duration_ms=round((time.monotonic() - started) * 1000),
        answer=wire.answer,
        answer_sha256=answer_digest(wire.answer),
        error=pii.mask_text(wire.error or (str(failure) if failure else ""))[:300],
    )
    if failure is not None:
        raise failure
    return result


def roster_lookup(fn: Callable, /, *, purpose: str, requester=None, **params):
    """Call a roster look-up (``subject=None`` in exchange.sources: an authority's list of its own
    records, such as the bureau's teacher employment roster for the honours) and record it. No single
    person's authorisation covers a roster; the purpose is recorded like any look-up's."""
    if getattr(fn, "batch", False):
        raise TypeError(f"{fn.__name__} is a batch look-up: call it through batch_lookup")
    if fn.subject_param is not None:
        raise TypeError(f"{fn.__name__} is about one person: call it through lookup")
    inspect.signature(fn).bind(**params)
    if not purpose or not purpose.strip():
        raise ValueError("a look-up states its purpose")
    started = time.monotonic()
    failure: ExchangeError | None = None
    with recording() as wire:
        try:
            result = fn(**params)
        except ExchangeError as exc:
            failure = exc
    Lookup.objects.create(
        source=fn.source,
        operation=fn.__name__,
        purpose=purpose.strip()[:200],
        requester=requester,
        requester_label=_requester_label(requester),
        subject_hash="",
        subject_masked="名册（非个人查询）",
        query={k: str(v) for k, v in params.items()},
        outcome=failure.outcome if failure else Outcome.OK,
        attempts=wire.attempts,
        http_status=wire.http_status,
        duration_ms=round((time.monotonic() - started) * 1000),
        answer=wire.answer,
        answer_sha256=answer_digest(wire.answer),
        error=pii.mask_text(wire.error or (str(failure) if failure else ""))[:300],
    )
    if failure is not None:
        raise failure
    return result


def batch_lookup(fn: Callable, /, *, purpose: str, id_numbers: Iterable[str], requester=None) -> dict:
    """Call a batch look-up (批量比对, ``batch=True`` in exchange.sources, e.g. ``welfare_records_batch``)
    for every ID number in ``id_numbers`` and record it: one ``Lookup`` row per person compared, so each
    stays on the guardian's data trail, inserted with one ``bulk_create`` per request.

    Like a roster, a batch comparison is the bureau's own lawful scan (应助尽助), not a guardian's
    request: no authorisation is looked for; the purpose is recorded on every row. The ID numbers go out
    ``EXCHANGE_BATCH_SIZE`` (≤ 1,000) per request; rows are written after each request, so when one fails
    (``Unavailable`` is raised at once) the people already compared and those of the failed request are
    on record, and nobody else was asked about. Invalid ID numbers raise ``ValidationError`` before any
    request. Returns ``fn``'s dict: an entry for every ID number as given."""
    if not getattr(fn, "batch", False):
        raise TypeError(f"{fn.__name__} is not a batch look-up: call it through lookup or roster_lookup")
    if not purpose or not purpose.strip():
        raise ValueError("a look-up states its purpose")
    given = unique_id_numbers(list(id_numbers))
    wanted = list(dict.fromkeys(given.values()))
    requests = list(chunks(wanted))
    common = {
        "source": fn.source,
        "operation": fn.__name__,
        "purpose": purpose.strip()[:200],
        "requester": requester,
        "requester_label": _requester_label(requester),
    }
    batch_ref = uuid.uuid4().hex
    found: dict = {}
    for number, chunk in enumerate(requests, 1):
        started = time.monotonic()
        failure: ExchangeError | None = None
        with recording() as wire:
            try:
                part = fn(id_numbers=chunk)
            except ExchangeError as exc:
                failure = exc
        query = {"batch": batch_ref, "request": f"{number}/{len(requests)}", "subjects": len(chunk)}
        wire_facts = {
            "attempts": wire.attempts,
            "http_status": wire.http_status,
            "duration_ms": round((time.monotonic() - started) * 1000),
        }
        if failure is not None:
            error = pii.mask_text(wire.error or str(failure))[:300]
            Lookup.objects.bulk_create(
                _batch_row(
                    common,
                    wire_facts,
                    id_number,
                    query,
                    outcome=failure.outcome,
                    answer=wire.answer,
                    error=error,
                )
                for id_number in chunk
            )
            raise failure
        entries = {e["id_number"]: e for e in (wire.answer or {}).get("data", {}).get("results", ())}
        Lookup.objects.bulk_create(
            _batch_row(
                common,
                wire_facts,
                id_number,
                query,
                outcome=Outcome.NOT_FOUND if part[id_number] is None else Outcome.OK,
                answer={"code": "ok", "data": entries.get(id_number)},
            )
            for id_number in chunk
        )
        found.update(part)
    return {asked: found[normalised] for asked, normalised in given.items()}


def _batch_row(common, wire_facts, id_number, query, *, outcome, answer, error="") -> Lookup:
    """One person's row of a batch request: their own part of the answer, with its SHA-256."""
    return Lookup(
        **common,
        **wire_facts,
        subject_hash=pii.keyed_hash(id_number),
        subject_masked=pii.mask_id(id_number),
        query={"id_number": id_number, **query},
        outcome=outcome,
        answer=answer,
        answer_sha256=answer_digest(answer),
        error=error,
    )
