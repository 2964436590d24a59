"""A SHA-256 digest of everything the registries hold, independent of row ids and insertion order."""

import hashlib

from sandbox.models import REGISTRY_MODELS
from sandbox.registry.writer import columns


def registry_digest() -> str:
    digest = hashlib.sha256()
    for model in REGISTRY_MODELS:
        names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
        digest.update(f"{model.__name__}:{','.join(columns(model))}\n".encode())
        for row in model.objects.order_by(*names).values_list(*names).iterator(chunk_size=5000):
            digest.update(repr(tuple(str(v) if v is not None else None for v in row)).encode())
    return digest.hexdigest()
