"""The guardian's data trail: every look-up made about them or their children — when, which registry,
for which case, by whom, why, and how it went (DOMAIN.md: a guardian can see who looked at their child's
data, when and why). Answers themselves are not shown here."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from exchange import selectors


def _whose(lookup, *, user, names: dict[str, str]) -> str:
    if user.id_number_hash and lookup.subject_hash == user.id_number_hash:
        return _("You")
    name = names.get(lookup.subject_hash)
    return f"{name} ({lookup.subject_masked})" if name else lookup.subject_masked


def _names(user) -> dict[str, str]:
    return {a.subject_hash: a.subject_name for a in selectors.authorisations_of(user) if a.subject_name}


@login_required
def data_trail(request):
    page = Paginator(selectors.lookups_for_guardian(request.user), 50).get_page(request.GET.get("page"))
    names = _names(request.user)
    for lookup in page:
        lookup.whose = _whose(lookup, user=request.user, names=names)
    return render(request, "exchange/data_trail.html", {"page": page})


@login_required
def data_trail_entry(request, pk: int):
    lookup = get_object_or_404(selectors.lookups_for_guardian(request.user), pk=pk)
    lookup.whose = _whose(lookup, user=request.user, names=_names(request.user))
    return render(request, "exchange/data_trail_entry.html", {"lookup": lookup})
