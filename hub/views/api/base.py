"""What every API module shares: the blueprint, the JSON error body, paging, and loading records by the rules."""
from __future__ import annotations

import math

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import func, select

from hub import permissions
from hub.db import get_session, parse_row_id
from hub.models import Engagement, ExpertProfile, Need, ShortlistEntry

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="DX Talent Hub API")

# Answers every operation may give besides its own (the document lists them on each operation).
COMMON_ERRORS = (400, 401, 403, 404)


def doc_errors(*codes: int):
    """Document the JSON error answers of an operation: the common ones and `codes`."""
    from hub.views.api.schemas import ErrorSchema

    def decorate(view):
        for code in (*COMMON_ERRORS, *codes):
            view = bp.alt_response(code, description="error (JSON)", schema=ErrorSchema)(view)
        return view
    return decorate


def error_body(code: int, error: str, message: object, *, headers=None, **extra):
    body = {"error": error, "message": str(message), **extra}
    return (body, code, headers) if headers else (body, code)


def signed_in() -> None:
    """401 unless someone (a session or a token) is signed in."""
    if not permissions.is_signed_in(current_user):
        abort(401, description=_("Sign in first, or send an API token (Authorization: Bearer …)."))


def fields_error(code: int, fields: dict[str, list[str]], message: object | None = None):
    abort_json(code, _("Invalid input.") if message is None else message, fields=fields)


class JsonAbort(Exception):
    """Carry a complete JSON error answer out of a view (caught in hub.views.api.base.bp's handler)."""

    def __init__(self, code: int, body: dict):
        super().__init__(body.get("message"))
        self.code, self.body = code, body


def abort_json(code: int, message: object, **extra) -> None:
    names = {400: "Bad Request", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Entity"}
    raise JsonAbort(code, {"error": names.get(code, "Error"), "message": str(message), **extra})


@bp.errorhandler(JsonAbort)
def _json_abort(exc: JsonAbort):
    return exc.body, exc.code


def json_object() -> dict:
    """The request body as a JSON object, or 400/422 JSON: not JSON at all, not an object."""
    from flask import request
    data = request.get_json(silent=True)
    if data is None:
        abort_json(400, _("The body must be a JSON object (Content-Type: application/json)."))
    if not isinstance(data, dict):
        abort_json(422, _("The body must be a JSON object."), fields={"": ["must be an object"]})
    return data


def page_of(query, page: int, per_page: int) -> tuple[list, dict]:
    """One page of a select and its paging facts (`items` is filled by the caller)."""
    session = get_session()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return rows, {"page": page, "per_page": per_page, "total": total,
                  "pages": max(1, math.ceil(total / per_page))}


def find_need(session, ref: str) -> Need | None:
    """A need by its external id (as in `flask match`), or by its database id when all digits."""
    need = session.scalar(select(Need).where(Need.external_id == ref))
    if need is None and (row_id := parse_row_id(ref)) is not None:
        need = session.get(Need, row_id)
    return need


def visible_need(ref: str) -> Need:
    """The need if the user may see it; otherwise 404, as on the need page (a hidden draft does not exist)."""
    need = find_need(get_session(), ref)
    if need is None or not permissions.can_see_need(current_user, need):
        abort_json(404, _("There is no need %(ref)s.", ref=ref))
    return need


def visible_entry(entry_id: int) -> ShortlistEntry:
    """A shortlist entry for those who see the need's candidates, and for its expert; 404 for everyone else."""
    entry = get_session().get(ShortlistEntry, entry_id)
    if entry is None or not (permissions.can_see_candidates(current_user, entry.need)
                             or permissions.can_respond_to_contact(current_user, entry)):
        abort_json(404, _("There is no shortlist entry %(id)s.", id=entry_id))
    return entry


def visible_engagement(engagement_id: int) -> Engagement:
    """An engagement started from a need, for those who see the need's candidates; 404 for everyone else."""
    session = get_session()
    engagement = session.get(Engagement, engagement_id)
    need = session.get(Need, engagement.need_id) if engagement is not None and engagement.need_id else None
    if need is None or not permissions.can_see_candidates(current_user, need):
        abort_json(404, _("There is no engagement %(id)s.", id=engagement_id))
    return engagement


def find_expert(session, ref: str) -> ExpertProfile | None:
    expert = session.scalar(select(ExpertProfile).where(ExpertProfile.external_id == ref))
    if expert is None and (row_id := parse_row_id(ref)) is not None:
        expert = session.get(ExpertProfile, row_id)
    return expert

