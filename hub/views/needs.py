"""The municipality side: post and edit needs, rank candidates, shortlist, contact, engage, evaluate."""
from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

import matching
from hub import format_list
from hub import permissions
from hub.auth import allowed_if
from hub.db import get_session, parse_row_id
from hub.forms import choices, locale, options, taxonomy
from hub.forms.evaluations import EvaluationForm
from hub.forms.experts import prefecture_choices
from hub.forms.needs import (BLANK_SKILL_ROWS, CLOSE_REASON_LABELS, AddToShortlistForm, CloseNeedForm,
                             CompleteEngagementForm, ContactForm, FilterForm, NeedForm, ShortlistForm,
                             SimpleActionForm, StartEngagementForm, WeightsForm)
from hub.gazetteer import load_gazetteer
from hub.models import Engagement, ExpertProfile, Need, Organization, ShortlistEntry
from hub.services import engagements, needs as need_verbs, shortlist as shortlist_verbs
from hub.services.availability import remaining_hours_by_expert
from hub.services.candidates import card_facts
from hub.services.matching import expert_load_options
from hub.services.exports import need_list_query
from hub.services.errors import NotEnoughHours, Refused, conflicts_as
from hub.services.needs import NeedData
from hub.views.shared_needs import shared_context
from hub.views import need_parts
from hub.views.teams import team_context

bp = Blueprint("needs", __name__, url_prefix="/needs")

PAGE_SIZE = 10
OTHERS_SHOWN = 50  # the needs page's open needs of other organizations, newest first (the export holds all)
PRIOR_REQUIRED = 0.8  # stage prior weight from which a suggested item is a must-have rather than nice-to-have

SIGNAL_LABELS = {
    "skill": _l("Skills"), "semantic": _l("Text fit"), "availability": _l("Availability"),
    "place": _l("Work style and place"), "record": _l("Track record"), "fee": _l("Fee"), "type": _l("X/D type"),
}
EXCLUSION_LABELS = {
    "inactive_or_unlisted": _l("inactive or not listed"),
    "no_remaining_hours": _l("no hours left in the period"),
    "unavailable_in_period": _l("not available in the period"),
    "work_style_impossible": _l("cannot work in this style or place"),
}
FILTER_LABELS = {
    "prefecture": _l("home in another prefecture"),
    "scheme": _l("not in the chosen scheme"),
    "min_remaining_hours": _l("fewer remaining hours than the minimum"),
    "fee_over_budget": _l("fee over the budget"),
}
WORK_STYLE_CODES = {
    "remote_ok": _l("works remotely"),
    "remote_not_willing": _l("does not work remotely"),
    "onsite_not_willing": _l("does not visit on site"),
    "onsite_within_reach": _l("on-site visits within travel reach"),
    "onsite_prefecture_in_reach": _l("travels to this prefecture"),
    "onsite_distance_unknown": _l("visits on site; distance unknown"),
    "onsite_beyond_reach": _l("beyond the stated travel reach"),
    "resident_ok": _l("willing to be resident on site"),
    "remote_only_for_hybrid": _l("remote only: cannot cover the on-site part of this hybrid work"),
}
TYPE_MATCH_LABELS = {
    "match": _l("type matches the stages"), "partial": _l("type partly matches the stages"),
    "mismatch": _l("type differs from the stages"), "unspecified": _l("no type asked"),
}
GAP_SOURCE_LABELS = {"stage": _l("usual for the need's stages"), "inferred": _l("read from the need's description")}
FEE_STATUS_LABELS = {"within": _l("within budget"), "over": _l("over budget"), "unknown": _l("fee or budget unknown")}
STATE_LABELS = {
    "shortlisted": _l("Shortlisted"), "contacted": _l("Contact requested"), "offered": _l("Offered"),
    "accepted": _l("Accepted contact"), "declined": _l("Declined"), "withdrawn": _l("Request withdrawn"),
}
NEED_STATUS_LABELS = {"draft": _l("Draft"), "open": _l("Open"), "filled": _l("Filled"), "closed": _l("Closed")}
ENGAGEMENT_STATUS_LABELS = {"proposed": _l("Proposed"), "active": _l("Active"), "completed": _l("Completed"),
                            "cancelled": _l("Cancelled")}


