"""What services tell the notices kernel, from their ``AppConfig.ready``::

    register_objection_handler("ENR", on_upheld, review_item="ADO")

``on_upheld(objection, *, by)`` runs in the answering transaction when the bureau upholds an objection
to a notice of that service (admission revokes the contested placement). ``review_item`` is the
catalogue item of the review case the objection opens (default: the kernel's 公示异议 item ``OBJ``).
"""

from collections.abc import Callable
from dataclasses import dataclass

GENERIC_REVIEW_ITEM = "OBJ"  # 公示异议 (the kernel's own catalogue item)


@dataclass(frozen=True)
class ObjectionHandler:
    on_upheld: Callable | None
    review_item: str


_HANDLERS: dict[str, ObjectionHandler] = {}
_REVIEW_ITEMS: set[str] = {GENERIC_REVIEW_ITEM}


def register_objection_handler(
    service_code: str, on_upheld: Callable | None, *, review_item: str = ""
) -> None:
    """Declare what happens when an objection to a notice of ``service_code`` is upheld (idempotent:
    ``ready()`` may run twice) and which catalogue item its review case has."""
    item = (review_item or GENERIC_REVIEW_ITEM).upper()
    _HANDLERS[service_code.upper()] = ObjectionHandler(on_upheld=on_upheld, review_item=item)
    _REVIEW_ITEMS.add(item)
    register_review_case_view(item)


def handler_for(service_code: str) -> ObjectionHandler:
    return _HANDLERS.get((service_code or "").upper()) or ObjectionHandler(None, GENERIC_REVIEW_ITEM)


def review_items() -> set[str]:
    return set(_REVIEW_ITEMS)


def register_review_case_view(item: str) -> None:
    """Objection review cases show in "my cases" and the staff queue with the objection's state, and
    link staff to the answer page."""
    from portal.cases.registry import register_case_view

    register_case_view(
        item, link=_review_link, status=_review_status, select_related=("notice_objection",), app="notices"
    )


def _review_link(case, user):
    from django.urls import reverse

    from portal.notices.selectors import may_answer

    objection = getattr(case, "notice_objection", None)
    if objection is not None and user is not None and may_answer(user, objection):
        return reverse("notices:objection", args=[objection.pk])
    return None


def _review_status(case):
    from portal.cases.registry import ServiceStatus

    objection = getattr(case, "notice_objection", None)
    if objection is None:
        return None
    return ServiceStatus(objection.state, str(objection.get_state_display()))
