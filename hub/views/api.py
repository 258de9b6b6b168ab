"""JSON API at /api/v1, beside the HTML pages; signed-in staff sessions only (no tokens yet).

Only GET endpoints so far, so CSRF does not come into it; a future JSON POST keeps Flask-WTF's CSRF
check (send the X-CSRFToken header) for as long as the API authenticates by the session cookie.
"""
from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from hub import limits, permissions
from hub.db import get_session, parse_row_id
from hub.models import Need

bp = Blueprint("api", __name__, url_prefix="/api/v1")



def parse_top(raw: str | None) -> tuple[int | None, list[str]]:
    """Return (top, errors) for the `top` parameter: a whole number within limits.API_TOP, default 10."""
    if raw is None or raw.strip() == "":
        return 10, []
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or int(raw) not in limits.API_TOP:
        return None, [_("Must be a whole number from %(min)d to %(max)d.", min=limits.API_TOP.low,
                        max=limits.API_TOP.high)]
    return int(raw), []


@bp.errorhandler(HTTPException)
def json_error(exc: HTTPException):
    return {"error": exc.name, "message": exc.description}, exc.code


def _error(code: int, error: str, message: str, **extra):
    return {"error": error, "message": message, **extra}, code


def find_need(session, ref: str) -> Need | None:
    """A need by its external id (as in `flask match`), or by its database id when all digits."""
    need = session.scalar(select(Need).where(Need.external_id == ref))
    if need is None and (row_id := parse_row_id(ref)) is not None:
        need = session.get(Need, row_id)
    return need


@bp.get("/needs/<ref>/matches")
def need_matches(ref: str):
    """The ranked experts for a need: exactly what `flask --app app match REF --top N --json` prints.

    The same rule as the need page: a need the user may not see is a 404, its candidates a 403.
    """
    if not permissions.is_signed_in(current_user):
        return _error(401, "Unauthorized", _("Sign in first."))
    top, errors = parse_top(request.args.get("top"))
    if errors:
        return _error(400, "Bad Request", _("Invalid query parameters."), fields={"top": errors})
    session = get_session()
    need = find_need(session, ref)
    if need is None or not permissions.can_see_need(current_user, need):
        return _error(404, "Not Found", _("There is no need %(ref)s.", ref=ref))
    if not permissions.can_see_candidates(current_user, need):
        return _error(403, "Forbidden", _("Only the need's organization, the bureau of its region and "
                                          "admins may see its candidates."))
    outcome = current_app.extensions["hub.matcher"].rank(session, need, top_k=top)
    return outcome.result.as_dicts()
