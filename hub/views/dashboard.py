"""The supply-and-demand dashboards (需給ダッシュボード): the nation (admins), a bureau's region (its staff) and
a prefecture (its staff, and the bureau of its region), over a period. Each chart is an SVG drawn on the
server with its table beside it; each table is also served as CSV, all of them as one Excel workbook, and the
map as an SVG of its own. The page only reads.

URLs (the same ?from=&to= on each):
  /dashboard/                                     the viewer's own dashboard (a redirect)
  /dashboard/nation/  /dashboard/bureau/<id>/  /dashboard/prefecture/<code>/
  …/<table>.csv   …/dashboard.xlsx   …/map.svg   …/needs?stage=&field=&skill=   (the needs behind a number)
"""
from __future__ import annotations

from datetime import date
from typing import NoReturn

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from hub import permissions
from hub.auth import allowed_if
from hub.db import get_session
from hub.forms.dashboard import PeriodForm
from hub.gazetteer import load_gazetteer
from hub.services import dashboard as dashboards
from hub.services import dispatch as dispatch_verbs
from hub.services.dashboard import Period, Scope
from hub.services.dashboard.scope import prefecture_name
from hub.services.dashboard.unmet import NeedFilter, needs_behind
from hub.views import dashboard_charts
from hub.views import needs as need_views
from hub.views.downloads import csv_response, xlsx_response

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.context_processor(need_views.labels)


@bp.app_template_global()
def format_cell(value) -> str:
    """A table cell as shown: none as a dash, thousands separated, one decimal for fractions."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)

SCOPED = "/<any(bureau, prefecture):kind>/<key>"
NATION = {"kind": "nation", "key": ""}


def scoped_route(suffix: str, **options):
    """Register a view for the nation (/nation<suffix>) and for a bureau or prefecture (/<kind>/<key><suffix>)."""
    def decorator(view):
        bp.add_url_rule(f"/nation{suffix}", view_func=view, defaults=dict(NATION), **options)
        bp.add_url_rule(f"{SCOPED}{suffix}", view_func=view, **options)
        return view
    return decorator


def scope_url(endpoint: str, scope: Scope, **values) -> str:
    if scope.is_nation:
        return url_for(f"dashboard.{endpoint}", **values, **NATION)
    return url_for(f"dashboard.{endpoint}", kind=scope.kind, key=scope.key, **values)


def _locale() -> str:
    return str(get_locale() or "ja")


def _scope(kind: str, key: str) -> Scope:
    """The scope the URL names: 404 when there is no such region or prefecture, 403 when the viewer may not."""
    scope = dashboards.resolve(kind, key)
    if scope is None:
        abort(404)
    permissions.require(permissions.can_see_dashboard(current_user, scope))
    return scope


def _period(today: date) -> tuple[PeriodForm, Period | None]:
    """The period of the query string (the default one for what is missing), or None when it is malformed."""
    form = PeriodForm(formdata=request.args)
    if not form.validate():
        return form, None
    default = dashboards.default_period(today)
    start, end = form.start.data or default.start, form.end.data or default.end
    if end < start:  # only one date given, on the wrong side of the default's other end
        form.end.errors = [_("The end of the period comes before its start.")]
        return form, None
    form.start.data, form.end.data = start, end  # the form shows the period the numbers are for
    return form, Period(start, end)


def _build(scope: Scope, only: str | None = None):
    today = dispatch_verbs.today()
    form, period = _period(today)
    if period is None:
        return form, None
    board = dashboards.build(get_session(), scope, period, today, current_app.extensions["hub.taxonomy"],
                             _locale(), only=only)
    return form, board


def _bad_period(form: PeriodForm) -> NoReturn:
    messages = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    abort(400, description=_("The period is not valid: %(errors)s", errors=messages))


def _file_stem(scope: Scope, period: Period) -> str:
    where = "nation" if scope.is_nation else f"{scope.kind}-{scope.key}"
    return f"dashboard-{where}-{period.start.isoformat()}-{period.end.isoformat()}"


# -- pages --------------------------------------------------------------------------------------------------

@bp.route("/")
@allowed_if(permissions.can_use_dashboards)
def home():
    """The viewer's own dashboard: the nation for admins, the region for a bureau, the prefecture for its staff."""
    if permissions.is_admin(current_user):
        return redirect(url_for("dashboard.show", **NATION))
    if (bureau := permissions.bureau_of(current_user)) is not None:
        return redirect(url_for("dashboard.show", kind="bureau", key=bureau))
    return redirect(url_for("dashboard.show", kind="prefecture", key=permissions.prefecture_of(current_user)))


@scoped_route("/")
@allowed_if(permissions.can_use_dashboards)
def show(kind: str, key: str):
    scope = _scope(kind, key)
    form, board = _build(scope)
    today = dispatch_verbs.today()
    context = {"scope": scope, "scope_name": scope.name(_locale()), "form": form, "board": board,
               "quick": dashboards.quick_periods(today),
               "scope_url": lambda endpoint, **values: scope_url(endpoint, scope, **values),
               "related": _related(scope)}
    if board is None:
        return render_template("dashboard/show.html", **context), 400
    context["link"] = _linker(scope, board.period)
    context["charts"] = dashboard_charts.draw(board, _locale(), link=context["link"])
    return render_template("dashboard/show.html", **context)


