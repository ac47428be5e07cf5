"""Settings for the task API, read from the environment (and `.env` when present).

Every variable is listed with a safe sample in `.env.example`. Local and production differ
only through those variables: with nothing set, the service runs on SQLite with DEBUG off
and refuses to start without SECRET_KEY; `DEBUG=true` gives a local development setup.
"""

import re
from pathlib import Path

import dj_database_url
import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

# --- Core -----------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)

# A production configuration (DEBUG off) has no default: env() raises ImproperlyConfigured
# naming the missing variable.
SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-only") if DEBUG else env("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "users",
    "tasks",
]

MIDDLEWARE = [
    # First, so that it times the whole request and logs the response the client gets.
    "todo_project.request_log.RequestLogMiddleware",
    "todo_project.middleware.ProblemDetailsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "todo_project.urls"
WSGI_APPLICATION = "todo_project.wsgi.application"
AUTH_USER_MODEL = "users.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# https://github.com/jazzband/dj-database-url
# Neon: put `?sslmode=require` on DATABASE_URL; with its pooled (PgBouncer) endpoint also
# set DATABASE_POOLED=true, and give migrations the direct endpoint as DATABASE_DIRECT_URL
# (the Procfile's release step swaps it in: schema changes must not go through PgBouncer).

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env.int("DATABASE_CONN_MAX_AGE", default=60),
        conn_health_checks=True,
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with the per-request health check only on idle connections.
    DATABASES["default"]["ENGINE"] = "todo_project.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {})
    # A dead or sleeping server answers within seconds, never hangs a worker.
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = env.int(
        "DATABASE_CONNECT_TIMEOUT", default=5
    )
    if env.bool("DATABASE_POOLED", default=False):
        # PgBouncer in transaction mode hands each transaction to any server connection:
        # cursors that outlive a transaction and prepared statements would land on the
        # wrong one. https://docs.djangoproject.com/en/5.2/ref/databases/#transaction-pooling-server-side-cursors
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None

# --- Cache ----------------------------------------------------------------------------
# Throttle counters and the active-user marks live here; Redis shares them between workers.

REDIS_URL = env("REDIS_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # Django's default of 300 entries culls the active-user marks and throttle
            # counters of all but a few hundred users, so nearly every request queried its
            # user again. Two live entries per active user (the client's 10k users), about
            # 300 bytes each per worker; when full, the least recently used third goes,
            # expired throttle windows first. Beyond that, give the workers Redis.
            "OPTIONS": {"MAX_ENTRIES": 30_000},
        }
    ),
}

# --- Passwords ------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalization -------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
# Served by WhiteNoise from STATIC_ROOT after `collectstatic` (the Procfile's web step).

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Request limits -------------------------------------------------------------------

# Bodies over 1 MiB are refused with 413 before they are read.
MAX_REQUEST_BODY_BYTES = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

# --- REST framework -------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["users.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["todo_project.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "todo_project.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "todo_project.problems.problem_exception_handler",
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_THROTTLE_CLASSES": ["todo_project.throttles.UserThrottle"],
    # Proxies in front of the service that append to X-Forwarded-For: the client address
    # the auth throttle counts is the one the outermost trusted proxy saw.
    "NUM_PROXIES": env.int("TRUSTED_PROXY_COUNT", default=0),
}

# Requests allowed per window: "count/s|min|hour|day". Counted in the cache (Redis when
# REDIS_URL is set, so all workers share the count).
THROTTLE_RATES = {
    "auth": env("THROTTLE_AUTH_RATE", default="20/min"),
    "user": env("THROTTLE_USER_RATE", default="1200/min"),
}
# A malformed rate stops the start-up here, rather than failing every request later.
for _scope, _rate in THROTTLE_RATES.items():
    if not re.fullmatch(r"[0-9]+/(s|sec|m|min|h|hour|d|day)", _rate):
        raise ImproperlyConfigured(f"Throttle rate {_scope!r} must be like '20/min', not {_rate!r}")

