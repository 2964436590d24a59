"""Every guide says how to apply: "在线办理" opening the service where an app handles it online, "到窗口办理"
with the office's address and hours where only the counter serves (issue 13 item 1)."""

import re

import pytest
from django.urls import resolve

from portal.catalog.models import ServiceItem
from tests.factories import UserFactory
from tests.i18n import zh

pytestmark = pytest.mark.django_db

APPLY_LINK = re.compile(r'<a class="button" href="([^"]+)" data-apply="online">([^<]+)</a>')


def test_every_guide_has_an_online_button_or_the_counter(client, catalogue):
    items = list(ServiceItem.objects.filter(published=True))
    online = [item for item in items if item.owner_app]
    assert {"ENR", "KGE", "FEE"} <= {item.code for item in online}
    for item in items:
        text = client.get(f"/services/{item.code}/").content.decode()
        links = APPLY_LINK.findall(text)
        if item.owner_app:
            assert len(links) == 1, item.code
            href, label = links[0]
            assert label == zh("Apply online") == "在线办理"
            assert resolve(href.split("?")[0]).namespace == item.owner_app, (item.code, href)
            assert 'data-apply="counter"' not in text
        else:
            assert not links, item.code
            assert 'data-apply="counter"' in text and "到窗口办理" in text, item.code
            assert item.contact_address in text and item.office_hours in text


def test_the_enrollment_button_opens_the_wizard(client, catalogue):
    text = client.get("/services/ENR/").content.decode()
    href = APPLY_LINK.findall(text)[0][0]
    assert href == "/enrollment/apply/"
    client.force_login(UserFactory())
    assert client.get(href).status_code == 200  # a verified citizen sees step 1
