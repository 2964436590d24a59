"""Phone numbers are personal data (issue 13 item 10, docs/adr/0019-phone-numbers.md): after the demo and a
demo parent's sign-in, no table outside the sandbox and no log line holds a plain phone number."""

import io
import logging
import re

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client

from portal.accounts.models import User
from portal.core.demo_accounts import DEMO_PARENT
from portal.notify.services import message_send

DEMO_PHONE = DEMO_PARENT["phone"]


@pytest.fixture
def log_output():
    """What the process's log handlers (as settings.LOGGING configured them, Django's own included) write
    to the console, captured in a buffer."""
    buffer = io.StringIO()
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    handlers = {
        handler
        for logger in loggers
        for handler in getattr(logger, "handlers", [])
        if type(handler) is logging.StreamHandler  # not pytest's own capture handlers
    }
    streams = {handler: handler.setStream(buffer) for handler in handlers}
    try:
        yield buffer
    finally:
        for handler, stream in streams.items():
            handler.setStream(stream)


def served(response):
    """Write the access-log line runserver writes for this request (its ``django.server`` logger)."""
    request = response.wsgi_request
    logging.getLogger("django.server").info(
        '"%s" %s %s',
        f"{request.method} {request.get_full_path()} HTTP/1.1",
        response.status_code,
        len(response.content),
        extra={
            "request": request,
            "server_time": "07/Dec/2026 12:00:00",
            "status_code": response.status_code,
        },
    )
    return response


def dump_without_sandbox() -> str:
    """Every column of every table, read back raw, except the sandbox's (they stand for other authorities'
    systems and are not installed in production); sessions decoded, as anyone with the database could."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table.startswith("sandbox_"):
                continue
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names come from introspection
            parts.extend(f"{table}: {' '.join(str(v) for v in row)}" for row in cursor.fetchall())
    parts.extend(f"django_session: {session.get_decoded()}" for session in Session.objects.all())
    return "\n".join(parts)


@pytest.mark.django_db
def test_after_the_demo_and_a_sign_in_no_plain_phone_number_is_stored_or_logged(
    log_output, django_capture_on_commit_callbacks
):
    call_command("seed_demo", households=5, seed=1, force=True, stdout=io.StringIO())
    parent = Client(REMOTE_ADDR="198.51.100.20")

    # the demo parent signs in: a code by SMS, one wrong try (django-axes records it), then the right code
    served(parent.get("/accounts/login/"))
    with django_capture_on_commit_callbacks(execute=True):
        served(parent.post("/accounts/login/", {"action": "send", "phone": DEMO_PHONE}))
    page = served(parent.get("/accounts/login/?step=code")).content.decode()
    inbox_link = re.search(r'href="(/sandbox/sms/[^"]*)"', page)[1].replace("&amp;", "&")
    code = served(parent.get(inbox_link)).json()["messages"][0]["code"]
    wrong = "000000" if code != "000000" else "111111"
    served(parent.post("/accounts/login/", {"action": "verify", "code": wrong}))
    response = served(parent.post("/accounts/login/", {"action": "verify", "code": code}))
    assert response.status_code == 302 and "_auth_user_id" in parent.session
    served(parent.get("/cases/"))

    # a notice to the parent goes out by SMS; staff look the parent up by the number in the users admin
    user = User.objects.get(phone=DEMO_PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        message_send(recipient=user, subject="您的办件已受理", body="请按时办理。")
    staff = Client(REMOTE_ADDR="198.51.100.21")
    staff.force_login(User.objects.get(username="admin"))
    found = served(staff.get("/admin/accounts/user/", {"q": DEMO_PHONE})).content.decode()
    assert "138****0001" in found and user.real_name in found

    phones = {DEMO_PHONE, *(p for p in User.objects.values_list("phone", flat=True) if p)}
    dump, logs = dump_without_sandbox(), log_output.getvalue()
    assert "user" in dump and "/admin/accounts/user/?q=" in logs  # (both were written)
    assert sorted({line.split(":")[0] for line in dump.splitlines() if any(p in line for p in phones)}) == []
    assert [line for line in logs.splitlines() if any(p in line for p in phones)] == []
    assert "/admin/accounts/user/?q=138****0001" in logs  # the access log line, masked
    assert user.phone == DEMO_PHONE  # and the application still reads the number
