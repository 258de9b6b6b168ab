"""Error pages: JSON for the API and for clients that ask for JSON, HTML otherwise."""
from __future__ import annotations

from flask import Flask, abort, render_template, request
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import Forbidden, HTTPException

from hub.permissions import PermissionDenied, is_waiting_for_approval

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


def init_app(app: Flask) -> None:
    from hub.permissions import PermissionDenied
    from hub.services.errors import Refused

    app.before_request(refuse_nul_characters)

    @app.errorhandler(Refused)
    def refused(exc: Refused):
        """A verb's refusal that no view turned into a form error: 409 with its reason, never a 500."""
        if wants_json():
            return {"error": "Conflict", "message": str(exc.message), "reason": exc.reason}, exc.status
        return render_template("error.html", error=exc, title=ERROR_TITLES[409], detail=str(exc.message)), exc.status

    @app.errorhandler(PermissionDenied)
    def denied(exc: PermissionDenied):
        """A verb's permission check that no view made first: 403 (helper "perm" may own this handler)."""
        if wants_json():
            return {"error": "Forbidden", "message": str(exc) or str(ERROR_TEXTS[403])}, 403
        return render_template("error.html", error=exc, title=ERROR_TITLES[403],
                               detail=str(exc) or ERROR_TEXTS[403]), 403

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            return {"error": exc.name, "message": exc.description}, exc.code
        # A view's own (translated) description says more than the generic text; werkzeug's default does not.
        own = exc.description if exc.description != type(exc).description else None
        return render_template("error.html", error=exc, title=ERROR_TITLES.get(exc.code, exc.name),
                               detail=own or ERROR_TEXTS.get(exc.code, "")), exc.code

    @app.errorhandler(PermissionDenied)
    def permission_denied(exc: PermissionDenied):
        """A rule of hub/permissions.py said no: the 403 page, or 403 JSON for the API."""
        message = exc.message
        if message is None and is_waiting_for_approval(current_user):
            message = gettext("Your account is waiting for approval.")
        return http_error(Forbidden(message) if message else Forbidden())
