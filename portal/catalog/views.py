"""Public pages: the home page, the service catalogue (事项清单) and each item's guide (办事指南)."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from portal.cases.selectors import case_summary, my_cases
from portal.catalog.models import MaterialSource, ServiceItem, ServiceMaterial
from portal.catalog.registry import start_url
from portal.catalog.standard import GROUPS, OTHER_GROUP, group_of

OPEN_CASES_ON_HOME = 5


def _published():
    return ServiceItem.objects.filter(published=True)


def _grouped(items) -> list[dict]:
    """Items in the home page's groups, in the groups' order; empty groups left out."""
    order = [key for key, _label, _codes in GROUPS] + [OTHER_GROUP[0]]
    groups: dict[str, dict] = {}
    for item in items:
        key, label = group_of(item.code)
        groups.setdefault(key, {"key": key, "label": label, "items": []})["items"].append(item)
    return [groups[key] for key in order if key in groups]


def home(request):
    context = {"service_groups": _grouped(_published())}
    if request.user.is_authenticated:
        open_cases = my_cases(request.user, show="open")
        context["open_cases"] = [
            case_summary(case, user=request.user) for case in open_cases[:OPEN_CASES_ON_HOME]
        ]
        context["open_case_count"] = open_cases.count()
        context["today"] = timezone.localdate()
    return render(request, "home.html", context)


def service_list(request):
    return render(request, "catalog/service_list.html", {"items": _published()})


def service_guide(request, code: str):
    """The guide of one published item; 404 for an unknown or unpublished code."""
    item = get_object_or_404(
        _published().prefetch_related(
            Prefetch("materials", queryset=ServiceMaterial.objects.order_by("order", "id")), "steps"
        ),
        code=code.upper(),
    )
    materials = list(item.materials.all())
    context = {
        "item": item,
        "start_url": start_url(item.code, item.owner_app),
        "materials": materials,
        "steps": list(item.steps.all()),
        "fetched_count": sum(m.source == MaterialSource.FETCHED for m in materials),
        "upload_count": sum(m.source == MaterialSource.UPLOAD for m in materials),
        "original_count": sum(m.source == MaterialSource.ORIGINAL for m in materials),
    }
    return render(request, "catalog/service_guide.html", context)
