from django import template

from payments.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen):
    """Integer fen as ``¥1,234.56`` (empty for None)."""
    return format_yuan(fen)
