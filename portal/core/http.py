"""The one way the portal talks to another system over HTTP: signed, timed out, swappable in tests.

Requests carry ``X-App-Key``, ``X-Timestamp``, ``X-Nonce`` and ``X-Signature`` = hex HMAC-SHA256 over
``METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nSHA256(body)`` with the shared app secret, as government exchanges
require. Tests replace the transport (``set_transport``) with ``httpx.WSGITransport`` so that requests go
through the real URL routing and views of the sandbox without a socket.
"""

import hashlib
import hmac
import json
import secrets
import time

import httpx

_transport: httpx.BaseTransport | None = None


def set_transport(transport: httpx.BaseTransport | None) -> None:
    """Route every outgoing request through ``transport`` (tests); None restores real sockets."""
    global _transport
    _transport = transport


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


def client(*, base_url: str, timeout: float) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=timeout, transport=_transport)


def signed_post_json(*, url: str, app_key: str, secret: str, payload: dict, timeout: float) -> httpx.Response:
    """POST a JSON body with a signature; raises httpx.HTTPError on transport failures."""

    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    request = httpx.Request("POST", url, content=body, headers={"Content-Type": "application/json"})
    request.headers.update(
        sign_headers(
            app_key=app_key, secret=secret, method="POST", path=request.url.raw_path.decode(), body=body
        )
    )
    with httpx.Client(timeout=timeout, transport=_transport) as c:
        return c.send(request)
