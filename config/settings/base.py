"""Settings shared by every environment. Every value that differs between machines comes from
the environment (see README, "Configuration"). The defaults are the embedded runtime: a SQLite
file under var/, a file-system Celery broker and console/file message backends, so that
`make run` needs no service."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Outside DEBUG the key is required; the fallback only serves local development.
SECRET_KEY = env("SECRET_KEY", default="dev-insecure-key-change-me" if DEBUG else None)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "simple_history",
    "django_celery_beat",
    "django_htmx",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "drf_spectacular_sidecar",
    "accounts",
    "compliance",
    "collections_app",
    "messaging",
    "manager",
    "audit",
    "exchange",
    "perf",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'collections.db'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing with
    # "database is locked" half-way through a transaction; WAL lets readers run beside a writer.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if not env.bool("DATABASE_JIT", default=False):
        # PostgreSQL's JIT compiles a plan whose estimated cost passes jit_above_cost; the
        # queue's ordering and the gate's batch reads pass it at scale, and compiling costs
        # more (60 to 220 ms) than running them (30 to 80 ms). Off for every connection.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Optional PostgreSQL read replica for dashboards and exports (see config/routers.py).
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db("DATABASE_REPLICA_URL"),
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]
    MIDDLEWARE.append("config.routers.ReplicaReadMiddleware")

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# django-axes: lock the username+address pair after repeated failures, for a limited time only,
# so an attacker cannot lock a user out for good.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Failures during a lockout do not extend it: the lock lifts AXES_COOLOFF_TIME after it began,
# however long an attacker keeps guessing.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Never log or store what was typed in the password field.
AXES_SENSITIVE_PARAMETERS = ["password", "otp", "code"]

# Roles that must pass a TOTP second factor after the password (production: manager, auditor,
# admin; empty here so that `make run` demo logins need no authenticator app).
TWO_FACTOR_REQUIRED_ROLES = env.list("TWO_FACTOR_REQUIRED_ROLES", default=[])
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Collections")
# A session without a request for this long is ended (seconds; 0 disables).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)

# Content-Security-Policy (django-csp 4): our own origin only, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

# --- I18N / time ------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    # Views opt in with `throttle_scope`; rates per scope below.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env("THROTTLE_RATE_TOKEN", default="10/min"),
        "compliance": env("THROTTLE_RATE_COMPLIANCE", default="120/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Collections case management API",
    "DESCRIPTION": "Cases, debtors, the compliance gate and the contact ledger.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files, so /api/docs/ works under the CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Stable names for choice sets that share a field name (keeps the deploy check warning-free).
    "ENUM_NAME_OVERRIDES": {
        "AttemptChannelEnum": "collections_app.models.attempt.Channel",
        "MessageChannelEnum": "messaging.api.CHANNELS",
        "EvidenceKindEnum": "audit.models.EvidenceKind",
        "EscalationKindEnum": "manager.models.EscalationKind",
        "ExchangeBatchKindEnum": "exchange.models.BatchKind",
        "CaseStatusEnum": "collections_app.models.case.CaseStatus",
    },
}

# --- Celery -----------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    # The embedded broker: messages are files under var/broker, no server needed.
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# Long background rounds (summaries, allocation, rotation, scores, the audit chain seal,
# purges) go to this queue when it is set, so a worker started with `-Q <name>` and a small
# concurrency runs them while the default queue's workers keep sending reminders and running
# imports. Empty: everything on the default queue.
CELERY_BACKGROUND_QUEUE = env("CELERY_BACKGROUND_QUEUE", default="")
BACKGROUND_TASKS = (
    "manager.tasks.portfolio_summaries_refresh",
    "manager.tasks.portfolio_summary_refresh",
    "manager.tasks.cases_allocate_all",
    "manager.tasks.cases_rotate_all",
    "manager.tasks.month_end_snapshots_refresh",
    "manager.tasks.scores_recompute",
    "audit.tasks.chain_seal",
    "audit.tasks.retention_purge",
    "exchange.tasks.import_files_purge",
    "compliance.tasks.eligibility_refresh",
)
CELERY_TASK_ROUTES = (
    {name: {"queue": CELERY_BACKGROUND_QUEUE} for name in BACKGROUND_TASKS}
    if CELERY_BACKGROUND_QUEUE
    else {}
)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "heartbeat": {"task": "collections_app.tasks.heartbeat", "schedule": 60.0},
    "audit-chain-seal": {"task": "audit.tasks.chain_seal", "schedule": 60.0},
    "audit-retention-purge": {"task": "audit.tasks.retention_purge", "schedule": 86400.0},
    "exchange-files-purge": {"task": "exchange.tasks.import_files_purge", "schedule": 86400.0},
    "exchange-import-requeue": {"task": "exchange.tasks.import_requeue", "schedule": 300.0},
    "reminders-dispatch": {"task": "messaging.tasks.reminders_dispatch_due", "schedule": 60.0},
    "eligibility-refresh": {"task": "compliance.tasks.eligibility_refresh", "schedule": 60.0},
    "scores-recompute": {
        "task": "manager.tasks.scores_recompute",
        "schedule": crontab(hour=2, minute=0),
    },
    "cases-allocate": {"task": "manager.tasks.cases_allocate_all", "schedule": 900.0},
    "cases-rotate": {
        "task": "manager.tasks.cases_rotate_all",
        "schedule": crontab(hour=3, minute=0),
    },
    "month-end-snapshots": {
        "task": "manager.tasks.month_end_snapshots_refresh",
        "schedule": crontab(hour=0, minute=20),
    },
    "portfolio-summaries": {
        "task": "manager.tasks.portfolio_summaries_refresh",
        "schedule": 300.0,
    },
}
# Stored batch eligibility answers that nobody asked for in this many days are dropped (and no
# longer refreshed): a campaign that ended stops costing the refresher.
ELIGIBILITY_KEEP_DAYS = env.int("ELIGIBILITY_KEEP_DAYS", default=7)
# A manager dashboard reads its portfolio figures from a summary younger than this.
DASHBOARD_SUMMARY_MAX_AGE = env.int("DASHBOARD_SUMMARY_MAX_AGE", default=900)

# --- Messaging --------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "outbox" / "email"))
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="collections@example.com")
SMS_BACKEND = env("SMS_BACKEND", default="file")
SMS_FILE_PATH = env("SMS_FILE_PATH", default=str(VAR_DIR / "outbox" / "sms"))
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", default="")
WECHAT_BACKEND = env("WECHAT_BACKEND", default="file")
WECHAT_FILE_PATH = env("WECHAT_FILE_PATH", default=str(VAR_DIR / "outbox" / "wechat"))
WECHAT_GATEWAY_URL = env("WECHAT_GATEWAY_URL", default="")
WECHAT_GATEWAY_TOKEN = env("WECHAT_GATEWAY_TOKEN", default="")
# Reminder and message delivery (messaging app). The webhook token authenticates providers'
# delivery receipts and replies; empty refuses every call.
MESSAGING_WEBHOOK_TOKEN = env("MESSAGING_WEBHOOK_TOKEN", default="")
MESSAGING_QUEUE = env("MESSAGING_QUEUE", default="celery")
MESSAGING_EMAIL_BACKEND = env("MESSAGING_EMAIL_BACKEND", default="")
MESSAGING_GATEWAY_TIMEOUT = env.float("MESSAGING_GATEWAY_TIMEOUT", default=10.0)
MESSAGING_GATEWAY_RETRIES = env.int("MESSAGING_GATEWAY_RETRIES", default=3)
MESSAGING_GATEWAY_BACKOFF = env.float("MESSAGING_GATEWAY_BACKOFF", default=1.0)
MESSAGING_DISPATCH_BATCH = env.int("MESSAGING_DISPATCH_BATCH", default=500)
# Reminders judged by the gate and sent by one task (one debtor lock, one snapshot, bulk writes).
MESSAGING_SEND_BATCH = env.int("MESSAGING_SEND_BATCH", default=200)
MESSAGING_STUCK_AFTER_SECONDS = env.int("MESSAGING_STUCK_AFTER_SECONDS", default=300)
REMINDER_DAYS_BEFORE = env.int("REMINDER_DAYS_BEFORE", default=3)

# --- PII --------------------------------------------------------------------------------------
# Keys for fields encrypted at rest (Fernet). The first encrypts; all decrypt, so a key can be
# rotated by putting the new one first and re-saving (manage.py rotate_field_keys).
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS",
    default=["mFq2xH3o2cXbQ9y0wY8a7r1lK6tZ5sV4uN3pJ2iH1gE=" if DEBUG else ""],
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
