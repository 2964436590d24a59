"""Exchange settings, with the defaults used when portal/settings.py does not set them."""

from django.conf import settings

DEFAULTS = {
    "EXCHANGE_TIMEOUT": 5.0,  # seconds per attempt (connect, read, write, pool)
    "EXCHANGE_MAX_ATTEMPTS": 3,  # first try + retries, on 5xx / timeouts / connection errors only
    "EXCHANGE_RETRY_BACKOFF": 0.2,  # seconds; attempt n waits up to BACKOFF * 2**(n-1), "full jitter"
    "EXCHANGE_RETRY_BACKOFF_MAX": 2.0,  # seconds; cap of one wait
    "EXCHANGE_BREAKER_THRESHOLD": 5,  # consecutive failed requests to a source that open its circuit
    "EXCHANGE_BREAKER_COOLOFF": 30.0,  # seconds an open circuit stays open before one trial request
    "EXCHANGE_BATCH_SIZE": 1000,  # subjects per batch request (批量比对); the exchange takes ≤ 1,000
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