@scoped_route("/needs")
@allowed_if(permissions.can_use_dashboards)
def needs(kind: str, key: str):
    """The open needs behind a dashboard number, as far as the viewer may see them."""
    scope = _scope(kind, key)
    taxonomy = current_app.extensions["hub.taxonomy"]
    today = dispatch_verbs.today()
    form, period = _period(today)
    if period is None:
        _bad_period(form)
    place = request.args.get("place", "")
    wanted = NeedFilter(stage=request.args.get("stage") if request.args.get("stage") in taxonomy.stages else None,
                        field=request.args.get("field") if request.args.get("field") in taxonomy.fields else None,
                        skill=request.args.get("skill") if request.args.get("skill") in taxonomy.items else None,
                        place=place if len(place) in (2, 6) and place.isascii() and place.isdigit() else None)
    found, total = needs_behind(get_session(), scope, period, wanted, permissions.visible_needs(current_user))
    return render_template("dashboard/needs.html", scope=scope, scope_name=scope.name(_locale()), period=period,
                           wanted=wanted, needs=found, total=total,
                           back=scope_url("show", scope, **period.query()))


# -- files --------------------------------------------------------------------------------------------------

@scoped_route("/<any(summary, supply, pool, stage_field, skills, flow, dispatch):table>.csv")
@allowed_if(permissions.can_use_dashboards)
def table_csv(kind: str, key: str, table: str):
    scope = _scope(kind, key)
    form, board = _build(scope, only=table)
    if board is None:
        _bad_period(form)
    if table not in board.tables:
        abort(404)
    return csv_response(board.tables[table], f"{_file_stem(scope, board.period)}-{table}.csv")


@scoped_route("/dashboard.xlsx")
@allowed_if(permissions.can_use_dashboards)
def export_xlsx(kind: str, key: str):
    """Every table of the dashboard, a sheet each, headers in the viewer's language."""
    scope = _scope(kind, key)
    form, board = _build(scope)
    if board is None:
        _bad_period(form)
    return xlsx_response(list(board.tables.values()), f"{_file_stem(scope, board.period)}.xlsx")


@scoped_route("/map.svg")
@allowed_if(permissions.can_use_dashboards)
def map_svg(kind: str, key: str):
    scope = _scope(kind, key)
    form, board = _build(scope, only="summary")
    if board is None:
        _bad_period(form)
    svg = dashboard_charts.gap_map(board, _locale(), link=_linker(scope, board.period))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# -- links ------------------------------------------------------------------------------------------------

class _linker:
    """URLs the charts and tables link to: a prefecture's dashboard (where the viewer may open it) and the
    needs behind a number, with the same period."""

    def __init__(self, scope: Scope, period: Period):
        self.scope, self.period = scope, period

    def prefecture(self, code: str) -> str | None:
        target = dashboards.resolve("prefecture", code)
        if target is None or target == self.scope or not permissions.can_see_dashboard(current_user, target):
            return None
        return url_for("dashboard.show", kind="prefecture", key=code, **self.period.query())

    def needs(self, **wanted) -> str:
        return scope_url("needs", self.scope, **{k: v for k, v in wanted.items() if v}, **self.period.query())

    def cell(self, table: str, row: dict, key: str) -> str | None:
        """Where a table's cell links to, if anywhere: the needs behind a count, a prefecture's dashboard."""
        value = row.get(key)
        if table == "supply" and key == "place" and len(row.get("code") or "") == 2:
            return self.prefecture(row["code"])
        if table == "supply" and key == "needs" and value and row.get("code"):
            return self.needs(place=row["code"])
        if table == "stage_field" and key not in ("stage", "stage_id") and value:
            return self.needs(stage=row["stage_id"], field=key)
        if table == "skills" and key == "needs" and value:
            return self.needs(skill=row["skill_id"])
        return None


def _related(scope: Scope) -> list[tuple[str, str]]:
    """Other dashboards the viewer may open from here: (label, url), with the same period."""
    gazetteer = load_gazetteer()
    locale = _locale()
    query = {k: v for k, v in request.args.items() if k in ("from", "to")}
    links = []
    if not scope.is_nation and permissions.is_admin(current_user):
        links.append((dashboards.resolve("nation").name(locale), url_for("dashboard.show", **NATION, **query)))
    if scope.kind == "prefecture" and scope.bureau_id:
        bureau = dashboards.resolve("bureau", scope.bureau_id)
        if permissions.can_see_dashboard(current_user, bureau):
            links.append((bureau.name(locale), url_for("dashboard.show", kind="bureau", key=bureau.key, **query)))
    if scope.is_nation:
        for bureau_id in gazetteer.bureaus:
            bureau = dashboards.resolve("bureau", bureau_id)
            links.append((bureau.name(locale), url_for("dashboard.show", kind="bureau", key=bureau_id, **query)))
    if scope.kind == "bureau":
        for code in scope.prefecture_codes:
            target = dashboards.resolve("prefecture", code)
            if permissions.can_see_dashboard(current_user, target):
                links.append((prefecture_name(code, locale),
                              url_for("dashboard.show", kind="prefecture", key=code, **query)))
    return links

