"""The one answer to "which cases may this user see, and act on?", used by every app.

``scope_cases(user, qs, case_path=...)`` filters any queryset whose rows lead to a ``Case`` (the Case
queryset itself with ``case_path=""``, a service model with ``case_path="case"``).
"""

from django.db.models import Q, QuerySet

from portal.accounts.models import Role


def _q(path: str, lookup: str, value) -> Q:
    return Q(**{f"{path}__{lookup}" if path else lookup: value})


def visibility_q(user, *, case_path: str = "") -> Q:
    """A Q object selecting the cases ``user`` may see; matches nothing for strangers."""
    nothing = Q(pk__in=[])
    if user is None or not user.is_authenticated or not user.is_active:
        return nothing
    if user.is_superuser:
        return Q()
    if user.role == Role.CITIZEN:
        return _q(case_path, "applicant", user.pk)
    if user.role == Role.CLERK:
        return _q(case_path, "school", user.school_id) if user.school_id else nothing
    if user.role == Role.BUREAU:
        return _q(case_path, "district", user.district_id) if user.district_id else nothing
    if user.role == Role.REVIEWER:
        return _q(case_path, "departments", user.department_id) if user.department_id else nothing
    if user.role == Role.AUDITOR:
        return _q(case_path, "district", user.district_id) if user.district_id else Q()
    return nothing


def scope_cases(user, qs: QuerySet, *, case_path: str = "") -> QuerySet:
    qs = qs.filter(visibility_q(user, case_path=case_path))
    if user is not None and user.is_authenticated and user.role == Role.REVIEWER:
        qs = qs.distinct()  # through the departments M2M
    return qs


def can_see(user, case) -> bool:
    from portal.cases.models import Case

    return scope_cases(user, Case.objects.filter(pk=case.pk)).exists()


def can_handle(user, case) -> bool:
    """Staff who may act on the case as the processing side (auditors and citizens may not)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role not in (Role.CLERK, Role.BUREAU, Role.REVIEWER) and not user.is_superuser:
        return False
    return can_see(user, case)


def is_applicant(user, case) -> bool:
    return user is not None and user.is_authenticated and case.applicant_id == user.pk
