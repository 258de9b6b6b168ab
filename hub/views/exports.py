"""Excel out: the staff's expert search and need lists as .xlsx, in the shape municipal staff keep their lists.

    POST /search/experts/export.xlsx?<the search page's query>   exports.experts_xlsx
    POST /needs/export.xlsx?scope=own|open|region[&bureau=<id>]  exports.needs_xlsx

POST (with the CSRF token) because each export is audited: a GET never writes. The query string is the list's
own, so the file holds exactly the rows the page lists (every page of them), up to limits.EXPORT_ROWS.
The columns are documented in docs/excel.md; labels come from the taxonomy and the catalog, in the viewer's
language. Rows come from hub/services/exports.py, which asks hub/permissions.py what each row may carry.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from flask import Blueprint, render_template, request, url_for
from flask_babel import format_decimal, gettext as _, lazy_gettext as _l
from flask_login import current_user

from hub import permissions
from hub.auth import allowed_if
from hub.db import get_session
from hub.forms import locale, taxonomy
from hub.forms.search import SearchForm
from hub.gazetteer import load_gazetteer
from hub.mail import public_url_adapter
from hub.services import exports
from hub.services.exports import NEED_SCOPES, ExpertRow, NeedRow, TooManyRows
from hub.tabular import Column, Table
from hub.views.downloads import xlsx_response
from hub.views.needs import NEED_STATUS_LABELS

bp = Blueprint("exports", __name__)

YEN = "#,##0"

EXPERT_COLUMNS = [
    Column("name", _l("Name"), width=16),
    Column("talent_type", _l("Talent type (X/D)"), width=14),
    Column("prefecture", _l("Home (prefecture)"), width=12),
    Column("municipality", _l("Home municipality"), width=14),
    Column("work_styles", _l("Work styles"), width=22),
    Column("travel_prefectures", _l("Prefectures they travel to"), width=20),
    Column("travel_km", _l("Travel reach (km)"), width=12),
    Column("hours", _l("Hours offered per month"), width=10),
    Column("remaining", _l("Hours left this month"), width=10),
    Column("available_from", _l("Available from (date)"), width=12, number_format="yyyy-mm-dd"),
    Column("available_until", _l("Available until (date)"), width=12, number_format="yyyy-mm-dd"),
    Column("fee_unit", _l("Fee unit"), width=10),
    Column("fee_amount", _l("Fee (yen)"), width=10, number_format=YEN),
    Column("fee_negotiable", _l("Fee negotiable"), width=8),
    Column("fields", _l("Fields"), width=24),
    Column("roles", _l("Roles (DSS)"), width=24),
    Column("skills", _l("Main skills (level)"), width=40),
    Column("completed", _l("Engagements completed"), width=12),
    Column("rating", _l("Mean rating"), width=10, number_format="0.0"),
    Column("schemes", _l("Schemes"), width=20),
    Column("url", _l("Profile URL"), width=34),
    Column("email", _l("Email"), width=26),
    Column("phone", _l("Phone"), width=14),
]

NEED_COLUMNS = [
    Column("id", _l("No."), width=6),
    Column("title", _l("Title of the need"), width=40),
    Column("organization", _l("Organization"), width=16),
    Column("prefecture", _l("Prefecture"), width=10),
    Column("place", _l("Place of work"), width=16),
    Column("stages", _l("Stages of DX"), width=28),
    Column("fields", _l("Fields"), width=20),
    Column("talent_type", _l("Talent type (X/D)"), width=14),
    Column("required", _l("Required skills (level)"), width=36),
    Column("nice_to_have", _l("Nice-to-have skills (level)"), width=30),
    Column("hours", _l("Hours asked per month"), width=10),
    Column("start", _l("Start"), width=12, number_format="yyyy-mm-dd"),
    Column("end", _l("End"), width=12, number_format="yyyy-mm-dd"),
    Column("work_style", _l("Work style of the need"), width=16),
    Column("engagement_form", _l("Engagement form"), width=12),
    Column("budget_unit", _l("Fee unit"), width=10),
    Column("budget_max", _l("Fee, at most (yen)"), width=12, number_format=YEN),
    Column("status", _l("Status"), width=8),
    Column("published", _l("Published"), width=12, number_format="yyyy-mm-dd"),
    Column("candidates", _l("Candidates"), width=8),
    Column("contacted", _l("Contact requests made"), width=8),
    Column("engaged", _l("Engagements"), width=8),
    Column("url", _l("Page URL"), width=30),
]


def _columns(columns: list[Column]) -> list[Column]:
    """The columns with widths that fit their header in the viewer's language: Excel wraps an English header at
    its spaces, so its longest word must fit; a Japanese header wraps anywhere, so the set width holds."""
    if locale() == "ja":
        return columns
    return [replace(c, width=max(c.width or 0, max(len(word) for word in str(c.label).split()) + 2))
            for c in columns]


def _joiner() -> str:
    return "、" if locale() == "ja" else ", "


def _url_builder(endpoint: str, key: str):
    """Absolute links under PUBLIC_URL, as in mail: one URL adapter for every row."""
    adapter = public_url_adapter()
    return lambda value: adapter.build(endpoint, {key: value}, force_external=True)


def _file_name(stem: str) -> str:
    return f"{stem}_{date.today().isoformat()}.xlsx"


def _refused(title, message, back: str, status: int):
    return render_template("exports/refused.html", title=title, message=message, back=back), status


# -- experts ------------------------------------------------------------------------------------------------------

def expert_table(rows: list[ExpertRow], note: str) -> Table:
    tax, lang, join = taxonomy(), locale(), _joiner()
    gazetteer = load_gazetteer()
    prefectures = {p.prefecture_code: p.name for p in gazetteer.prefectures()}
    styles = tax.enums["work_styles"]
    yes, no = _("Yes"), _("No")
    skill_pattern = _("%(skill)s (%(level)s)")
    profile_url = _url_builder("experts.profile", "expert_id")

    def names(ids, mapping) -> str:
        return join.join(mapping[i].name(lang) if i in mapping else i for i in ids)

    out = []
    for r in rows:
        place = gazetteer.by_code(r.home_lg_code) if r.home_lg_code else None
        out.append({
            "name": r.name,
            "talent_type": tax.enums["talent_types"][r.talent_type].name(lang),
            "prefecture": prefectures.get(r.prefecture_code or "", ""),
            "municipality": place.name if place is not None and not place.is_prefecture else "",
            "work_styles": join.join(styles[s].name(lang) for s, on in
                                     (("remote", r.remote), ("onsite", r.onsite), ("resident", r.resident)) if on),
            "travel_prefectures": join.join(prefectures.get(code, code) for code in r.travel_prefectures),
            "travel_km": r.max_travel_km,
            "hours": r.hours_per_month,
            "remaining": r.remaining_this_month,
            "available_from": r.available_from, "available_until": r.available_until,
            "fee_unit": tax.enums["fee_units"][r.fee_unit].name(lang) if r.fee_unit else "",
            "fee_amount": r.fee_amount,
            "fee_negotiable": yes if r.fee_negotiable else no,
            "fields": names(r.field_ids, tax.fields),
            "roles": names(r.role_ids, tax.roles),
            "skills": join.join(skill_pattern % {"skill": tax.items[s].name(lang) if s in tax.items else s,
                                                 "level": level} for s, level in r.skills),
            "completed": r.completed,
            "rating": r.rating_mean,
            "schemes": names(r.scheme_ids, tax.enums["schemes"]),
            "url": profile_url(r.id),
            "email": r.email, "phone": r.phone,
        })
    return Table("experts", _("List of experts"), _columns(EXPERT_COLUMNS), out, note=note)


def _expert_note(period: tuple[date, date], total: int, form: SearchForm) -> str:
    shown = []
    for name in ("q", "prefecture", "min_hours", "talent_type", "work_style", "scheme"):
        field = form[name]
        if field.data not in (None, ""):
            shown.append(_("%(label)s: %(value)s", label=field.label.text, value=_label_of(field)))
    for skill, level in form.skill_filters().items():
        shown.append(f"{taxonomy().items[skill].name(locale())} ≥ {level}")
    conditions = _joiner().join(shown) if shown else _("none")
    return _("%(count)s experts. Conditions: %(conditions)s. Hours left this month: hours offered minus the "
             "active engagements from %(start)s to %(end)s. E-mail and phone only of experts who accepted a "
             "contact request of your organization.", count=format_decimal(total), conditions=conditions,
             start=period[0].isoformat(), end=period[1].isoformat())


def _label_of(field) -> str:
    """The shown label of a select's chosen value, or the typed value of a text or number field."""
    for value, label, *_rest in getattr(field, "choices", None) or ():
        if str(value) == str(field.data):
            return str(label)
    return str(field.data)


