"""Reads of invitations: the signed-in person's, newest first."""

from django.db.models import Q, QuerySet

from portal.invitations.models import Invitation


def invitations_for_user(user) -> QuerySet[Invitation]:
    """The invitations of ``user``: to their account, or to their ID number before they had one."""
    if user is None or not user.is_authenticated:
        return Invitation.objects.none()
    match = Q(person=user)
    if user.id_number_hash:
        match |= Q(person__isnull=True, person_id_hash=user.id_number_hash)
    return Invitation.objects.filter(match).select_related("service", "case").order_by("-created_at", "-pk")


def invitation_json(invitation: Invitation) -> dict:
    return {
        "id": invitation.pk,
        "service": invitation.service.code,
        "service_name": invitation.service.name,
        "subject": invitation.subject_name_masked,
        "year": invitation.year,
        "summary": invitation.summary,
        "status": invitation.status,
        "expires_on": invitation.expires_on.isoformat(),
        "case": invitation.case.reference_no if invitation.case_id else None,
    }
