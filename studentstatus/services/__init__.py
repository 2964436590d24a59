"""Student status actions: one function per action (DESIGN.md, Workflows), keyword-only, each in one
transaction, every state change through ``portal.cases.workflow.perform``. Services of other apps call
these (admission: :func:`record_enrol`)."""

from studentstatus.services.records import record_by_id_number, record_enrol

__all__ = ["record_by_id_number", "record_enrol"]