@bp.post("/search/experts/export.xlsx")
@allowed_if(permissions.can_export_experts)
def experts_xlsx():
    """Every expert the search finds with this query (not only the page), in the page's order, as one sheet."""
    args = {k: v for k, v in request.args.items() if k not in ("page", "lang")}
    back = url_for("search.experts", **args)
    form = SearchForm(formdata=request.args)
    if not form.validate():
        problems = _joiner().join(_("%(label)s: %(value)s", label=form[name].label.text,
                                    value=" ".join(map(str, errors))) for name, errors in form.errors.items())
        return _refused(_("These search conditions cannot be exported"), problems, back, 400)
    session = get_session()
    filters = {k: v for k, v in args.items() if v}
    try:
        result = exports.export_experts(session, current_user, form.criteria(), filters=filters)
    except TooManyRows as exc:
        return _refused(_("Too many experts for one file"),
                        _("%(count)s experts match; one Excel file holds at most %(limit)s. Narrow the search "
                          "(prefecture, skills, remaining hours, type or work style) and export again.",
                          count=format_decimal(exc.count), limit=format_decimal(exc.limit)), back, 422)
    session.commit()  # the audit event
    table = expert_table(result.rows, _expert_note(result.period, len(result.rows), form))
    return xlsx_response([table], _file_name(_("experts-list")))


