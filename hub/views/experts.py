"""The expert side: profile editor in sections, track record, dashboard, contact answers, profile page."""
from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub import permissions
from hub.auth import allowed_if
from hub.db import get_session
from hub.forms import locale
from hub.forms.experts import (BasicsForm, EngagementForm, FeeForm, FieldsForm, HoursForm, RolesForm,
                               SchemesForm, VisibilityForm, WorkForm, skills_form)
from hub.gazetteer import load_gazetteer
from hub.models import Engagement, ExpertProfile, Need, Notification
from hub.services import accounts, contact, notifications as notices, privacy
from hub.services.availability import concurrent_engagements, remaining_hours
from hub.services.errors import Refused, conflicts_as
from hub.services.experts import (ExpertData, RecordData, confirm_skills, delete_record_engagement,
                                  save_record_engagement, update_profile)
from hub.services.matching import is_availability_stale

bp = Blueprint("experts", __name__, url_prefix="/experts")

# -- helpers ------------------------------------------------------------------------------------

def own_expert() -> ExpertProfile:
    """The signed-in expert's profile (experts always have one; an account without one is a 404)."""
    expert = current_user.expert
    if expert is None:
        abort(404)
    return expert


def expert_data(expert: ExpertProfile) -> ExpertData:
    """What the profile says now, in the shape apply_expert takes (engagements left alone)."""
    return ExpertData(
        external_id=expert.external_id, name=expert.name, talent_type=expert.talent_type, email=expert.email,
        roles=expert.role_ids, skills={r.skill_id: r.level for r in expert.skills if r.source != "inferred"}, bio=expert.bio or "", fields=expert.field_ids,
        stages_led=expert.stage_ids, home_lg_code=expert.home_lg_code, remote=expert.remote,
        onsite=expert.onsite, resident=expert.resident, max_travel_km=expert.max_travel_km,
        travel_prefectures=[p.prefecture_code for p in expert.travel_prefectures],
        hours_per_month=expert.hours_per_month, available_from=expert.available_from,
        available_until=expert.available_until, fee_unit=expert.fee_unit, fee_amount=expert.fee_amount,
        fee_negotiable=expert.fee_negotiable, schemes=expert.scheme_ids, engagements=None)


def stale_days() -> int:
    return int(current_app.config["AVAILABILITY_STALE_DAYS"])


# -- profile sections ---------------------------------------------------------------------------
# Each section has a loader (profile -> form data) and a parser (form -> the arguments of
# services.experts.update_profile: the ExpertData it says, and other profile columns).

def _load_basics(e):
    return {"name": e.name, "talent_type": e.talent_type, "bio": e.bio, "email": e.email, "phone": e.phone}


def _save_basics(e, form):
    return {"data": dataclasses.replace(expert_data(e), name=form.name.data, talent_type=form.talent_type.data,
                                        bio=form.bio.data or "", email=form.email.data or None),
            "phone": form.phone.data or None}


def _load_skills(e):
    """The levels the expert stated; skills read from the text (推定) are confirmed apart."""
    return {f"skill_{row.skill_id}": row.level for row in e.skills if row.source != "inferred"}


def _save_skills(e, form):
    tax = current_app.extensions["hub.taxonomy"]
    levels = {item_id: form[f"skill_{item_id}"].data or 0 for item_id in tax.item_ids}
    # Level 0 means "no experience": no row, except where an evaluation verified the skill.
    keep = {row.skill_id for row in e.skills if row.source in ("verified", "rated")}
    skills = {k: v for k, v in levels.items() if v > 0 or k in keep}
    return {"data": dataclasses.replace(expert_data(e), skills=skills)}


def _load_roles(e):
    return {"roles": e.role_ids}


def _save_roles(e, form):
    return {"data": dataclasses.replace(expert_data(e), roles=form.roles.data or [])}


def _load_fields(e):
    return {"fields_": e.field_ids, "stages_led": e.stage_ids}


def _save_fields(e, form):
    return {"data": dataclasses.replace(expert_data(e), fields=form.fields_.data or [],
                                        stages_led=form.stages_led.data or [])}


def _load_hours(e):
    return {"hours_per_month": e.hours_per_month, "available_from": e.available_from,
            "available_until": e.available_until}


def _save_hours(e, form):
    return {"data": dataclasses.replace(
        expert_data(e), hours_per_month=form.hours_per_month.data, available_from=form.available_from.data,
        available_until=form.available_until.data), "confirm_availability": True}  # saving them confirms them


