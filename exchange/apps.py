from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("Data-sharing exchange")

    def ready(self):
        from portal.cases.figures import register_fetched_materials

        register_fetched_materials("exchange", fetched_materials)


def fetched_materials(cases):
    """For the reform figures: a material fetched instead of uploaded is one registry look-up answered for
    a case — counted once per case, registry and look-up, however often it was retried or repeated."""
    from django.db.models import CharField, Count, Value
    from django.db.models.functions import Cast, Concat

    from exchange.models import Lookup, Outcome

    material = Concat(Cast("case_id", CharField()), Value(":"), "source", Value(":"), "operation")
    rows = (
        Lookup.objects.filter(case__in=cases.values("pk"), outcome=Outcome.OK)
        .order_by()
        .values("case__service_id")
        .annotate(n=Count(material, distinct=True))
    )
    return {row["case__service_id"]: row["n"] for row in rows}
