"""Error pages: JSON for the API and for clients that ask for JSON, HTML otherwise."""
from __future__ import annotations

from flask import Flask, abort, render_template, request
from flask_babel import gettext, lazy_gettext as _l
from werkzeug.exceptions import HTTPException

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
    """Answer 400 to input carrying NUL characters: no text column can store them, and no person types them."""
    values = [request.path, *request.args.values(), *request.form.values()]
    if any("\x00" in value for value in values):
        abort(400, description=gettext("The request contains a NUL character, which is not allowed."))


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
    app.before_request(refuse_nul_characters)
    app.register_error_handler(413, limit_error)
    app.register_error_handler(429, limit_error)
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            return {"error": exc.name, "message": exc.description}, exc.code
        # A view's own (translated) description says more than the generic text; werkzeug's default does not.
        own = exc.description if exc.description != type(exc).description else None
        return render_template("error.html", error=exc, title=ERROR_TITLES.get(exc.code, exc.name),
                               detail=own or ERROR_TEXTS.get(exc.code, "")), exc.code
