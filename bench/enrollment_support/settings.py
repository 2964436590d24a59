"""The portal's own settings, plus the benchmark's ceiling view in the urlconf (``/bench/insert/``).

Everything else — middleware, REST framework authentication, database, cache, Celery — is the portal's,
read from the same environment, so the ceiling view and the submit endpoint share one stack. The cache
keys get the run's prefix (``BENCH_CACHE_KEY_PREFIX``), so the benchmark can delete exactly its own keys.
"""

from portal.settings import *  # noqa: F403
from portal.settings import CACHES, env

ROOT_URLCONF = "bench.enrollment_support.urls"
CACHES["default"]["KEY_PREFIX"] = env("BENCH_CACHE_KEY_PREFIX", default="")

if env("BENCH_PROFILE_OUT", default=""):  # the profiled server of the submit breakdown (profiling.py)
    MIDDLEWARE = ["bench.enrollment_support.profiling.ProfileMiddleware", *MIDDLEWARE]  # noqa: F405
