from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "portal.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from portal.cases import fsm
        from portal.cases.models import CalendarDay
        from portal.cases.services import register_case_workflow

        fsm.install()  # every workflow model reloads itself without unprotecting its state field

        register_case_workflow()

        pre_save.connect(_calendar_day_moving, sender=CalendarDay, dispatch_uid="cases.calendar_day_moving")
        post_save.connect(_calendar_day_changed, sender=CalendarDay, dispatch_uid="cases.calendar_day_saved")
        post_delete.connect(_calendar_day_changed, sender=CalendarDay, dispatch_uid="cases.calendar_day_gone")


def _calendar_day_moving(sender, instance, **kwargs):
    """An existing row edited to another date changes two days: remember the one it leaves."""
    if instance.pk and not kwargs.get("raw"):
        instance._previous_date = sender.objects.filter(pk=instance.pk).values_list("date", flat=True).first()


def _calendar_day_changed(sender, instance, **kwargs):
    """A working-day override was entered, changed or removed (admin, shell, fixtures): the deadlines of
    the running cases it falls in are worked out again once it is committed."""
    from functools import partial

    from django.db import transaction

    from portal.cases.tasks import recompute_deadlines

    if kwargs.get("raw"):  # loaddata: the rows are as they were
        return
    days = {instance.date, getattr(instance, "_previous_date", None)} - {None}
    for day in sorted(days):
        transaction.on_commit(partial(recompute_deadlines.delay, day.isoformat()))
