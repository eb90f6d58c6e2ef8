"""Settings for every environment, read from environment variables.

Production is configured entirely through the variables documented in README.md;
a malformed value stops start-up with ImproperlyConfigured naming the variable.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from crm.settings import env

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env.read_bool("DEBUG", default=False)
SECRET_KEY = env.read_str(
    "SECRET_KEY",
    default="insecure-development-key-set-SECRET_KEY-in-production" if DEBUG else None,
)
if not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure")):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters when DEBUG is off.")

# Fernet keys for credentials at rest (crm/secrets.py); empty derives one from SECRET_KEY.
CREDENTIALS_KEYS = env.read_list("CREDENTIALS_KEYS", default=[])

ALLOWED_HOSTS = env.read_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.read_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.forms",
    "django_htmx",
    "template_partials",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI files for /api/v1/docs/
    "crm",
    "customers",
    "interactions",
    "analytics",
    "campaigns",
    "service_desk",
    "integrations",
    "followups",
    "notifications",
    "mail",
    "sms",
    "inbox",
    "imports",
    "support",
    "sla",
    "feedback",
    "segments",
    "audit",
    "privacy",
    "workspace",
    "security",
    "shipments",
    "operator_console",
    "axes",  # login throttling (security app)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "security.middleware.RequestSizeLimitMiddleware",  # 413 before a too-large body is read
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "operator_console.middleware.ImpersonationMiddleware",  # a superuser acting as a tenant admin (session keys)
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "integrations.middleware.ApiKeyMiddleware",  # an API key's member becomes the user, in its workspace
    "crm.tenancy.middleware.TenantMiddleware",
    "security.middleware.SessionSecurityMiddleware",  # idle timeout, last seen, the two-factor step
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the login page saying when to retry
]

ROOT_URLCONF = "crm.urls"
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"  # widget templates may live in templates/
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "crm.context_processors.workspace",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------
# Two roles: the owner runs migrations and owns the tables; the runtime role used
# by web and workers has no superuser and no BYPASSRLS, so row-level security
# always applies to it (ARCHITECTURE.md, "Tenancy").
DB_ENGINE = "crm.db.backends.postgresql"
CONN_MAX_AGE = env.read_int("CONN_MAX_AGE", default=60)

if env.is_set("DATABASE_URL"):
    _runtime = env.read_database_url("DATABASE_URL")
    if not env.is_set("DATABASE_OWNER_URL"):
        raise ImproperlyConfigured(
            "DATABASE_OWNER_URL must be set with DATABASE_URL: migrations run as the table owner, "
            "the app as the runtime role (see README, Configuration)."
        )
    _owner = env.read_database_url("DATABASE_OWNER_URL")
    EMBEDDED_DATABASE = False
else:
    from crm.embedded_db import embedded_database_configs

    _runtime, _owner = embedded_database_configs(BASE_DIR / ".pgdata")
    EMBEDDED_DATABASE = True

DATABASES = {
    "default": {
        **_runtime,
        "ENGINE": DB_ENGINE,
        "CONN_MAX_AGE": CONN_MAX_AGE,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {**_runtime.get("OPTIONS", {}), "runtime_role": True},
        # Tests create and migrate the database as the owner, then run as the runtime role.
        "TEST": {"MIRROR": "owner"},
    },
    "owner": {
        **_owner,
        "ENGINE": DB_ENGINE,
        "CONN_MAX_AGE": 0,
        "TEST": {"SERIALIZE": False},
    },
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "crm.User"
AUTHENTICATION_BACKENDS = [
    "security.backends.ThrottlingBackend",  # django-axes: refuses a locked-out user+IP before the password check
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SIGNUP_ENABLED = env.read_bool("SIGNUP_ENABLED", default=True)

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG  # serve straight from static/ while developing
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "media/"

# --- Email ------------------------------------------------------------------
vars().update(env.read_email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.read_str("DEFAULT_FROM_EMAIL", default="CRM <noreply@localhost>")
# Where users reach the app, for links in mail sent outside a request (reminders, notices).
# Incoming mail: the domain of each workspace's BCC/forward dropbox address (its MX must point at
# `manage.py inbox_smtpd`) and the largest message taken; uploads and attachments have their caps too.
INBOUND_MAIL_DOMAIN = env.read_str("INBOUND_MAIL_DOMAIN", default="inbound.localhost")
INBOUND_MAIL_MAX_BYTES = env.read_int("INBOUND_MAIL_MAX_BYTES", default=25 * 1024 * 1024)
INTERACTION_ATTACHMENT_MAX_BYTES = env.read_int("INTERACTION_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_UPLOAD_BYTES = env.read_int("IMPORT_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
# Unset in production, links in such mail are relative and `manage.py check` warns (crm/checks.py).
SITE_URL = env.read_str("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -----------------------------------------------------------------
REDIS_URL = env.read_redis_url("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL
# Without Redis the app still works: tasks run in-process (embedded default).
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_SOFT_TIME_LIMIT = env.read_int("CELERY_TASK_SOFT_TIME_LIMIT", default=600, minimum=1)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# celery beat (a separate process in the full stack). Each entry is a dispatcher that queues one run
# per active tenant, staggered; the per-tenant runs skip a tenant whose previous run is still going.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "data-quality-nightly": {  # clean first: scoring and segments read the cleaned values
        "task": "analytics.data_quality_nightly",
        "schedule": crontab(hour=1, minute=0),
    },
    "scoring-nightly": {  # then score: analytics.schedule_nightly_runs queues one run per tenant
        "task": "analytics.schedule_nightly_runs",
        "schedule": crontab(hour=3, minute=0),
    },
    "inbox-imap-poll": {"task": "inbox.schedule_imap_polls", "schedule": crontab(minute="*/5")},  # one poll per tenant
    "task-reminders": {"task": "followups.dispatch_reminders", "schedule": 60.0},  # due reminders, per tenant
    "sla-sweep": {"task": "sla.dispatch_sweeps", "schedule": 60.0},  # SLA clocks, breaches, escalations per tenant
    "support-csat-surveys": {"task": "support.schedule_csat_sweeps", "schedule": 300.0},  # surveys of solved tickets
    "support-requeue-notices": {"task": "support.requeue_stuck_notices", "schedule": 300.0},  # lost automatic emails
    "sms-requeue-stuck": {"task": "sms.requeue_stuck", "schedule": 300.0},  # SMS whose send task was lost
    "imports-requeue-stale": {"task": "imports.requeue_stale_imports", "schedule": 300.0},  # imports whose worker died
    "idempotency-sweep": {"task": "crm.sweep_idempotency_keys", "schedule": crontab(minute=17)},  # keys over a day old
    "campaigns-tick": {"task": "campaigns.tick", "schedule": 60.0},  # due campaigns, A/B winners, dead claims
    "webhook-deliveries": {"task": "integrations.sweep_webhook_deliveries", "schedule": 30.0},  # retries due
    "audit-retention": {"task": "audit.schedule_retention_sweeps", "schedule": crontab(hour=2, minute=40)},  # old rows
    "privacy-retention": {"task": "privacy.schedule_retention_rules", "schedule": crontab(hour=2, minute=50)},  # rules
}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- Forms and API ------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: its WWW-Authenticate header makes a missing or bad key a 401 rather than a 403.
        "integrations.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "integrations.api_auth.ApiKeyScopeAllows",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["integrations.api_auth.ApiKeyRateThrottle"],
}
# Requests per API key (Redis counts them; over the limit: 429 with Retry-After). DRF rate syntax.
API_KEY_RATE = env.read_str("API_KEY_RATE", default="600/min")
# Webhooks and pull connectors refuse private, loopback and link-local addresses unless this is on
# (an on-premises receiver; the tests' local servers).
INTEGRATIONS_ALLOW_PRIVATE_HOSTS = env.read_bool("INTEGRATIONS_ALLOW_PRIVATE_HOSTS", default=False)
SPECTACULAR_SETTINGS = {
    "TITLE": "CRM API",
    "VERSION": "1.0.0",
    "DESCRIPTION": "Authenticate with `Authorization: Bearer <API key>` (Settings → API keys) or a browser session.",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our static files: no CDN, and CSP allows only 'self'
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several resources have a "status", "kind", "priority" or "channel": each choice set gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "service_desk.models.TicketStatus",
        "TicketPriorityEnum": "service_desk.models.TicketPriority",
        "TicketChannelEnum": "service_desk.models.TicketChannel",
        "TicketMessageKindEnum": "service_desk.models.MessageKind",
        "TaskStatusEnum": "followups.models.TaskStatus",
        "TaskPriorityEnum": "followups.models.TaskPriority",
        "InteractionKindEnum": "interactions.models.InteractionKind",
        "SocialChannelEnum": "interactions.models.SocialChannel",
        "OrderStatusEnum": "customers.models.OrderStatus",
        "ShipmentStatusEnum": "shipments.models.ShipmentStatus",
        "ImportStatusEnum": "imports.models.ImportStatus",
        "ImportModeEnum": "imports.models.ImportMode",
        "PreferredChannelEnum": "customers.models.PreferredChannel",
        "LifecycleStageEnum": "customers.models.LifecycleStage",
    },
}

# --- Security (the security app; README.md, "Security settings") ---------------------
# Sessions: the cookie lives SESSION_COOKIE_AGE seconds (two weeks); SESSION_IDLE_TIMEOUT (seconds, 0 = off)
# signs out a session unused that long. Each sign-in is tracked (security.UserSession) so a user can end
# one session or all the others ("log out everywhere").
SESSION_COOKIE_AGE = env.read_int("SESSION_COOKIE_AGE", default=14 * 24 * 3600, minimum=60)
SESSION_IDLE_TIMEOUT = env.read_int("SESSION_IDLE_TIMEOUT", default=0)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag; keep default.
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Behind a TLS-terminating proxy: the header it sets (SECURE_PROXY_SSL_HEADER=none when there is no proxy,
# so a client cannot claim https) and how many proxies append to X-Forwarded-For (the client IP that login
# throttling and the session list see; 0 = REMOTE_ADDR).
_proxy_header = env.read_str("SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto")
if _proxy_header.lower() != "none":
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
TRUSTED_PROXY_COUNT = env.read_int("TRUSTED_PROXY_COUNT", default=0)
if not DEBUG:
    SECURE_SSL_REDIRECT = env.read_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.read_int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.read_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.read_bool("SECURE_HSTS_PRELOAD", default=True)

# Content-Security-Policy (django-csp): no inline or eval'd script anywhere; JSON data islands
# (json_script) are not executed, so charts get their data that way. Inline style attributes stay allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

# Upload limits, enforced before the body is read: a request declaring a larger Content-Length gets 413
# (security.middleware.RequestSizeLimitMiddleware). The default is the largest upload any page takes plus
# room for the multipart envelope. Form fields and small files are held in memory up to these sizes.
REQUEST_MAX_BODY_BYTES = env.read_int(
    "REQUEST_MAX_BODY_BYTES",
    default=max(INBOUND_MAIL_MAX_BYTES, INTERACTION_ATTACHMENT_MAX_BYTES, IMPORT_MAX_UPLOAD_BYTES) + 1024 * 1024,
    minimum=1024,
)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.read_int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.read_int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024, minimum=1024)

# Login throttling (django-axes): LOGIN_FAILURE_LIMIT failed sign-ins for the same user from the same IP
# lock that pair out for LOGIN_COOLOFF_MINUTES (the same user from another IP still gets in); the login
# page says when to retry and a workspace admin can unlock a member on the security page.
AXES_FAILURE_LIMIT = env.read_int("LOGIN_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.read_int("LOGIN_COOLOFF_MINUTES", default=15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "security.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "security.ip.client_ip"
AXES_USERNAME_CALLABLE = "security.lockout.normalised_username"
AXES_USERNAME_FORM_FIELD = "username"  # the login form's field (the user model's is "email")
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

# Two-factor (django-otp): TOTP apps show this name; security.TenantSecurity makes it mandatory per workspace.
OTP_TOTP_ISSUER = env.read_str("OTP_TOTP_ISSUER", default="CRM")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.read_str("LOG_LEVEL", default="INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}, "axes": {"level": "WARNING"}},  # sign-ins are audited
}