@bp.context_processor
def labels() -> dict[str, Any]:
    return {"SIGNAL_LABELS": SIGNAL_LABELS, "EXCLUSION_LABELS": EXCLUSION_LABELS, "FILTER_LABELS": FILTER_LABELS,
            "WORK_STYLE_CODES": WORK_STYLE_CODES, "TYPE_MATCH_LABELS": TYPE_MATCH_LABELS,
            "FEE_STATUS_LABELS": FEE_STATUS_LABELS, "STATE_LABELS": STATE_LABELS,
            "NEED_STATUS_LABELS": NEED_STATUS_LABELS, "ENGAGEMENT_STATUS_LABELS": ENGAGEMENT_STATUS_LABELS,
            "GAP_SOURCE_LABELS": GAP_SOURCE_LABELS, "skill_names": skill_names, "stored_explanation": matching.Explanation.from_dict,
            "taxonomy": taxonomy(), "locale": locale(), "place_name": place_name,
            "CLOSE_REASON_LABELS": CLOSE_REASON_LABELS,
            "SIGNALS": matching.SIGNALS}


def place_name(lg_code: str | None) -> str:
    place = load_gazetteer().by_code(lg_code) if lg_code else None
    return place.full_name if place else (lg_code or "")


# --- loading needs by the rules of hub/permissions.py --------------------------------------------
def load_need(need_id: int) -> Need:
    """The need, if the signed-in user may see it; a hidden draft is a 404, as if it did not exist."""
    need = get_session().get(Need, need_id)
    if need is None or not permissions.can_see_need(current_user, need):
        abort(404)
    return need


def managed_need(need_id: int) -> Need:
    need = load_need(need_id)
    permissions.require(permissions.can_manage_need(current_user, need))
    return need


# --- list, create, edit ---------------------------------------------------------------------
@bp.route("/")
@login_required
def index():
    """Needs of the user's organization (any status), then open needs everywhere (the lists of
    hub.services.exports.need_list_query, which the Excel export reads too)."""
    session = get_session()
    own_query = need_list_query(current_user, "own")
    own = list(session.scalars(own_query)) if own_query is not None else []
    query = need_list_query(current_user, "open")
    others = list(session.scalars(query.options(selectinload(Need.organization)).limit(OTHERS_SHOWN))) \
        if query is not None else []
    return render_template("needs/index.html", own=own, others=others, others_shown=OTHERS_SHOWN,
                           can_create=permissions.can_post_need(current_user))


def _location_choices(organization: Organization, current: str | None) -> list[tuple[str, str]]:
    gazetteer = load_gazetteer()
    prefecture = next((p for p in gazetteer.prefectures() if p.prefecture_code == organization.prefecture_code), None)
    places = ([prefecture] if prefecture else []) + gazetteer.municipalities(organization.prefecture_code)
    out = [(p.lg_code, p.full_name) for p in places]
    if current and current not in {code for code, _ in out} and gazetteer.by_code(current):
        out.insert(0, (current, gazetteer.by_code(current).full_name))
    return out


def _prepare(form: NeedForm, organization: Organization) -> NeedForm:
    """Set the choices of every select (in the user's language) and keep blank skill rows to fill."""
    tax = taxonomy()
    lang = locale()
    form.stages.choices = options((s.id, s.name(lang)) for s in tax.stages.values())
    form.field_ids.choices = choices("fields")
    form.talent_type.choices = [SelectChoice("", _("From the stages"))] + choices("talent_types")
    form.work_style.choices = choices("work_styles")
    form.engagement_form.choices = choices("engagement_forms")
    form.budget_unit.choices = [SelectChoice("", _("Unknown"))] + choices("fee_units")
    form.location_lg_code.choices = options(_location_choices(organization, form.location_lg_code.data))
    skill_choices = [SelectChoice("", _("(choose a skill)"))] + [
        SelectChoice(item.id, item.name(lang), optgroup=cat.name(lang)) for cat in tax.categories for item in cat.items]
    blanks = sum(1 for row in form.skills if not row.form.skill_id.data)
    for _i in range(BLANK_SKILL_ROWS - blanks):
        form.skills.append_entry({"skill_id": "", "min_level": 2, "must": "must"})
    for row in form.skills:
        row.form.skill_id.choices = skill_choices
    return form


