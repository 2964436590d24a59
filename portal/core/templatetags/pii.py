"""Template filters that mask personal information for display (DOMAIN.md, "Personal information").

{% load pii %}{{ case.subject_id_number|mask_id }} {{ person.name|mask_name }} {{ user.phone|mask_phone }}
"""

from django import template

from portal.core import pii

register = template.Library()


@register.filter
def mask_id(value) -> str:
    """360426199101010071 → 360***********0071."""
    return pii.mask_id(value)


@register.filter
def mask_name(value) -> str:
    """张三明 → 张*明."""
    return pii.mask_name(value)


@register.filter
def mask_phone(value) -> str:
    """13800001234 → 138****1234."""
    return pii.mask_phone(value)