def _load_work(e):
    place = load_gazetteer().by_code(e.home_lg_code) if e.home_lg_code else None
    return {"remote": e.remote, "onsite": e.onsite, "resident": e.resident,
            "home": place.full_name if place else "", "max_travel_km": e.max_travel_km,
            "travel_prefectures": [p.prefecture_code for p in e.travel_prefectures]}


def _save_work(e, form):
    return {"data": dataclasses.replace(
        expert_data(e), remote=form.remote.data, onsite=form.onsite.data, resident=form.resident.data,
        home_lg_code=form.home_code, max_travel_km=form.max_travel_km.data,
        travel_prefectures=form.travel_prefectures.data or [])}


def _load_fee(e):
    return {"fee_unit": e.fee_unit or "", "fee_amount": e.fee_amount, "fee_negotiable": e.fee_negotiable}


def _save_fee(e, form):
    unit = form.fee_unit.data or None
    return {"data": dataclasses.replace(expert_data(e), fee_unit=unit,
                                        fee_amount=form.fee_amount.data if unit else None,
                                        fee_negotiable=form.fee_negotiable.data)}


def _load_schemes(e):
    return {"schemes": e.scheme_ids}


def _save_schemes(e, form):
    return {"data": dataclasses.replace(expert_data(e), schemes=form.schemes.data or [])}


def _load_visibility(e):
    return {"listed": e.listed, "visibility": e.visibility, "notify_opt_in": e.notify_opt_in, "status": e.status}


def _save_visibility(e, form):
    """Listing itself follows the consent (privacy.set_listing_consent, called by the view)."""
    return {"visibility": form.visibility.data, "notify_opt_in": form.notify_opt_in.data, "status": form.status.data}


@dataclasses.dataclass(frozen=True)
class Section:
    id: str
    title: object
    intro: object
    form: object
    load: object
    save: object


SECTIONS = [
    Section("basics", _l("Basics and type"), _l("Who you are and which kind of work you lead."),
            BasicsForm, _load_basics, _save_basics),
    Section("skills", _l("Skills"), _l("Rate yourself honestly on each DSS skill item. Evaluations by "
                                       "municipalities later verify what you claim."),
            skills_form, _load_skills, _save_skills),
    Section("roles", _l("Roles"), _l("The DSS roles you can take in a project."), RolesForm, _load_roles,
            _save_roles),
    Section("fields", _l("Fields and stages"), _l("The fields you know, and the stages of regional DX "
                                                  "projects you have led yourself."),
            FieldsForm, _load_fields, _save_fields),
    Section("hours", _l("Hours and period"), _l("How much time you can give. Saving this also confirms "
                                                "your availability."), HoursForm, _load_hours, _save_hours),
    Section("work", _l("Work style and place"), _l("How and where you can work."), WorkForm, _load_work,
            _save_work),
    Section("fee", _l("Desired fee"), _l("Municipalities plan budgets; a rough figure helps them. "
                                         "“Not stated” is shown as unknown."), FeeForm, _load_fee, _save_fee),
    Section("schemes", _l("Schemes"), _l("The national schemes you are registered with."), SchemesForm,
            _load_schemes, _save_schemes),
    Section("visibility", _l("Visibility and consent"), _l("Whether and to whom your profile is shown, and "
                                                           "whether we may notify you."),
            VisibilityForm, _load_visibility, _save_visibility),
]
SECTION_BY_ID = {s.id: s for s in SECTIONS}


@bp.route("/me/profile/<section>", methods=["GET", "POST"])
@allowed_if(permissions.is_expert)
def edit(section: str):
    spec = SECTION_BY_ID.get(section)
    if spec is None:
        abort(404)
    expert = own_expert()
    form = spec.form(data=spec.load(expert))
    if form.validate_on_submit():
        db = get_session()
        try:
            update_profile(db, current_user, expert, spec.id, **spec.save(expert, form))
            if spec.id == "visibility":
                privacy.set_listing_consent(db, current_user, expert, form.listed.data)
            db.commit()
        except Refused as exc:
            db.rollback()
            flash(str(exc.message), "error")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for(".edit", section=spec.id))
    position = SECTIONS.index(spec)
    following = SECTIONS[position + 1] if position + 1 < len(SECTIONS) else None
    extra = {}
    if spec.id == "skills":
        extra["taxonomy"] = current_app.extensions["hub.taxonomy"]
    if spec.id == "roles":
        extra["taxonomy"] = current_app.extensions["hub.taxonomy"]
    if spec.id == "work":
        extra["places"] = [p.full_name for p in load_gazetteer()]
    return render_template(f"experts/edit_{spec.id}.html" if spec.id in ("skills", "roles") else "experts/edit.html",
                           form=form, section=spec, sections=SECTIONS, following=following, expert=expert,
                           lang=locale(), **extra)