def _suggest(form: NeedForm) -> list[str]:
    """Add the few skills the chosen stages and the text support (matching.suggest); keep typed rows."""
    tax = taxonomy()
    rows = [{"skill_id": r.form.skill_id.data, "min_level": r.form.min_level.data or 2, "must": r.form.must.data}
            for r in form.skills if r.form.skill_id.data]
    have = {r["skill_id"] for r in rows}
    added = []
    stages = [s for s in (form.stages.data or []) if s in tax.stages]
    text = "\n".join(t for t in (form.title.data or "", form.description.data or "") if t.strip())
    for suggestion in current_app.extensions["hub.matcher"].suggest_skills(text, stages):
        if suggestion.item_id not in have:
            rows.append({"skill_id": suggestion.item_id, "min_level": 3 if suggestion.prior >= 0.9 else 2,
                         "must": "must" if suggestion.prior >= PRIOR_REQUIRED else "nice"})
            have.add(suggestion.item_id)
            added.append(suggestion.item_id)
    form.skills.entries = []
    form.skills.last_index = -1
    for row in rows:
        form.skills.append_entry(row)
    return added


def _need_data(form: NeedForm, need: Need | None, external_id: str) -> NeedData:
    required, nice = form.skill_levels()
    return NeedData(
        external_id=external_id, title=form.title.data.strip(), description=(form.description.data or "").strip(),
        stages=list(form.stages.data), talent_type=form.talent_type.data or None, required_skills=required,
        nice_to_have_skills=nice, fields=list(form.field_ids.data or []), work_style=form.work_style.data,
        location_lg_code=form.location_lg_code.data, hours_per_month=form.hours_per_month.data,
        start=form.start.data, end=form.end.data, budget_unit=form.budget_unit.data or None,
        budget_max=form.budget_max.data if form.budget_unit.data else None,
        engagement_form=form.engagement_form.data, status=need.status if need else "draft")


def _new_external_id() -> str:
    session = get_session()
    while True:
        candidate = f"WN{secrets.token_hex(4).upper()}"
        if session.scalar(select(Need.id).where(Need.external_id == candidate)) is None:
            return candidate


def _edit(need: Need | None, organization: Organization):
    """Shared by create and edit: suggest re-renders, save validates and stores; errors keep what was typed."""
    if need is None:
        form = NeedForm(data={"location_lg_code": organization.lg_code, "work_style": "hybrid",
                              "engagement_form": "contract", "hours_per_month": 20,
                              **(_prefill(request.args) if request.method == "GET" else {})})
    elif request.method == "POST":
        form = NeedForm()
    else:
        form = NeedForm(data={
            "title": need.title, "description": need.description, "stages": need.stage_ids,
            "talent_type": need.talent_type or "", "field_ids": need.field_ids, "work_style": need.work_style,
            "location_lg_code": need.location_lg_code, "hours_per_month": need.hours_per_month,
            "start": need.start_date, "end": need.end_date, "budget_unit": need.budget_unit or "",
            "budget_max": need.budget_max, "engagement_form": need.engagement_form,
            "skills": [{"skill_id": s.skill_id, "min_level": s.min_level, "must": "must" if s.must else "nice"}
                       for s in need.skills], **need_parts.form_data(need)})
    suggested: list[str] = []
    if request.method == "POST" and form.suggest.data:
        suggested = _suggest(form)
        if not suggested:
            flash(_("No further skills to suggest: choose stages or describe the work first."), "warning")
    _prepare(form, organization)
    need_parts.prepare(form, organization)  # team roles and co-organizations (shared needs)
    if request.method == "POST" and not form.suggest.data and form.validate():
        session = get_session()
        data = _need_data(form, need, need.external_id if need else _new_external_id())
        need_parts.apply_to(data, form, organization, need)
        if need_parts.rules_hold(data, form):  # the form's errors keep what was typed
            try:
                with conflicts_as(session, _l("Someone saved this need at the same moment; please check it and "
                                              "save again.")):
                    need = need_verbs.save_need(session, current_user, need, data, organization)
                    session.commit()
            except Refused as exc:
                flash(str(exc.message), "error")
            else:
                flash(_("Need “%(title)s” saved.", title=need.title)
                      + (" " + _("It is a draft until you publish it.") if need.status == "draft" else ""))
                return redirect(url_for("needs.detail", need_id=need.id))
    tax = taxonomy()
    leading = tax.leading_type(s for s in (form.stages.data or []) if s in tax.stages)
    return render_template("needs/edit.html", form=form, need=need, suggested=set(suggested),
                           leading_type=leading, organization=organization)


