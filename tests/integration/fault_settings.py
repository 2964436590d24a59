"""Settings of the fault test's worker process: the project's own, plus the exchange client's retry and
circuit-breaker tunables read from the environment (portal/settings.py leaves them to exchange/conf.py's
defaults), so the test can shrink them to its time scale."""

from exchange.conf import DEFAULTS as _EXCHANGE_DEFAULTS
from portal.settings import *  # noqa: F403
from portal.settings import env

EXCHANGE_RETRY_BACKOFF = env.float(
    "EXCHANGE_RETRY_BACKOFF", default=_EXCHANGE_DEFAULTS["EXCHANGE_RETRY_BACKOFF"]
)
EXCHANGE_BREAKER_COOLOFF = env.float(
    "EXCHANGE_BREAKER_COOLOFF", default=_EXCHANGE_DEFAULTS["EXCHANGE_BREAKER_COOLOFF"]
)
