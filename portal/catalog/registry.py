"""Service apps register their items here; ``sync_catalog`` writes new ones to the database.

An item already in the database is left as bureau staff edited it: code only proposes the first version of a
guide. The catalog app registers the bureau's standard list (``standard.py``) so the catalogue is complete
before every service is online; a service app registering the same code takes it over (``owner_app``).
"""

from dataclasses import dataclass, field

from django.db import transaction


@dataclass(frozen=True)
class MaterialSpec:
    name: str
    source: str  # MaterialSource value
    registry: str = ""
    required: bool = True
    key: bool = True
    note: str = ""


@dataclass(frozen=True)
class ItemSpec:
    code: str
    name: str
    department: str
    scope: str
    conditions: str
    decision_mode: str
    promised_days: int = 0
    legal_days: int = 0
    summary: str = ""
    fee: str = "不收费"
    visits_required: int = 0
    online: bool = True
    retention_period: str = "30y"
    contact_phone: str = ""
    contact_address: str = ""
    office_hours: str = ""
    legal_basis: str = ""
    order: int = 100
    materials: tuple[MaterialSpec, ...] = ()
    steps: tuple[tuple[str, str], ...] = ()
    owner_app: str = field(default="", compare=False)
    # URL name of the page that starts the service online; empty: ``<owner_app>:apply``, else ``:home``
    start_url_name: str = field(default="", compare=False)


_registry: dict[str, ItemSpec] = {}
_GUIDE_FIELDS = (
    "name",
    "department",
    "scope",
    "conditions",
    "decision_mode",
    "promised_days",
    "legal_days",
    "summary",
    "fee",
    "visits_required",
    "online",
    "retention_period",
    "contact_phone",
    "contact_address",
    "office_hours",
    "legal_basis",
    "order",
    "owner_app",
)


def register(spec: ItemSpec) -> ItemSpec:
    """Register (or take over) a service item. Call from an AppConfig.ready()."""
    current = _registry.get(spec.code)
    if current is not None and current.owner_app and spec.owner_app and current.owner_app != spec.owner_app:
        raise ValueError(f"service item {spec.code} is registered by {current.owner_app} already")
    _registry[spec.code] = spec
    return spec


def registered() -> dict[str, ItemSpec]:
    return dict(_registry)


@transaction.atomic
def sync_catalog() -> list[str]:
    """Create the registered items that are not in the database yet; return their codes."""
    from portal.catalog.models import ServiceItem, ServiceMaterial, ServiceStep

    created = []
    for spec in _registry.values():
        item, was_created = ServiceItem.objects.get_or_create(
            code=spec.code,
            defaults={k: getattr(spec, k) for k in _GUIDE_FIELDS},
        )
        if was_created:
            created.append(spec.code)
            ServiceMaterial.objects.bulk_create(
                ServiceMaterial(item=item, order=i, **m.__dict__) for i, m in enumerate(spec.materials)
            )
            ServiceStep.objects.bulk_create(
                ServiceStep(item=item, order=i, title=t, description=d) for i, (t, d) in enumerate(spec.steps)
            )
        elif item.owner_app != spec.owner_app:
            ServiceItem.objects.filter(pk=item.pk).update(owner_app=spec.owner_app)
    return created


def sync_on_migrate(sender, **kwargs):
    sync_catalog()


def claim(code: str, owner_app: str, *, start_url_name: str = "") -> None:
    """A service app takes over a registered item (keeping its published guide) and handles its cases."""
    spec = _registry.get(code)
    if spec is None:
        raise ValueError(f"service item {code} is not registered")
    if spec.owner_app and spec.owner_app != owner_app:
        raise ValueError(f"service item {code} is handled by {spec.owner_app} already")
    from dataclasses import replace

    _registry[code] = replace(spec, owner_app=owner_app, start_url_name=start_url_name)


def start_url(code: str, owner_app: str) -> str | None:
    """Where a citizen starts the service online (在线办理): the URL its app registered, else the app's
    ``apply`` or ``home`` page; None when no app handles the item (only the counter serves)."""
    from django.urls import NoReverseMatch, reverse

    if not owner_app:
        return None
    spec = _registry.get(code)
    names = [spec.start_url_name] if spec is not None and spec.start_url_name else []
    for name in [*names, f"{owner_app}:apply", f"{owner_app}:home"]:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None
