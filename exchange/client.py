"""Signed HTTP calls to the data-sharing exchange, with timeouts, retries and a circuit breaker per source.

Policy (docs/workflows/exchange.md):

- Each attempt is signed afresh (new timestamp and nonce; the exchange refuses a replayed nonce) and sent
  through ``portal.core.http.client`` with ``EXCHANGE_TIMEOUT``, so tests can swap the transport.
- 5xx answers, timeouts and connection errors are retried, up to ``EXCHANGE_MAX_ATTEMPTS`` attempts, waiting
  ``backoff_delay`` between them (exponential with full jitter). A 4xx is an answer and is never retried.
  The body of a 5xx is never read as data, whatever it says.
- Each failed attempt counts against the source's circuit breaker (state in Django's cache, so every web
  and worker process shares it): after ``EXCHANGE_BREAKER_THRESHOLD`` consecutive failures the circuit opens
  and calls fail at once with ``Unavailable``; after ``EXCHANGE_BREAKER_COOLOFF`` seconds one trial request
  is let through (half-open): success closes the circuit, failure opens it again.
- A call must run inside ``recording()`` (opened by ``exchange.services.lookup``), which receives what
  happened on the wire for the audit record; a call outside it is refused with ``NotAuthorised``.
"""

import json
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.cache import cache

from exchange import conf
from exchange.errors import Mismatch, NotAuthorised, NotFound, Unavailable
from portal.core.http import client as http_client
from portal.core.http import sign_headers

# --- the audit side-channel ------------------------------------------------------------------------


@dataclass
class Exchange:
    """What happened on the wire during one look-up (filled in by ``call``)."""

    source: str = ""
    operation: str = ""
    attempts: int = 0
    http_status: int | None = None
    answer: dict | None = None  # the last JSON body received with a 2xx or 4xx status
    error: str = ""


_current: ContextVar[Exchange | None] = ContextVar("exchange_recording", default=None)


@contextmanager
def recording() -> Iterator[Exchange]:
    record = Exchange()
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)


# --- circuit breaker -------------------------------------------------------------------------------


def now() -> float:
    """Wall-clock seconds (shared by every process through the cache); tests may replace it."""
    return time.time()


class CircuitBreaker:
    """Closed → open after N consecutive failures → half-open (one trial) after the cool-off → closed."""

    def __init__(self, source: str):
        self.source = source
        prefix = f"exchange:breaker:{source}:"
        self.k_failures, self.k_opened, self.k_trial = (
            prefix + "failures",
            prefix + "opened_at",
            prefix + "trial",
        )

    @property
    def cooloff(self) -> float:
        return float(conf.get("EXCHANGE_BREAKER_COOLOFF"))

    def state(self) -> str:
        opened = cache.get(self.k_opened)
        if opened is None:
            return "closed"
        return "open" if now() - opened < self.cooloff else "half_open"

    def allow(self) -> bool:
        """May a request go out now? In half-open state only one caller gets the trial."""
        opened = cache.get(self.k_opened)
        if opened is None:
            return True
        if now() - opened < self.cooloff:
            return False
        return cache.add(self.k_trial, 1, timeout=max(self.cooloff, 1.0))

    def success(self) -> None:
        cache.delete_many([self.k_failures, self.k_opened, self.k_trial])

    def failure(self) -> None:
        if cache.get(self.k_opened) is not None:  # the half-open trial failed: open again for a cool-off
            cache.set(self.k_opened, now(), timeout=None)
            cache.delete(self.k_trial)
            return
        cache.add(self.k_failures, 0, timeout=None)
        try:
            failures = cache.incr(self.k_failures)
        except ValueError:  # evicted between add and incr
            cache.set(self.k_failures, 1, timeout=None)
            failures = 1
        if failures >= int(conf.get("EXCHANGE_BREAKER_THRESHOLD")):
            cache.set(self.k_opened, now(), timeout=None)


def breaker(source: str) -> CircuitBreaker:
    return CircuitBreaker(source)


# --- retries ---------------------------------------------------------------------------------------

_jitter = random.Random()


def backoff_delay(attempt: int, *, base: float, cap: float) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based): uniform in [0, min(cap, base·2^(n-1))]."""
    return _jitter.uniform(0, min(cap, base * 2 ** (attempt - 1)))


def _sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


# --- the call --------------------------------------------------------------------------------------


def call(source: str, operation: str, payload: dict) -> dict:
    """POST ``payload`` to ``<EXCHANGE_BASE_URL><source>/<operation>/``; return the answer's ``data``.

    Raises NotFound / Mismatch (answers), Unavailable (no answer), NotAuthorised (not inside ``recording``).
    """
    record = _current.get()
    if record is None:
        raise NotAuthorised("exchange look-ups go through exchange.services.lookup", source=source)
    record.source, record.operation = source, operation
    circuit = breaker(source)
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    attempts = int(conf.get("EXCHANGE_MAX_ATTEMPTS"))
    base, cap = float(conf.get("EXCHANGE_RETRY_BACKOFF")), float(conf.get("EXCHANGE_RETRY_BACKOFF_MAX"))
    last_error = ""
    with http_client(
        base_url=settings.EXCHANGE_BASE_URL, timeout=float(conf.get("EXCHANGE_TIMEOUT"))
    ) as http:
        for attempt in range(1, attempts + 1):
            if not circuit.allow():
                record.error = f"circuit open for {source}" + (f" after {last_error}" if last_error else "")
                raise Unavailable(record.error, source=source)
            record.attempts = attempt
            request = http.build_request(
                "POST", f"{source}/{operation}/", content=body, headers={"Content-Type": "application/json"}
            )
            request.headers.update(
                sign_headers(
                    app_key=settings.EXCHANGE_APP_KEY,
                    secret=settings.EXCHANGE_APP_SECRET,
                    method="POST",
                    path=request.url.raw_path.decode(),
                    body=body,
                )
            )
            try:
                response = http.send(request)
            except httpx.TimeoutException:
                last_error = "timeout"
            except httpx.TransportError as exc:
                last_error = f"connection error ({type(exc).__name__})"
            else:
                record.http_status = response.status_code
                if response.status_code < 500:
                    circuit.success()  # the source answered; a 4xx is an answer about the request
                    return _interpret(record, response)
                last_error = f"HTTP {response.status_code}"
            circuit.failure()
            if attempt < attempts:
                _sleep(backoff_delay(attempt, base=base, cap=cap))
    record.error = f"{last_error} after {attempts} attempt(s)"
    raise Unavailable(record.error, source=source)


def _interpret(record: Exchange, response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        record.error = f"HTTP {response.status_code} without a JSON object"
        raise Unavailable(record.error, source=record.source)
    record.answer = body
    code = body.get("code")
    if response.status_code == 200 and code == "ok" and isinstance(body.get("data"), dict):
        return body["data"]
    if response.status_code == 404 and code == "not_found":
        raise NotFound(str(body.get("message", "")), source=record.source)
    if response.status_code == 409 and code == "mismatch":
        raise Mismatch(source=record.source, fields=tuple(body.get("fields") or ()))
    # 400 / 401 / 403 / an unknown interface / a 2xx that is not an answer: a refusal, not a result
    record.error = f"HTTP {response.status_code} {code or ''}".strip()
    raise Unavailable(f"the exchange refused the request: {record.error}", source=record.source)
