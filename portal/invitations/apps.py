from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitationsConfig(AppConfig):
    """Proactive invitations (免申即享 / 应助尽助): services register finders, a periodic job invites."""

    name = "portal.invitations"
    label = "invitations"
    verbose_name = _("Invitations")

    def ready(self):
        from portal.cases.actions import register_actions
        from portal.invitations import tasks  # noqa: F401 - registers the Celery tasks
        from portal.invitations.models import InvitationAction

        register_actions(InvitationAction)
