import pytest

from portal.notify.models import Message
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_inbox_needs_sign_in(client):
    response = client.get("/messages/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_inbox_shows_only_own_messages_newest_first(client):
    me, someone = UserFactory(), UserFactory()
    Message.objects.create(recipient=me, subject="第一条消息", body="a")
    Message.objects.create(recipient=me, subject="第二条消息", body="b")
    Message.objects.create(recipient=someone, subject="别人的消息", body="c")
    client.force_login(me)
    text = client.get("/messages/").content.decode()
    assert "别人的消息" not in text
    assert text.index("第二条消息") < text.index("第一条消息")
    assert 'class="badge badge--count"' in text  # unread count in the navigation


def test_opening_a_message_marks_it_read(client):
    me = UserFactory()
    message = Message.objects.create(recipient=me, subject="办件已受理", body="您的申请已受理。")
    client.force_login(me)
    response = client.get(f"/messages/{message.pk}/")
    assert response.status_code == 200 and "您的申请已受理。" in response.content.decode()
    message.refresh_from_db()
    assert message.read_at is not None


def test_someone_elses_message_is_404_and_stays_unread(client):
    me, someone = UserFactory(), UserFactory()
    theirs = Message.objects.create(recipient=someone, subject="别人的消息", body="c")
    client.force_login(me)
    assert client.get(f"/messages/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
