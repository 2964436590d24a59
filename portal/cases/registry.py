"""How each service shows its cases in the cross-service views ("my cases", the staff queue, the API).

The kernel knows every case but not the service's own model. Each service app declares, from its
``AppConfig.ready``, per catalogue item it handles::

    register_case_view(
        "ENR",
        link=lambda case, user: reverse("enrollment:application", args=[case.reference_no]),
        status=lambda case: ServiceStatus(app.state, app.get_state_display(), decided=…),
        select_related=("enrollment",),
        decided_q=Q(enrollment__state="qualified"),
    )

``link`` gives the URL of the service's own page of the case for that user (None: the kernel's case page),
``status`` the service's own status (None: only the coarse one). ``select_related`` / ``prefetch_related``
name what those callables read, so a list of cases costs a fixed number of queries. ``decided_q`` selects
the service's cases whose decision is made although the case stays open (an enrollment application
qualified and waiting for the allocation): they have no running deadline, in lists and in the queue's order.

The one place that turns this into what pages and the API show is
:func:`portal.cases.selectors.case_summary`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q


@dataclass(frozen=True)
class ServiceStatus:
    """A service's own status of a case: its code, its label, and whether the service's decision is made
    (so no promised deadline is running any more, though the case itself is still open)."""

    code: str
    label: str
    decided: bool = False


@dataclass(frozen=True)
class CaseView:
    link: Callable | None = None
    status: Callable | None = None
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    decided_q: Q | None = None
    app: str = field(default="")


_VIEWS: dict[str, CaseView] = {}


def register_case_view(
    service_code: str,
    *,
    link: Callable | None = None,
    status: Callable | None = None,
    select_related: tuple[str, ...] = (),
    prefetch_related: tuple[str, ...] = (),
    decided_q: Q | None = None,
    app: str = "",
) -> None:
    """Declare how the cases of ``service_code`` are shown (idempotent: ``ready()`` may run twice)."""
    _VIEWS[service_code.upper()] = CaseView(
        link=link,
        status=status,
        select_related=tuple(select_related),
        prefetch_related=tuple(prefetch_related),
        decided_q=decided_q,
        app=app,
    )


def case_view(service_code: str) -> CaseView | None:
    return _VIEWS.get((service_code or "").upper())


def registered_codes() -> list[str]:
    return sorted(_VIEWS)


def related_paths() -> tuple[list[str], list[str]]:
    """Every registered ``select_related`` and ``prefetch_related`` path, for a list of mixed cases."""
    selected: list[str] = []
    prefetched: list[str] = []
    for view in _VIEWS.values():
        selected += [p for p in view.select_related if p not in selected]
        prefetched += [p for p in view.prefetch_related if p not in prefetched]
    return selected, prefetched


def decided_q() -> Q:
    """Cases whose service has decided although the case is open; matches nothing when none registered."""
    q = Q(pk__in=[])
    for code, view in _VIEWS.items():
        if view.decided_q is not None:
            q |= Q(service__code=code) & view.decided_q
    return q