def _prefill(args) -> dict[str, Any]:
    """A new need pre-filled from query arguments (the hub function's "start a need" link); unknown values
    are left to the form's own validation."""
    data: dict[str, Any] = {key: args[key] for key in ("title", "description", "engagement_form", "work_style")
                            if args.get(key)}
    if args.getlist("stages"):
        data["stages"] = args.getlist("stages")
    if (hours := parse_row_id(args.get("hours_per_month"))) is not None:
        data["hours_per_month"] = hours
    return data


@bp.route("/new", methods=["GET", "POST"])
@allowed_if(permissions.can_post_need)
def create():
    organization = get_session().get(Organization, current_user.organization_id)
    return _edit(None, organization)


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@login_required  # managed_need() asks permissions.can_manage_need
def edit(need_id: int):
    need = managed_need(need_id)
    return _edit(need, need.organization)


@bp.post("/<int:need_id>/publish")
@login_required  # managed_need() asks permissions.can_manage_need
def publish(need_id: int):
    """Open a draft to experts and notify the best-fitting ones who opted in."""
    need = managed_need(need_id)
    if SimpleActionForm().validate_on_submit():
        session = get_session()
        try:
            sent = need_verbs.publish_need(session, current_user, need)
            session.commit()  # the notified experts are mailed once this succeeded
        except Refused as exc:
            flash(str(exc.message), "warning")
        else:
            from hub.services import jobs
            if jobs.queue_configured():
                flash(_("Need published; the fitting experts are being notified in the background."))
            else:
                flash(_("Need published; %(count)d fitting experts were notified.", count=len(sent)))
    return redirect(url_for("needs.detail", need_id=need.id))


@bp.route("/<int:need_id>/close", methods=["GET", "POST"])
@login_required  # managed_need() asks permissions.can_manage_need
def close(need_id: int):
    """Confirm closing with a reason; pending contact requests are named, since closing withdraws them."""
    need = managed_need(need_id)
    session = get_session()
    form = CloseNeedForm()
    if need.status == "closed":
        flash(_("This need is closed already."), "warning")
        return redirect(url_for("needs.detail", need_id=need.id))
    if form.validate_on_submit():
        try:
            need_verbs.close_need(session, current_user, need, form.reason.data, form.note.data or "")
            session.commit()  # experts whose requests were withdrawn are mailed once this succeeded
        except Refused as exc:
            session.rollback()
            flash(str(exc.message), "warning")
        else:
            flash(_("Need closed."))
            return redirect(url_for("needs.detail", need_id=need.id))
    pending = need_verbs.pending_requests(session, need)
    return render_template("needs/close.html", need=need, form=form, pending=pending), 400 if form.errors else 200


@bp.post("/<int:need_id>/reopen")
@login_required  # managed_need() asks permissions.can_manage_need
def reopen(need_id: int):
    return _need_step(need_id, need_verbs.reopen_need, _l("Need reopened."))


def _need_step(need_id: int, verb, done: object):
    """A one-button change of a need's status: call the verb, commit, say what happened or why not."""
    need = managed_need(need_id)
    if SimpleActionForm().validate_on_submit():
        session = get_session()
        try:
            verb(session, current_user, need)
            session.commit()
        except Refused as exc:
            flash(str(exc.message), "warning")
        else:
            flash(str(done))
    return redirect(url_for("needs.detail", need_id=need.id))


# --- the need page --------------------------------------------------------------------------
class _NeedView:
    """The need as the matcher should see it for one page view (e.g. ranked for another work style)."""

    def __init__(self, need: Need, **overrides: Any):
        self._need, self._overrides = need, overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides[name] if name in self._overrides else getattr(self._need, name)


def _filter_form() -> FilterForm:
    form = FilterForm(request.args)
    form.prefecture.choices = [SelectChoice("", _("Any"))] + prefecture_choices()
    form.work_style.choices = [SelectChoice("", _("As the need says"))] + choices("work_styles")
    form.scheme.choices = [SelectChoice("", _("Any"))] + choices("schemes")
    return form


