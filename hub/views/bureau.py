"""The bureau's home (総合通信局): its region's dispatch requests by state, overdue reports, staff waiting for
approval, the region's open needs with their best candidates, and what its dispatches were for.

Admins see every region, or one with ?bureau=<id>. It only reads; every step happens on the request's page.
"""
from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from sqlalchemy.orm import selectinload

from hub import permissions
from hub.auth import allowed_if
from hub.db import get_session
from hub.gazetteer import load_gazetteer
from hub.models import Need
from hub.services import accounts, dispatch as verbs
from hub.services.exports import need_list_query
from hub.views import needs as need_views

bp = Blueprint("bureau", __name__, url_prefix="/bureau")
bp.context_processor(need_views.labels)

NEEDS_SHOWN = 5  # the region's newest open needs, each with its best candidates
CANDIDATES_SHOWN = 3


@bp.route("/")
@allowed_if(permissions.can_use_bureau_home)
def home():
    session = get_session()
    gazetteer = load_gazetteer()
    bureau_id = permissions.bureau_of(current_user)
    if bureau_id is None:  # an admin: every region, or the one asked for
        asked = request.args.get("bureau")
        bureau_id = asked if asked in gazetteer.bureaus else None
    rows = verbs.visible_requests(session, current_user, states=verbs.OPEN_STATES + ("done",), bureau_id=bureau_id)
    by_state = defaultdict(list)
    for row in rows:
        by_state[row.state].append(row)
    overdue = [row for row in by_state.get("done", []) if verbs.is_report_overdue(row)]
    due_follow_ups = [row for row in verbs.visible_requests(session, current_user, states=("reported",),
                                                            bureau_id=bureau_id)
                      if verbs.follow_up_due(row) and verbs.follow_up_due(row) <= verbs.today()]
    # The region's open needs, newest first: the list the Excel export (scope=region) holds in full.
    needs_query = need_list_query(current_user, "region", bureau_id).options(
        selectinload(Need.organization)).limit(NEEDS_SHOWN)
    engine = current_app.extensions["hub.matcher"]
    open_needs = [(need, engine.rank(session, need, top_k=CANDIDATES_SHOWN))
                  for need in session.scalars(needs_query) if permissions.can_see_candidates(current_user, need)]
    mix = verbs.purpose_mix(session, bureau_id)
    return render_template(
        "dispatch/bureau_home.html", bureau=gazetteer.bureaus.get(bureau_id) if bureau_id else None,
        bureaus=gazetteer.bureaus if permissions.is_admin(current_user) else None, by_state=by_state,
        open_states=verbs.OPEN_STATES + ("done",), overdue=overdue, due_follow_ups=due_follow_ups,
        pending=accounts.pending_staff(session, current_user), open_needs=open_needs, mix=mix,
        mix_total=sum(mix.values()))