# -- track record ---------------------------------------------------------------------------------

def _own_engagement(engagement_id: int) -> Engagement:
    expert = own_expert()
    engagement = get_session().get(Engagement, engagement_id)
    if engagement is None or engagement.expert_id != expert.id:
        abort(404)
    if engagement.source != "import":
        abort(403, description=_("This engagement was recorded through the hub and cannot be edited here."))
    return engagement


def _record_data(form: EngagementForm) -> RecordData:
    return RecordData(
        org_kind=form.org_kind.data, org_code=form.org_code, org_name=form.organization.data,
        org_prefecture=form.org_prefecture.data or None, title=form.title.data, role=form.role.data or "",
        contribution=form.contribution.data or "", outcome=form.outcome.data or None, start=form.start.data,
        end=form.end.data, hours_per_month=form.hours_per_month.data, status=form.status.data,
        stages=form.stages.data or [], fields=form.fields_.data or [])


def _engagement_initial(engagement: Engagement) -> dict:
    org = engagement.organization
    local = org.kind in ("municipality", "prefecture")
    return {"organization": org.name, "org_kind": "local" if local else org.kind,
            "org_prefecture": "" if local else org.prefecture_code, "title": engagement.title,
            "stages": engagement.stage_ids, "fields_": engagement.field_ids, "role": engagement.role,
            "contribution": engagement.contribution, "outcome": engagement.outcome or "",
            "start": engagement.start_date, "end": engagement.end_date,
            "hours_per_month": engagement.hours_per_month, "status": engagement.status}


@bp.route("/me/engagements")
@allowed_if(permissions.is_expert)
def engagements():
    expert = own_expert()
    return render_template("experts/engagements.html", expert=expert, sections=SECTIONS, lang=locale(),
                           taxonomy=current_app.extensions["hub.taxonomy"])


@bp.route("/me/engagements/new", methods=["GET", "POST"])
@allowed_if(permissions.is_expert)
def engagement_new():
    expert = own_expert()
    form = EngagementForm()
    if form.validate_on_submit():
        db = get_session()
        save_record_engagement(db, current_user, expert, None, _record_data(form))
        db.commit()
        flash(_("Engagement added."), "success")
        return redirect(url_for(".engagements"))
    return render_template("experts/engagement_form.html", form=form, engagement=None, sections=SECTIONS)


@bp.route("/me/engagements/<int:engagement_id>/edit", methods=["GET", "POST"])
@allowed_if(permissions.is_expert)
def engagement_edit(engagement_id: int):
    engagement = _own_engagement(engagement_id)
    form = EngagementForm(data=_engagement_initial(engagement))
    if form.validate_on_submit():
        db = get_session()
        save_record_engagement(db, current_user, engagement.expert, engagement, _record_data(form))
        db.commit()
        flash(_("Engagement saved."), "success")
        return redirect(url_for(".engagements"))
    return render_template("experts/engagement_form.html", form=form, engagement=engagement, sections=SECTIONS)


@bp.post("/me/engagements/<int:engagement_id>/delete")
@allowed_if(permissions.is_expert)
def engagement_delete(engagement_id: int):
    engagement = _own_engagement(engagement_id)
    db = get_session()
    delete_record_engagement(db, current_user, engagement.expert, engagement)
    db.commit()
    flash(_("Engagement deleted."), "success")
    return redirect(url_for(".engagements"))


# -- dashboard, availability, contact requests ---------------------------------------------------------

