"""Model fields for personal data encrypted at rest."""

import json

from django.db import models

from portal.core import pii


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees the plain string.

    Not searchable: pair it with a keyed-hash column (see :class:`portal.core.models.HashedPiiMixin`).
    """

    description = "Text encrypted at rest"

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
