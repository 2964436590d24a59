"""Reads: the running notices, whether a case waits for a notice, the objections staff answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from portal.accounts.models import Role
from portal.cases import services as cases
from portal.notices.models import Notice, NoticeEntry, NoticeStatus, Objection, ObjectionState


def _today(today: dt.date | None) -> dt.date:
    return today or cases.local_today()


def running_notices(*, today: dt.date | None = None) -> QuerySet[Notice]:
    """Published notices in their period today (what /notices/ and the API list), newest first."""
    today = _today(today)
    return (
        Notice.objects.filter(status=NoticeStatus.PUBLISHED, starts_on__lte=today, ends_on__gte=today)
        .select_related("service", "district", "school")
        .prefetch_related(Prefetch("entries", queryset=NoticeEntry.objects.order_by("position")))
        .order_by("-starts_on", "-pk")
    )


def notice_is_running(notice: Notice, *, today: dt.date | None = None) -> bool:
    today = _today(today)
    return notice.status == NoticeStatus.PUBLISHED and notice.starts_on <= today <= notice.ends_on


def case_on_notice(case, *, today: dt.date | None = None) -> bool:
    """The case is on a published notice whose period is not over yet (it waits)."""
    return NoticeEntry.objects.filter(
        case=case, notice__status=NoticeStatus.PUBLISHED, notice__ends_on__gte=_today(today)
    ).exists()


def notice_period_over(case, *, today: dt.date | None = None) -> bool:
    """Every published notice the case is on has ended (True for a case on no notice)."""
    return not case_on_notice(case, today=today)


def case_held_by_objection(case) -> bool:
    """A notice the case is on has an objection still under review: the case waits for the answer."""
    return Objection.objects.filter(
        state=ObjectionState.OPEN, notice__status=NoticeStatus.PUBLISHED, notice__entries__case=case
    ).exists()


def held_case_ids(case_ids: Iterable[int]) -> set[int]:
    """Of ``case_ids``, those on a notice with an open objection (one query, for a sweep)."""
    ids = list(case_ids)
    if not ids:
        return set()
    open_notices = Objection.objects.filter(
        state=ObjectionState.OPEN, notice__status=NoticeStatus.PUBLISHED
    ).values("notice_id")
    return set(
        NoticeEntry.objects.filter(notice_id__in=open_notices, case_id__in=ids).values_list(
            "case_id", flat=True
        )
    )


def may_answer(user, objection: Objection) -> bool:
    """Bureau staff of the notice's district, or a superuser."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or (
        user.role == Role.BUREAU and user.district_id == objection.notice.district_id
    )


def objections_for_staff(user) -> QuerySet[Objection]:
    """The objections ``user`` may answer: open ones first, newest first."""
    qs = Objection.objects.select_related("notice", "notice__service", "entry", "case").order_by(
        "state", "-pk"
    )
    if user is None or not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role == Role.BUREAU and user.district_id:
        return qs.filter(notice__district_id=user.district_id)
    return qs.none()


def entry_json(entry: NoticeEntry) -> dict:
    """An entry as the public sees it: masked name, school, grade and the allowed public fields only."""
    return {
        **entry.public,
        "id": entry.pk,
        "name": entry.name,
        "school": entry.school_name,
        "grade": entry.grade,
    }


def notice_json(notice: Notice) -> dict:
    return {
        "id": notice.pk,
        "service": notice.service.code,
        "title": notice.title,
        "starts_on": notice.starts_on.isoformat(),
        "ends_on": notice.ends_on.isoformat(),
        "entries": [entry_json(e) for e in notice.entries.all()],
    }
