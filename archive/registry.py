"""How a service supplies its archive document: a provider per service item code.

The archive serves every service app and imports none of them; each service registers a provider from its
own code (enrollment: ``enrollment/archive.py``)::

    from archive.registry import ArchiveRecord, register

    def enrollment_record(case) -> ArchiveRecord:
        application = case.enrollment
        return ArchiveRecord(
            template_name="enrollment/archive_document.html",  # extends archive/document.html
            context={...},  # what the service's part of the document shows (form, evidence, decision)
            data={...},  # the same, machine-readable: embedded in the PDF as JSON
            title=f"{application.child_name}入学申请",
        )

    register("ENR", enrollment_record)

A service without a provider is archived with the kernel's data only (``archive/document.html``): every
finished case gets its package.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from portal.catalog.models import RetentionPeriod

DEFAULT_TEMPLATE = "archive/document.html"


@dataclass(frozen=True)
class ArchiveRecord:
    """A service's part of a case's archive document."""

    template_name: str = DEFAULT_TEMPLATE
    context: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    title: str = ""  # default: "<service name>：<subject>"
    retention: str = ""  # a RetentionPeriod value overriding the service item's; "" keeps the item's

    def __post_init__(self):
        if self.retention and self.retention not in RetentionPeriod.values:
            raise ValueError(f"retention must be one of {RetentionPeriod.values}, not {self.retention!r}")


Provider = Callable[[Any], ArchiveRecord]  # called with the closed portal.cases.models.Case

_providers: dict[str, Provider] = {}


def default_provider(case) -> ArchiveRecord:
    return ArchiveRecord()


def register(service_code: str, provider: Provider) -> Provider:
    """Make ``provider`` supply the archive document of the cases of ``service_code``. Idempotent;
    ValueError if another provider already has the code (two apps, one service item)."""
    code = service_code.upper()
    current = _providers.get(code)
    if current is not None and current is not provider:
        raise ValueError(f"service item {code} already has an archive provider: {current!r}")
    _providers[code] = provider
    return provider


def provider_for(service_code: str) -> Provider:
    return _providers.get(service_code.upper(), default_provider)


def registered() -> dict[str, Provider]:
    return dict(_providers)
