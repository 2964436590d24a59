"""The one way to act on a case: :func:`perform` (DESIGN.md, "The case kernel"; ADR 0011).

Every action of every service — a clerk approving an application, the platform reporting a payment, the
applicant withdrawing — is one call::

    perform(application, "approve", by=clerk, note=note)

which, in one transaction:

1. locks the object's row (``select_for_update``) and works on that fresh copy;
2. checks who acts (the transition's ``permission=``; ``PermissionDenied`` → ``403``) before anything
   about the state is revealed, then the state and the ``conditions=`` (:class:`ActionNotAllowed` →
   ``409``, its message the rule that refused, for the person who tried);
3. runs the django-fsm transition with ``**params`` and saves;
4. writes the typed event of the action to the case's trace;
5. moves the case's coarse status and deadline where the service says the new state means so;
6. runs the service's ``then`` (writes that belong to the action: a next step, a message) and queues
   ``after_commit`` side effects with ``transaction.on_commit``.

A model takes part by being registered once (:func:`register`, from its app's ``AppConfig.ready``): which
event each transition writes, where its case is, how to name it in a refusal, and which states close or
take up the case. Services never see ``request``; they wrap ``perform`` with their own validation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import TransitionNotAllowed, can_proceed


class ActionNotAllowed(ValidationError):
    """A rule of the service forbids the action now (HTTP ``409``); the message says which rule."""


def refusal(message: str) -> Callable:
    """Give a transition condition the reason shown when it fails (a text, or ``message(obj)`` → text)::

    @refusal(gettext_lazy("Every check must have passed."))
    def all_checks_passed(self): ...
    """

    def mark(condition: Callable) -> Callable:
        condition.refusal = message
        return condition

    return mark


@dataclass(frozen=True)
class Workflow:
    """How :func:`perform` acts on one model (registered with :func:`register`)."""

    model: type[models.Model]
    events: Mapping[str, Any]  # transition name → typed event action (a registered TextChoices member)
    verbs: Mapping[str, Any]  # transition name → past participle for refusals ("approved")
    reference: Callable[[Any], str]  # how a refusal names the object ("Application JY-ENR-2026-000001")
    case: Callable[[Any], Any]  # the object's Case (None: not yet opened — no event, nothing to sync)
    # the PermissionDenied message: a string, or a callable (obj, by, action) → str saying which part failed
    forbidden: Any = gettext_lazy("You may not do this.")
    select_related: tuple[str, ...] = ()
    # state → coarse case transition it implies ("reject", "withdraw", "complete", "start_processing");
    # a callable (obj, from_state, to_state) → transition name or None for rules that need the object
    case_status: Mapping[str, str] | Callable[[Any, str, str], str | None] = field(default_factory=dict)
    # the case's deadline when the service sets it (e.g. a bill's due date); None leaves it as it is
    deadline: Callable[[Any], dt.date | None] | None = None
    event_data: Callable[[Any], dict] | None = None  # data every event of the model carries
    # run for every transition of the model, in the transaction, with (locked, from_state, by, note):
    # ``prepare`` after the transition and before the save and the event (bookkeeping the save should
    # carry), ``after`` once the event is written (the model's own messages and signals)
    prepare: Callable[[Any, str, Any, str], None] | None = None
    after: Callable[[Any, str, Any, str], None] | None = None
    state_field: str = "state"

    def case_transition_for(self, obj, from_state: str, to_state: str) -> str | None:
        if callable(self.case_status):
            return self.case_status(obj, from_state, to_state)
        return self.case_status.get(to_state)


_workflows: dict[type[models.Model], Workflow] = {}


def register(model: type[models.Model], **spec) -> Workflow:
    """Declare how ``model`` is acted on (idempotent: a second call replaces the first, as ``ready()``
    may run more than once in tests). Raises ``ValueError`` for an event map naming no transition."""
    workflow = Workflow(model=model, **spec)
    for name in workflow.events:
        if not hasattr(getattr(model, name, None), "_django_fsm"):
            raise ValueError(f"{model.__name__}.{name} is not a django-fsm transition")
    _workflows[model] = workflow
    return workflow


def workflow_for(obj_or_model) -> Workflow:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    for klass in model.__mro__:
        if klass in _workflows:
            return _workflows[klass]
    raise LookupError(f"{model.__name__} has no registered workflow (portal.cases.workflow.register)")


# --- checks ------------------------------------------------------------------------------------------


def _state(obj, workflow: Workflow) -> str:
    return str(getattr(obj, workflow.state_field))


def _state_label(obj, workflow: Workflow) -> str:
    display = getattr(obj, f"get_{workflow.state_field}_display", None)
    return str(display()) if display else _state(obj, workflow)


def _permitted(method, obj, by) -> bool:
    """The transition's ``permission=`` for ``by``, whatever the state (so that someone who may not act
    learns nothing about where the object stands). ``by=None`` is the system."""
    meta = method._django_fsm
    transition = meta.get_transition(meta.field.get_state(obj))
    if transition is None:
        transition = next(iter(meta.transitions.values()), None)
    return transition is None or transition.has_perm(obj, by)


def refusal_reason(obj, action: str) -> str | None:
    """Why ``action`` cannot be taken on ``obj`` now, for the person trying — None when it can."""
    workflow = workflow_for(obj)
    method = getattr(obj, action)
    meta = method._django_fsm
    state = _state(obj, workflow)
    verb = workflow.verbs.get(action, action)
    if not meta.has_transition(state):
        return _("%(object)s is %(state)s; it cannot be %(action)s.") % {
            "object": workflow.reference(obj),
            "state": _state_label(obj, workflow),
            "action": verb,
        }
    transition = meta.get_transition(state)
    for condition in transition.conditions or ():
        if not condition(obj):
            reason = getattr(condition, "refusal", None)
            if callable(reason):
                reason = reason(obj)
            return (
                str(reason)
                if reason
                else _("%(object)s cannot be %(action)s yet.")
                % {
                    "object": workflow.reference(obj),
                    "action": verb,
                }
            )
    return None


def allowed_actions(obj, by) -> list[str]:
    """The registered actions ``by`` may take on ``obj`` now (for buttons and the API's "actions")."""
    workflow = workflow_for(obj)
    return [
        action
        for action in workflow.events
        if _permitted(getattr(obj, action), obj, by) and refusal_reason(obj, action) is None
    ]


# --- the entry point -----------------------------------------------------------------------------------


def lock(obj, pk=None):
    """A fresh copy of ``obj`` — or of the ``model`` row ``pk``: ``lock(Order, 7)`` — with its row locked
    until the transaction ends (in a transaction only), with the related rows its workflow names."""
    model = obj if isinstance(obj, type) else type(obj)
    workflow = workflow_for(model)
    queryset = model._default_manager.select_for_update(of=("self",))
    if workflow.select_related:
        queryset = queryset.select_related(*workflow.select_related)
    return queryset.get(pk=obj.pk if pk is None else pk)


def refreshed(original, locked):
    """``locked`` (the copy an action changed under its lock), after bringing the caller's ``original``
    up to date, so that callers holding ``application.case`` do not keep a stale status."""
    if original is not None and original is not locked:
        _reload(original)
    return locked


def _reload(obj) -> None:
    """The caller's copy read again (``refresh_from_db``, made safe for threads by
    :mod:`portal.cases.fsm`: django-fsm's own lifted the class-wide protection of the state field during
    the query, and a transition in another thread then failed — tests/teachers/test_concurrency.py)."""
    obj.refresh_from_db()


def perform(
    obj,
    action: str,
    *,
    by,
    note: str = "",
    data: dict | Callable[[Any], dict] | None = None,
    then: Callable[[Any], None] | None = None,
    after_commit: Iterable[Callable[[], None]] = (),
    check_permission: bool = True,
    **params,
):
    """Take ``action`` (a registered django-fsm transition) on ``obj`` as ``by`` (None: the system).

    ``params`` go to the transition; ``data`` (or ``data(locked)``, after the transition) joins the
    event; ``then(locked)`` runs in the transaction after the event; ``after_commit`` callables run once
    it commits. Returns the locked, saved copy and refreshes ``obj``. Raises ``PermissionDenied`` when
    ``by`` may not act, :class:`ActionNotAllowed` when the state or a condition forbids the action."""
    from portal.cases.services import case_log_event

    workflow = workflow_for(obj)
    if action not in workflow.events:
        raise ValueError(f"{type(obj).__name__} has no registered action {action!r}")
    with transaction.atomic():
        locked = lock(obj)
        method = getattr(locked, action)
        if check_permission and not _permitted(method, locked, by):
            forbidden = workflow.forbidden
            raise PermissionDenied(str(forbidden(locked, by, action) if callable(forbidden) else forbidden))
        reason = refusal_reason(locked, action)
        if reason is not None:
            raise ActionNotAllowed(reason, code="state")
        from_state = _state(locked, workflow)
        try:
            method(**params)
        except TransitionNotAllowed as exc:  # lost a race the lock did not cover (SQLite)
            raise ActionNotAllowed(refusal_reason(locked, action) or str(exc), code="state") from exc
        if workflow.prepare is not None:
            workflow.prepare(locked, from_state, by, note)
        locked.save()
        to_state = _state(locked, workflow)
        case = workflow.case(locked)
        extra = data(locked) if callable(data) else data
        event_data = {**(workflow.event_data(locked) if workflow.event_data else {}), **(extra or {})}
        if case is locked:  # the case itself: its event is the status change
            event_data.setdefault("transition", action)
        if case is not None:
            case_log_event(
                case=case,
                action=workflow.events[action],
                by=by,
                note=note,
                from_state=from_state,
                to_state=to_state,
                data=event_data,
            )
        if workflow.after is not None:
            workflow.after(locked, from_state, by, note)
        if case is not None and case is not locked:
            _sync_case(locked, case, workflow, from_state=from_state, to_state=to_state, by=by, note=note)
        if then is not None:
            then(locked)
        for callback in after_commit:
            transaction.on_commit(callback)
    return refreshed(obj, locked)


def _sync_case(obj, case, workflow: Workflow, *, from_state: str, to_state: str, by, note: str) -> None:
    """Move the coarse status and the deadline of the object's case as the new state implies. The
    service's own ``permission=`` has decided who may act; the case follows without a second check."""
    case_transition = workflow.case_transition_for(obj, from_state, to_state)
    if case_transition and can_proceed(getattr(case, case_transition)):
        fresh = perform(case, case_transition, by=by, note=note, check_permission=False)
        case.__dict__.update({f.attname: getattr(fresh, f.attname) for f in case._meta.concrete_fields})
    if workflow.deadline is not None:
        deadline = workflow.deadline(obj)
        if deadline is not None and deadline != case.deadline and not case.promised_days:
            from portal.cases.services import case_set_deadline

            case_set_deadline(case=case, deadline=deadline)
