"""Reads: the data trail a guardian may see."""

from django.db.models import Q, QuerySet

from exchange.models import Authorisation, Lookup


def lookups_for_guardian(user) -> QuerySet[Lookup]:
    """Look-ups about the user, made under an authorisation the user granted, or in the user's own cases.

    Deliberately not "every look-up about any ID number the user once authorised": anyone can type a
    child's ID number, so that would let a stranger read another family's trail."""
    if user is None or not user.is_authenticated:
        return Lookup.objects.none()
    mine = Q(authorisation__guardian=user) | Q(case__applicant=user)
    if user.id_number_hash:
        mine |= Q(subject_hash=user.id_number_hash)
    return (
        Lookup.objects.filter(mine)
        .select_related("case", "authorisation")
        .order_by("-at", "-pk")
        .defer("answer", "query")
    )


def authorisations_of(user) -> QuerySet[Authorisation]:
    return Authorisation.objects.filter(guardian=user).select_related("case").order_by("-granted_at", "-pk")