def _ranking_inputs(form: FilterForm) -> tuple[matching.Filters, dict[str, float] | None, str | None, int]:
    """Filters, slider weights (None when untouched), work style override and how many to show."""
    filters = matching.Filters(
        prefectures=frozenset({form.prefecture.data}) if form.prefecture.data else None,
        min_remaining_hours=float(form.min_hours.data) if form.min_hours.data is not None else None,
        fee_within_budget=bool(form.within_budget.data),
        schemes=frozenset({form.scheme.data}) if form.scheme.data else None)
    sliders = {name: getattr(form, f"w_{name}").data for name in matching.SIGNALS}
    weights = ({name: (value or 0) / 100 for name, value in sliders.items()}
               if any(value is not None for value in sliders.values()) else None)
    show = form.show.data if form.show.data else PAGE_SIZE
    return filters, weights, form.work_style.data or None, show


def _rank(need: Need, form: FilterForm):
    """Rank the candidates as the filter form asks; invalid filters fall back to the plain ranking."""
    engine = current_app.extensions["hub.matcher"]
    session = get_session()
    if not form.validate():
        return engine.rank(session, need, top_k=PAGE_SIZE), PAGE_SIZE
    filters, weights, work_style, show = _ranking_inputs(form)
    target = _NeedView(need, work_style=work_style) if work_style else need
    if weights is not None and not any(weights.values()):
        form.w_skill.errors = [_("At least one weight must be above zero.")]
        weights = None
    return engine.rank(session, target, top_k=show, filters=filters, weights=weights), show


@bp.route("/<int:need_id>")
@login_required
def detail(need_id: int):
    need = load_need(need_id)
    session = get_session()
    context: dict[str, Any] = {"need": need, "action_form": SimpleActionForm(), **shared_context(need)}
    if permissions.can_see_candidates(current_user, need):
        form = _filter_form()
        outcome, show = _rank(need, form)
        entries = list(session.scalars(
            select(ShortlistEntry).where(ShortlistEntry.need_id == need.id)
            .options(selectinload(ShortlistEntry.expert).selectinload(ExpertProfile.user))
            .order_by(ShortlistEntry.created_at, ShortlistEntry.id)))
        engaged = {}
        for engagement in session.scalars(select(Engagement).where(Engagement.need_id == need.id,
                                                                   Engagement.source == "need")
                                          .options(selectinload(Engagement.evaluation))
                                          .order_by(Engagement.id)):
            engaged[engagement.expert_id] = engagement  # the newest wins
        weights_shown = {name: round(outcome.result.weights.get(name, 0) * 100) for name in matching.SIGNALS}
        for name, value in weights_shown.items():
            field = getattr(form, f"w_{name}")
            if field.data is None or field.errors:
                field.data = value
        tax, lang = taxonomy(), locale()
        context.update(
            facts={i: card_facts(e, need, tax, lang) for i, e in outcome.experts.items()},
            form=form, outcome=outcome, show=show, entries=entries, engaged=engaged,
            shortlisted={e.expert_id for e in entries}, shortlist_form=ShortlistForm(),
            weights_form=WeightsForm(formdata=None, **{f"w_{k}": v for k, v in weights_shown.items()}),
            contact_forms={e.id: ContactForm(formdata=None, prefix=f"c{e.id}") for e in entries},
            start_forms={e.id: StartEngagementForm(formdata=None, prefix=f"s{e.id}", hours_per_month=need.hours_per_month,
                                                   start=need.start_date, end=need.end_date) for e in entries},
            complete_forms={e.id: CompleteEngagementForm(formdata=None, prefix=f"x{e.id}", end=need.end_date)
                            for e in entries},
            more_args={**request.args.to_dict(), "show": show + PAGE_SIZE},
            excluded_total=sum(outcome.result.excluded.values()),
            filtered_total=sum(outcome.result.filtered.values()),
            excluded_reasons=_counted(outcome.result.excluded, EXCLUSION_LABELS),
            filtered_reasons=_counted(outcome.result.filtered, FILTER_LABELS))
        context.update(team_context(need))  # needs/_teams.html: proposals when the need asks for roles
    return render_template("needs/detail.html", **context)


def skill_names(item_ids) -> list[str]:
    items = taxonomy().items
    return [items[i].name(locale()) if i in items else i for i in item_ids]


def _counted(counts: dict[str, int], labels: dict) -> str:
    """「理由 n人、理由 m人」: the non-zero counts as one list in the user's language."""
    return format_list(_("%(reason)s %(count)d", reason=labels.get(reason, reason), count=count)
                       for reason, count in counts.items() if count)


