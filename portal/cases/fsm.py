"""django-fsm's ``refresh_from_db`` made safe for threads (one place, for every workflow model).

django-fsm-2 lets a model with a protected state field reload itself by switching the protection off on
the *field* — an attribute of the model class, shared by every thread of the process — for the length of
the query, then on again. In a threaded server (gunicorn gthread) another request's ``refresh_from_db``
that starts and ends inside that window switches it on again early, and the first one then fails with
"Direct state modification is not allowed" (seen as 40 of 1,575 submissions answering 500 in ``make
bench``, and in the teachers' concurrent approvals). The descriptor only refuses to overwrite a state the
*instance* already holds, so this version takes the instance's own state values out of its ``__dict__``
for the reload — nothing shared is touched — and names the fields to load, since a value missing from
``__dict__`` would otherwise count as deferred and not be loaded at all.
"""

from django.db import models
from django_fsm import FSMFieldMixin, FSMModelMixin


def _protected_attnames(instance) -> set[str]:
    return {f.attname for f in instance._meta.concrete_fields if isinstance(f, FSMFieldMixin) and f.protected}


def refresh_from_db(self, using=None, fields=None, from_queryset=None):
    if fields is None:
        deferred = self.get_deferred_fields()
        fields = [f.attname for f in self._meta.concrete_fields if f.attname not in deferred]
    # Every protected value the instance holds is taken out, not only those named: Django may set a state
    # that was not asked for (ConcurrentTransitionMixin reads the state of the row it loads, so it is
    # loaded too); what the reload did not set is put back.
    held = {name: self.__dict__.pop(name) for name in _protected_attnames(self) if name in self.__dict__}
    try:
        models.Model.refresh_from_db(self, using=using, fields=fields, from_queryset=from_queryset)
    finally:
        self.__dict__.update({k: v for k, v in held.items() if k not in self.__dict__})
    if hasattr(self, "_update_initial_state"):  # ConcurrentTransitionMixin: the state it saves from
        self._update_initial_state()


def install() -> None:
    """Replace django-fsm's class-wide switch (called once from the kernel's ``ready``)."""
    FSMModelMixin.refresh_from_db = refresh_from_db
