"""Settings from the environment (12-factor).

With nothing set, the embedded default runs: SQLite, a Celery worker on an embedded filesystem broker,
and the sandbox stand-ins on. With DATABASE_URL / CELERY_BROKER_URL set, PostgreSQL and Redis are used.
See docs/adr/0003-embedded-defaults.md.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# local state of the embedded defaults (database, broker files, beat schedule); tests point it elsewhere
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=True)
# Demo-only fallbacks: production (DEBUG=False) refuses to start without real secrets.
_DEMO_SECRET = "demo-insecure-secret-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", default=_DEMO_SECRET if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "portal.core.thirdparty.AxesConfig",  # django-axes, with a Chinese name
    # the shared kernel
    "portal.core",
    "portal.orgs",
    "portal.accounts",
    "portal.catalog",
    "portal.cases",
    "portal.notify",
    "portal.deliveries",
    "portal.invitations",
    "portal.documents",
    "portal.notices",
    # integrations
    "exchange",
    "archive",
    # platforms every school service uses
    "studentstatus",
    # service apps
    "enrollment",
    "admission",
    "payments",
    "afterschool",
    "teachers",
    "licensing",
]

# on by default only with DEBUG: the SMS inbox shows every one-time code (deploy check portal.E001)
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=DEBUG)
if SANDBOX_ENABLED:
    INSTALLED_APPS.append("sandbox")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "portal.core.middleware.RequestBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.core.context_processors.portal",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
(VAR_DIR / "staticfiles").mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache (also used by the exchange circuit breaker) ----------------------------------------------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://portal")}

# --- auth, sessions, lockout -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "portal.accounts.backends.PhoneOtpBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "cases:my_cases"
LOGOUT_REDIRECT_URL = "home"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # sliding expiry: 30 idle minutes
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
API_TOKEN_TTL = timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=12))

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
# per account *and* address: per account alone anyone could lock anyone out (an administrator included);
# per address alone one wrong-typing parent behind a school's NAT would lock out the whole school
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "portal.accounts.lockout.client_ip"
# behind TLS proxies the client's address is the one the nearest proxy appended to X-Forwarded-For
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.accounts.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "portal.accounts.lockout.username_from_request"
# what axes copies of the request's GET/POST data into its attempt records: no phone number, no code
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "phone", "code", "password"]
AXES_VERBOSE = False

OTP_TTL = timedelta(minutes=5)
OTP_RESEND_INTERVAL = timedelta(seconds=60)
# Sign-in codes are limited per phone (one a minute, a daily cap); the per-address rate only guards against
# SMS pumping and is high enough for the NAT of a school, an office or a carrier (accounts/throttles.py)
OTP_DAILY_LIMIT = env.int("OTP_DAILY_LIMIT", default=10)
OTP_ADDRESS_RATE = env("OTP_ADDRESS_RATE", default="300/min")

# --- i18n: Chinese first, English through Django's i18n ---------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and uploaded files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_ALLOWED_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- personal data (docs/adr/0004-personal-data-encryption.md) ---------------------------------------
_DEMO_KEY = "ZGVtby1vbmx5LWZpZWxkLWtleS1jaGFuZ2UtbWUtMDA="  # noqa: S105 (demo/test only)
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS", default=[_DEMO_KEY] if DEBUG else environ.Env.NOTSET
)
PII_HASH_KEY = env("PII_HASH_KEY", default="demo-only-hash-key" if DEBUG else environ.Env.NOTSET)

# --- REST API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.core.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    # public verification (/verify/, /api/v1/verify/) per client address: generous for a counter that
    # checks a queue of papers, slow for a sweep of guessed codes
    "DEFAULT_THROTTLE_RATES": {"verify": env("VERIFY_RATE", default="120/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Education public-services portal API",
    "DESCRIPTION": "教育一网通办 — versioned REST API (v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # choice sets that share a field name with another app's ("status", "state"): named once here
    "ENUM_NAME_OVERRIDES": {
        "DocumentStatusEnum": "portal.documents.models.DocumentStatus",
        "OrderStateEnum": "payments.models.OrderState",
    },
}

# --- Celery ------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
_fs_queue = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_fs_queue),
        "data_folder_out": str(_fs_queue),
        "processed_folder": str(_fs_queue / "processed"),
        "store_processed": False,
        "control_folder": str(_fs_queue / "control"),
        "polling_interval": 0.5,  # the worker notices a new task (and a stop) sooner than the 1 s default
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600}
)
if CELERY_BROKER_URL.startswith("filesystem"):
    for _folder in (_fs_queue, _fs_queue / "processed", _fs_queue / "control"):
        _folder.mkdir(exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "rectification-overdue": {"task": "cases.flag_overdue_rectifications", "schedule": 3600.0},
    "attachment-orphans": {"task": "cases.sweep_orphan_attachments", "schedule": 3600.0},
    "enrollment-sweeper": {"task": "enrollment.requeue_stuck", "schedule": 300.0},
    "payments-sweep": {"task": "payments.sweep", "schedule": 300.0},
    "payments-reconcile": {"task": "payments.reconcile", "schedule": crontab(hour=2, minute=30)},
    "payments-bills": {"task": "payments.issue_monthly_bills", "schedule": crontab(day_of_month=1, hour=1)},
}

# --- external systems (sandbox stand-ins when SANDBOX_ENABLED) -------------------------------------------
SANDBOX_BASE_URL = env("SANDBOX_BASE_URL", default=f"{SITE_URL}/sandbox/")
EXCHANGE_BASE_URL = env("EXCHANGE_BASE_URL", default=f"{SANDBOX_BASE_URL}exchange/")
EXCHANGE_APP_KEY = env("EXCHANGE_APP_KEY", default="edu-portal")
EXCHANGE_APP_SECRET = env(
    "EXCHANGE_APP_SECRET", default="demo-exchange-secret" if DEBUG else environ.Env.NOTSET
)
EXCHANGE_TIMEOUT = env.float("EXCHANGE_TIMEOUT", default=5.0)
ENROLLMENT_LOOKUP_WORKERS = env.int("ENROLLMENT_LOOKUP_WORKERS", default=6)
# seconds before the first automatic retry of a verification whose registry did not answer (doubles)
ENROLLMENT_RETRY_BASE_SECONDS = env.int("ENROLLMENT_RETRY_BASE_SECONDS", default=30)
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default=f"{SANDBOX_BASE_URL}sms/send/")
SMS_GATEWAY_KEY = env("SMS_GATEWAY_KEY", default="demo-sms-key" if DEBUG else environ.Env.NOTSET)
IDP_URL = env("IDP_URL", default=f"{SANDBOX_BASE_URL}idp/person/")
# the courier (快递) that delivers certificates and licences: shipments, and signed status callbacks
COURIER_BASE_URL = env("COURIER_BASE_URL", default=f"{SANDBOX_BASE_URL}courier/api/")
COURIER_CARRIER = env("COURIER_CARRIER", default="EMS")
COURIER_APP_KEY = env("COURIER_APP_KEY", default="edu-portal")
COURIER_APP_SECRET = env("COURIER_APP_SECRET", default="demo-courier-secret" if DEBUG else "")
COURIER_NOTIFY_SECRET = env("COURIER_NOTIFY_SECRET", default="demo-courier-notify-secret" if DEBUG else "")
COURIER_TIMEOUT = env.float("COURIER_TIMEOUT", default=5.0)
CELERY_BEAT_SCHEDULE["deliveries-sweep"] = {"task": "deliveries.sweep", "schedule": 600.0}
# proactive invitations (免申即享): the services' finders run nightly, expired invitations are closed hourly
CELERY_BEAT_SCHEDULE["invitations-finders"] = {
    "task": "invitations.run_finders",
    "schedule": crontab(hour=3, minute=15),
}
CELERY_BEAT_SCHEDULE["invitations-expiry"] = {"task": "invitations.expire_due", "schedule": 3600.0}
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=30)
IDP_APP_KEY = env("IDP_APP_KEY", default="edu-portal")
IDP_APP_SECRET = env("IDP_APP_SECRET", default="demo-idp-secret" if DEBUG else environ.Env.NOTSET)

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@edu.example.gov.cn")

# --- logging: ID and phone numbers are masked in every log line ------------------------------------------
# Every handler carries the mask filter, Django's own included: its default "django" logger (console in
# DEBUG, mail to admins) and runserver's access log ("django.server", which writes query strings) are
# replaced here by masked handlers. gunicorn's access log is masked by portal.core.access_log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_pii": {"()": "portal.core.pii.MaskPiiLogFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_pii"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["mask_pii"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "mask_pii"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django": {"handlers": ["mail_admins"], "level": "INFO"},  # and the root's console, by propagation
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

# --- production hardening (manage.py check --deploy passes with DEBUG=False) ------------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

PORTAL_NAME = _("Education Services Portal")

# --- electronic archive (单套制, archive app) ---------------------------------------------------------------
ARCHIVE_ROOT = env("ARCHIVE_ROOT", default="")  # empty: MEDIA_ROOT/archive
ARCHIVE_SIGNING_KEY_FILE = env("ARCHIVE_SIGNING_KEY_FILE", default=str(VAR_DIR / "archive-signing-key.pem"))
ARCHIVE_TRUSTED_KEYS = env.list("ARCHIVE_TRUSTED_KEYS", default=[])  # fingerprints of retired signing keys
CELERY_BEAT_SCHEDULE["archive-sweeper"] = {"task": "archive.sweep_unarchived", "schedule": 600.0}

# --- payments: the unified public payment platform (统一公共支付平台) -----------------------------------
# No production default for the secrets: unset, the portal cannot reach the platform and refuses every
# notification (payments/platform.py, payments/notifications.py).
PAYMENT_PLATFORM_URL = env("PAYMENT_PLATFORM_URL", default=f"{SANDBOX_BASE_URL}payments/api/")
PAYMENT_APP_KEY = env("PAYMENT_APP_KEY", default="edu-portal")
PAYMENT_APP_SECRET = env("PAYMENT_APP_SECRET", default="demo-payment-secret" if DEBUG else "")
PAYMENT_NOTIFY_SECRET = env("PAYMENT_NOTIFY_SECRET", default="demo-payment-notify-secret" if DEBUG else "")
PAYMENT_TIMEOUT = env.float("PAYMENT_TIMEOUT", default=5.0)

# --- admission (录取, admission app) ----------------------------------------------------------------------
# 公示 (public notice) length for new rounds, in working days
ADMISSION_NOTICE_WORKING_DAYS = env.int("ADMISSION_NOTICE_WORKING_DAYS", default=5)
CELERY_BEAT_SCHEDULE["admission-finalise"] = {"task": "admission.finalise_due", "schedule": 3600.0}

# after-school care: bills whose paid / expired signal was lost; programmes of an ended term closed
CELERY_BEAT_SCHEDULE["afterschool-sweep"] = {"task": "afterschool.sweep", "schedule": 600.0}
CELERY_BEAT_SCHEDULE["afterschool-term-end"] = {"task": "afterschool.close_ended_terms", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["licensing-overdue"] = {"task": "licensing.flag_overdue", "schedule": 3600.0}
# student status: the daily suspension reminders (a month before the end, at the end); lost 户籍 checks
CELERY_BEAT_SCHEDULE["studentstatus-suspension-reminders"] = {
    "task": "studentstatus.remind_suspensions",
    "schedule": crontab(hour=7, minute=30),
}
CELERY_BEAT_SCHEDULE["studentstatus-sweep"] = {"task": "studentstatus.sweep", "schedule": 600.0}

# student status: transfer steps past their 10 working days flagged and told to the bureau (once per step);
# graduation certificates whose render job was lost queued again
CELERY_BEAT_SCHEDULE["studentstatus-overdue"] = {
    "task": "studentstatus.flag_overdue_steps",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["studentstatus-certificates"] = {
    "task": "studentstatus.requeue_certificates",
    "schedule": 1800.0,
}
