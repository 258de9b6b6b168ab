"""Needs: list, create, read, change, publish, close, and their ranked candidates."""
from __future__ import annotations

import secrets

from flask import current_app, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hub import limits, permissions
from hub.db import get_session
from hub.models import Need, NeedStage, Organization
from hub.services import interchange, needs as need_verbs
from hub.services.errors import conflicts_as
from hub.views.api.base import (abort_json, bp, doc_errors, fields_error, json_object, page_of,
                                signed_in, visible_need)
from hub.views.api.schemas import MatchSchema, NeedIn, NeedOut, NeedPage, NeedPatch, NeedQuery

# Keys of the interchange need that the API does not take: the organization is the caller's, the status moves
# only by the verbs (publish, close).
FIXED_KEYS = ("org_lg_code", "status")


def need_out(need: Need) -> dict:
    body = interchange.need_to_interchange(need)
    return {"id": need.id, **body, "organization": need.organization.name,
            "published_at": need.published_at.isoformat() if need.published_at else None}


@bp.route("/needs", methods=["GET"])
@bp.arguments(NeedQuery, location="query", error_status_code=400)
@bp.response(200, NeedPage)
@doc_errors()
def list_needs(args: dict):
    """The needs the caller may see: their organization's (drafts included) and every open need."""
    signed_in()
    condition = permissions.visible_needs(current_user)
    query = select(Need).options(selectinload(Need.organization), selectinload(Need.stages),
                                 selectinload(Need.fields), selectinload(Need.skills)).where(condition)
    if args.get("status"):
        query = query.where(Need.status == args["status"])
    if args.get("stage"):
        query = query.where(Need.stages.any(NeedStage.stage_id == args["stage"]))
    if args.get("organization"):
        query = query.where(Need.organization.has(Organization.lg_code == args["organization"]))
    if args.get("mine"):
        query = query.where(Need.organization_id == permissions.visible_own_organization_id(current_user))
    rows, paging = page_of(query.order_by(Need.id.desc()), args["page"], args["per_page"])
    return {**paging, "items": [need_out(n) for n in rows]}


def _new_external_id(session) -> str:
    while True:
        candidate = f"WN{secrets.token_hex(4).upper()}"
        if session.scalar(select(Need.id).where(Need.external_id == candidate)) is None:
            return candidate


def _checked(body: dict, organization: Organization, need: Need | None):
    """The interchange checker over the body (the importer's own rules), or 422 with every field's problems."""
    if fixed := [key for key in FIXED_KEYS if key in body]:
        fields_error(422, {key: [_("cannot be set here")] for key in fixed})
    session = get_session()
    if need is None:
        obj = {"external_id": body.get("external_id") or _new_external_id(session), **body}
        obj.setdefault("location_lg_code", organization.lg_code)
    else:
        if "external_id" in body and body["external_id"] != need.external_id:
            fields_error(422, {"external_id": [_("cannot be changed")]})
        obj = {**interchange.need_to_interchange(need), **body}
    obj["org_lg_code"] = organization.lg_code
    obj["status"] = need.status if need is not None else "draft"
    data, errors = interchange.check_need(obj, current_app.extensions["hub.taxonomy"])
    if errors:
        fields_error(422, errors)
    if need is None and session.scalar(select(Need.id).where(Need.external_id == data.external_id)):
        fields_error(422, {"external_id": [_("is used by another need already")]})
    return data


@bp.route("/needs", methods=["POST"])
@bp.doc(requestBody={"required": True, "content": {"application/json": {"schema": NeedIn}}})
@bp.response(201, NeedOut)
@doc_errors(409, 422)
def create_need():
    """Post a need (a draft) for the caller's organization; the body is a need of the interchange format."""
    signed_in()
    permissions.require(permissions.can_post_need(current_user))
    session = get_session()
    organization = session.get(Organization, current_user.organization_id)
    if organization.lg_code is None:
        abort_json(409, _("Only local governments post needs through the API."), reason="no_lg_code")
    data = _checked(json_object(), organization, None)
    with conflicts_as(session, _l("Someone saved this need at the same moment; please check it and save again.")):
        need = need_verbs.save_need(session, current_user, None, data, organization)
        session.commit()
    return need_out(need), 201, {"Location": url_for("api.get_need", ref=need.external_id)}


@bp.route("/needs/<ref>", methods=["GET"])
@bp.response(200, NeedOut)
@doc_errors()
def get_need(ref: str):
    """One need, by external id or database id (a draft only for its organization and admins)."""
    signed_in()
    return need_out(visible_need(ref))


@bp.route("/needs/<ref>", methods=["PATCH"])
@bp.doc(requestBody={"required": True, "content": {"application/json": {"schema": NeedPatch}}})
@bp.response(200, NeedOut)
@doc_errors(409, 422)
def update_need(ref: str):
    """Change some keys of a need; the others stay."""
    signed_in()
    need = visible_need(ref)
    permissions.require(permissions.can_manage_need(current_user, need))
    data = _checked(json_object(), need.organization, need)
    session = get_session()
    with conflicts_as(session, _l("Someone saved this need at the same moment; please check it and save again.")):
        need = need_verbs.save_need(session, current_user, need, data, need.organization)
        session.commit()
    return need_out(need)


def _step(ref: str, verb):
    signed_in()
    need = visible_need(ref)
    session = get_session()
    verb(session, current_user, need)  # asks can_manage_need; a refusal answers 409 (hub/errors.py)
    session.commit()
    session.refresh(need)
    return need_out(need)


@bp.route("/needs/<ref>/publish", methods=["POST"])
@bp.response(200, NeedOut)
@doc_errors(409)
def publish_need(ref: str):
    """Open a draft to experts (the best-fitting ones who opted in are notified)."""
    return _step(ref, need_verbs.publish_need)


@bp.route("/needs/<ref>/close", methods=["POST"])
@bp.response(200, NeedOut)
@doc_errors(409)
def close_need(ref: str):
    """Close a need; its history stays."""
    return _step(ref, need_verbs.close_need)


@bp.route("/needs/<ref>/matches", methods=["GET"])
@bp.doc(parameters=[{"in": "query", "name": "top", "required": False, "schema": {
    "type": "integer", "minimum": limits.API_TOP.low, "maximum": limits.API_TOP.high, "default": 10}}])
@bp.response(200, MatchSchema(many=True))
@doc_errors()
def need_matches(ref: str):
    """The ranked experts for a need: exactly what `flask --app app match REF --top N --json` prints.

    The same rule as the need page: a need the user may not see is a 404, its candidates a 403.
    """
    signed_in()
    top, errors = parse_top(request.args.get("top"))
    if errors:
        abort_json(400, _("Invalid query parameters."), fields={"top": errors})
    need = visible_need(ref)
    if not permissions.can_see_candidates(current_user, need):
        permissions.require(False, _("Only the need's organization, the bureau of its region and admins may see "
                                     "its candidates."))
    outcome = current_app.extensions["hub.matcher"].rank(get_session(), need, top_k=top)
    return outcome.result.as_dicts()


def parse_top(raw: str | None) -> tuple[int | None, list[str]]:
    """Return (top, errors) for the `top` parameter: a whole number within limits.API_TOP, default 10."""
    if raw is None or raw.strip() == "":
        return 10, []
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or int(raw) not in limits.API_TOP:
        return None, [_("Must be a whole number from %(min)d to %(max)d.", min=limits.API_TOP.low,
                        max=limits.API_TOP.high)]
    return int(raw), []
