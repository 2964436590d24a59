"""Reads: the applications and honours a user may see, and a case's detail parts."""

from django.db.models import Prefetch, Q
from django.http import Http404

from portal.cases.models import CaseEvent
from portal.cases.scoping import scope_cases
from portal.invitations.models import Invitation, InvitationStatus
from teachers.catalogue import HONOUR_ITEM
from teachers.models import CertificateApplication, CertificateCheck, Honour


def applications_for_user(user):
    qs = CertificateApplication.objects.select_related("case", "case__service", "case__district", "applicant")
    qs = qs.prefetch_related(
        Prefetch("checks", queryset=CertificateCheck.objects.order_by("id")),
        Prefetch("case__events", queryset=CaseEvent.objects.order_by("seq")),
    )
    return scope_cases(user, qs, case_path="case").order_by("-created_at", "-pk")


def application_for_user(user, reference_no: str) -> CertificateApplication:
    application = applications_for_user(user).filter(case__reference_no=reference_no).first()
    if application is None:
        raise Http404
    return application


def honours_for_user(user):
    qs = Honour.objects.select_related("case", "case__service", "teacher", "invitation").prefetch_related(
        Prefetch("case__events", queryset=CaseEvent.objects.order_by("seq"))
    )
    return scope_cases(user, qs, case_path="case")


def honour_for_user(user, reference_no: str) -> Honour:
    honour = honours_for_user(user).filter(case__reference_no=reference_no).first()
    if honour is None:
        raise Http404
    return honour


def offered_honours(user):
    """The honour invitations still open for ``user`` (an honour is ``offered`` until they accept)."""
    if user is None or not user.is_authenticated:
        return Invitation.objects.none()
    mine = Q(person=user)
    if user.id_number_hash:
        mine |= Q(person__isnull=True, person_id_hash=user.id_number_hash)
    return Invitation.objects.filter(mine, service__code=HONOUR_ITEM, status=InvitationStatus.OPEN).order_by(
        "-year", "-pk"
    )


def offered_honour(user, invitation_id: int) -> Invitation:
    invitation = offered_honours(user).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404
    return invitation