@bp.post("/<int:need_id>/shortlist")
@login_required  # managed_need() asks permissions.can_manage_need
def shortlist(need_id: int):
    """Shortlist a ranked expert with the score and explanation of the ranking the officer was looking at."""
    need = managed_need(need_id)
    form = ShortlistForm()
    expert_id = parse_row_id(form.expert_id.data) if form.validate_on_submit() else None
    if expert_id is None:
        abort(400)
    outcome, _show = _rank(need, _filter_form())
    position, match = next(((i, m) for i, m in enumerate(outcome.matches, 1) if m.expert_id == expert_id),
                           (None, None))
    if match is None:
        flash(_("This expert is no longer among the ranked candidates; the ranking has changed."), "warning")
    else:
        session = get_session()
        name = outcome.experts[expert_id].name
        try:
            with conflicts_as(session, _l("%(name)s is on the shortlist already.", name=name)):
                engagements.shortlist(session, current_user, need, match, outcome.result, rank=position)
                session.commit()
        except Refused as exc:
            flash(str(exc.message), "warning")
        else:
            flash(_("%(name)s added to the shortlist.", name=name))
    # Back to the candidate the officer was looking at, not ~8,000 px further down to the shortlist.
    return redirect(url_for("needs.detail", need_id=need.id, **request.args.to_dict()) + f"#expert-{expert_id}")


def shortlist_targets(user) -> list[Need]:
    """The needs an officer may add experts to: their organization's needs that are not closed."""
    organization_id = permissions.visible_own_organization_id(user)
    if organization_id is None or not permissions.can_post_need(user):
        return []
    return list(get_session().scalars(select(Need).where(Need.organization_id == organization_id,
                                                         Need.status.in_(("draft", "open", "filled")))
                                      .order_by(Need.created_at.desc(), Need.id.desc())))


def add_forms_for(user, expert_ids, back: str) -> dict[int, AddToShortlistForm]:
    """The "add to shortlist" forms of search results and profiles (expert id -> form); none for whoever
    has no need to add to."""
    targets = shortlist_targets(user)
    if not targets:
        return {}
    choices = [SelectChoice(str(n.id), f"{n.title}（{NEED_STATUS_LABELS[n.status]}）") for n in targets]
    forms = {}
    for expert_id in expert_ids:
        form = AddToShortlistForm(formdata=None, expert_id=str(expert_id), back=back, prefix=f"a{expert_id}")
        form.need_id.choices = choices
        forms[expert_id] = form
    return forms


def _safe_back(target: str | None) -> str | None:
    from hub.views.auth import _safe_next
    return _safe_next(target)


@bp.post("/shortlist/add")
@allowed_if(permissions.can_post_need)
def add_to_shortlist():
    """Shortlist an expert found in the search or on a profile, then return to that page, at that expert."""
    prefix = request.form.get("prefix", "")
    form = AddToShortlistForm(prefix=prefix if prefix.startswith("a") and prefix[1:].isdigit() else "")
    need_id = parse_row_id(form.need_id.data) if form.validate_on_submit() else None
    expert_id = parse_row_id(form.expert_id.data) if need_id else None
    if need_id is None or expert_id is None:
        abort(400)
    need = managed_need(need_id)
    session = get_session()
    expert = session.get(ExpertProfile, expert_id)
    if expert is None or not permissions.can_view_expert(session, current_user, expert):
        abort(404)
    name = expert.name
    try:
        with conflicts_as(session, _l("%(name)s is on the shortlist already.", name=name)):
            shortlist_verbs.add_to_shortlist(session, current_user, need, expert)
            session.commit()
    except Refused as exc:
        flash(str(exc.message), "warning")
    else:
        flash(_("%(name)s added to the shortlist of “%(title)s”.", name=name, title=need.title))
    back = _safe_back(form.back.data)
    return redirect(back + f"#expert-{expert_id}" if back else url_for("needs.detail", need_id=need.id) + "#shortlist")


