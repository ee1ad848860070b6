"""Classpoint settings, read from the environment (django-environ).

One settings module for every environment; CLASSPOINT_ENV (dev/stage/prod) switches the
production hardening on. Nothing secret has a default outside DEBUG.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

CLASSPOINT_ENV = env.str("CLASSPOINT_ENV", default="dev")
if CLASSPOINT_ENV not in {"dev", "stage", "prod"}:
    raise environ.ImproperlyConfigured("CLASSPOINT_ENV must be dev, stage or prod")
IS_PRODUCTION = CLASSPOINT_ENV in {"stage", "prod"}
DEBUG = env.bool("DEBUG", default=not IS_PRODUCTION)
CLASSPOINT_VERSION = env.str("CLASSPOINT_VERSION", default="0.1.0")

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production-0123456789")
else:
    SECRET_KEY = env.str("SECRET_KEY")  # required: no default outside DEBUG

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", ".classpoint.ng", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Hostnames under this suffix resolve to the school with that slug (greenfield.classpoint.ng).
CLASSPOINT_DOMAIN_SUFFIX = env.str("CLASSPOINT_DOMAIN_SUFFIX", default="classpoint.ng")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_prometheus",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_q",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "classpoint",
    "schools",
    "fees",
    "payments",
    "registrar",
    "messaging",
    "academics",
]
# The tenant models, named the way AUTH_USER_MODEL names the user: the kernel resolves them through
# the app registry (classpoint.tenancy) and never imports the app that defines them.
CLASSPOINT_SCHOOL_MODEL = "schools.School"
CLASSPOINT_MEMBERSHIP_MODEL = "schools.Membership"
CLASSPOINT_SCHOOL_DOMAIN_MODEL = "schools.SchoolDomain"
# Whom a timetable seat is held for before they are a student: academics sits below the registrar,
# so its SlotSeat names the applicant model through this setting, not by the registrar's name.
CLASSPOINT_SEAT_APPLICANT_MODEL = "registrar.Application"
# The order `seed_demo` runs each app's demo seeder in (classpoint/demo.py): the layers, bottom up
# (pyproject.toml's import-linter contract), so every seeder finds what the layers below it made.
# Siblings on one layer (fees | academics, payments | messaging) may come in either order.
CLASSPOINT_DEMO_ORDER = ["schools", "academics", "fees", "payments", "messaging", "registrar"]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "classpoint.middleware.RequestIdMiddleware",
    # Every request's school-scoped queries run in a scope (classpoint/scoping.py).
    "classpoint.scoping.RequestScopeMiddleware",
    "classpoint.middleware.BodySizeLimitMiddleware",
    "classpoint.middleware.RefuseNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "classpoint.middleware.RequireTwoFactorMiddleware",
    # While an operator has maintenance on, writes answer 503 (classpoint/maintenance.py).
    "classpoint.maintenance.MaintenanceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "classpoint.tenancy.SchoolHostMiddleware",
    # A module the school switched off (classpoint/flags.py) answers 404 for its pages, API and links.
    "classpoint.flags.FeatureGateMiddleware",
    "classpoint.i18n.GuardianLanguageMiddleware",  # guardian pages only; staff pages stay English
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "classpoint.urls"

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
                "classpoint.context_processors.workspace",
                "classpoint.context_processors.features",
            ],
        },
    },
]

WSGI_APPLICATION = "classpoint.wsgi.application"

# --- Database -------------------------------------------------------------------------------
# Unset DATABASE_URL: the embedded SQLite file under var/ (quick start). PostgreSQL is the truth.
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'classpoint.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL + a busy timeout let the web server and the task cluster share the file. IMMEDIATE
    # transactions take the write lock up front: a transaction that read first and then tried to
    # write would otherwise fail at once with "database is locked" while a worker writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer) consecutive transactions of one
# Django connection may run on different server connections: a named cursor (`.iterator()`) or a
# prepared statement made in one would be missing in the next. So both are turned off; nothing else
# relies on session state (locks are pg_advisory_xact_lock, released with the transaction).
DATABASE_POOLER = env.str("DATABASE_POOLER", default="")
if DATABASE_POOLER not in ("", "pgbouncer"):
    raise environ.ImproperlyConfigured("DATABASE_POOLER must be empty or pgbouncer")
# django-prometheus' engine wrappers count queries, errors and connections per backend for /metrics.
_PROMETHEUS_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
DATABASES["default"]["ENGINE"] = _PROMETHEUS_ENGINES.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
# A PostgreSQL streaming replica for reads that may be a moment stale: only views marked
# `@reads_may_lag` (the dashboard, the main lists, their CSV exports, the KPI API) read there, and
# only while it is reachable and close behind; every write and every other read stays on the primary
# (classpoint/replica.py). Unset: no replica, everything on the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
# Past this lag the replica is skipped. A browser session or API token that wrote reads from the
# primary for REPLICA_PIN_SECONDS after, so the list a saved form redirects to shows the save; the
# router never uses a replica further behind than this pin either, or an expired pin could show a
# user the page from before their own change. Streaming replication is normally under a second behind.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=15.0)
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=15)
DATABASE_ROUTERS = ["classpoint.replica.ReplicaRouter"]
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = environ.Env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"].update(
        {
            "ENGINE": _PROMETHEUS_ENGINES.get(DATABASES["replica"]["ENGINE"], DATABASES["replica"]["ENGINE"]),
            "CONN_MAX_AGE": env.int("DB_CONN_MAX_AGE", default=60),
            "CONN_HEALTH_CHECKS": True,
            # Under test there is no replication: the replica alias opens a second connection to the
            # test database instead of a test copy of its own.
            "TEST": {"MIRROR": "default"},
        }
    )
    if "postgresql" in DATABASES["replica"]["ENGINE"]:
        # A replica host gone from the network would hold a request for the system's connect timeout
        # (minutes); after this many seconds the request reads from the primary instead.
        DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
            "DATABASE_REPLICA_CONNECT_TIMEOUT", default=2
        )
if DATABASE_POOLER == "pgbouncer":
    for _database in DATABASES.values():
        if "postgresql" in _database["ENGINE"]:
            _database["DISABLE_SERVER_SIDE_CURSORS"] = True
            _database.setdefault("OPTIONS", {})["prepare_threshold"] = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Shared cache (Redis) whenever more than one process serves: axes, idempotency, nudges.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Redis down is a cache miss, not a failed request (classpoint/cache.py); short socket timeouts
    # so a Redis that hangs costs a request a moment, not the default's minutes.
    CACHES = {
        "default": {
            "BACKEND": "classpoint.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
                "socket_timeout": env.float("REDIS_TIMEOUT", default=1.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "classpoint"}}

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace-home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3  # invitation links live three days

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Lockouts count the same client address as everything else (see TRUSTED_PROXIES).
AXES_CLIENT_IP_CALLABLE = "classpoint.net.client_ip"

# The proxies in front of the app (IP addresses or CIDR ranges), whose X-Forwarded-For is believed;
# e.g. 127.0.0.1 behind nginx on the same host, the VPC range behind a cloud load balancer. Empty
# (the default): every address is REMOTE_ADDR and the header is ignored, so a client cannot choose it.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

OTP_TOTP_ISSUER = "Classpoint"
# TOTP is required for platform admins and members whose role says so (`Role.requires_two_factor`:
# school admins and bursars by default). The demo may relax it.
CLASSPOINT_REQUIRE_2FA = env.bool("CLASSPOINT_REQUIRE_2FA", default=True)

# --- I18N / time ----------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
# What guardians may read Classpoint in: English and Spanish complete, Yoruba for the public form.
# Staff pages are marked for translation and ship in English.
LANGUAGES = [("en", "English"), ("es", "Español"), ("yo", "Yorùbá")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and numbers as the reader's language writes them; English as in Nigeria (6 Dec 2026, d/m/Y).
FORMAT_MODULE_PATH = ["classpoint.formats"]
# Remembers the language a guardian picked on a public page (classpoint/i18n.py).
LANGUAGE_COOKIE_NAME = "classpoint_language"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and files -----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "staticfiles")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
MEDIA_URL = "media/"
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="filesystem")  # filesystem | s3
if STORAGE_BACKEND == "s3":
    default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default="eu-west-1"),
            "default_acl": None,
            "querystring_auth": True,  # presigned, expiring links; never public objects
            "querystring_expire": env.int("FILE_LINK_EXPIRY_SECONDS", default=600),
            "file_overwrite": False,
        },
    }
else:
    default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_LINK_EXPIRY_SECONDS = env.int("FILE_LINK_EXPIRY_SECONDS", default=600)
# Requests larger than this are refused before a view reads them (uploads have their own limit).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
CLASSPOINT_MAX_BODY_BYTES = env.int("CLASSPOINT_MAX_BODY_BYTES", default=25 * 1024 * 1024)
# An Idempotency-Key whose request has not answered after this long belongs to a process that died
# (killed, OOM): a retry takes it over. Keep it above the web server's request timeout.
IDEMPOTENCY_IN_PROGRESS_TIMEOUT_SECONDS = env.int("IDEMPOTENCY_IN_PROGRESS_TIMEOUT_SECONDS", default=300)

# --- Email and providers --------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Classpoint <no-reply@classpoint.ng>")
# Secrets are named references resolved by a backend: env/JSON file locally, AWS Secrets Manager in prod.
SECRETS_BACKEND = env.str("SECRETS_BACKEND", default="env")  # env | file | aws
SECRETS_FILE = env.str("SECRETS_FILE", default=str(BASE_DIR / "var" / "secrets.json"))
SECRETS_AWS_ENDPOINT_URL = env.str("SECRETS_AWS_ENDPOINT_URL", default=None)
SECRETS_AWS_REGION = env.str("SECRETS_AWS_REGION", default="eu-west-1")

# --- Messaging ------------------------------------------------------------------------------
# A send task retries transient provider errors itself (backoff base * 2^n, so 1+2+4 s) with each
# provider call bounded, and must finish inside its task timeout, which stays below Q_CLUSTER["retry"].
MESSAGING_SEND_MAX_ATTEMPTS = env.int("MESSAGING_SEND_MAX_ATTEMPTS", default=4)
MESSAGING_SEND_BACKOFF_SECONDS = env.float("MESSAGING_SEND_BACKOFF_SECONDS", default=1.0)
MESSAGING_PROVIDER_TIMEOUT_SECONDS = env.int("MESSAGING_PROVIDER_TIMEOUT_SECONDS", default=10)
MESSAGING_SEND_TASK_TIMEOUT = env.int("MESSAGING_SEND_TASK_TIMEOUT", default=90)
# Messages per send task. A task stops taking new messages after a third of its timeout and hands the
# rest to a fresh task, so a slow provider never gets a batch killed half-way.
MESSAGING_SEND_BATCH = env.int("MESSAGING_SEND_BATCH", default=50)
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="")  # empty: Twilio's own (https://api.twilio.com)
SES_ENDPOINT_URL = env.str("SES_ENDPOINT_URL", default=None)  # None: the region's SES endpoint
# Twilio signs each callback over the exact public URL it called, so these must be the addresses
# Twilio sees (behind a proxy or tunnel, not the internal one).
WEBHOOK_BASE_URL = env.str("WEBHOOK_BASE_URL", default=SITE_URL).rstrip("/")
DELIVERY_CALLBACK_URL = env.str(
    "DELIVERY_CALLBACK_URL", default=f"{WEBHOOK_BASE_URL}/messaging/callbacks/twilio/status/"
)
INBOUND_CALLBACK_URL = env.str(
    "INBOUND_CALLBACK_URL", default=f"{WEBHOOK_BASE_URL}/messaging/callbacks/twilio/inbound/"
)
# SES bounces and complaints arrive through SNS: only these topics are subscribed to and acted on (empty: none),
# and a message is trusted only when signed with a certificate from an SNS host matching the pattern.
SES_SNS_TOPIC_ARNS = env.list("SES_SNS_TOPIC_ARNS", default=[])
SNS_CERT_HOST_PATTERN = env.str("SNS_CERT_HOST_PATTERN", default=r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
# The guardian's own message-preferences link (in every email) stays valid this long.
MESSAGING_PREFERENCES_LINK_MAX_AGE_DAYS = env.int("MESSAGING_PREFERENCES_LINK_MAX_AGE_DAYS", default=365)

# --- Payments -------------------------------------------------------------------------------
PAYSTACK_BASE_URL = env.str("PAYSTACK_BASE_URL", default="https://api.paystack.co")
PAYMENTS_DEFAULT_GATEWAY = env.str("PAYMENTS_DEFAULT_GATEWAY", default="demo" if DEBUG else "paystack")
# The demo gateway's development key is public: outside dev it takes no webhook and makes no pay link
# unless a deployment (a staging demo) turns it on deliberately.
PAYMENTS_DEMO_GATEWAY_ENABLED = env.bool("PAYMENTS_DEMO_GATEWAY_ENABLED", default=CLASSPOINT_ENV == "dev")
# A pay link nobody completed is marked abandoned after this long (a late webhook still credits).
PAYMENT_INTENT_TTL_HOURS = env.int("PAYMENT_INTENT_TTL_HOURS", default=24)
# Bank-transfer proofs: PDF, JPEG or PNG (sniffed), at most this size.
PROOF_MAX_BYTES = env.int("PROOF_MAX_BYTES", default=10 * 1024 * 1024)
# How long a guardian's secure invoice link (pay online, send a transfer proof) stays valid.
GUARDIAN_LINK_MAX_AGE_DAYS = env.int("GUARDIAN_LINK_MAX_AGE_DAYS", default=60)

# An overdue invoice is announced (`invoice.overdue`) at most once per this many days.
OVERDUE_REMINDER_DAYS = env.int("OVERDUE_REMINDER_DAYS", default=7)
# The daily overdue scan runs for each school in this school-local hour.
OVERDUE_SCAN_LOCAL_HOUR = env.int("OVERDUE_SCAN_LOCAL_HOUR", default=6)
# The daily KPI aggregation (yesterday's sinks) runs for each school in this school-local hour.
KPI_AGGREGATE_LOCAL_HOUR = env.int("KPI_AGGREGATE_LOCAL_HOUR", default=2)
# The school-local hour of the daily truancy interventions scan: before the attendance officer's
# morning, after the night's corrections and aggregation.
ATTENDANCE_SCAN_LOCAL_HOUR = env.int("ATTENDANCE_SCAN_LOCAL_HOUR", default=4)

# --- Admissions (registrar) -----------------------------------------------------------------
# Documents sent with an application (birth certificate, last report, photo): PDF, JPEG or PNG
# judged by their first bytes, at most this size each.
APPLICATION_DOCUMENT_MAX_BYTES = env.int("APPLICATION_DOCUMENT_MAX_BYTES", default=5 * 1024 * 1024)
# The guardian's link to send what a "needs info" request asked for; the status link lasts longer
# (an application can take a season).
APPLICATION_LINK_MAX_AGE_DAYS = env.int("APPLICATION_LINK_MAX_AGE_DAYS", default=14)
APPLICATION_STATUS_LINK_MAX_AGE_DAYS = env.int("APPLICATION_STATUS_LINK_MAX_AGE_DAYS", default=365)
# The public form takes at most this many applications per client address per school in a window
# (counted in the shared cache, so every web node sees the same count).
APPLICATION_RATE_LIMIT = env.int("APPLICATION_RATE_LIMIT", default=5)
APPLICATION_RATE_WINDOW_SECONDS = env.int("APPLICATION_RATE_WINDOW_SECONDS", default=3600)
# Each accepted public application texts a number the applicant typed; beyond this many per school
# per clock hour the application is still kept but no confirmation is sent (SMS pumping guard).
APPLICATION_CONFIRMATIONS_PER_HOUR = env.int("APPLICATION_CONFIRMATIONS_PER_HOUR", default=100)

# --- Outbox ---------------------------------------------------------------------------------
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_BACKOFF_BASE_SECONDS = env.float("OUTBOX_BACKOFF_BASE_SECONDS", default=2.0)
OUTBOX_BACKOFF_MAX_SECONDS = env.float("OUTBOX_BACKOFF_MAX_SECONDS", default=3600.0)
OUTBOX_STUCK_MINUTES = env.int("OUTBOX_STUCK_MINUTES", default=15)
# Nudge the task cluster on commit; off means only the schedule / outbox_worker drain.
OUTBOX_NUDGE_ON_COMMIT = env.bool("OUTBOX_NUDGE_ON_COMMIT", default=True)
# A nudged drain keeps polling this long after its last event, so bursts need one task, not many.
OUTBOX_DRAIN_LINGER_SECONDS = env.float("OUTBOX_DRAIN_LINGER_SECONDS", default=2.0)

# --- django-q2 ------------------------------------------------------------------------------
# ORM broker: a task survives a worker crash. retry (seconds before an unacknowledged task is
# handed out again) must exceed timeout plus queue wait, or two workers run the same task.
Q_CLUSTER = {
    "name": "classpoint",
    "orm": "default",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 120,
    "retry": 300,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.05,
    "save_limit": 500,
    "queue_limit": 50,
    "label": "Task queue",
    "scheduler": env.bool("Q_SCHEDULER", default=True),  # exactly one cluster per deployment runs it
    "sync": False,
}

# --- DRF ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # A school's integration tokens, kept hashed (`Authorization: Token <key>` or `Bearer <key>`).
        "classpoint.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "classpoint.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "classpoint.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "classpoint.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Classpoint API",
    "DESCRIPTION": "School operations: students, guardians, classes, terms, enrollments. "
    "Errors always have the shape {error: {code, message, fields}}.",
    "VERSION": "v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The errors the shared plumbing answers (401, 403, 404, 409, 413...) documented on every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "classpoint.api.schema.document_common_errors",
    ],
    # Swagger UI served from the vendored sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "StudentStatusEnum": "schools.models.Student.Status",
        "EnrollmentStatusEnum": "schools.models.Enrollment.Status",
        "AttendanceKindEnum": "academics.models.AbsenceCode.Kind",
        "SubjectKindEnum": "academics.models.Subject.Kind",
        "CommentKindEnum": "academics.models.CommentBank.Kind",
        "GradeScalePresetEnum": "academics.results_api.setup_serializers.PRESET_CHOICES",
        "InterventionKindEnum": "academics.models.Intervention.Kind",
        "InterventionStateEnum": "academics.models.Intervention.State",
        "RecoverySessionStateEnum": "academics.models.RecoverySession.State",
        "SchoolStatusEnum": "schools.models.School.Status",
        "AwardKindEnum": "fees.models.StudentAward.Kind",
        "AwardModeEnum": "fees.models.StudentAward.Mode",
        "ImportModeEnum": "schools.models.ImportJob.Mode",
        "ChannelEnum": "messaging.models.Channel",
        "MessageStatusEnum": "messaging.models.Message.Status",
        "FeeCategoryEnum": "fees.models.FeeItem.Category",
        "ApplicationStatusEnum": "registrar.models.Application.Status",
        "ApplicationSourceEnum": "registrar.models.Application.Source",
        "DocumentKindEnum": "registrar.models.DocumentKind",
        "ApplicationDocumentStatusEnum": "registrar.models.ApplicationDocument.Status",
        "DocumentReviewStatusEnum": "registrar.api.ReviewVerdict",
        "DocumentUploadedViaEnum": "registrar.models.ApplicationDocument.Via",
        "ApplicationEventKindEnum": "registrar.models.ApplicationEvent.Kind",
        "DuplicateFlagStatusEnum": "registrar.models.DuplicateFlag.Status",
        "TransactionKindEnum": "payments.models.PaymentTransaction.Kind",
        "TransactionStatusEnum": "payments.models.PaymentTransaction.Status",
    },
}

# --- Metrics --------------------------------------------------------------------------------
# /metrics: open in dev; in production a bearer token or an allowed address is required.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[] if IS_PRODUCTION else ["127.0.0.1", "::1"])
METRICS_REQUIRE_AUTH = env.bool("METRICS_REQUIRE_AUTH", default=IS_PRODUCTION)

# --- Operations (manage.py ops_check) -------------------------------------------------------
# Alertmanager's address: the checklist lists what is firing. Empty: that check is skipped.
ALERTMANAGER_URL = env.str("ALERTMANAGER_URL", default="")
# pgBackRest's stanza (deploy/pgbackrest): the checklist reads `pgbackrest info` where it runs. Empty:
# skipped. The daily differential runs at 01:00, so a day plus slack before it warns.
PGBACKREST_STANZA = env.str("PGBACKREST_STANZA", default="")
PGBACKREST_CONFIG = env.str("PGBACKREST_CONFIG", default="")
PGBACKREST_COMMAND = env.str("PGBACKREST_COMMAND", default="pgbackrest")
BACKUP_MAX_AGE_HOURS = env.int("BACKUP_MAX_AGE_HOURS", default=26)

# A task cluster's /metrics (classpoint/worker_metrics.py): the counters its forked workers keep
# (provider errors, messages by status), summed from PROMETHEUS_MULTIPROC_DIR. 0: not served.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
WORKER_METRICS_ADDR = env.str("WORKER_METRICS_ADDR", default="0.0.0.0")  # noqa: S104 - the host's private side

# --- Imports (CSV) --------------------------------------------------------------------------
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=100_000)
# An import task may outlive the cluster's usual timeout; the job's pending->running claim keeps a
# redelivered task (after Q_CLUSTER["retry"]) from running it twice.
IMPORT_TASK_TIMEOUT = env.int("IMPORT_TASK_TIMEOUT", default=1800)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^api/health$", r"^metrics$"]

# --- Logging --------------------------------------------------------------------------------
# plain: a readable line for a terminal; json: one object per line for a log shipper. Either way a
# line carries its request id: the web request's, followed into the tasks it queues and the outbox
# events it emits (classpoint/logs.py). gunicorn.conf.py reads LOG_FORMAT too, for the access log.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise environ.ImproperlyConfigured("LOG_FORMAT must be plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "classpoint.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "()": "classpoint.logs.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {"()": "classpoint.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers go: its DEBUG-only console would print every django.* line a second
        # time, in its own format (a JSON log must hold JSON lines only), and ADMINS is not set, so
        # mail_admins sends nothing. Its records reach the root handler above like any other.
        "django": {"handlers": [], "level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
