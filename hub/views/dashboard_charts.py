"""The dashboards' charts: hub.charts renderers fed with the numbers of the dashboard's tables, labelled in the
viewer's language, linking to what stands behind a number. Presentation only; the numbers are the tables'."""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from hub.charts import bars, japan_map
from hub.gazetteer import load_gazetteer
from hub.services.dashboard import Dashboard
from skill_taxonomy import DISPATCH_STATES

SKILLS_CHARTED = 15  # the largest shortages; the table lists them all


def hours(value: float) -> str:
    shown = f"{value:,.0f}"
    return _("%(hours)s h", hours=shown)


def count(value: float) -> str:
    return f"{value:,.0f}"


def days(value: float) -> str:
    shown = f"{value:,.1f}"
    return _("%(days)s days", days=shown)


def gap_map(board: Dashboard, locale: str, link) -> str:
    """The gap (supply - demand hours) by prefecture, diverging around zero; the scope's region highlighted."""
    names = load_gazetteer().prefecture_names(locale)
    highlight = () if board.scope.is_nation else board.scope.prefecture_codes
    return japan_map.choropleth_svg(
        board.gaps(), names=names, title=_("Gap by prefecture: supply minus demand (hours)"),
        legend_title=_("Gap (hours)"), format_value=hours, diverging=True, highlight=highlight,
        href=link.prefecture, empty_text=_("No numbers for this period."), no_data_text=_("Outside the area"),
        low_text=_("Shortage"), high_text=_("Surplus"), zoom=not board.scope.is_nation)


def draw(board: Dashboard, locale: str, link) -> dict[str, Markup]:
    """SVG of every chart of the dashboard, keyed by the table it draws."""
    charts: dict[str, str] = {"map": gap_map(board, locale, link)}
    tables = board.tables
    supply = tables["supply"].rows
    if not board.scope.is_nation:  # the nation's 47 prefectures: the map and the table say it
        charts["supply"] = bars.bar_chart_svg(
            [(row["place"], row["gap"]) for row in supply], title=_("Gap (supply - demand, hours)"),
            value_label=_("Hours"), format_value=hours,
            href=(lambda i: link.prefecture(supply[i]["code"])) if board.scope.kind != "prefecture" else None,
            empty_text=_("No municipality has experts or demand in this period."))
    if "pool" in tables:
        pool = [row for row in tables["pool"].rows if row["kind"] != "total"]
        charts["pool"] = bars.bar_chart_svg(
            [(str(row["how"]), row["hours"]) for row in pool], title=_("Remaining hours of the pool this month"),
            value_label=_("Hours"), format_value=hours)
    stage_rows = tables["stage_field"].rows
    field_columns = tables["stage_field"].columns[1:]
    charts["stage_field"] = bars.heatmap_svg(
        [row["stage"] for row in stage_rows], [str(c.label) for c in field_columns],
        [[row[c.key] for c in field_columns] for row in stage_rows],
        title=_("Open needs by stage and field"), format_value=count,
        href=lambda i, j: link.needs(stage=stage_rows[i]["stage_id"], field=field_columns[j].key)
        if stage_rows[i][field_columns[j].key] else None,
        empty_text=_("No open need in this period."))
    skills = tables["skills"].rows[:SKILLS_CHARTED]
    charts["skills"] = bars.bar_chart_svg(
        [(row["skill"], row["shortage"]) for row in skills], title=_("Shortage by skill: needs minus experts"),
        value_label=_("Shortage"), format_value=count, href=lambda i: link.needs(skill=skills[i]["skill_id"]),
        empty_text=_("No open need asks for a skill in this period."))
    timed = [row for row in tables["flow"].rows if row["key"].startswith(("contact", "engagement"))]
    charts["flow"] = bars.bar_chart_svg(
        [(str(row["measure"]), row["value"]) for row in timed if row["value"] is not None],
        title=_("Days from posting"), value_label=_("Days"), format_value=days,
        empty_text=_("No need of this period got a contact request yet."))
    purposes = [row for row in tables["dispatch"].rows if row["purpose_id"] != "total"]
    states = [c for c in tables["dispatch"].columns if c.key in DISPATCH_STATES]
    charts["dispatch"] = bars.stacked_bar_chart_svg(
        [row["purpose"] for row in purposes],
        [(str(c.label), [row[c.key] for row in purposes]) for c in states if any(row[c.key] for row in purposes)],
        title=_("Dispatch requests by purpose and state"), value_label=_("Requests"), format_value=count,
        empty_text=_("No dispatch request in this period."))
    return {name: Markup(svg) for name, svg in charts.items()}
