"""Settings come from the environment; the defaults run the embedded SQLite setup under var/."""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("DANGVIEN_HOME", PACKAGE_DIR.parent.parent))
VAR_DIR = Path(os.environ.get("DANGVIEN_VAR", BASE_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Use DANGVIEN_SECRET_KEY, else a key generated once and kept in var/ (never a built-in one)."""
    if key := os.environ.get("DANGVIEN_SECRET_KEY"):
        return key
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

# The audit trail's secrets are files, never database rows (docs/architecture.md, "Audit trail"): the
# HMAC keys of its rows and seals, and the Ed25519 key that signs its checkpoints, both generated on
# first use (mode 0600). In production keep them off the database host and out of its backups; ship
# the checkpoints (appended here and logged on `dangvien.audit.checkpoint`) to another machine.
AUDIT_KEYS_FILE = Path(os.environ.get("DANGVIEN_AUDIT_KEYS_FILE") or VAR_DIR / "audit_keys.json")
AUDIT_SIGNING_KEY = Path(os.environ.get("DANGVIEN_AUDIT_SIGNING_KEY") or VAR_DIR / "audit_signing_key.pem")
# The population extract store on the embedded setup (a DuckDB file; PostgreSQL setups use the
# database's `population` schema).
POPULATION_DUCKDB = Path(os.environ.get("DANGVIEN_POPULATION_DUCKDB") or VAR_DIR / "population.duckdb")
AUDIT_CHECKPOINTS = Path(os.environ.get("DANGVIEN_AUDIT_CHECKPOINTS") or VAR_DIR / "audit-checkpoints.jsonl")
DEBUG = _env_bool("DANGVIEN_DEBUG", False)
ALLOWED_HOSTS = os.environ.get("DANGVIEN_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DANGVIEN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Email (password resets, campaign urging, notifications): an SMTP server when DANGVIEN_EMAIL_HOST names one, else
# the messages are written to the server's log (the embedded setup and the demo have no mail server).
if email_host := os.environ.get("DANGVIEN_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = email_host
    EMAIL_PORT = int(os.environ.get("DANGVIEN_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("DANGVIEN_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("DANGVIEN_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = os.environ.get("DANGVIEN_EMAIL_TLS", "1") == "1"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DANGVIEN_EMAIL_FROM", "dangvien@localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs' Swagger UI from our static files instead of a CDN
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "dangvien.core",
    "dangvien.jobs",
    "dangvien.org",
    "dangvien.accounts",
    "dangvien.members",
    "dangvien.imports",
    "dangvien.demo",
    "dangvien.population",
    "dangvien.library",
    "dangvien.reconcile",
    "dangvien.notifications",
    "dangvien.campaign",
    "dangvien.fieldwork",
    "dangvien.handbook",
    "dangvien.credentials",
    "dangvien.meetings",
    "dangvien.adoption",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed (static files are whitenoise's own, compressed at collectstatic): below
    # whitenoise, above anything that reads or changes the body. Safe with the CSRF token in the
    # pages: Django >= 4.2 pads each gzip answer's header with a random file name of 0-99 bytes
    # ("Heal The Breach", against BREACH: django/utils/text.py compress_string and
    # compress_sequence, GZipMiddleware.max_random_bytes = 100), and the token is masked anew on
    # each page. Streaming answers (exports) stay streamed, compressed as they go.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Members' pages in Vietnamese whatever the browser prefers, unless the user chose a language.
    "dangvien.handbook.middleware.HandbookLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "dangvien.core.middleware.PrivateResponsesMiddleware",
    "dangvien.accounts.middleware.IdleSessionMiddleware",
    # A member's login using the site counts them active that month (the handbook adoption report).
    "dangvien.adoption.middleware.MemberActivityMiddleware",
    "dangvien.core.middleware.NFCInputMiddleware",
    "dangvien.core.middleware.DatabaseBusyMiddleware",
    # Last: it answers a locked-out login before the view (django-axes).
    "axes.middleware.AxesMiddleware",
]
# Server-Timing tells a browser how long the server took: for benchmarks and debugging only.
if DEBUG or _env_bool("DANGVIEN_SERVER_TIMING", False):
    MIDDLEWARE.insert(0, "dangvien.core.middleware.ServerTimingMiddleware")

ROOT_URLCONF = "dangvien.urls"
WSGI_APPLICATION = "dangvien.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dangvien.handbook.context_processors.display",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://... in production), else SQLite in WAL mode under var/.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'dangvien.sqlite3'}",
        conn_max_age=int(os.environ.get("DANGVIEN_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and _env_bool("DANGVIEN_PG_PREPARED", True):
    # Parameters bound on the server, and a statement prepared there from its third run on a
    # connection (prepare_threshold=2): PostgreSQL parses and plans each of the site's query
    # shapes once per connection instead of at every request. The handbook home cost PostgreSQL
    # 3.8 ms of CPU a page before, 0.7–1.0 ms after (docs/benchmarks.md, issue 11). The plans are
    # PostgreSQL's own choice (plan_cache_mode auto: a generic plan only where it costs no more than
    # the custom ones); forcing a plan at each run gave back most of the gain. Off
    # (DANGVIEN_PG_PREPARED=0) behind a connection pooler in transaction mode that does not keep
    # prepared statements (PgBouncer before 1.21, or without max_prepared_statements).
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a write transaction takes the lock at BEGIN, so two writers never deadlock
        # on the read-to-write upgrade; busy_timeout makes the second writer wait instead of failing.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("DANGVIEN_TEST_SQLITE") or None}

# Background jobs (Django's Tasks API): the database backend by default, so SQLite needs no broker;
# `dangvien db_worker` runs them. DANGVIEN_TASKS_BACKEND=immediate runs them in the request (tests).
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[os.environ.get("DANGVIEN_TASKS_BACKEND", "database")],
    }
}

# "progress": a running job's progress on SQLite, where the job's transaction holds the only write
# lock (jobs/progress.py). Files under var/, so the worker and the web processes share it.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "progress": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                 "LOCATION": str(VAR_DIR / "cache" / "progress"), "TIMEOUT": 24 * 3600},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Vietnamese first; the browser's Accept-Language picks English when it prefers it.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request while it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Every page names its static files through {% static %}, i.e. by their hashed names: the unhashed
# copies would only double collectstatic's compression (brotli at its best, the slow part). Source maps
# are fetched by a developer's tools, never by a phone: stored, not compressed.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
# Uploaded files (the library's PDFs). Never served from here directly: MEDIA_URL is unset and every
# file goes out through a view that checks the reader's scope (library.views.document_download).
MEDIA_ROOT = Path(os.environ.get("DANGVIEN_MEDIA_ROOT") or VAR_DIR / "media")

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out login before the password is even checked (django-axes).
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, the logged-in user read by a prepared query at each request.
    "dangvien.accounts.backends.ModelBackend",
]
# Login throttling: after AXES_FAILURE_LIMIT failures in a row, the account (from any address) and
# the client address (for any account) are locked for AXES_COOLOFF_TIME; the 6th try is refused
# even with the right password. An administrator lifts a lock with `dangvien axes_reset_username NAME`.
AXES_FAILURE_LIMIT = int(os.environ.get("DANGVIEN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("DANGVIEN_LOGIN_LOCK_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dangvien.accounts.views.locked_out"
AXES_VERBOSE = False
# Behind a reverse proxy, the client's address is the last one it adds to X-Forwarded-For.
if _env_bool("DANGVIEN_BEHIND_PROXY", False):
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Sessions end with the browser, and after DANGVIEN["OFFICER_IDLE_MINUTES"] (or MEMBER_) without a request
# (accounts.middleware.IdleSessionMiddleware: shorter for officers, who hold other people's data).
SESSION_ENGINE = "dangvien.accounts.sessions"  # Django's database sessions, read by a prepared query
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 12 * 3600  # the longest any session lives, idle or not
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# DANGVIEN_HTTPS=true, the production setting behind HTTPS: every request redirected to HTTPS,
# HSTS for a year, cookies sent over HTTPS only. Off by default so that `make demo` serves plain HTTP.
HTTPS = _env_bool("DANGVIEN_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS

# Content-Security-Policy: scripts, styles, fonts and images from this site only; no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # The nonce: base.html writes the site's style sheet and script into the page (inline_static),
        # one round trip fewer each on a slow connection. No 'unsafe-inline'.
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # An ordinary 403 or 404 is logged as one line, without the traceback Django attaches to it.
    "filters": {"no_client_error_traceback": {"()": "dangvien.core.logging.NoClientErrorTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_client_error_traceback"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("DANGVIEN_LOG_LEVEL", "WARNING")},
    # Every signed audit checkpoint, so that a syslog or mail handler can ship it off the server.
    "loggers": {"dangvien.audit.checkpoint": {"level": "INFO"}},
}

# Domain settings whose values public sources did not settle (domain.md): configurable, not hard-coded.
# Typed Any: the values are of several types (counts, the keys' folder, the PKCS#11 token's settings).
DANGVIEN: dict[str, Any] = {
    "ADMISSION_MIN_AGE": 18,
    "ADMISSION_MAX_AGE": 60,
    "PROBATION_MONTHS": 12,
    "MEMBER_PAGE_SIZE": 50,
    # Largest member import file accepted (XLSX or CSV); a 141,794-member province is 19 MB as XLSX, 35 MB as CSV.
    "IMPORT_MAX_BYTES": 64 * 1024 * 1024,
    # A queued or running job (an import, an undo, an export...) with no sign of life for this long
    # may be given up by an officer: a province's import takes about a minute and reports progress
    # every few seconds, and a run that stops has written nothing.
    "JOB_STALLED_MINUTES": 10,
    # A job's result file (an export) is deleted after this many days (`dangvien purge-jobs`, daily).
    "JOB_RESULT_DAYS": 7,
    # A checked file nobody confirmed is deleted after this many days (`dangvien purge-imports`, run
    # daily): an uploaded member list holds citizen IDs.
    "IMPORT_UNCONFIRMED_DAYS": 7,
    # Largest PDF a committee may attach to a library document (a scanned 40-page resolution is about
    # 8 MB); members read them on cheap phones over slow connections.
    "LIBRARY_MAX_PDF_BYTES": int(os.environ.get("DANGVIEN_LIBRARY_MAX_PDF_BYTES", str(20 * 1024 * 1024))),
    # A session without a request for this long ends (minutes): officers hold other people's data;
    # members (the handbook, often on a shared family phone) a little longer.
    "OFFICER_IDLE_MINUTES": int(os.environ.get("DANGVIEN_OFFICER_IDLE_MINUTES", "30")),
    "MEMBER_IDLE_MINUTES": int(os.environ.get("DANGVIEN_MEMBER_IDLE_MINUTES", "120")),
    # Year-end classification (QĐ 366-QĐ/TW): the lowest score of each class out of 100; below
    # "completed": not completed. The lowest threshold is unconfirmed.
    "EVALUATION_EXCELLENT": 90,
    "EVALUATION_GOOD": 70,
    "EVALUATION_COMPLETED": 50,
    # Party fees (QĐ 342-QĐ/TW): the largest monthly amount accepted (a typing guard, VND) and how
    # many months ahead a member may pay.
    "FEE_MAX_VND": 10_000_000,
    "FEE_MONTHS_AHEAD": 12,
    # Handbook activation (citizen ID + date of birth + card number, or a secretary's code): after
    # this many failures in ACTIVATION_LOCK_MINUTES, for one citizen ID or from one address, the
    # next tries are refused until the window has passed.
    "ACTIVATION_FAILURE_LIMIT": int(os.environ.get("DANGVIEN_ACTIVATION_FAILURE_LIMIT", "5")),
    "ACTIVATION_LOCK_MINUTES": int(os.environ.get("DANGVIEN_ACTIVATION_LOCK_MINUTES", "15")),
    # A code a cell secretary issues (activation, assisted registration, password reset) lasts this long.
    "ACTIVATION_CODE_DAYS": 7,
    # Card credentials' keys (credentials/keys.py, `dangvien keys init|rotate|export-trust`): the
    # keyring folder (keys encrypted under DANGVIEN_KEY_PASSPHRASE) and, in production, a PKCS#11
    # token that holds the signer keys (module, token label, PIN); the root key stays a file, offline.
    "KEYS_DIR": Path(os.environ.get("DANGVIEN_KEYS_DIR") or VAR_DIR / "keys"),
    "PKCS11": ({"MODULE": os.environ["DANGVIEN_PKCS11_MODULE"], "TOKEN": os.environ.get("DANGVIEN_PKCS11_TOKEN", ""),
                "PIN": os.environ.get("DANGVIEN_PKCS11_PIN", "")} if os.environ.get("DANGVIEN_PKCS11_MODULE") else None),
    # Card status lists and verification (credentials/status_*.py, verify.py). PUBLIC_URL: where
    # verifiers reach this site; the status list address inside every credential is built from it, so
    # it must not change once cards are issued. The published token is re-signed after its ttl (and at
    # once when a status changes); a verifier's copy answers "unknown" after 7 days (issue 13).
    "PUBLIC_URL": os.environ.get("DANGVIEN_PUBLIC_URL", "http://127.0.0.1:8000"),
    # The card maker's certificate (PEM, RSA >= 3072 bits): production batches are encrypted to it.
    "CARD_MAKER_CERT": os.environ.get("DANGVIEN_CARD_MAKER_CERT", ""),
    "STATUS_LIST_SOURCE": "dangvien.credentials.selectors.status_list_bytes",
    "STATUS_LIST_TTL_MINUTES": 60,
    # The verifier's side (`dangvien cards verify`): the trust list file and the status list copies.
    "TRUST_LIST_FILE": Path(os.environ.get("DANGVIEN_TRUST_LIST") or VAR_DIR / "trust-list.json"),
    "STATUS_CACHE_DIR": Path(os.environ.get("DANGVIEN_STATUS_CACHE") or VAR_DIR / "status-cache"),
    # Party card numbers (credentials/numbers.py): the new card's official format is unconfirmed, so
    # the scheme is named here ("province-luhn", the default, or "national-mod11") or given in full as
    # a dict of CardNumberScheme's fields. Changing it later changes only the numbers issued after.
    "CARD_NUMBER_SCHEME": os.environ.get("DANGVIEN_CARD_NUMBER_SCHEME", "province-luhn"),
    # Token status lists (credentials/models.py StatusList): entries a list, the share of them
    # handed out before a new list is opened (indexes are drawn at random among the free ones). Each
    # list is published at PUBLIC_URL + /cards/status/<id> (status_selectors.status_list_uri).
    "STATUS_LIST_SIZE": 2**20,
    "STATUS_LIST_FILL": 0.75,
    # The member's card photo (credentials/portraits.py): the largest upload accepted, and the box
    # a stored portrait is scaled into (35 x 45 mm at 300 dpi, the usual chip-card portrait).
    "PORTRAIT_MAX_BYTES": 5 * 1024 * 1024,
    "PORTRAIT_BOX": (413, 531),
    # Cell meetings (docs/meetings.md). The QR check-in is accepted from this long before the start
    # until this long after the end (a meeting without an end time: MEETING_DEFAULT_HOURS after its
    # start); a scan made offline inside that window syncs up to MEETING_CHECKIN_SYNC_DAYS later.
    "MEETING_CHECKIN_EARLY_MINUTES": 60,
    "MEETING_CHECKIN_LATE_MINUTES": 30,
    "MEETING_DEFAULT_HOURS": 3,
    "MEETING_CHECKIN_SYNC_DAYS": 7,
    # `dangvien meetings remind` reminds the invitees of meetings starting within this many hours.
    "MEETING_REMINDER_HOURS": 24,
    # Largest document attached to a meeting (PDF, Word/Excel/OpenDocument, JPEG/PNG scans).
    "MEETING_ATTACHMENT_MAX_BYTES": int(os.environ.get("DANGVIEN_MEETING_ATTACHMENT_MAX_BYTES",
                                                       str(20 * 1024 * 1024))),
}

# Notices by SMS (notifications.sms): the dotted path of a backend class; the default prints each
# message on the console, as the email default does, until a gateway's backend is configured.
DANGVIEN_SMS_BACKEND = os.environ.get("DANGVIEN_SMS_BACKEND", "dangvien.notifications.sms.ConsoleBackend")
PASSWORD_RESET_TIMEOUT = 24 * 3600  # a reset link lasts a day
