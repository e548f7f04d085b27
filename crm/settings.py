"""Settings for the CRM, read from the environment.

Defaults give a self-contained install (SQLite, no Redis, Celery on a folder
transport). Production sets DEBUG=false plus the variables listed in the README.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Only a DEBUG install may fall back to a throwaway key; production must set one.
SECRET_KEY = env("SECRET_KEY") if not DEBUG else env("SECRET_KEY", default="dev-only-insecure-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # trigram lookups for the duplicate check; harmless on SQLite
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our static files (no CDN)
    "accounts",
    "crm",
    "crm.evidence",
    "crm.webhooks",
    "visits",
    "claims",
    "crm.complaints",  # after claims: its demo data builds on every app's demo people and customers
    "crm.deals",  # likewise
    "claims.board",
    "claims.imports",
]

MIDDLEWARE = [
    "crm.request_log.RequestLogMiddleware",  # first: the request id is on every line, the access line times it all
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.AuditRequestMiddleware",  # the client's address for audit entries services write
    "crm.middleware.UnroutablePathMiddleware",  # NUL or over-long path segments: 404 before any view
    "crm.middleware.DatabaseUnavailableMiddleware",  # before the login check: a 503 page when the database is down
    "crm.middleware.RequestBudgetMiddleware",  # after it, so that a cancelled statement is "too slow", not "down"
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
# Seconds a request may run before it ends with the app's "took too long" page (0: no limit). gunicorn.conf.py
# sets it below gunicorn's own worker timeout, which would end it with a bare page of gunicorn's.
REQUEST_BUDGET_SECONDS = env.float("REQUEST_BUDGET_SECONDS", default=0)
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
                "accounts.context_processors.navigation",
                "crm.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "crm.sqlite"  # table rebuilds that keep the triggers (crm/sqlite/base.py)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's default random_page_cost (4) prices disks that seek. On SSDs, with the working set
    # in memory, an index walk over one team's customers costs far less than that and the default
    # makes the planner scan all 100k customers instead (board: 190 ms -> 47 ms for its main query).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c random_page_cost={env.float('PG_RANDOM_PAGE_COST', default=1.1)}"
        # No parallel workers by default: the app's statements take milliseconds, and starting a worker process
        # took 15-20 of them (a Chinese search in the box at 1,000,000 customers: 3 ms of work, 22 ms with one).
        f" -c max_parallel_workers_per_gather={env.int('PG_PARALLEL_WORKERS', default=0)}"
    )
    # Set for the web by gunicorn.conf.py (0: no limit, as for the worker's long jobs): a statement that runs
    # longer is cancelled, and the request ends with the app's own "took too long" page (crm.middleware).
    if statement_timeout := env.int("DATABASE_STATEMENT_TIMEOUT", default=0):
        DATABASES["default"]["OPTIONS"]["options"] += f" -c statement_timeout={statement_timeout}s"
    # A database host that does not answer fails a request within seconds (the 503 page), not minutes.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("PG_CONNECT_TIMEOUT", default=5))
else:
    # Covering columns of an index and NULLS NOT DISTINCT are PostgreSQL's speed-ups for large data (the week's
    # visits, the pipeline's kept totals, which SQLite counts live); the embedded demo database does without.
    SILENCED_SYSTEM_CHECKS = ["models.W040", "models.W047"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses further attempts once the limit is reached.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "crm.staticfiles.AppDirectoriesFinder",  # Django's, without ReDoc
]
# Uploaded attachments (crm/evidence). On the server's disk by default; with STORAGE_BUCKET set, in an
# S3-compatible object store (django-storages through boto3), which several web servers share. Never served
# from a public address: downloads go through a view that checks who asks (EVIDENCE_SERVE below).
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media-is-not-served/"  # nothing links here; files are read through crm.evidence.views
STORAGE_BUCKET = env("STORAGE_BUCKET", default="")
if STORAGE_BUCKET:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_BUCKET,
            "endpoint_url": env("STORAGE_URL", default="") or None,  # MinIO, Ceph...; unset: AWS itself
            "access_key": env("STORAGE_ACCESS_KEY", default="") or None,
            "secret_key": env("STORAGE_SECRET_KEY", default="") or None,
            "region_name": env("STORAGE_REGION", default="") or None,
            "location": env("STORAGE_PREFIX", default=""),
            "default_acl": "private",
            "querystring_auth": True,  # no object is readable without a signature; we never hand one out
            "file_overwrite": False,
            "addressing_style": env("STORAGE_ADDRESSING_STYLE", default="path"),  # MinIO wants path-style
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="crm@localhost")
# Where emails and calendar feeds link to: the address reps open in their browser.
SITE_URL = env("SITE_URL", default="http://localhost:8000").rstrip("/")

# --- Celery -----------------------------------------------------------------
# With REDIS_URL, Redis is broker and result store. Without it, a folder on disk
# is the broker so that one machine runs worker and beat with no extra server.
REDIS_URL = env("REDIS_URL", default="")
CELERY_FOLDER = Path(env("CELERY_FOLDER", default=str(VAR_DIR / "celery")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # A Redis that is down or hung answers within seconds, never holds a request or a worker forever.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = None
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FOLDER / "queue"),
        "data_folder_out": str(CELERY_FOLDER / "queue"),
        "processed_folder": str(CELERY_FOLDER / "processed"),
        "control_folder": str(CELERY_FOLDER / "control"),
        "store_processed": False,
    }
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# A job that dies with its worker goes back on the queue instead of vanishing.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers keep reconnecting through a broker outage of any length; a web request that enqueues
# (crm.tasks.enqueue) gives up within seconds: connecting within 2 s, publishing retried twice.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_FOLDER / "beat-schedule")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Imports have a queue of their own, so that a long import never holds up the scheduled jobs. A worker started
# without -Q consumes both; production may run one worker per queue (README).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery", routing_key="celery"), Queue("imports", routing_key="imports"))
CELERY_TASK_ROUTES = {"claims.imports.tasks.*": {"queue": "imports"}}
CELERY_BEAT_SCHEDULE = {
    "followup-sweep": {
        "task": "visits.tasks.followup_sweep_task",
        "schedule": crontab(
            hour=env.int("FOLLOWUP_SWEEP_HOUR", default=6), minute=env.int("FOLLOWUP_SWEEP_MINUTE", default=30)
        ),
    },
    "ownership-sweep": {
        "task": "claims.tasks.ownership_sweep_task",
        "schedule": crontab(
            hour=env.int("OWNERSHIP_SWEEP_HOUR", default=5), minute=env.int("OWNERSHIP_SWEEP_MINUTE", default=30)
        ),
    },
    "followup-digest": {
        "task": "visits.tasks.daily_digest_task",
        "schedule": crontab(
            hour=env.int("FOLLOWUP_DIGEST_HOUR", default=7), minute=env.int("FOLLOWUP_DIGEST_MINUTE", default=0)
        ),
    },
    "purchases-age-out": {
        "task": "crm.deals.tasks.purchases_age_out_task",
        "schedule": crontab(
            hour=env.int("PURCHASES_AGE_OUT_HOUR", default=0), minute=env.int("PURCHASES_AGE_OUT_MINUTE", default=20)
        ),
    },
    "weekly-digest": {
        "task": "claims.board.tasks.weekly_digest_task",
        "schedule": crontab(
            day_of_week="mon",
            hour=env.int("WEEKLY_DIGEST_HOUR", default=7),
            minute=env.int("WEEKLY_DIGEST_MINUTE", default=30),
        ),
    },
    "board-figures": {
        "task": "claims.board.tasks.board_figures_task",
        "schedule": timedelta(minutes=env.int("BOARD_FIGURES_MINUTES", default=2)),
    },
    "complaint-deadlines": {
        "task": "crm.complaints.tasks.complaint_deadline_task",
        "schedule": timedelta(minutes=env.int("COMPLAINT_CHECK_MINUTES", default=10)),
    },
    "stranded-customers": {
        "task": "claims.tasks.stranded_customers_task",
        "schedule": crontab(
            hour=env.int("STRANDED_CHECK_HOUR", default=5), minute=env.int("STRANDED_CHECK_MINUTE", default=45)
        ),
    },
    "evidence-sweep": {
        "task": "crm.evidence.tasks.evidence_sweep_task",
        "schedule": crontab(
            hour=env.int("EVIDENCE_SWEEP_HOUR", default=3), minute=env.int("EVIDENCE_SWEEP_MINUTE", default=15)
        ),
    },
    "evidence-pending": {
        "task": "crm.evidence.tasks.evidence_pending_task",
        "schedule": timedelta(minutes=env.int("EVIDENCE_PENDING_MINUTES", default=10)),
    },
    "webhook-retries": {
        "task": "crm.webhooks.tasks.webhook_retry_sweep_task",
        "schedule": timedelta(minutes=env.int("WEBHOOKS_SWEEP_MINUTES", default=5)),
    },
    "heartbeat": {
        "task": "crm.tasks.heartbeat",
        "schedule": timedelta(seconds=env.int("HEARTBEAT_SECONDS", default=300)),
    },
}

# --- The REST API (crm/api, /api/v1/) -------------------------------------------
REST_FRAMEWORK = {
    # A token first: without one, DRF answers 401 with WWW-Authenticate; the browser's session (CSRF enforced) next.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm.api.authentication.ApiTokenAuthentication",
        "crm.api.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["crm.api.permissions.IsCurrentUser", "crm.api.permissions.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["crm.api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "crm.api.pagination.Cursor",
    "DEFAULT_FILTER_BACKENDS": ["crm.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "crm.api.errors.exception_handler",
}
# Requests per token (per user for a browser session) and period: second, minute, hour or day.
API_RATE = env("API_RATE", default="120/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "Industrial CRM API",
    "DESCRIPTION": "Customers, registration, visits, the day's follow-ups, the pool, disputes, complaints. "
    "The same rules and visibility as the pages; errors as application/problem+json.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Like every page: for the people of the company.
    "SERVE_PERMISSIONS": ["crm.api.permissions.IsCurrentUser", "crm.api.permissions.TokenScope"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ComplaintStateEnum": "crm.complaints.models.State",
        "DisputeStateEnum": "claims.models.DisputeState",
        "ObjectionKindEnum": "visits.models.ObjectionKind",
        "OwnershipEventKindEnum": "claims.models.EventKind",
        "DisputeKindEnum": "claims.models.DisputeKind",
        "StatusEnum": "crm.models.Status",  # the customer's
        "DealStatusEnum": "crm.deals.models.Status",
        "BuyingRoleEnum": "crm.models.BuyingRole",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "crm.api.schema.add_problem_responses",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}
# The rate limit's counts: in Redis when set (all web workers count together), else in each worker's memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "api": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "api",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }  # fmt: skip
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api"}
    ),
    # Rendered form fields (`{% cache %}` with `form|fields_key`, crm/templatetags/form_fields.py): each process
    # keeps what its own templates rendered; the key holds all they render from, so nothing goes stale.
    "template_fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}

# --- Webhooks out (crm/webhooks, README "Webhooks") ---------------------------
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=5)  # per attempt: connect and answer
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=8)  # then the delivery has failed
# The pause after the n-th failed attempt: base × 2^(n-1), at most the maximum (1, 2, 4 … 64 minutes).
WEBHOOKS_RETRY_BASE_SECONDS = env.int("WEBHOOKS_RETRY_BASE_SECONDS", default=60)
WEBHOOKS_RETRY_MAX_SECONDS = env.int("WEBHOOKS_RETRY_MAX_SECONDS", default=3600)
WEBHOOKS_DISABLE_AFTER_FAILURES = env.int("WEBHOOKS_DISABLE_AFTER_FAILURES", default=5)  # failed deliveries in a row
WEBHOOKS_STALLED_MINUTES = env.int("WEBHOOKS_STALLED_MINUTES", default=10)  # a pending delivery this late is sent again
# Plain http:// to 127.0.0.1 or localhost (always allowed when DEBUG): a receiver on this machine, as in the tests.
WEBHOOKS_ALLOW_HTTP_LOCAL = env.bool("WEBHOOKS_ALLOW_HTTP_LOCAL", default=False)

# --- Imports ----------------------------------------------------------------
# What an uploaded spreadsheet may make the server do (claims/imports/parsing.py). A file past a limit is refused
# with a message naming it; the web request reads only the column titles, within its own budget.
IMPORT_MAX_UNPACKED_MB = env.int("IMPORT_MAX_UNPACKED_MB", default=200)  # an XLSX archive's parts, unpacked
IMPORT_MAX_COMPRESSION_RATIO = env.int("IMPORT_MAX_COMPRESSION_RATIO", default=100)  # any part over 1 MB
IMPORT_MAX_ZIP_ENTRIES = env.int("IMPORT_MAX_ZIP_ENTRIES", default=1000)  # a spreadsheet has a few dozen
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=1000)  # the export's widest row has 627
IMPORT_MAX_CELL_CHARS = env.int("IMPORT_MAX_CELL_CHARS", default=32_767)  # Excel's own limit for a cell
IMPORT_MAX_EMPTY_ROWS = env.int("IMPORT_MAX_EMPTY_ROWS", default=1000)  # in a row, before more data
IMPORT_MAX_HEADER_KB = env.int("IMPORT_MAX_HEADER_KB", default=64)  # where a CSV's titles must be
IMPORT_WEB_READ_SECONDS = env.float("IMPORT_WEB_READ_SECONDS", default=5)  # the upload's reading budget
IMPORT_WEB_SHEET_MB = env.int("IMPORT_WEB_SHEET_MB", default=8)  # of an XLSX sheet the upload reads at most
IMPORT_INLINE_MAX_KB = env.int("IMPORT_INLINE_MAX_KB", default=2048)  # larger files go to the worker
# A check or import task hands over to a fresh one after IMPORT_TASK_SECONDS; one still running at the soft
# limit is interrupted and its job fails with a message. A check that dies IMPORT_MAX_ATTEMPTS times without
# progress (its worker killed) fails instead of starting again.
IMPORT_TASK_SECONDS = env.int("IMPORT_TASK_SECONDS", default=240)
IMPORT_SOFT_TIME_LIMIT = env.int("IMPORT_SOFT_TIME_LIMIT", default=300)
IMPORT_MAX_ATTEMPTS = env.int("IMPORT_MAX_ATTEMPTS", default=3)

# --- Attachments (crm/evidence) ----------------------------------------------
EVIDENCE_MAX_FILE_MB = env.int("EVIDENCE_MAX_FILE_MB", default=20)  # one photo or document
EVIDENCE_MAX_RECORD_MB = env.int("EVIDENCE_MAX_RECORD_MB", default=100)  # all of one visit's or complaint's
EVIDENCE_MAX_FILES_PER_RECORD = env.int("EVIDENCE_MAX_FILES_PER_RECORD", default=20)
# A phone's largest photo is about 50 MP; a picture far larger is a decompression bomb, refused before decoding.
EVIDENCE_MAX_IMAGE_PIXELS = env.int("EVIDENCE_MAX_IMAGE_PIXELS", default=64_000_000)
EVIDENCE_IMAGE_MAX_SIDE = 1600  # pixels on the long side of a stored photo
EVIDENCE_THUMBNAIL_SIDE = 320
# A deleted attachment's row is kept for good; its file this many days, then the nightly sweep removes it.
EVIDENCE_KEEP_DELETED_DAYS = env.int("EVIDENCE_KEEP_DELETED_DAYS", default=90)
# How downloads leave: "django" streams them; "x-accel-redirect" (nginx, internal location at
# EVIDENCE_ACCEL_PREFIX) or "x-sendfile" (Apache mod_xsendfile) let the web server send the checked file.
EVIDENCE_SERVE = env.str("EVIDENCE_SERVE", default="django")
if EVIDENCE_SERVE not in ("django", "x-accel-redirect", "x-sendfile"):
    raise ImproperlyConfigured(f"EVIDENCE_SERVE must be django, x-accel-redirect or x-sendfile, not {EVIDENCE_SERVE!r}")
EVIDENCE_ACCEL_PREFIX = env.str("EVIDENCE_ACCEL_PREFIX", default="/protected-media/")

# --- Security ---------------------------------------------------------------
# Login throttling: after AXES_FAILURE_LIMIT wrong passwords for one username from one
# address, that pair is locked out for AXES_COOLOFF_MINUTES (an admin can unlock earlier).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_VERBOSE = False
# Every page is served from this site only: no inline script or style, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Bootstrap draws its form chevrons as data: SVGs
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],  # the service worker (/sw.js) that keeps pages and visits for when there is no signal
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Every line: time, level, logger and the request id (crm/request_log.py); LOG_FORMAT=json for a log collector.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "crm.request_log.RequestIdFilter"}},
    "formatters": {
        "text": {"()": "crm.request_log.TextFormatter"},
        "json": {"()": "crm.request_log.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # WeasyPrint narrates every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # runserver's own line per request repeats crm.access; its warnings and errors stay.
        "django.server": {"level": "WARNING"},
    },
}
