"""Error pages: JSON for the API and for clients that ask for JSON, HTML otherwise."""
from __future__ import annotations

import logging

from flask import Flask, abort, g, make_response, render_template, request
from flask_babel import force_locale, gettext, lazy_gettext as _l
from flask_login import current_user
from markupsafe import escape
from werkzeug.exceptions import Forbidden, HTTPException

from hub.permissions import PermissionDenied, is_waiting_for_approval

log = logging.getLogger(__name__)

# The page a person sees, in their language; the API keeps werkzeug's English names and descriptions.
ERROR_TITLES = {
    400: _l("The request could not be understood"), 401: _l("Please log in"),
    403: _l("You do not have access to this page"), 404: _l("Page not found"),
    405: _l("This action is not allowed here"), 409: _l("Not possible yet"), 500: _l("Something went wrong"),
}
ERROR_TEXTS = {
    400: _l("Something in the request was not as expected. Go back and try again."),
    401: _l("Log in to see this page."),
    403: _l("Your role or organization does not allow this. If you think it should, ask your administrator."),
    404: _l("The page does not exist, or it was moved or deleted."),
    405: _l("Use the buttons on the page rather than typing the address."),
    409: _l("Something has to happen first."),
    500: _l("The error was logged. Please try again in a moment."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def refuse_nul_characters() -> None:
    """Answer 4xx to input carrying NUL characters: no text column can store them, and no person types them.

    A JSON body names the field (422 with `fields`, as the API's other field errors) where the NUL sits.
    """
    message = gettext("The request contains a NUL character, which is not allowed.")
    values = [request.path, *request.args.values(), *request.form.values()]
    if any("\x00" in value for value in values):
        abort(400, description=message)
    if request.is_json and (where := nul_fields(request.get_json(silent=True))):
        abort(make_response({"error": "Unprocessable Entity", "message": message,
                             "fields": {path: [gettext("must not contain a NUL character")] for path in where}}, 422))


def nul_fields(value) -> list[str]:
    """The dotted paths ("title", "fields.0") of the strings or keys of a JSON body that hold a NUL.

    Walked with a stack, not recursion: a deeply nested body must not exhaust Python's recursion limit.
    """
    found, stack = [], [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                found.append(path)
        elif isinstance(item, dict):
            for key, inner in item.items():
                inner_path = f"{path}.{key}" if path else key
                if "\x00" in key:
                    found.append(path or key)
                else:
                    stack.append((inner_path, inner))
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}" if path else str(i), inner) for i, inner in enumerate(item))
    return sorted(set(found))


def roll_back_request_session(code: int) -> None:
    """End the request's failed transaction, so that the error page (its header loads the user) can query again.

    A server error may have left the transaction failed (on PostgreSQL even without the session knowing);
    a refusal (4xx) has only a failed session to roll back: its transaction ends unchanged at teardown anyway.
    """
    if (session := g.get("db_session")) is None or (code < 500 and session.is_active):
        return
    try:
        session.rollback()
    except Exception:  # the database itself is gone: the page below must still render, without it
        log.exception("Could not roll back the request's session")
        g.pop("db_session", None)


def bare_error_page(title: str, detail: str) -> str:
    """The error page without templates, the user or the database: what is left when error.html fails."""
    home = escape(gettext("Back to the home page"))
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{escape(title)}</title></head>"
            f"<body><h1>{escape(title)}</h1><p>{escape(detail)}</p><p><a href=\"/\">{home}</a></p></body></html>")


# Request too large (MAX_CONTENT_LENGTH, MAX_FORM_MEMORY_SIZE) and rate limits (Flask-Limiter): always the
# hub's own translated words; werkzeug's text and the limiter's "10 per 1 minute" are not for people.
LIMIT_TITLES = {413: _l("The request is too large"), 429: _l("Too many attempts")}
LIMIT_TEXTS = {
    413: _l("What you sent is larger than the hub accepts. Shorten the text or send a smaller file."),
    429: _l("You tried this too often in a short time. Wait a minute, then try again."),
}


def limit_error(exc: HTTPException):
    """Answer 413 and 429 with a clear page, or JSON for the API (Flask-Limiter adds Retry-After afterwards)."""
    message = str(LIMIT_TEXTS[exc.code])
    if wants_json():
        return {"error": exc.name, "message": message}, exc.code
    return render_template("error.html", error=exc, title=LIMIT_TITLES[exc.code], detail=message), exc.code


def init_app(app: Flask) -> None:
    from hub.services.errors import Refused

    app.before_request(refuse_nul_characters)

    @app.errorhandler(Refused)
    def refused(exc: Refused):
        """A verb's refusal that no view turned into a form error: 409 with its reason, never a 500."""
        if wants_json():
            return {"error": "Conflict", "message": str(exc.message), "reason": exc.reason}, exc.status
        return page(exc, exc.status, ERROR_TITLES[409], exc.message)

    app.register_error_handler(413, limit_error)
    app.register_error_handler(429, limit_error)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        roll_back_request_session(exc.code or 500)
        if wants_json():
            return {"error": exc.name, "message": exc.description}, exc.code
        # A view's own (translated) description says more than the generic text; werkzeug's default does not.
        own = exc.description if exc.description != type(exc).description else None
        return page(exc, exc.code, ERROR_TITLES.get(exc.code, exc.name), own or ERROR_TEXTS.get(exc.code, ""))

    def page(exc: Exception, code: int, title, detail):
        """Render the error page; `title` and `detail` may be lazy (translating them asks for the user)."""
        try:
            title, detail = str(title), str(detail)
            return render_template("error.html", error=exc, title=title, detail=detail), code
        except Exception:  # an error page must never become a traceback
            log.exception("The error page for %s failed to render", code)
            with force_locale("ja"):
                return bare_error_page(str(title), str(detail)), code

    @app.errorhandler(PermissionDenied)
    def permission_denied(exc: PermissionDenied):
        """A rule of hub/permissions.py said no: the 403 page, or 403 JSON for the API."""
        message = exc.message
        if message is None and is_waiting_for_approval(current_user):
            message = gettext("Your account is waiting for approval.")
        return http_error(Forbidden(message) if message else Forbidden())