# -- needs --------------------------------------------------------------------------------------------------------

def need_table(rows: list[NeedRow], note: str) -> Table:
    tax, lang, join = taxonomy(), locale(), _joiner()
    gazetteer = load_gazetteer()
    enums = tax.enums
    skill_pattern = _("%(skill)s (%(level)s)")
    need_url = _url_builder("needs.detail", "need_id")

    def skills(entries) -> str:
        return join.join(skill_pattern % {"skill": tax.items[s.skill_id].name(lang) if s.skill_id in tax.items
                                          else s.skill_id, "level": s.min_level} for s in entries)

    out = []
    for row in rows:
        need = row.need
        place = gazetteer.by_code(need.location_lg_code)
        talent = need.talent_type or (tax.leading_type([s for s in need.stage_ids if s in tax.stages]))
        out.append({
            "id": need.id, "title": need.title, "organization": need.organization.name,
            "prefecture": place.prefecture if place is not None else "",
            "place": place.full_name if place is not None else need.location_lg_code,
            "stages": join.join(tax.stages[s].name(lang) for s in need.stage_ids if s in tax.stages),
            "fields": join.join(tax.fields[f].name(lang) for f in need.field_ids if f in tax.fields),
            "talent_type": enums["talent_types"][talent].name(lang) if talent else "",
            "required": skills(s for s in need.skills if s.must),
            "nice_to_have": skills(s for s in need.skills if not s.must),
            "hours": need.hours_per_month, "start": need.start_date, "end": need.end_date,
            "work_style": enums["work_styles"][need.work_style].name(lang),
            "engagement_form": enums["engagement_forms"][need.engagement_form].name(lang),
            "budget_unit": enums["fee_units"][need.budget_unit].name(lang) if need.budget_unit else "",
            "budget_max": need.budget_max,
            "status": str(NEED_STATUS_LABELS[need.status]),
            "published": need.published_at.date() if need.published_at else None,
            "candidates": row.candidates, "contacted": row.contacted, "engaged": row.engaged,
            "url": need_url(need.id),
        })
    return Table("needs", _("List of needs"), _columns(NEED_COLUMNS), out, note=note)


SCOPE_NOTES = {
    "own": _l("Needs of your organization and those shared with it, every status."),
    "open": _l("Open needs of other organizations."),
    "region": _l("Open needs of the organizations of the region."),
}


@bp.post("/needs/export.xlsx")
@allowed_if(permissions.can_export_needs)
def needs_xlsx():
    """One of the need lists (`scope`: own, open, region) as one sheet, with its shortlist counts."""
    scope = request.args.get("scope", "")
    bureau = request.args.get("bureau") or None
    back = url_for("bureau.home", bureau=bureau) if scope == "region" else url_for("needs.index")
    if scope not in NEED_SCOPES or (bureau is not None and bureau not in load_gazetteer().bureaus):
        return _refused(_("This list cannot be exported"),
                        _("Choose one of the lists on the needs page or the bureau page."), url_for("needs.index"),
                        400)
    session = get_session()
    try:
        rows = exports.export_needs(session, current_user, scope, bureau_id=bureau,
                                    filters={"scope": scope, **({"bureau": bureau} if bureau else {})})
    except TooManyRows as exc:
        return _refused(_("Too many needs for one file"),
                        _("%(count)s needs match; one Excel file holds at most %(limit)s.",
                          count=format_decimal(exc.count), limit=format_decimal(exc.limit)), back, 422)
    session.commit()  # the audit event
    note = _("%(count)s needs. %(list)s Candidates, contact requests and engagements are counted only for needs "
             "whose candidates you may see.", count=format_decimal(len(rows)), list=SCOPE_NOTES[scope])
    return xlsx_response([need_table(rows, note)], _file_name(_("needs-list")))