@bp.post("/<int:need_id>/shortlist/<int:entry_id>/withdraw")
@login_required  # managed_need() asks permissions.can_manage_need
def withdraw(need_id: int, entry_id: int):
    need = managed_need(need_id)
    entry = _entry(need, entry_id)
    if SimpleActionForm().validate_on_submit():
        session = get_session()
        name = entry.expert.name
        try:
            shortlist_verbs.withdraw(session, current_user, entry)
            session.commit()  # the expert is told once this succeeded
        except Refused as exc:
            session.rollback()
            flash(str(exc.message), "warning")
        else:
            flash(_("The contact request to %(name)s was withdrawn.", name=name))
    return redirect(url_for("needs.detail", need_id=need.id) + f"#entry-{entry_id}")


@bp.post("/<int:need_id>/shortlist/<int:entry_id>/remove")
@login_required  # managed_need() asks permissions.can_manage_need
def remove_entry(need_id: int, entry_id: int):
    need = managed_need(need_id)
    entry = _entry(need, entry_id)
    if SimpleActionForm().validate_on_submit():
        session = get_session()
        name = entry.expert.name
        try:
            shortlist_verbs.remove(session, current_user, entry)
            session.commit()
        except Refused as exc:
            session.rollback()
            flash(str(exc.message), "warning")
        else:
            flash(_("%(name)s was removed from the shortlist.", name=name))
    return redirect(url_for("needs.detail", need_id=need.id) + "#shortlist")


@bp.route("/<int:need_id>/compare")
@login_required
def compare(need_id: int):
    """The shortlisted people side by side: what the need asks, row by row, one column per person."""
    need = load_need(need_id)
    permissions.require(permissions.can_see_candidates(current_user, need))
    session = get_session()
    entries = list(session.scalars(
        select(ShortlistEntry).where(ShortlistEntry.need_id == need.id)
        .options(selectinload(ShortlistEntry.expert).options(*expert_load_options()))
        .order_by(ShortlistEntry.rank.asc().nulls_last(), ShortlistEntry.created_at, ShortlistEntry.id)))
    remaining = remaining_hours_by_expert(session, [e.expert_id for e in entries], need.start_date, need.end_date)
    facts = {e.expert_id: card_facts(e.expert, need, taxonomy(), locale()) for e in entries}
    return render_template("needs/compare.html", need=need, entries=entries, facts=facts, remaining=remaining)


@bp.post("/<int:need_id>/weights")
@login_required  # managed_need() asks permissions.can_manage_need
def keep_weights(need_id: int):
    """Store the slider weights as the need's own; every later ranking of the need uses them."""
    need = managed_need(need_id)
    form = WeightsForm()
    session = get_session()
    if form.validate_on_submit() and not form.reset.data:
        values, done = {name: getattr(form, f"w_{name}").data for name in matching.SIGNALS}, \
            _("These weights are now used for this need.")
    elif form.reset.data and form.csrf_token.validate(form):
        values, done = None, _("This need uses the hub's weights again.")
    else:
        return redirect(url_for("needs.detail", need_id=need.id))
    try:
        need_verbs.set_weights(session, current_user, need, values)
        session.commit()
    except Refused as exc:
        flash(str(exc.message), "error")
    else:
        flash(done)
    return redirect(url_for("needs.detail", need_id=need.id))


def _entry(need: Need, entry_id: int) -> ShortlistEntry:
    entry = get_session().get(ShortlistEntry, entry_id)
    if entry is None or entry.need_id != need.id:
        abort(404)
    return entry


@bp.post("/<int:need_id>/shortlist/<int:entry_id>/contact")
@login_required  # managed_need() asks permissions.can_manage_need
def contact(need_id: int, entry_id: int):
    need = managed_need(need_id)
    entry = _entry(need, entry_id)
    form = ContactForm(prefix=f"c{entry.id}")
    if form.validate_on_submit():
        session = get_session()
        name = entry.expert.name
        try:
            engagements.request_contact(session, current_user, entry, form.message.data or "")
            session.commit()  # the expert is mailed once this succeeded
        except Refused as exc:
            flash(str(exc.message), "warning")
        else:
            flash(_("Contact request sent to %(name)s.", name=name))
    else:
        for error in form.message.errors:
            flash(error, "error")
    return redirect(url_for("needs.detail", need_id=need.id) + "#shortlist")


