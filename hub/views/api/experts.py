"""Experts: the staff search, one profile, and the expert's own profile in the interchange format."""
from __future__ import annotations

import dataclasses
from datetime import date

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from hub import permissions
from hub.db import get_session
from hub.forms.search import SearchForm
from hub.services import interchange, privacy
from hub.services.availability import remaining_hours_by_expert
from hub.services.experts import update_profile
from hub.services.search import PER_PAGE, Criteria, search_experts
from hub.views.api.base import abort_json, bp, doc_errors, fields_error, find_expert, json_object, signed_in
from hub.views.api.schemas import ExpertOut, ExpertPage, ExpertPatch, ExpertQuery

# What PATCH /experts/me leaves to other places: the id, the hub's own timestamps, and the track record
# (the track record pages and the hub's verbs write it).
NOT_PATCHABLE = ("external_id", "engagements", "availability_confirmed_at", "listing_consented_at")
# Profile columns beyond ExpertData that update_profile takes (listing follows privacy.set_listing_consent).
COLUMNS = ("phone", "visibility", "notify_opt_in", "status")
HOURS_KEYS = ("hours_per_month", "available_from", "available_until")


def summary_out(expert, remaining: int) -> dict:
    return {"id": expert.id, "external_id": expert.external_id, "name": expert.name,
            "talent_type": expert.talent_type, "prefecture_code": expert.prefecture_code,
            "roles": sorted(expert.role_ids), "skills": dict(sorted(expert.skill_levels.items())),
            "fields": sorted(expert.field_ids), "schemes": sorted(expert.scheme_ids),
            "work_styles": {"remote": expert.remote, "onsite": expert.onsite, "resident": expert.resident},
            "hours_per_month": expert.hours_per_month, "remaining_hours": remaining}


OWN_ONLY = ("notify_opt_in", "visibility")  # the expert's own settings, not shown on the profile page


def expert_out(expert, *, contact: bool, own: bool = False) -> dict:
    """The interchange object; for others as the profile page shows it (its record: active and completed)."""
    body = interchange.expert_to_interchange(expert)
    if not contact:
        body["email"] = body["phone"] = None
    if not own:
        for key in OWN_ONLY:
            body.pop(key, None)
        body["engagements"] = [e for e in body["engagements"] if e["status"] in ("active", "completed")]
    remaining = remaining_hours_by_expert(get_session(), [expert.id], date.today()).get(expert.id, 0)
    body.pop("listing_consented_at", None)
    return {"id": expert.id, **body, "remaining_hours": remaining}


@bp.route("/experts", methods=["GET"])
@bp.arguments(ExpertQuery, location="query", error_status_code=400, as_kwargs=True)
@bp.response(200, ExpertPage)
@doc_errors()
def list_experts(**_ignored):
    """Search listed, active experts with the staff search's filters (the same form validates them)."""
    signed_in()
    permissions.require(permissions.can_use_staff_pages(current_user))
    form = SearchForm(formdata=request.args)
    if not form.validate():
        abort_json(400, _("Invalid query parameters."), fields=form.errors)
    criteria = Criteria(words=(form.q.data or "").split(), skills=form.skill_filters(),
                        prefecture=form.prefecture.data or None, min_hours=form.min_hours.data,
                        talent_type=form.talent_type.data or None, work_style=form.work_style.data or None,
                        scheme=form.scheme.data or None, sort=form.sort.data or "updated")
    page = request.args.get("page", 1, type=int)
    result = search_experts(get_session(), criteria, page)
    return {"page": result.page, "per_page": PER_PAGE, "total": result.total, "pages": result.pages,
            "items": [summary_out(e, result.remaining.get(e.id, 0)) for e in result.experts]}


def _own_expert():
    permissions.require(permissions.is_expert(current_user))
    expert = current_user.expert
    if expert is None:
        abort_json(404, _("This account has no expert profile."))
    return expert


@bp.route("/experts/me", methods=["GET"])
@bp.response(200, ExpertOut)
@doc_errors()
def get_own_profile():
    """The caller's own profile, with contact details and the whole track record."""
    signed_in()
    return expert_out(_own_expert(), contact=True, own=True)


@bp.route("/experts/me", methods=["PATCH"])
@bp.doc(requestBody={"required": True, "content": {"application/json": {"schema": ExpertPatch}}})
@bp.response(200, ExpertOut)
@doc_errors(409, 422)
def update_own_profile():
    """Change keys of the caller's own profile, named as in the interchange format (e.g. {"hours_per_month": 0})."""
    signed_in()
    expert = _own_expert()
    body = json_object()
    refused = {key: [_("cannot be changed here")] for key in NOT_PATCHABLE if key in body}
    skills = body.get("skills")
    if isinstance(skills, dict):  # plain levels only: a skill's source and ratings are the hub's to set
        refused |= {f"skills.{key}": [_("give a level from 0 to 4")] for key, value in skills.items()
                    if isinstance(value, bool) or not isinstance(value, int)}
    if refused:
        fields_error(422, refused)
    current = interchange.expert_to_interchange(expert)
    current["skills"] = dict(expert.skill_levels)  # plain levels: sources and ratings are the hub's to set
    for key in ("engagements", "listing_consented_at", "availability_confirmed_at"):
        current.pop(key, None)
    data, errors = interchange.check_expert({**current, **body}, current_app.extensions["hub.taxonomy"])
    if errors:
        fields_error(422, errors)
    data = dataclasses.replace(data, engagements=None, skill_sources={})
    columns = {key: data.extra_columns[key] for key in COLUMNS if key in data.extra_columns}
    data.extra_columns = {}
    session = get_session()
    update_profile(session, current_user, expert, "api", data, confirm_availability=any(k in body for k in HOURS_KEYS),
                   **columns)
    if "listed" in body and body["listed"] != expert.listed:
        privacy.set_listing_consent(session, current_user, expert, body["listed"])
    session.commit()
    return expert_out(expert, contact=True, own=True)


@bp.route("/experts/<ref>", methods=["GET"])
@bp.response(200, ExpertOut)
@doc_errors()
def get_expert(ref: str):
    """One expert by external id or database id, as the profile page shows them (contact only once accepted)."""
    signed_in()
    session = get_session()
    expert = find_expert(session, ref)
    if expert is None or expert.deleted_at is not None:
        abort_json(404, _("There is no expert %(ref)s.", ref=ref))
    permissions.require(permissions.can_view_expert(session, current_user, expert))
    return expert_out(expert, contact=permissions.can_see_contact(session, current_user, expert),
                      own=permissions.can_edit_expert(current_user, expert))