@bp.route("/me")
@allowed_if(permissions.is_expert)
def dashboard():
    db = get_session()
    expert = own_expert()
    current = concurrent_engagements(db, expert, date.today())
    notifications = list(db.scalars(select(Notification).where(Notification.user_id == current_user.id)
                                    .order_by(Notification.created_at.desc()).limit(10)))
    need_ids = {n.need_id for n in notifications if n.need_id}
    needs = {n.id: n for n in db.scalars(select(Need).where(Need.id.in_(need_ids))
                                         .options(selectinload(Need.organization)))} if need_ids else {}
    links = {}
    for n in notifications:
        target = notices.link_of(n, for_expert=True)
        if target and (n.need_id is None or n.need_id in needs and permissions.can_see_need(current_user,
                                                                                         needs[n.need_id])):
            links[n.id] = url_for(target[0], **target[1])
    checklist = [
        (SECTION_BY_ID["basics"], bool(expert.bio)),
        (SECTION_BY_ID["skills"], any(level > 0 for level in expert.skill_levels.values())),
        (SECTION_BY_ID["roles"], bool(expert.roles)),
        (SECTION_BY_ID["fields"], bool(expert.fields)),
        (SECTION_BY_ID["hours"], expert.hours_per_month > 0),
        (SECTION_BY_ID["work"], bool(expert.home_lg_code)),
        (SECTION_BY_ID["fee"], expert.fee_unit is not None),
    ]
    return render_template(
        "experts/dashboard.html", expert=expert, requests=contact.open_requests(db, expert),
        answered=contact.answered_requests(db, expert, limit=5), current=current,
        remaining=remaining_hours(expert, current), notifications=notifications, needs=needs, links=links,
        stale=is_availability_stale(expert, stale_days()), checklist=checklist, lang=locale())


NEEDS_FOR_YOU_SCAN = 200  # the newest open needs the page weighs for the expert
NEEDS_FOR_YOU_SHOWN = 20


@bp.route("/me/needs")
@allowed_if(permissions.is_expert)
def needs_for_me():
    """Open needs that fit the expert, best first, scored by the same matcher that ranks experts for needs."""
    db = get_session()
    expert = own_expert()
    open_needs = list(db.scalars(select(Need).where(Need.status == "open")
                                 .options(selectinload(Need.organization), selectinload(Need.skills),
                                          selectinload(Need.stages), selectinload(Need.fields))
                                 .order_by(Need.published_at.desc().nulls_last(), Need.id.desc())
                                 .limit(NEEDS_FOR_YOU_SCAN)))
    fits = current_app.extensions["hub.matcher"].fit_for_expert(db, expert.id, open_needs)
    ranked = sorted((n for n in open_needs if n.id in fits), key=lambda n: -fits[n.id].score)[:NEEDS_FOR_YOU_SHOWN]
    asked = {e.need_id: e for e in contact.open_requests(db, expert)}
    return render_template("experts/needs_for_me.html", expert=expert, needs=ranked, fits=fits, asked=asked,
                           considered=len(open_needs), taxonomy=current_app.extensions["hub.taxonomy"],
                           lang=locale())


@bp.post("/me/skills/confirm")
@allowed_if(permissions.is_expert)
def confirm_inferred_skills():
    """The expert confirms or corrects the skills read from their profile text (推定): level_<item> = 0-4."""
    expert = own_expert()
    levels = {}
    for key, value in request.form.items():
        if key.startswith("level_"):
            try:
                levels[key[len("level_"):]] = int(value)
            except ValueError:
                flash(_("Choose a level for each skill."), "error")
                return redirect(url_for(".profile", expert_id=expert.id, _anchor="skills-h"))
    db = get_session()
    try:
        confirm_skills(db, current_user, expert, levels)
    except Refused as exc:
        flash(str(exc.message), "error")
    else:
        db.commit()
        flash(_("Thank you: your skills are confirmed."), "success")
    return redirect(url_for(".profile", expert_id=expert.id, _anchor="skills-h"))


@bp.post("/me/availability")
@allowed_if(permissions.is_expert)
def confirm_availability():
    db = get_session()
    accounts.confirm_availability(db, current_user, own_expert())
    db.commit()
    flash(_("Thank you: your availability is confirmed."), "success")
    return redirect(url_for(".dashboard"))


@bp.route("/availability/<token>")
def confirm_availability_link(token: str):
    """The one-click link of the reminder mail; signed and time-limited, so it needs no login."""
    db = get_session()
    max_age = stale_days() * 86400
    expert = accounts.expert_from_availability_token(db, current_app.config["SECRET_KEY"], token, max_age)
    if expert is None:
        abort(404, description=_("This link has expired. Log in and confirm your availability on your dashboard."))
    accounts.confirm_availability(db, None, expert)
    db.commit()
    return render_template("experts/availability_confirmed.html", expert=expert)


