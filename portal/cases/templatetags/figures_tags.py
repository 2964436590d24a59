from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.456 → "45.6%"; None (nothing to divide) → "—"."""
    return "—" if value is None else f"{100 * value:.1f}%"


@register.filter
def decimal(value, places=2) -> str:
    return "—" if value is None else f"{value:.{int(places)}f}"
