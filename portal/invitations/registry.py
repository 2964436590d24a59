"""Finders: how a service says whom to invite. Register from the service app's ``AppConfig.ready``::

    def find_families_on_benefits(year):
        for record in ...:   # registry look-ups through exchange/
            yield Candidate(subject_name=..., subject_id_number=..., district=..., person_id_number=...,
                            prefill={"scheme_code": "PH", "level": 1, ...}, summary="可申请普惠性幼儿园资助")

    register_finder("ZZ", find_families_on_benefits, on_accept=create_aid_application)

``find(year)`` yields :class:`Candidate` rows; ``on_accept(*, invitation, case, by)`` runs in the
transaction that opens the case, so the service writes its own application from ``invitation.prefill``.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Candidate:
    """One person the finder says qualifies. ``person`` is their account if the finder knows it, else
    ``person_id_number`` (the account is looked up by it, or matched when they sign in later)."""

    subject_name: str
    subject_id_number: str
    district: Any
    person: Any = None
    person_id_number: str = ""
    school: Any = None
    prefill: dict = field(default_factory=dict)
    summary: str = ""


@dataclass(frozen=True)
class Finder:
    service_code: str
    find: Callable[[int], Iterable[Candidate]]
    on_accept: Callable | None = None
    valid_days: int | None = None


_finders: dict[str, Finder] = {}


def register_finder(
    service_code: str,
    find: Callable[[int], Iterable[Candidate]],
    *,
    on_accept: Callable | None = None,
    valid_days: int | None = None,
) -> Finder:
    """Register (or replace) the finder of ``service_code``; ``valid_days`` defaults to
    ``INVITATION_VALID_DAYS``."""
    finder = Finder(service_code=service_code, find=find, on_accept=on_accept, valid_days=valid_days)
    _finders[service_code] = finder
    return finder


def unregister_finder(service_code: str) -> None:
    _finders.pop(service_code, None)


def finder_for(service_code: str) -> Finder | None:
    return _finders.get(service_code)


def finders() -> list[Finder]:
    return list(_finders.values())
