"""Blueprints of the web hub."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from hub.views import main
    app.register_blueprint(main.bp)