@bp.post("/<int:need_id>/shortlist/<int:entry_id>/engagement")
@login_required  # managed_need() asks permissions.can_manage_need
def start_engagement(need_id: int, entry_id: int):
    need = managed_need(need_id)
    entry = _entry(need, entry_id)
    form = StartEngagementForm(prefix=f"s{entry.id}")
    if form.validate_on_submit():
        session = get_session()
        name = entry.expert.name
        try:
            with conflicts_as(session, _l("An engagement can start only once the expert has accepted, and only "
                                          "once at a time.")):
                engagements.start_engagement(session, current_user, entry, role=form.role.data,
                                             start=form.start.data, end=form.end.data,
                                             hours_per_month=form.hours_per_month.data)
                session.commit()
        except NotEnoughHours as exc:
            session.rollback()
            form.hours_per_month.errors = [str(exc.message)]  # the form keeps what was typed
        except Refused as exc:
            session.rollback()
            flash(str(exc.message), "error")
        else:
            flash(_("Engagement with %(name)s started.", name=name))
            return redirect(url_for("needs.detail", need_id=need.id) + "#shortlist")
    return _detail_with_error(need, entry, start_form=form)


def _engagement(need: Need, engagement_id: int) -> Engagement:
    engagement = get_session().get(Engagement, engagement_id)
    if engagement is None or engagement.need_id != need.id:
        abort(404)
    return engagement


@bp.post("/<int:need_id>/engagements/<int:engagement_id>/complete")
@login_required  # managed_need() asks permissions.can_manage_need
def complete(need_id: int, engagement_id: int):
    need = managed_need(need_id)
    engagement = _engagement(need, engagement_id)
    entry = get_session().scalar(select(ShortlistEntry).where(ShortlistEntry.need_id == need.id,
                                                              ShortlistEntry.expert_id == engagement.expert_id))
    form = CompleteEngagementForm(prefix=f"x{entry.id}" if entry else "")
    if form.validate_on_submit():
        session = get_session()
        try:
            engagements.complete_engagement(session, current_user, engagement, end=form.end.data,
                                            contribution=form.contribution.data or "",
                                            outcome=form.outcome.data or "")
            session.commit()
        except Refused as exc:
            session.rollback()
            form.end.errors = [str(exc.message)]
        else:
            flash(_("Engagement completed. Please evaluate it."))
            return redirect(url_for("needs.evaluate", need_id=need.id, engagement_id=engagement.id))
    return _detail_with_error(need, entry, complete_form=form)


def _detail_with_error(need: Need, entry: ShortlistEntry | None, **forms: Any):
    """Show one step's form with its errors and what was typed (no re-ranking needed)."""
    return render_template("needs/step.html", need=need, entry=entry, **forms), 400


@bp.route("/<int:need_id>/engagements/<int:engagement_id>/evaluate", methods=["GET", "POST"])
@login_required  # managed_need() asks permissions.can_manage_need
def evaluate(need_id: int, engagement_id: int):
    need = managed_need(need_id)
    engagement = _engagement(need, engagement_id)
    if engagement.evaluation is not None:
        flash(_("This engagement has been evaluated already."), "warning")
        return redirect(url_for("needs.detail", need_id=need.id) + "#shortlist")
    if engagement.status != "completed":
        abort(409, description=_("Complete the engagement before evaluating it."))
    asked = {s.skill_id: s.min_level for s in need.skills}
    if request.method == "POST":
        form = EvaluationForm()
    else:
        form = EvaluationForm(data={"skills": [{"skill_id": skill_id} for skill_id in asked]})
    rows = {row.form.skill_id.data for row in form.skills}
    if rows != set(asked):  # a tampered form: rate exactly the need's skills
        form = EvaluationForm(formdata=None, data={"skills": [{"skill_id": skill_id} for skill_id in asked]})
    if request.method == "POST" and form.validate():
        session = get_session()
        name = engagement.expert.name
        try:
            with conflicts_as(session, _l("This engagement has been evaluated already.")):
                engagements.evaluate(session, current_user, engagement, overall=form.overall.data,
                                     would_rehire=form.rehire(), comment=form.comment.data or "",
                                     skill_ratings=form.skill_ratings(), asked_levels=asked)
                session.commit()
        except Refused as exc:
            flash(str(exc.message), "warning")
        else:
            flash(_("Thank you: the evaluation is saved and now part of %(name)s's record.", name=name))
        return redirect(url_for("needs.detail", need_id=need.id) + "#shortlist")
    return render_template("needs/evaluate.html", need=need, engagement=engagement, form=form, asked=asked)
