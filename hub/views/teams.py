"""Team proposals on the need page, and shortlisting a whole proposed team in one commit."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from hub import format_list, permissions
from hub.db import get_session
from hub.forms.teams import TeamShortlistForm
from hub.models import Need, ShortlistEntry
from hub.services import engagements, teams
from hub.services.errors import Refused, conflicts_as

bp = Blueprint("teams", __name__, url_prefix="/needs")


@bp.context_processor
def need_page_labels() -> dict[str, Any]:
    """Its pages are need pages: the same labels and helpers as hub/views/needs.py's."""
    from hub.views.needs import labels
    return labels()


def team_context(need: Need) -> dict[str, Any]:
    """What needs/_teams.html shows on the need page (for those who see the candidates): the proposals."""
    outcome = teams.propose(get_session(), current_app.extensions["hub.matcher"], need)
    return {"teams": outcome, "team_form": TeamShortlistForm(formdata=None)}


@bp.post("/<int:need_id>/teams/shortlist")
@login_required  # the shortlist verb asks permissions.can_manage_need
def shortlist_team(need_id: int):
    """Shortlist every member of a proposed team with what the ranking said of them; one commit, all or none."""
    session = get_session()
    need = session.get(Need, need_id)
    if need is None or not permissions.can_see_need(current_user, need):
        abort(404)
    permissions.require(permissions.can_manage_need(current_user, need))
    form = TeamShortlistForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = teams.propose(session, current_app.extensions["hub.matcher"], need)
    if outcome is None:
        abort(409, description=_("This need asks for no team."))
    wanted = form.member_ids()
    missing = [expert_id for expert_id in wanted if expert_id not in outcome.matches]
    if missing:
        flash(_("Part of this team is no longer among the ranked candidates; the ranking has changed."), "warning")
        return redirect(url_for("needs.detail", need_id=need.id) + "#teams")
    already = set(session.scalars(select(ShortlistEntry.expert_id).where(
        ShortlistEntry.need_id == need.id, ShortlistEntry.expert_id.in_(wanted))))
    added = []
    try:
        with conflicts_as(session, _l("Someone shortlisted part of this team at the same moment; please check the "
                                      "shortlist.")):
            for expert_id in wanted:
                if expert_id in already:
                    continue
                engagements.shortlist(session, current_user, need, outcome.matches[expert_id], outcome.rank_result,
                                      rank=outcome.positions[expert_id])
                added.append(outcome.experts[expert_id].name)
            session.commit()
    except Refused as exc:
        flash(str(exc.message), "warning")
    else:
        if added:
            flash(_("Added to the shortlist: %(names)s.", names=format_list(added)))
        else:
            flash(_("The whole team is on the shortlist already."))
    return redirect(url_for("needs.detail", need_id=need.id) + "#shortlist")