@bp.post("/me/requests/<int:entry_id>")
@allowed_if(permissions.is_expert)
def respond(entry_id: int):
    answer = request.form.get("answer")
    if answer not in ("accept", "decline"):
        abort(400)
    db = get_session()
    try:
        with conflicts_as(db, _l("This contact request is no longer open.")):
            entry = contact.respond(db, current_user, own_expert(), entry_id, accept=answer == "accept")
            db.commit()
    except contact.NotAContactRequest:
        abort(404)
    except Refused as exc:
        flash(str(exc.message), "warning")
        return redirect(url_for(".dashboard"))
    if entry.state == "accepted":
        flash(_("You accepted. %(org)s can now see your contact details.", org=entry.need.organization.name),
              "success")
    else:
        flash(_("You declined the request."), "success")
    return redirect(url_for(".dashboard"))


@bp.post("/me/notifications/read")
@allowed_if(permissions.is_expert)
def notifications_read():
    db = get_session()
    notices.mark_read(db, current_user)
    db.commit()
    return redirect(url_for(".dashboard"))


# -- the profile page -------------------------------------------------------------------------------

def profile_summary(db: Session, expert: ExpertProfile) -> dict:
    """Everything the profile page shows that is computed rather than typed."""
    today = date.today()
    current = concurrent_engagements(db, expert, today)
    completed = [e for e in expert.engagements if e.status == "completed"]
    record = [e for e in expert.engagements if e.status in ("active", "completed")]
    field_counts = Counter(f for e in completed for f in e.field_ids)
    stage_counts = Counter(s for e in completed for s in e.stage_ids)
    evaluations = [e.evaluation for e in record if e.evaluation is not None]
    rehire_answers = [ev.would_rehire for ev in evaluations if ev.would_rehire is not None]
    gazetteer = load_gazetteer()
    home = gazetteer.by_code(expert.home_lg_code) if expert.home_lg_code else None
    prefectures = {p.prefecture_code: p.name for p in gazetteer.prefectures()}
    return {
        "current": current,
        "remaining": remaining_hours(expert, current),
        "committed": sum(e.hours_per_month for e in current),
        "record": record,
        "completed_count": len(completed),
        "field_counts": field_counts,
        "stage_counts": stage_counts,
        "evaluations": evaluations,
        "rating_mean": sum(ev.overall for ev in evaluations) / len(evaluations) if evaluations else None,
        "rehire_yes": sum(1 for answer in rehire_answers if answer),
        "rehire_answers": len(rehire_answers),
        "comments": [(e, e.evaluation) for e in record if e.evaluation is not None and e.evaluation.comment],
        "verified_skills": [s for s in expert.skills if s.source in ("verified", "rated")],
        "home": home,
        "travel_prefectures": [prefectures.get(p.prefecture_code, p.prefecture_code)
                               for p in expert.travel_prefectures],
        "stale": is_availability_stale(expert, stale_days()),
    }


@bp.route("/<int:expert_id>")
@login_required
def profile(expert_id: int):
    db = get_session()
    expert = db.scalar(select(ExpertProfile).where(ExpertProfile.id == expert_id).options(
        selectinload(ExpertProfile.skills), selectinload(ExpertProfile.roles),
        selectinload(ExpertProfile.fields), selectinload(ExpertProfile.stages_led),
        selectinload(ExpertProfile.schemes), selectinload(ExpertProfile.travel_prefectures),
        selectinload(ExpertProfile.engagements).selectinload(Engagement.organization),
        selectinload(ExpertProfile.engagements).selectinload(Engagement.stages),
        selectinload(ExpertProfile.engagements).selectinload(Engagement.fields),
        selectinload(ExpertProfile.engagements).selectinload(Engagement.evaluation)))
    if expert is None:
        abort(404)
    if expert.deleted_at is not None:  # nothing left to protect: the page only says so
        return render_template("experts/deleted.html", expert=expert)
    permissions.require(permissions.can_view_expert(db, current_user, expert))
    from hub.views.needs import add_forms_for
    return render_template(
        "experts/profile.html", expert=expert, summary=profile_summary(db, expert),
        show_contact=permissions.can_see_contact(db, current_user, expert),
        is_own=permissions.can_edit_expert(current_user, expert), taxonomy=current_app.extensions["hub.taxonomy"], lang=locale(),
        stale_days=stale_days(), add_forms=add_forms_for(current_user, [expert.id], request.path))
