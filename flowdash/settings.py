"""flowdash settings: one file, driven by the environment, with safe defaults for a laptop.

The variable names are a contract (see design.md and docker-compose.yml). Every name is read
through ``env`` so ``ENV_NAMES`` lists exactly what this file reads.
"""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

from kombu import Queue

from flowdash.lib.env import (
    ConfigError,
    EnvReader,
    check_redis_url,
    database_config,
    media_storage_config,
    secret_key_from_data_dir,
)
from flowdash.lib.object_storage import media_backend, storage_settings

BASE_DIR = Path(__file__).resolve().parent.parent
env = EnvReader()

TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")

# --- Folders -----------------------------------------------------------------------------------
DATA_DIR = Path(env.str("FLOWDASH_DATA_DIR", str(BASE_DIR / "data"))).resolve()
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

# --- Core --------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", False)
SECRET_KEY = env.str("SECRET_KEY") or secret_key_from_data_dir(DATA_DIR)
FLOWDASH_ENCRYPTION_KEY = env.str("FLOWDASH_ENCRYPTION_KEY")

PUBLIC_URL = (env.str("FLOWDASH_PUBLIC_URL") or "").rstrip("/")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])
if PUBLIC_URL:
    public = urlparse(PUBLIC_URL)
    if public.hostname and public.hostname not in ALLOWED_HOSTS:
        ALLOWED_HOSTS.append(public.hostname)
    origin = f"{public.scheme}://{public.netloc}"
    if origin not in CSRF_TRUSTED_ORIGINS:
        CSRF_TRUSTED_ORIGINS.append(origin)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "flowdash.team",
    "flowdash.accounts",
    "flowdash.assets",
    "flowdash.jobs",
    "flowdash.postprod",
    "flowdash.gallery",
    "flowdash.stats",
    "flowdash.dashboard",
    "flowdash.system",
    "flowdash.simulator",
    "axes",
    "csp",
    "flowdash.api",
    "flowdash.notify",
    "flowdash.spending",
    "flowdash.batches",
]

MIDDLEWARE = [
    "flowdash.system.metrics.RequestLatencyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "flowdash.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "flowdash.team.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "flowdash.middleware.HtmxMessagesMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "flowdash.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "flowdash.urls"
WSGI_APPLICATION = "flowdash.wsgi.application"

TEMPLATE_LOADERS = [
    "django.template.loaders.filesystem.Loader",
    "django.template.loaders.app_directories.Loader",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "flowdash.team.context.roles",
                "flowdash.team.context.layout_links",
                "flowdash.accounts.context.connection",
            ],
            "builtins": ["template_partials.templatetags.partials"],
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    # Parsed once per process outside DEBUG (a page costs ~10 ms less).
                    TEMPLATE_LOADERS
                    if DEBUG
                    else [("django.template.loaders.cached.Loader", TEMPLATE_LOADERS)],
                )
            ],
        },
    }
]

