"""The one way the portal talks to another system over HTTP: signed, timed out, swappable in tests.

Requests carry ``X-App-Key``, ``X-Timestamp``, ``X-Nonce`` and ``X-Signature`` = hex HMAC-SHA256 over
``METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nSHA256(body)`` with the shared app secret, as government exchanges
require. Tests replace the transport (``set_transport``) with ``httpx.WSGITransport`` so that requests go
through the real URL routing and views of the sandbox without a socket.
"""

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import ssl
import threading
import time
from functools import lru_cache

import certifi
import httpx

_transport: httpx.BaseTransport | None = None
_local = threading.local()


def set_transport(transport: httpx.BaseTransport | None) -> None:
    """Route every outgoing request through ``transport`` (tests); None restores real sockets."""
    global _transport
    _transport = transport


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle costs ~35 ms of CPU: once per process, not once per request."""
    return ssl.create_default_context(cafile=certifi.where())


def _pooled(*, base_url: str, timeout: float) -> httpx.Client:
    """This thread's long-lived client for ``base_url`` (keep-alive connections, one TLS set-up).

    Keyed by process id too, so a forked worker never shares its parent's sockets, and by the transport,
    so ``set_transport`` takes effect at once."""
    key = (os.getpid(), base_url, timeout, id(_transport))
    clients = getattr(_local, "clients", None)
    if clients is None:
        clients = _local.clients = {}
    pooled = clients.get(key)
    if pooled is None or pooled.is_closed:
        for stale in [k for k in clients if k[0] != key[0] or k[3] != key[3]]:
            clients.pop(stale)  # another process's or transport's: dropped, not closed (not ours to close)
        pooled = clients[key] = httpx.Client(
            base_url=base_url, timeout=timeout, transport=_transport, verify=_ssl_context()
        )
    return pooled


def signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = "\n".join([method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign_headers(*, app_key: str, secret: str, method: str, path: str, body: bytes) -> dict[str, str]:
    ts, nonce = str(int(time.time())), secrets.token_hex(8)
    return {
        "X-App-Key": app_key,
        "X-Timestamp": ts,
        "X-Nonce": nonce,
        "X-Signature": signature(secret, method, path, ts, nonce, body),
    }


def verify_signature(
    *, secret: str, method: str, path: str, headers, body: bytes, max_skew: int = 300
) -> bool:
    ts, nonce, sig = (
        headers.get("X-Timestamp", ""),
        headers.get("X-Nonce", ""),
        headers.get("X-Signature", ""),
    )
    if not (ts.isdigit() and nonce and sig) or abs(time.time() - int(ts)) > max_skew:
        return False
    return hmac.compare_digest(signature(secret, method, path, ts, nonce, body), sig)


NONCE_TTL = 600  # seconds; longer than the signature's allowed clock skew, so a nonce outlives its request


def nonce_first_use(nonce: str, *, namespace: str, ttl: int = NONCE_TTL) -> bool:
    """True the first time ``nonce`` is seen in ``namespace`` by any process: a receiver of signed requests
    calls it after :func:`verify_signature` succeeds, so a request sent again byte for byte is refused. The
    store is Django's default cache, which production keeps in Redis (deploy check portal.E002), where
    ``add`` is one atomic SET NX."""
    from django.core.cache import cache

    return bool(nonce) and cache.add(f"{namespace}:nonce:{nonce}", 1, ttl)


@contextlib.contextmanager
def client(*, base_url: str, timeout: float):
    """``with client(base_url=…, timeout=…) as http:`` — this thread's pooled client (not closed on exit)."""
    yield _pooled(base_url=base_url, timeout=timeout)


def signed_post_json(*, url: str, app_key: str, secret: str, payload: dict, timeout: float) -> httpx.Response:
    """POST a JSON body with a signature; raises httpx.HTTPError on transport failures."""

    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    request = httpx.Request("POST", url, content=body, headers={"Content-Type": "application/json"})
    request.headers.update(
        sign_headers(
            app_key=app_key, secret=secret, method="POST", path=request.url.raw_path.decode(), body=body
        )
    )
    return _pooled(base_url="", timeout=timeout).send(request)
