"""Blueprints of the web hub."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from hub.views import main
    app.register_blueprint(main.bp)
    from hub.views import admin, auth, experts, search
    app.register_blueprint(auth.bp)
    app.register_blueprint(experts.bp)
    from hub.views import privacy
    app.register_blueprint(privacy.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(admin.bp)
    from hub.views import api, needs
    app.register_blueprint(needs.bp)
    app.register_blueprint(api.bp)