# --- Database ----------------------------------------------------------------------------------
DATABASES = {
    "default": database_config(
        env.str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'flowdash.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so that a worker process started by a test sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-flowdash.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The gallery's covering index (gallery migration 0006) INCLUDEs a column on PostgreSQL; SQLite
# builds the same index without it, which Django reports as models.W040 on every command.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Redis and Celery --------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL")
EMBEDDED_REDIS_SOCKET = DATA_DIR / "redis" / "redis.sock"
if REDIS_URL:
    CELERY_BROKER_URL = check_redis_url(REDIS_URL)
else:
    CELERY_BROKER_URL = f"redis+socket://{EMBEDDED_REDIS_SOCKET}"
CELERY_CONCURRENCY = env.int("CELERY_CONCURRENCY", 16)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# The job pipeline's queues (flowdash/jobs/nudges.py). A worker started without -Q serves all of
# them, strictly in this order: the reconciler, result downloads (a hand-off to the worker's
# download threads, milliseconds each), later steps of jobs (checks, retries), new submissions
# and every other task.
CELERY_TASK_QUEUES = [
    Queue(name) for name in ("flowdash.control", "flowdash.downloads", "flowdash.steps", "celery")
]
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "flowdash.jobs.tasks.reconcile_jobs": {"queue": "flowdash.control"},
    "flowdash.jobs.tasks.drive_job": {"queue": "flowdash.steps"},
    "flowdash.jobs.tasks.download_media": {"queue": "flowdash.downloads"},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "queue_order_strategy": "priority",
    # A refusing or hung Redis must never hold a page (design.md rule 9): bounded sockets; the
    # job row is the outbox and the reconciler sends what a dead broker swallowed.
    "socket_timeout": env.float("FLOWDASH_BROKER_SOCKET_TIMEOUT", 5.0),
    "socket_connect_timeout": env.float("FLOWDASH_BROKER_CONNECT_TIMEOUT", 2.0),
}
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("FLOWDASH_BROKER_CONNECT_TIMEOUT", 2.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# The job reconciler (design.md rule 2): re-sends due jobs and downloads whose message or timer
# was lost. Later steps (checks, retries) are sent on time by each worker's timer thread.
RECONCILE_SECONDS = env.float("FLOWDASH_RECONCILE_SECONDS", 5.0)
# Scales the job pipeline's waits (checks near the documented generation time): unset = the
# simulator's speed in sandbox mode, 1 with the real service.
FLOWDASH_JOB_TIME_SCALE = env.float("FLOWDASH_JOB_TIME_SCALE", 0.0) or None
# A job's time budget (nominal minutes, scaled like every wait): outages of the API (refused,
# 429, 503) are waited out until then, and an ambiguous submission is looked for by itself.
FLOWDASH_JOB_DEADLINE_MINUTES = env.float("FLOWDASH_JOB_DEADLINE_MINUTES", 30.0)
# How long a page waits for the broker to take a job's nudge (seconds); past it the page answers
# and the reconciler sends the job.
FLOWDASH_NUDGE_WAIT_SECONDS = env.float("FLOWDASH_NUDGE_WAIT_SECONDS", 0.3)
# After a webhook names a job that a task holds, the task keeps it at most this long (seconds)
# before the reconciler may take it over (a killed worker's lease is not waited out).
FLOWDASH_HINT_GRACE_SECONDS = env.float("FLOWDASH_HINT_GRACE_SECONDS", 15.0)
# Which class drives each job kind (flowdash/jobs/kinds.py): one explicit table, read on first use.
FLOWDASH_KIND_HANDLERS = {
    "image": "flowdash.jobs.handlers.ImageHandler",
    "video": "flowdash.jobs.handlers.VideoHandler",
    "asset_upload": "flowdash.jobs.handlers.AssetUploadHandler",
    "image_upscale": "flowdash.postprod.handlers.ImageUpscaleHandler",
    "video_upscale": "flowdash.postprod.handlers.VideoUpscaleHandler",
    "extend": "flowdash.postprod.handlers.ExtendHandler",
    "gif": "flowdash.postprod.handlers.GifHandler",
    "concatenate": "flowdash.postprod.handlers.ConcatenateHandler",
}


def every(task: str, seconds: float, expires: float, **options) -> dict:
    """A beat entry: ``task`` every ``seconds``; a message not taken within ``expires`` seconds
    is dropped (the next one is on its way)."""
    return {"task": task, "schedule": seconds, "options": {"expires": expires, **options}}


CELERY_BEAT_SCHEDULE: dict = {
    "sync-accounts": every("flowdash.accounts.tasks.sync_accounts_task", 180.0, 170),
    "load-balancing-snapshot": every("flowdash.stats.tasks.snapshot_load_task", 20.0, 18),
    "captcha-stats-snapshot": every("flowdash.stats.tasks.snapshot_captcha_stats_task", 600.0, 590),
    "captcha-providers": every(
        "flowdash.accounts.tasks.refresh_captcha_providers_task", 900.0, 890
    ),
    "prune-snapshots": every("flowdash.stats.tasks.prune_snapshots_task", 3600.0, 3500),
    "clear-expired-sessions": every(
        "flowdash.team.tasks.clear_expired_sessions_task", 3600.0, 3500
    ),
    "reconcile-jobs": every(
        "flowdash.jobs.tasks.reconcile_jobs", RECONCILE_SECONDS, RECONCILE_SECONDS * 0.9
    ),
    "send-alert-emails": every("flowdash.accounts.tasks.send_alert_emails_task", 30.0, 28),
    "prune-account-history": every(
        "flowdash.accounts.tasks.prune_account_history_task", 3600.0, 3500
    ),
    "database-statistics": every(
        "flowdash.stats.tasks.refresh_database_statistics_task", 3600.0, 3500
    ),
}

# --- Notifications and the REST API (flowdash/notify, flowdash/api) ----------------------------
# Beat derives events (jobs that ended, account alerts, captcha credits) this often and re-sends
# deliveries whose nudge was lost.
NOTIFY_SCAN_SECONDS = env.float("FLOWDASH_NOTIFY_SCAN_SECONDS", 5.0)
CELERY_BEAT_SCHEDULE["notify-scan"] = every(
    "flowdash.notify.tasks.scan_notifications_task", NOTIFY_SCAN_SECONDS, NOTIFY_SCAN_SECONDS * 0.9
)
# Notification URLs on loopback or private addresses are refused unless this is on.
FLOWDASH_NOTIFY_ALLOW_PRIVATE = env.bool("FLOWDASH_NOTIFY_ALLOW_PRIVATE", False)
FLOWDASH_NOTIFY_DEADLINE_HOURS = env.float("FLOWDASH_NOTIFY_DEADLINE_HOURS", 24.0)
FLOWDASH_NOTIFY_TIMEOUT_SECONDS = env.float("FLOWDASH_NOTIFY_TIMEOUT_SECONDS", 10.0)
FLOWDASH_CAPTCHA_CREDIT_ALERT = env.int("FLOWDASH_CAPTCHA_CREDIT_ALERT", 50)
# Calls per minute allowed to one API key (kept in Redis).
FLOWDASH_API_RATE_LIMIT = env.int("FLOWDASH_API_RATE_LIMIT", 120)
# Batches (flowdash/batches): rows are released to the job queue in small waves so a batch never
# holds a worker slot per row nor starves a single job sent after it. A running batch keeps at
# most FLOWDASH_BATCH_BUFFER of its jobs queued (not yet sent); beat tops it up every
# FLOWDASH_BATCH_RELEASE_SECONDS.
FLOWDASH_BATCH_BUFFER = env.int("FLOWDASH_BATCH_BUFFER", 8)
FLOWDASH_BATCH_RELEASE_SECONDS = env.float("FLOWDASH_BATCH_RELEASE_SECONDS", 2.0)
# beside the reconciler: a wave is not held up by the backlog of other tasks
# (a late one still helps: releasing is idempotent, each row claimed before its job is made)
CELERY_BEAT_SCHEDULE["release-batch-rows"] = every(
    "flowdash.batches.tasks.release_batches_task",
    FLOWDASH_BATCH_RELEASE_SECONDS,
    max(FLOWDASH_BATCH_RELEASE_SECONDS * 0.9, 5.0),
    queue="flowdash.control",
)
CELERY_BEAT_SCHEDULE["settle-job-charges"] = every(
    "flowdash.spending.tasks.settle_charges_task", 60.0, 55
)

# --- The useapi.net Google Flow API and its simulator ------------------------------------------
USEAPI_REAL_BASE_URL = "https://api.useapi.net/v1/google-flow"
USEAPI_TOKEN = env.str("USEAPI_TOKEN")
USEAPI_BASE_URL = (env.str("USEAPI_BASE_URL") or USEAPI_REAL_BASE_URL).rstrip("/")
FLOWDASH_SIM_PORT = env.int("FLOWDASH_SIM_PORT", 8765)
# The web server's port for `make run` (the Procfile and the launch text read it).
FLOWDASH_PORT = env.int("FLOWDASH_PORT", 8000)
if not 1 <= FLOWDASH_PORT <= 65535:
    raise ConfigError("FLOWDASH_PORT", f"must be a port number (1-65535), not {FLOWDASH_PORT}")
FLOWDASH_SIM_TOKEN = env.str("FLOWDASH_SIM_TOKEN", "user:1000-sandbox")
FLOWDASH_SIM_SPEED = env.float("FLOWDASH_SIM_SPEED", 20.0)
# The era the sandbox simulator speaks (2026-12 when unset); the client speaks the same one to it.
FLOWDASH_SIM_API = env.str("FLOWDASH_SIM_API")
if FLOWDASH_SIM_API not in (None, "2026-02", "2026-12"):
    raise ConfigError("FLOWDASH_SIM_API", f"must be 2026-02 or 2026-12, not {FLOWDASH_SIM_API!r}")
SANDBOX_BASE_URL = f"http://127.0.0.1:{FLOWDASH_SIM_PORT}/v1/google-flow"
# None = decide at run time: on while no token is configured (env or Settings page).
_sandbox = env.str("FLOWDASH_SANDBOX")
FLOWDASH_SANDBOX = None if _sandbox is None else env.bool("FLOWDASH_SANDBOX", False)

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT: Path | None = Path(env.str("FLOWDASH_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
SERVE_FROM_FINDERS = DEBUG or TESTING
if SERVE_FROM_FINDERS and not STATIC_ROOT.exists():
    STATIC_ROOT = None  # nothing collected: whitenoise serves straight from static/
# Media (results, thumbnails, assets): FileSystemStorage under MEDIA_ROOT unless a storage class
# is named, e.g. storages.backends.s3.S3Storage (pip install 'flowdash[s3]'; see the README).
STORAGES = {
    "default": media_storage_config(
        env.str("FLOWDASH_MEDIA_STORAGE"), env.json_object("FLOWDASH_MEDIA_STORAGE_OPTIONS")
    ),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if SERVE_FROM_FINDERS
        else "flowdash.lib.static_files.StaticFilesStorage"
    },
}
# S3 media: uploads in bounded parts, files on disk from their path (flowdash/lib/object_storage.py),
# nothing added otherwise.
STORAGES["default"]["BACKEND"] = media_backend(STORAGES["default"]["BACKEND"])
globals().update(storage_settings(STORAGES["default"]["BACKEND"]))
WHITENOISE_MANIFEST_STRICT = False
# Uploads too big to keep in memory are spooled here, not in the system temp folder, so that
# `manage.py check_storage` finds what a web process killed mid-upload left behind.
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "tmp" / "uploads")
with contextlib.suppress(OSError):  # read-only data folder: Django reports the upload error
    Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = SERVE_FROM_FINDERS

# --- Email (optional: alert emails to admins) --------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL")
if EMAIL_URL:
    from flowdash.lib.email_url import email_settings

    globals().update(email_settings(EMAIL_URL))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "flowdash <flowdash@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- People ------------------------------------------------------------------------------------
LOGIN_URL = "team:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "team:login"
# Sign-in throttle: django-axes guards every login path through Django's authentication signals
# (our page and /django-admin/login/ alike). 5 failures for one user name, or from one address,
# refuse that name / address until 15 minutes have passed without a failure.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the role with the person (one query per page less).
    "flowdash.team.backends.RoleBackend",
]
# Django's database sessions with the person's id beside them (team.Session): the session, the
# person and their role are one plain query on every page (team/sessions.py, team/middleware.py).
SESSION_ENGINE = "flowdash.team.sessions"
# Each web process's own cache: the gallery's cards, filter menus and plan choices, and the
# token's masked form. Django's default keeps 300 entries and throws out a third when full: two
# pages of 96 cards filled it, and the menus, plan choices and masked token went with the cards
# (a query each, on the next page). Cards are 1-2 KB, so this is at most some 20 MB.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
}
AXES_FAILURE_LIMIT = env.int("FLOWDASH_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # tries while refused do not extend it
AXES_DISABLE_ACCESS_LOG = True  # failures are kept (and expire); successes are not logged
AXES_VERBOSE = False  # no banner on every manage.py command
AXES_CLIENT_IP_CALLABLE = "flowdash.team.services.client_ip"
AXES_LOCKOUT_CALLABLE = "flowdash.team.views.locked_out_response"
# The first admin's password for `make run` / `manage.py launch`; generated and printed when unset.
FLOWDASH_ADMIN_PASSWORD = env.str("FLOWDASH_ADMIN_PASSWORD")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

# --- Security (check --deploy is clean when DEBUG is off) --------------------------------------
HTTPS = env.bool("FLOWDASH_HTTPS", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and not TESTING
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 30 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REFERRER_POLICY = "same-origin"
# Probes and scrapes over plain http inside the network (compose's healthcheck) are not redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$", r"^metrics$"]
# Behind a reverse proxy: the client's address is the X-Forwarded-For entry the trusted proxies
# appended (the FLOWDASH_PROXY_COUNT-th from the right), never the client-written first entry.
FLOWDASH_BEHIND_PROXY = env.bool("FLOWDASH_BEHIND_PROXY", False)
FLOWDASH_PROXY_COUNT = env.int("FLOWDASH_PROXY_COUNT", 1)
if FLOWDASH_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# --- Content-Security-Policy (django-csp) on every response ---------------------------------------
# Scripts only from our own static files: no inline script, no eval, no CDN. Style elements only
# from static/ too (htmx's own indicator style is switched off by a meta tag in base.html and lives
# in flowdash.css); style="" attributes stay allowed for progress bars and chart swatches.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Logging: never the token ------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "flowdash.lib.redact.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    # django-axes logs every sign-in at INFO; lockouts (WARNING) are what an admin needs.
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- The engine's view (flowdash/system): /metrics needs this bearer token (unset: 401) ------------
FLOWDASH_METRICS_TOKEN = env.str("FLOWDASH_METRICS_TOKEN")

os.environ.setdefault("FLOWDASH_DATA_DIR", str(DATA_DIR))
ENV_NAMES = frozenset(env.names)
