"""The unread-message count shown in the navigation of every page."""

from django import template

register = template.Library()


@register.simple_tag
def unread_message_count(user) -> int:
    """Unread site messages of ``user``; 0 for anonymous visitors (no query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    from portal.notify.models import Message

    return Message.objects.filter(recipient=user, read_at__isnull=True).count()
