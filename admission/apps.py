from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdmissionConfig(AppConfig):
    name = "admission"
    verbose_name = _("Admission (seat allocation)")

    def ready(self):
        from admission import catalogue  # noqa: F401 - registers the objection service item and event actions
        from admission.notices import on_objection_upheld
        from enrollment.catalogue import KINDERGARTEN_ITEM, PRIMARY_JUNIOR_ITEM
        from portal.notices.registry import register_objection_handler

        # admission publishes the notices of enrollment's applications (ENR / KGE); their objections are
        # reviewed as 招生录取结果公示异议 (ADO) cases, and an upheld one revokes the placement
        for code in (PRIMARY_JUNIOR_ITEM, KINDERGARTEN_ITEM):
            register_objection_handler(code, on_objection_upheld, review_item=catalogue.OBJECTION_ITEM)
        from admission import seats
        from studentstatus.seats import register_seat_counter

        register_seat_counter(free=seats.cohort_free, move=seats.cohort_move)