SPECTACULAR_SETTINGS = {
    "TITLE": "Task API",
    "DESCRIPTION": "Each person's tasks, reachable only with their bearer token.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The enums' values speak for themselves; "`title` - title" lines add nothing.
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    # Staff reach closed docs with their admin session; API clients with their token.
    "SERVE_PERMISSIONS": ["todo_project.permissions.DocsAccess"],
    "SERVE_AUTHENTICATION": [
        "users.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}
# The OpenAPI document and Swagger UI: public, or (false) for staff only.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=True)

# --- Tokens ---------------------------------------------------------------------------
# The service's own tokens are HS256, signed with JWT_SIGNING_KEY and issued as
# JWT_OWN_ISSUER. External tokens (Better Auth's JWT plugin) are verified against
# JWT_JWKS_URL, or against JWT_SECRET for issuers that sign with HS256.

JWT_SIGNING_KEY = env("JWT_SIGNING_KEY", default=SECRET_KEY)
JWT_OWN_ISSUER = env("JWT_OWN_ISSUER", default="todo-api")
JWT_ACCESS_TOKEN_MINUTES = env.int("JWT_ACCESS_TOKEN_MINUTES", default=15)
JWT_REFRESH_TOKEN_DAYS = env.int("JWT_REFRESH_TOKEN_DAYS", default=7)
JWT_LEEWAY_SECONDS = 30

JWT_JWKS_URL = env("JWT_JWKS_URL", default="")
JWT_JWKS_ALGORITHMS = env.list("JWT_JWKS_ALGORITHMS", default=["EdDSA", "ES256", "RS256"])
JWT_JWKS_TIMEOUT_SECONDS = env.float("JWT_JWKS_TIMEOUT_SECONDS", default=3.0)
# An unknown `kid` refetches the key set at most this often; keys are refreshed after
# JWT_JWKS_MAX_AGE_SECONDS so that a key removed by the issuer stops being trusted.
JWT_JWKS_MIN_REFETCH_SECONDS = env.float("JWT_JWKS_MIN_REFETCH_SECONDS", default=30.0)
JWT_JWKS_MAX_AGE_SECONDS = env.float("JWT_JWKS_MAX_AGE_SECONDS", default=3600.0)
JWT_SECRET = env("JWT_SECRET", default=env("BETTER_AUTH_SECRET", default=""))
JWT_ISSUER = env("JWT_ISSUER", default="")
JWT_AUDIENCE = env("JWT_AUDIENCE", default="")

# --- CORS -----------------------------------------------------------------------------
# https://github.com/adamchainz/django-cors-headers

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=["http://localhost:3000"])
# The frontend reads these: paging, the created task's address, back-off hints.
CORS_EXPOSE_HEADERS = ["Link", "Location", "Retry-After", "X-Request-ID"]

# --- Security behind a TLS-terminating proxy ------------------------------------------
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/

# SECURE_SSL=true says a proxy terminates TLS in front of the service; local runs leave it off.
SECURE_SSL = env.bool("SECURE_SSL", default=False)
if SECURE_SSL:
    # Trusted only because the proxy overwrites X-Forwarded-Proto on every request; a client
    # that could set it would pass plain HTTP off as HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Preloading commits every subdomain of the registrable domain to HTTPS for good: the
    # domain's owner opts in (https://hstspreload.org), so Django's warning about it
    # (security.W021) is silenced below rather than answered with a default of true.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Logging --------------------------------------------------------------------------

# Every request logs one line (todo_project.request_log) with a request id that is also
# returned as X-Request-ID. LOG_FORMAT "json" writes one JSON object per line for the
# platform's log search; "text" is for people reading a terminal.

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json", choices=["json", "text"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "todo_project.request_log.JSONFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's defaults give its logger a console handler of its own (with DEBUG on):
    # its records go through the root handler instead, once, in LOG_FORMAT.
    "loggers": {"django": {"handlers": [], "level": LOG_LEVEL}},
}

# --- System checks --------------------------------------------------------------------

SILENCED_SYSTEM_CHECKS = ["security.W021"]  # HSTS preload: the domain owner's choice, above.
