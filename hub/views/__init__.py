"""Blueprints of the web hub."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # No 308 redirect from "//" to "/": it bypasses the error handlers, so the API would answer a non-JSON
    # redirect for an id like "0/" (found by tests/web/test_api_fuzz.py); such a path is a plain 404 instead.
    app.url_map.merge_slashes = False
    from hub.views import main
    app.register_blueprint(main.bp)
    from hub.views import health, jobs
    app.register_blueprint(health.bp)
    app.register_blueprint(jobs.bp)
    from hub.views import admin, auth, experts, search
    app.register_blueprint(auth.bp)
    app.register_blueprint(experts.bp)
    from hub.views import privacy
    app.register_blueprint(privacy.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(admin.bp)
    from hub.views import tokens
    app.register_blueprint(tokens.bp)
    from hub.views import api, needs
    app.register_blueprint(needs.bp)
    from hub.views import shared_needs, teams
    app.register_blueprint(teams.bp)
    app.register_blueprint(shared_needs.bp)
    api.init_app(app)
    from hub.views import notifications
    app.register_blueprint(notifications.bp)
    from hub.views import bureau, dispatch
    app.register_blueprint(dispatch.bp)
    app.register_blueprint(bureau.bp)
    from hub.views import exports
    app.register_blueprint(exports.bp)
    from hub.views import dashboard  # the supply-and-demand dashboards (issue 9)
    app.register_blueprint(dashboard.bp)
    from hub.views import roster
    roster.init_app(app)
