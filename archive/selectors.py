"""Reading the archive. Every read for a user goes through the case kernel's scoping: a school's clerks
see the packages of their school's cases, bureau staff and auditors those of their district."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from archive.models import ArchivePackage
from portal.accounts.models import Role
from portal.cases.models import FINAL_STATUSES, Case
from portal.cases.scoping import scope_cases


def is_archive_staff(user) -> bool:
    """Staff who may use the archive pages at all (what they see is then scoped)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role in (Role.CLERK, Role.BUREAU, Role.AUDITOR))
    )


def is_bureau(user) -> bool:
    return is_archive_staff(user) and (user.is_superuser or user.role == Role.BUREAU)


def packages_for_user(user, *, query: str = "", service: str = "", year: int | None = None) -> QuerySet:
    """The packages ``user`` may retrieve, newest first; ``query`` matches the case reference, the
    archival code or the name of the person the case is about."""
    if not is_archive_staff(user):
        return ArchivePackage.objects.none()
    packages = scope_cases(
        user,
        ArchivePackage.objects.select_related("case", "case__service", "case__school"),
        case_path="case",
    )
    query = (query or "").strip()
    if query:
        packages = packages.filter(
            Q(case__reference_no__iexact=query)
            | Q(archival_code__iexact=query)
            | Q(case__subject_name__icontains=query)
        )
    if service:
        packages = packages.filter(case__service__code__iexact=service)
    if year:
        packages = packages.filter(document_date__year=year)
    return packages.order_by("-archived_at", "-pk")


def package_for_user(user, archival_code: str) -> ArchivePackage:
    """One package, or Http404 — also when it exists but is outside the user's scope (never 403), so
    guessing codes reveals nothing."""
    package = packages_for_user(user).filter(archival_code=(archival_code or "").strip()).first()
    if package is None:
        raise Http404(_("No such archive package."))
    return package


def find_package(ref: str) -> ArchivePackage | None:
    """By archival code or case reference number (the management commands)."""
    ref = (ref or "").strip()
    return (
        ArchivePackage.objects.select_related("case")
        .filter(Q(archival_code=ref) | Q(case__reference_no__iexact=ref))
        .first()
    )


def due_for_review(user, *, on_or_before: dt.date) -> QuerySet:
    """Packages whose retention period ends by ``on_or_before``: due for appraisal before disposal
    (到期鉴定). Permanent packages never are."""
    return (
        packages_for_user(user)
        .filter(review_due__isnull=False, review_due__lte=on_or_before)
        .order_by("review_due", "archival_code")
    )


def closed_without_package(*, before) -> QuerySet:
    """IDs of cases closed before ``before`` that have no package (for the sweeper)."""
    return (
        Case.objects.filter(status__in=FINAL_STATUSES, closed_at__lt=before, archive_package__isnull=True)
        .order_by("closed_at")
        .values_list("pk", flat=True)
    )
