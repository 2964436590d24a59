"""Model fields for personal data encrypted at rest."""

import json

from django.db import models
from django.db.models import Lookup
from django.db.models.expressions import Col

from portal.core import pii


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees the plain string.

    Not searchable as such: pair it with a keyed-hash column (``hash_field``, filled by the model's
    ``save``) and ``filter(phone="138…")`` / ``phone__in=[…]`` compare that column with the value's keyed
    hash (:func:`portal.core.pii.keyed_hash`). Without ``hash_field`` an exact look-up is refused: it would
    compare ciphertexts, which never match.
    """

    description = "Text encrypted at rest"

    def __init__(self, *args, hash_field: str | None = None, **kwargs):
        self.hash_field = hash_field
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.hash_field:
            kwargs["hash_field"] = self.hash_field
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return pii.decrypt_str(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return pii.encrypt_str(str(value))


class EncryptedJSONField(models.TextField):
    """A JSON document encrypted at rest (registry answers, for example)."""

    description = "JSON encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return None
        return json.loads(pii.decrypt_str(value))

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return pii.encrypt_str(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))


class _HashedLookup(Lookup):
    """``encrypted = value`` as ``<hash column> = keyed_hash(value)`` (or ``IN`` for ``__in``)."""

    prepare_rhs = False

    def get_prep_lookup(self):
        return self.rhs

    def _hash_column(self, compiler):
        field = self.lhs.target
        if not getattr(field, "hash_field", None):
            raise TypeError(
                f"{field.model.__name__}.{field.name} is encrypted and has no hash column to filter on"
            )
        return compiler.compile(Col(self.lhs.alias, field.model._meta.get_field(field.hash_field)))


@EncryptedTextField.register_lookup
class HashedExact(_HashedLookup):
    lookup_name = "exact"

    def as_sql(self, compiler, connection):
        if self.rhs == "":  # empty is stored as it is
            column, params = compiler.compile(self.lhs)
            return f"{column} = %s", [*params, ""]
        column, params = self._hash_column(compiler)
        return f"{column} = %s", [*params, pii.keyed_hash(str(self.rhs))]


@EncryptedTextField.register_lookup
class HashedIn(_HashedLookup):
    lookup_name = "in"

    def as_sql(self, compiler, connection):
        column, params = self._hash_column(compiler)
        values = [pii.keyed_hash(str(value)) for value in self.rhs if value not in (None, "")]
        if not values:
            return "1 = 0", []
        return f"{column} IN ({', '.join(['%s'] * len(values))})", [*params, *values]
