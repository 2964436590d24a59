"""How the cases of student status show in "my cases" and the staff queue (portal.cases.registry)."""

from django.urls import reverse

from portal.cases.registry import ServiceStatus, register_case_view
from studentstatus.catalogue import CORRECTION_ITEM, SUSPENSION_ITEM, TRANSFER_ITEM

KIND_RELATED = {
    "transfers": "studentstatus_transfer",
    "suspensions": "studentstatus_suspension",
    "resumptions": "studentstatus_resumption",
    "corrections": "studentstatus_correction",
}


def subject_of(case):
    """(kind, object) of a student-status case; raises ObjectDoesNotExist when it has none (yet)."""
    from django.core.exceptions import ObjectDoesNotExist

    for kind, related in KIND_RELATED.items():
        try:
            return kind, getattr(case, related)
        except ObjectDoesNotExist:
            continue
    raise ObjectDoesNotExist(case.reference_no)


def _link(case, user):
    kind, _obj = subject_of(case)
    return reverse("studentstatus:case", args=[kind, case.reference_no])


def _status(case):
    _kind, obj = subject_of(case)
    return ServiceStatus(obj.state, str(obj.get_state_display()))


def register() -> None:
    for code, related in (
        (TRANSFER_ITEM, ("studentstatus_transfer",)),
        (SUSPENSION_ITEM, ("studentstatus_suspension", "studentstatus_resumption")),
        (CORRECTION_ITEM, ("studentstatus_correction",)),
    ):
        register_case_view(code, link=_link, status=_status, select_related=related, app="studentstatus")
