"""Shared fixtures.

External systems are reached over HTTP through the sandbox, never by patching internals: the outgoing
transport is swapped for ``httpx.WSGITransport`` on the project's own WSGI app, so a request goes through the
real URL routing, signature checks and views of ``sandbox/`` inside the test's database transaction.
"""

import copy
import uuid

import httpx
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import translation

from portal.celery import app as celery_app
from portal.core import http


class InProcessApp:
    """The project's WSGI app, called in the test's thread and so inside the test's transaction.

    A real server closes the DB connection around each request; inside a test that would end the test's
    transaction, so (like Django's test client) the connection is left open while the app runs."""

    def __init__(self):
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        language = translation.get_language()  # the app's LocaleMiddleware must not leak into the caller
        try:
            response = self.handler(environ, start_response)
            body = b"".join(response)
            response.close()
            return [body]
        finally:
            translation.activate(language)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _sandbox_over_wsgi(request):
    """Route outgoing HTTP to the sandbox in-process (integration tests use real sockets instead)."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    http.set_transport(httpx.WSGITransport(app=InProcessApp()))
    try:
        yield
    finally:
        http.set_transport(None)


@pytest.fixture(autouse=True)
def _celery_eager(request):
    """Unit tests run tasks in-process when their on_commit callbacks fire; integration tests use a worker."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only: speed
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """A key prefix of its own per test: parallel workers share one Redis in CI, so no test clears it."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"t{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches
