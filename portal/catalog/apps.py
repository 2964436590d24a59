from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "portal.catalog"
    label = "catalog"
    verbose_name = _("Service catalogue")

    def ready(self):
        from portal.catalog import registry, standard

        standard.register_standard_items()
        post_migrate.connect(registry.sync_on_migrate, sender=self)
