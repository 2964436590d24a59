"""Typed action names for the case event trace.

Every ``CaseEvent.action`` is a member of a registered ``TextChoices`` enum: the kernel's own
:class:`CaseAction`, plus one enum per service app, registered from its ``AppConfig.ready()``::

    class EnrollmentAction(models.TextChoices):
        ZONE_CHECKED = "enrollment.zone_checked", _("Attendance zone checked")

    register_actions(EnrollmentAction)

A typo in an action name is a ``TypeError`` when the event is written, not a row nobody can find later.
Service apps should prefix their values with the app name so no two apps claim the same value.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseAction(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    STATUS_CHANGED = "status_changed", _("Status changed")
    CLOCK_PAUSED = "clock_paused", _("Clock paused (waiting for the applicant)")
    CLOCK_RESUMED = "clock_resumed", _("Clock resumed")
    DEADLINE_CHANGED = "deadline_changed", _("Deadline changed")
    CLOCK_RESTARTED = "clock_restarted", _("Clock restarted for the next step")
    VISIT_RECORDED = "visit_recorded", _("Visit recorded")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    RATED = "rated", _("Rated")
    RECTIFICATION_OPENED = "rectification_opened", _("Rectification opened")
    RECTIFICATION_OVERDUE = "rectification_overdue", _("Rectification overdue")
    RECTIFICATION_CLOSED = "rectification_closed", _("Rectification closed")
    NOTE_ADDED = "note_added", _("Note added")
    ASSIGNED = "assigned", _("Assigned to a school")


_registry: dict[str, models.TextChoices] = {}
_enums: set[type[models.TextChoices]] = set()


def register_actions(enum_cls: type[models.TextChoices]) -> type[models.TextChoices]:
    """Make the members of ``enum_cls`` valid event actions. Idempotent; usable as a class decorator.

    Raises ValueError if a value is already claimed by another enum (two apps, one name)."""
    if not (isinstance(enum_cls, type) and issubclass(enum_cls, models.TextChoices)):
        raise TypeError("register_actions() takes a TextChoices class")
    for member in enum_cls:
        owner = _registry.get(member.value)
        if owner is not None and type(owner) is not enum_cls:
            raise ValueError(
                f"event action {member.value!r} of {enum_cls.__qualname__} is already registered by "
                f"{type(owner).__qualname__}"
            )
    for member in enum_cls:
        _registry[member.value] = member
    _enums.add(enum_cls)
    return enum_cls


register_actions(CaseAction)


def validate_action(action) -> str:
    """The stored value of ``action``; TypeError unless it is a member (or the value of a member) of a
    registered enum."""
    if isinstance(action, models.TextChoices):
        if type(action) not in _enums:
            raise TypeError(
                f"{type(action).__qualname__}.{action.name} is not a registered event action: "
                "call portal.cases.actions.register_actions() for its enum"
            )
        return action.value
    if isinstance(action, str) and action in _registry:
        return action
    raise TypeError(
        f"{action!r} is not a registered event action; use a member of CaseAction or of an enum passed to "
        "register_actions()"
    )


def label_for(action_value: str) -> str:
    """The human label of an action, for timelines; an unknown value (an app since removed) shows as is."""
    member = _registry.get(str(action_value))
    return str(member.label) if member is not None else str(action_value)


def registered_actions() -> dict[str, models.TextChoices]:
    return dict(_registry)
