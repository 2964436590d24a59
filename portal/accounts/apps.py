from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from portal.accounts import roles
        from portal.accounts.models import User

        post_migrate.connect(roles.sync_role_groups, dispatch_uid="accounts.sync_role_groups")
        post_save.connect(_assign_group, sender=User, dispatch_uid="accounts.assign_role_group")


def _assign_group(sender, instance, raw=False, **kwargs):
    if raw:
        return
    from portal.accounts.roles import assign_role_group

    assign_role_group(instance)
