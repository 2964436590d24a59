import datetime as dt

import pytest

from portal.catalog.registry import sync_catalog


@pytest.fixture
def catalogue(db):
    """The bureau's standard items, as ``migrate`` writes them (idempotent)."""
    sync_catalog()


@pytest.fixture
def registered_parent(db):
    """A person in the (sandbox) household registry whose phone can sign in."""
    from sandbox.models import Person

    return Person.objects.create(
        id_number="360426199101010071",
        name="李𠈌",
        gender="M",
        birth_date=dt.date(1991, 1, 1),
        phone="13800001111",
    )


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
