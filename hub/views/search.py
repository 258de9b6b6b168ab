"""The staff search page; the query itself lives in services/search.py."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from hub import limits, permissions
from hub.auth import allowed_if
from hub.db import get_session
from hub.forms import locale
from hub.forms.search import SearchForm
from hub.gazetteer import load_gazetteer
from hub.services.matching import is_availability_stale
from hub.services.search import Criteria, search_experts

bp = Blueprint("search", __name__, url_prefix="/search")

@bp.route("/experts")
@allowed_if(permissions.can_use_staff_pages)
def experts():
    form = SearchForm(formdata=request.args)
    result = None
    if request.args and form.validate():
        result = search_experts(get_session(), form.criteria(), request.args.get("page", 1, type=int))
    elif not request.args:
        result = search_experts(get_session(), Criteria(words=[], skills={}), 1)
    gazetteer = load_gazetteer()
    prefectures = {p.prefecture_code: p.name for p in gazetteer.prefectures()}
    stale = {}
    if result:
        days = int(current_app.config["AVAILABILITY_STALE_DAYS"])
        stale = {e.id: is_availability_stale(e, days) for e in result.experts}
    args = {k: v for k, v in request.args.items() if k != "page"}
    from hub.views.needs import add_forms_for
    add_forms = add_forms_for(current_user, [e.id for e in result.experts], request.full_path) if result else {}
    return render_template("search/experts.html", form=form, result=result, prefectures=prefectures,
                           gazetteer=gazetteer, stale=stale, args=args, add_forms=add_forms,
                           export_limit=limits.EXPORT_ROWS,
                           taxonomy=current_app.extensions["hub.taxonomy"], lang=locale())
