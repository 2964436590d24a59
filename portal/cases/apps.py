from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "portal.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from portal.cases.models import CalendarDay

        for signal in (post_save, post_delete):
            signal.connect(_calendar_day_changed, sender=CalendarDay, dispatch_uid=f"cases.calendar.{signal}")


def _calendar_day_changed(sender, instance, **kwargs):
    """A working-day override was entered, changed or removed (admin, shell, fixtures): the deadlines of
    the running cases it falls in are worked out again once it is committed."""
    from functools import partial

    from django.db import transaction

    from portal.cases.tasks import recompute_deadlines

    if kwargs.get("raw"):  # loaddata: the rows are as they were
        return
    transaction.on_commit(partial(recompute_deadlines.delay, instance.date.isoformat()))
