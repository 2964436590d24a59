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
        _register_workflow()


def _register_workflow() -> None:
    from portal.cases import workflow
    from portal.invitations.models import Invitation, InvitationAction

    workflow.register(
        Invitation,
        # an invitation has no case until it is accepted (the accepted event is written to the new case):
        # a declined or expired one keeps its answer on the row
        events={
            "accept": InvitationAction.ACCEPTED,
            "decline": InvitationAction.DECLINED,
            "expire": InvitationAction.EXPIRED,
        },
        verbs={"accept": _("accepted"), "decline": _("declined"), "expire": _("expired")},
        reference=lambda invitation: _("The invitation"),
        case=lambda invitation: invitation.case,
        forbidden=_("Only the invited person can answer this invitation."),
        select_related=("service",),
        state_field="status",
    )
