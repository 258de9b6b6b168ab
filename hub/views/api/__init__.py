"""JSON API at /api/v1: the same service verbs and permission questions as the HTML pages, JSON in and out.

Who calls: a signed-in browser session (CSRF token in `X-CSRFToken` on writes, as the HTML forms carry it) or
a per-user token (`Authorization: Bearer dxh_…`, made on the account page or by `flask create-token`; no
CSRF, since no browser sends it by itself). A request that names a token is authenticated by the token alone.

The OpenAPI 3 document is generated from the routes and the marshmallow schemas of `schemas.py` by
flask-smorest and served at /api/v1/openapi.json. Errors are always JSON: `{"error", "message"}`, plus
`fields` (field path -> messages) for invalid input (400 for the query string, 422 for the body) and `reason`
for a refused state change (409). Adding a resource: docs/api.md.
"""
from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from hub import permissions
from hub.extensions import csrf
from hub.views.api.base import bp, error_body
from hub.views.api.schemas import ErrorSchema

# The modules that add routes to `bp` (import order = order in the document).
from hub.views.api import needs, engagements, experts, dispatch, taxonomy  # noqa: E402,F401


class HubApi(Api):
    """flask-smorest's Api without its app-wide error handler: hub/errors.py answers errors for the whole app."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        return None


SPEC_OPTIONS = {
    "API_TITLE": "DX Talent Hub API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}


def init_app(app: Flask) -> None:
    """Register the API blueprint and its generated OpenAPI document on `app`."""
    for key, value in SPEC_OPTIONS.items():
        app.config.setdefault(key, value)
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": "Needs, shortlists, engagements and experts of DX Talent Hub. "
                                "Authenticate with `Authorization: Bearer <token>`."},
        "security": [{"bearerAuth": []}],
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "servers": [{"url": "/"}],
    })
    api = HubApi(app)
    app.extensions["hub.api"] = api
    csrf.exempt(bp)  # checked in authenticate() below: sessions keep CSRF, tokens need none
    api.register_blueprint(bp)


@bp.before_request
def authenticate():
    """A token request: its token or 401, and no CSRF (no browser sends it by itself). A session write: CSRF."""
    if request.headers.get("Authorization") is not None:
        if not permissions.is_signed_in(current_user):  # hub.auth.load_token_user found no live token
            return error_body(401, "Unauthorized", _("The token is not valid (unknown, revoked or expired)."),
                              headers={"WWW-Authenticate": 'Bearer realm="api"'})
        return None
    config = current_app.config
    if request.method in config.get("WTF_CSRF_METHODS", {"POST", "PUT", "PATCH", "DELETE"}) and config.get(
            "WTF_CSRF_ENABLED", True):
        csrf.protect()
    return None


@bp.errorhandler(HTTPException)
def json_error(exc: HTTPException):
    """Every refusal inside the API as JSON; webargs' validation errors become `fields`."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if messages:
        fields: dict[str, list[str]] = {}
        for _location, errors in messages.items():
            _flatten(errors, "", fields)
        return error_body(exc.code, exc.name, _("Invalid input."), fields=fields, headers=data.get("headers"))
    return error_body(exc.code or 500, exc.name, exc.description)


def _flatten(errors, prefix: str, out: dict[str, list[str]]) -> None:
    """marshmallow's nested error dicts as flat paths: {"budget": {"max": [...]}} -> {"budget.max": [...]}."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        out.setdefault(prefix, []).extend(errors)
    else:
        out.setdefault(prefix, []).append(str(errors))
