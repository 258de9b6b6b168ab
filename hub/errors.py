"""Error pages: JSON for the API and for clients that ask for JSON, HTML otherwise."""
from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            return {"error": exc.name, "message": exc.description}, exc.code
        return render_template("error.html", error=exc), exc.code
