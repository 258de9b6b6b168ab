"""DX Talent Hub: the Flask application."""
from __future__ import annotations

import logging
import os
import secrets

from flask import Flask, request, session
from flask.json.provider import DefaultJSONProvider
from babel.lists import format_list as babel_format_list
from flask_babel import get_locale
from flask_login import current_user

import skill_taxonomy
from hub import db
from hub.config import load_config
from hub.extensions import babel, csrf, login_manager


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, with a body nested too deep for the parser refused as bad JSON (400), not a 500."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc


def create_app(config: dict | None = None) -> Flask:
    """Create the web app; tests pass `config`, deployments set environment variables."""
    app = Flask(__name__, instance_relative_config=True)
    app.json = JSONProvider(app)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(os.environ))
    app.config.update(config or {})
    app.config.setdefault("DATABASE_URL", f"sqlite:///{app.instance_path}/hub.sqlite3")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(app.instance_path)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # hub.migrate says what it migrates

    app.extensions["hub.taxonomy"] = skill_taxonomy.load()
    db.init_app(app)
    auto_migrate = app.config["AUTO_MIGRATE"]
    if auto_migrate or (auto_migrate is None and app.config["DATABASE_URL"].startswith("sqlite")):
        from hub import migrate
        migrate.ensure_current(app.extensions["hub.engine"])
    csrf.init_app(app)
    from hub import security
    security.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["format_list"] = format_list
    app.jinja_env.globals["sep"] = separator
    login_manager.init_app(app)
    from hub.forms import messages
    messages.init_app(app)  # WTForms' built-in messages from our catalog, in natural Japanese

    from hub import auth, cli, errors, permissions, views  # noqa: F401  (auth registers the user loader)
    from hub.services.matching import MatchingEngine
    app.extensions["hub.matcher"] = MatchingEngine(
        app.extensions["hub.taxonomy"], app.config["EMBEDDING_BACKEND"], app.config["EMBEDDING_MODEL_PATH"],
        stale_days=app.config["AVAILABILITY_STALE_DAYS"], load_spreading=app.config["MATCH_LOAD_SPREADING"],
        database_url=app.config["DATABASE_URL"], snapshot_dir=index_snapshot_dir(app),
        snapshot_every=app.config["INDEX_SNAPSHOT_EVERY"])
    errors.init_app(app)
    permissions.init_app(app)
    views.init_app(app)
    cli.init_app(app)
    return app


def index_snapshot_dir(app: Flask) -> str | None:
    """Where the candidate index snapshots of this host go: INDEX_SNAPSHOT_DIR, else the instance folder.

    Off ("" or "off") for tests and in-memory databases unless set: a snapshot must outlive the process.
    """
    configured = app.config.get("INDEX_SNAPSHOT_DIR")
    if configured is not None:
        return None if configured in ("", "off") else str(configured)
    url = app.config["DATABASE_URL"]
    if app.testing or url in ("sqlite://", "sqlite:///:memory:"):
        return None
    return os.path.join(app.instance_path, "index")


def instance_secret(instance_path: str) -> str:
    """Return a secret key kept in the instance folder, made on first run, so sessions survive restarts."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        with open(path, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
        os.chmod(path, 0o600)
    with open(path, encoding="ascii") as f:
        return f.read().strip()


def format_list(items) -> str:
    """Join items the way the user's language does (「A、B、C」 in Japanese, "A, B, and C" in English)."""
    return babel_format_list([str(item) for item in items], locale=get_locale())


def separator() -> str:
    """The mark between facts on one line: 「・」 in Japanese (no spaces around it), " · " in English."""
    return "・" if str(get_locale()) == "ja" else " · "


def select_locale() -> str:
    """Pick the UI language: an explicit ?lang= (remembered), the user's choice, then the browser's."""
    languages = ("ja", "en")
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or "ja"
