"""Adviser dispatch (地域情報化アドバイザー派遣): the verbs of the workflow, under the scheme's published rules.

    submitted -> under_review -> approved -> assigned -> scheduled -> done -> reported -> followed_up
    (submitted | under_review -> rejected, with a reason; any open state up to scheduled -> cancelled)

The rules are data (skill_taxonomy/data/dispatch_rules.yaml, `skill_taxonomy.load_rules()`), not constants:
who may request (and who must be recommended, by whom), the monthly application windows, the caps per case
(on-site days, online hours), the same adviser for the same project once per fiscal year, the report due
within a week of the support, the follow-up survey the next fiscal year. Each refusal is a Refused/StateError
with a translated message and a `reason` code naming the rule.

Assigning an adviser starts an engagement (source "dispatch") that commits the adviser's hours under the
capacity rule of engagements (a row lock on the adviser); marking the support done completes it, so the
requester's evaluation at the follow-up feeds the adviser's record and verified skills like a need's.

Each verb takes the session and the acting user (None: the system or a command), checks its permission and
rule, flushes and writes one audit event `dispatch_request.<verb>`; the caller commits, mail goes after it.
Arguments are plain values and the verbs return model objects, so the JSON API can call them as they are.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from matching.vectors import PRIOR_LEVEL

from hub import permissions
from hub.db import after_commit, utcnow
from hub.models import (DispatchAssignment, DispatchField, DispatchRequest, Engagement, EngagementField,
                        EngagementStage, Evaluation, ExpertProfile, Organization, User)
from hub.permissions import require
from hub.services import audit
from hub.services.availability import remaining_hours_by_expert
from hub.services.errors import NotEnoughHours, Refused, StateError
from skill_taxonomy import DISPATCH_PURPOSES, DISPATCH_STATES, Rules, load_rules

OPEN_STATES = ("submitted", "under_review", "approved", "assigned", "scheduled")  # still to happen
CANCELLABLE = OPEN_STATES
REVIEWABLE = ("submitted", "under_review")
FINISHED = ("reported", "followed_up", "rejected", "cancelled")
ADVISER_SCHEME = "adviser"

__all__ = ["DISPATCH_PURPOSES", "DISPATCH_STATES", "AdviserEvaluation", "RequestData", "answer_follow_up",
           "approve", "assign", "cancel", "file_report", "follow_up_due", "follow_up_engagements", "follow_up_skills",
           "is_report_overdue", "mark_done", "reject", "remind_follow_ups", "report_due", "schedule", "start_review",
           "submit", "today", "visible_requests"]


def today() -> date:
    """The day the rules are applied on (a function, so tests can move the clock)."""
    return date.today()


def rules() -> Rules:
    return load_rules()


# -- dates the rules derive -------------------------------------------------------------------------

def report_due(request: DispatchRequest) -> date | None:
    """The last day for the report: a week (the rules file says) after the support."""
    if request.support_date is None:
        return None
    return request.support_date + timedelta(days=rules().dispatch.report_due_days)


def is_report_overdue(request: DispatchRequest, on: date | None = None) -> bool:
    due = report_due(request)
    return request.state == "done" and due is not None and (on or today()) > due


def follow_up_due(request: DispatchRequest) -> date | None:
    """The first day of the fiscal year in which the requester answers the follow-up survey."""
    if request.support_date is None:
        return None
    r = rules()
    return r.fiscal_year_start(r.fiscal_year(request.support_date) + r.dispatch.follow_up_fiscal_years_after)


# -- submitting ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestData:
    """What a requester states (the form, the routing page's pre-fill and the API share it)."""

    theme: str
    purpose: str
    stage_id: str
    wanted_from: date
    wanted_until: date | None = None
    field_ids: tuple[str, ...] = ()
    description: str = ""
    project: str = ""
    days: int = 1
    online_hours: int = 0
    visits: int = 1
    team: bool = False
    named_expert_id: int | None = None
    recommender_id: int | None = None


def check_request_rules(session: Session, requester: Organization, data: RequestData,
                        on: date | None = None) -> None:
    """Raise Refused naming the first published rule the request breaks (the caller shows it)."""
    r = rules().dispatch
    on = on or today()
    if requester.kind not in r.requesters:
        raise Refused(_l("Adviser dispatch is not open to this kind of organization."), reason="requester_kind")
    if data.purpose not in DISPATCH_PURPOSES:
        raise Refused(_l("Choose the purpose of the dispatch."), reason="purpose")
    if requester.kind in r.recommended_requesters:
        recommender = session.get(Organization, data.recommender_id) if data.recommender_id else None
        if recommender is None:
            raise Refused(_l("A request of an NPO, university, chamber of commerce or local business needs a "
                             "recommending municipality or bureau."), reason="recommendation_required")
        if recommender.kind not in r.recommenders:
            raise Refused(_l("Only a municipality or a bureau can recommend a request."), reason="recommender_kind")
        if recommender.bureau_id != requester.bureau_id:
            raise Refused(_l("The recommending municipality or bureau must be in the requester's region."),
                          reason="recommender_region")
    if on.month not in r.application_months:
        raise Refused(_l("Requests are taken in the monthly application windows (%(months)s); this month has none.",
                         months=", ".join(str(m) for m in r.application_months)), reason="window")
    if data.wanted_until is not None and data.wanted_until < data.wanted_from:
        raise Refused(_l("The end of the wanted period comes before its start."), reason="period")
    if data.days < 0 or data.online_hours < 0:
        raise Refused(_l("Days and hours cannot be negative."), reason="negative")
    if data.days == 0 and data.online_hours == 0:
        raise Refused(_l("Ask for days on site or hours online."), reason="no_support")
    if data.days > r.max_onsite_days:
        raise Refused(_l("At most %(days)d days on site per case.", days=r.max_onsite_days), reason="onsite_days")
    if data.days == 0 and data.online_hours > r.max_online_hours:
        raise Refused(_l("At most %(hours)d hours per case when the support is only online.",
                         hours=r.max_online_hours), reason="online_hours")
    if data.named_expert_id is not None:
        named = session.get(ExpertProfile, data.named_expert_id)
        if named is None or ADVISER_SCHEME not in named.scheme_ids or named.deleted_at is not None:
            raise Refused(_l("The named expert is not a regional ICT adviser."), reason="named_not_adviser")


def submit(session: Session, actor: User | None, requester: Organization, data: RequestData, *,
           on: date | None = None) -> DispatchRequest:
    """File a request with the bureau of the requester's region; refuse it (Refused) when a rule says no."""
    if actor is not None:
        require(permissions.can_request_dispatch(actor) and actor.organization_id == requester.id)
    check_request_rules(session, requester, data, on)
    request = DispatchRequest(
        requester_id=requester.id, bureau_id=requester.bureau_id, recommender_id=data.recommender_id
        if requester.kind in rules().dispatch.recommended_requesters else None,
        theme=data.theme.strip(), purpose=data.purpose, stage_id=data.stage_id,
        description=data.description.strip(), project=data.project.strip(), wanted_from=data.wanted_from,
        wanted_until=data.wanted_until, days=data.days, online_hours=data.online_hours, visits=data.visits,
        online_ok=data.online_hours > 0, team=data.team, named_expert_id=data.named_expert_id,
        state="submitted", created_by_id=actor.id if actor else None,
        fields=[DispatchField(field_id=f) for f in dict.fromkeys(data.field_ids)])
    session.add(request)
    session.flush()
    audit.record(session, actor, "dispatch_request.submit", "dispatch_request", request.id,
                 requester_id=requester.id, bureau_id=request.bureau_id, purpose=data.purpose)
    return request


# -- the bureau's moves ---------------------------------------------------------------------------------

def _locked(session: Session, request: DispatchRequest) -> DispatchRequest:
    """Reload under a row lock: two officers clicking at once move the request once."""
    return session.get(DispatchRequest, request.id, with_for_update=True, populate_existing=True)


def _may_handle(actor: User | None, request: DispatchRequest) -> None:
    if actor is not None:
        require(permissions.can_handle_dispatch(actor, request))


def _expect(request: DispatchRequest, states: Iterable[str], message) -> None:
    if request.state not in tuple(states):
        raise StateError(message, reason=f"state_{request.state}")


def start_review(session: Session, actor: User | None, request: DispatchRequest) -> DispatchRequest:
    """The bureau takes a submitted request up."""
    _may_handle(actor, request)
    request = _locked(session, request)
    _expect(request, ("submitted",), _l("Only a submitted request can be taken up for review."))
    request.state = "under_review"
    session.flush()
    audit.record(session, actor, "dispatch_request.review", "dispatch_request", request.id)
    return request


def approve(session: Session, actor: User | None, request: DispatchRequest) -> DispatchRequest:
    _may_handle(actor, request)
    request = _locked(session, request)
    _expect(request, ("under_review",), _l("Only a request under review can be approved."))
    request.state = "approved"
    session.flush()
    audit.record(session, actor, "dispatch_request.approve", "dispatch_request", request.id)
    return request


def reject(session: Session, actor: User | None, request: DispatchRequest, reason: str) -> DispatchRequest:
    """Turn a request down; the requester reads the reason."""
    _may_handle(actor, request)
    if not reason.strip():
        raise Refused(_l("Say why the request is rejected."), reason="reason_required")
    request = _locked(session, request)
    _expect(request, REVIEWABLE, _l("Only a submitted request or one under review can be rejected."))
    request.state = "rejected"
    request.decision_reason = reason.strip()
    session.flush()
    audit.record(session, actor, "dispatch_request.reject", "dispatch_request", request.id)
    return request


def adviser_role() -> str:
    """The role an adviser's dispatch engagement records: the scheme's name, in Japanese like the records."""
    from skill_taxonomy import load
    return load().enums["schemes"][ADVISER_SCHEME].name("ja")


def dispatch_hours(request: DispatchRequest) -> int:
    """The hours a case commits of each adviser (days on site at the rules' hours a day, plus online hours)."""
    return request.days * rules().dispatch.hours_per_onsite_day + request.online_hours


def dispatch_period(request: DispatchRequest) -> tuple[date, date]:
    return request.wanted_from, request.wanted_until or request.wanted_from


def same_project_dispatches(session: Session, request: DispatchRequest, expert_id: int) -> int:
    """Other live requests of the requester for the same project in the same fiscal year with this adviser."""
    r = rules()
    year = r.fiscal_year(request.wanted_from)
    others = session.scalars(select(DispatchRequest).join(
        DispatchAssignment, DispatchAssignment.dispatch_id == DispatchRequest.id).where(
        DispatchRequest.requester_id == request.requester_id, DispatchRequest.id != request.id,
        DispatchAssignment.expert_id == expert_id, DispatchRequest.state.not_in(("rejected", "cancelled"))))
    return sum(1 for other in others if other.project_key == request.project_key
               and r.fiscal_year(other.support_date or other.wanted_from) == year)


def assign(session: Session, actor: User | None, request: DispatchRequest, expert_id: int, *,
           note: str = "") -> DispatchAssignment:
    """Assign an adviser: an engagement commits their hours for the case, under the capacity rule.

    The first adviser moves the request from approved to assigned; a team request takes more while assigned.
    """
    _may_handle(actor, request)
    request = _locked(session, request)
    _expect(request, ("approved", "assigned"), _l("Advisers are assigned to an approved request."))
    if request.state == "assigned" and not request.team:
        raise Refused(_l("This request asks for one adviser, not a team."), reason="team_not_asked")
    if any(a.expert_id == expert_id for a in request.assignments):
        raise Refused(_l("This adviser is assigned already."), reason="assigned_already")
    from hub.services.engagements import lock_expert
    expert = lock_expert(session, expert_id)
    if ADVISER_SCHEME not in expert.scheme_ids:
        raise Refused(_l("%(name)s is not a regional ICT adviser.", name=expert.name), reason="not_adviser")
    if expert.deleted_at is not None or expert.status != "active":
        raise Refused(_l("%(name)s is not active on the hub.", name=expert.name), reason="inactive")
    limit = rules().dispatch.same_adviser_same_project_per_fiscal_year
    if same_project_dispatches(session, request, expert.id) >= limit:
        raise Refused(_l("%(name)s advised this requester on the same project in this fiscal year already; the "
                         "scheme allows the same adviser once per project and fiscal year.", name=expert.name),
                      reason="same_adviser_same_project")
    start, end = dispatch_period(request)
    hours = dispatch_hours(request)
    left = remaining_hours_by_expert(session, [expert.id], start, end).get(expert.id, 0)
    if hours > left:
        raise NotEnoughHours(left, hours, expert.name)
    assignment = DispatchAssignment(dispatch_id=request.id, expert_id=expert.id, note=note.strip() or None)
    session.add(assignment)
    session.add(Engagement(
        expert=expert, organization_id=request.requester_id, dispatch_id=request.id, source="dispatch",
        title=request.theme, role=adviser_role(), start_date=start, end_date=end,
        hours_per_month=hours, status="active", stages=[EngagementStage(stage_id=request.stage_id)],
        fields=[EngagementField(field_id=f) for f in request.field_ids]))
    request.state = "assigned"
    session.flush()
    session.refresh(request, ["assignments"])
    audit.record(session, actor, "dispatch_request.assign", "dispatch_request", request.id, expert_id=expert.id,
                 hours=hours, remaining_before=left)
    if expert.user is not None:
        _tell_adviser(session, expert, request)
    return assignment


def _tell_adviser(session: Session, expert: ExpertProfile, request: DispatchRequest) -> None:
    """Mail the assigned adviser a link to the request (where they file the report), after the commit."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from hub.mail import external_url, send_mail_or_log

    with force_locale(expert.user.locale or "ja"):
        after_commit(session, send_mail_or_log, expert.user.email,
                     _("You are assigned to the adviser dispatch “%(theme)s”", theme=request.theme),
                     _("Hello %(name)s,\n\nthe bureau assigned you as regional ICT adviser to %(org)s for “%(theme)s”. "
                       "The request, its dates and, after the support, the report form (due within a week) are "
                       "here:\n\n%(link)s\n", name=expert.name, org=request.requester.name, theme=request.theme,
                       link=external_url("dispatch.detail", request_id=request.id)))


def schedule(session: Session, actor: User | None, request: DispatchRequest, day: date) -> DispatchRequest:
    """Fix the day of the support (for every assigned adviser)."""
    _may_handle(actor, request)
    request = _locked(session, request)
    _expect(request, ("assigned", "scheduled"), _l("A request is scheduled once an adviser is assigned."))
    for assignment in request.assignments:
        assignment.scheduled_on = day
    request.state = "scheduled"
    session.flush()
    audit.record(session, actor, "dispatch_request.schedule", "dispatch_request", request.id, day=day.isoformat())
    return request


def _engagements(session: Session, request: DispatchRequest, status: str) -> list[Engagement]:
    return list(session.scalars(select(Engagement).where(Engagement.dispatch_id == request.id,
                                                         Engagement.source == "dispatch",
                                                         Engagement.status == status)
                             .order_by(Engagement.id)))


def mark_done(session: Session, actor: User | None, request: DispatchRequest, support_date: date, *,
              on: date | None = None) -> DispatchRequest:
    """The support took place on `support_date`: the report is due a week later, the engagements complete."""
    _may_handle(actor, request)
    request = _locked(session, request)
    _expect(request, ("scheduled",), _l("Only a scheduled dispatch can be marked done."))
    if support_date > (on or today()):
        raise Refused(_l("The support cannot be done on a future day."), reason="future")
    request.state = "done"
    request.support_date = support_date
    for engagement in _engagements(session, request, "active"):
        engagement.status = "completed"
        engagement.end_date = max(support_date, engagement.start_date)
    session.flush()
    audit.record(session, actor, "dispatch_request.done", "dispatch_request", request.id,
                 support_date=support_date.isoformat())
    return request


def file_report(session: Session, actor: User | None, request: DispatchRequest, report: str) -> DispatchRequest:
    """The adviser's report of the support (late reports are taken, and stay flagged on the bureau's list)."""
    if actor is not None:
        require(permissions.can_report_dispatch(actor, request))
    if not report.strip():
        raise Refused(_l("Write the report."), reason="report_required")
    request = _locked(session, request)
    _expect(request, ("done",), _l("A report is filed once the support is done, and once."))
    overdue = is_report_overdue(request)
    request.state = "reported"
    request.report = report.strip()
    request.reported_at = utcnow()
    session.flush()
    audit.record(session, actor, "dispatch_request.report", "dispatch_request", request.id, late=overdue)
    return request


@dataclass
class AdviserEvaluation:
    """The requester's evaluation of one adviser at the follow-up: as a need's evaluation of an engagement."""

    overall: int
    would_rehire: bool | None = None
    comment: str = ""
    skill_ratings: dict[str, int] = field(default_factory=dict)


def follow_up_skills(request: DispatchRequest, engagement: Engagement) -> dict[str, int]:
    """The skills the follow-up rates for one adviser, item -> the level a good rating verifies.

    As a need's evaluation rates the skills the need asked for: the items of the request's stage the ranking
    asked for (its prior, at the matcher's PRIOR_LEVEL), then the adviser's own skills at their own level (a good
    rating confirms what they declared), in the taxonomy's order.
    """
    from skill_taxonomy import load
    taxonomy = load()
    own = {row.skill_id: row.level for row in engagement.expert.skills}
    asked = {item: max(PRIOR_LEVEL, own.get(item, 0)) for item in taxonomy.stage_prior([request.stage_id])}
    asked.update({item: own[item] for item in taxonomy.item_ids if own.get(item, 0) > 0 and item not in asked})
    return asked


def follow_up_engagements(session: Session, request: DispatchRequest) -> list[Engagement]:
    """The advisers' completed engagements the follow-up still evaluates (one evaluation each)."""
    return [engagement for engagement in _engagements(session, request, "completed")
            if session.scalar(select(Evaluation.id).where(Evaluation.engagement_id == engagement.id)) is None]


def answer_follow_up(session: Session, actor: User | None, request: DispatchRequest, answer: str, *,
                     evaluations: Mapping[int, AdviserEvaluation] | None = None, overall: int | None = None,
                     would_rehire: bool | None = None, comment: str = "",
                     on: date | None = None) -> DispatchRequest:
    """The requester's follow-up survey, the next fiscal year: what came of it, and how each adviser did.

    `evaluations` (engagement id -> AdviserEvaluation) evaluates each adviser's engagement with its skill
    ratings, which feed the adviser's record and verified skills like a need's evaluation; an engagement
    without one takes `overall`/`would_rehire`/`comment` (no skill ratings), and without those is refused.
    """
    if actor is not None:
        require(permissions.can_answer_follow_up(actor, request))
    if not answer.strip():
        raise Refused(_l("Say what came of the support."), reason="answer_required")
    request = _locked(session, request)
    _expect(request, ("reported",), _l("The follow-up survey is answered once, after the report."))
    due = follow_up_due(request)
    if due is not None and (on or today()) < due:
        raise Refused(_l("The follow-up survey opens in the next fiscal year, on %(day)s.", day=due.isoformat()),
                      reason="follow_up_not_yet")
    from hub.services.engagements import evaluate
    evaluations = evaluations or {}
    planned = []  # every adviser's evaluation checked before the first is written
    for engagement in follow_up_engagements(session, request):
        given = evaluations.get(engagement.id)
        if given is None and overall is None:
            raise Refused(_l("Rate each adviser."), reason="rating_required")
        given = given or AdviserEvaluation(overall, would_rehire, comment)
        asked = follow_up_skills(request, engagement)
        if unknown := set(given.skill_ratings) - set(asked):
            raise ValueError(f"skills outside this follow-up: {sorted(unknown)!r}")
        planned.append((engagement, given, asked))
    for engagement, given, asked in planned:
        evaluate(session, actor, engagement, overall=given.overall, would_rehire=given.would_rehire,
                 comment=given.comment, skill_ratings=given.skill_ratings, asked_levels=asked)
    request.state = "followed_up"
    request.follow_up = answer.strip()
    request.followed_up_at = utcnow()
    session.flush()
    audit.record(session, actor, "dispatch_request.follow_up", "dispatch_request", request.id,
                 evaluated=[engagement.id for engagement, _given, _asked in planned])
    return request


def cancel(session: Session, actor: User | None, request: DispatchRequest, reason: str = "") -> DispatchRequest:
    """Withdraw (requester) or cancel (bureau) a request that has not happened; assigned hours are released."""
    if actor is not None:
        require(permissions.can_cancel_dispatch(actor, request))
    request = _locked(session, request)
    _expect(request, CANCELLABLE, _l("A request can be cancelled only before the support took place."))
    request.state = "cancelled"
    request.decision_reason = reason.strip() or None
    for engagement in _engagements(session, request, "active"):
        engagement.status = "cancelled"
    session.flush()
    audit.record(session, actor, "dispatch_request.cancel", "dispatch_request", request.id)
    return request


# -- the follow-up reminders (a command, after its commit) ------------------------------------------------

def due_follow_ups(session: Session, on: date | None = None) -> list[DispatchRequest]:
    """Reported requests whose follow-up survey is open and whose requester was not reminded yet."""
    on = on or today()
    rows = session.scalars(select(DispatchRequest).where(
        DispatchRequest.state == "reported", DispatchRequest.follow_up_reminded_at.is_(None),
        DispatchRequest.support_date.is_not(None)).options(selectinload(DispatchRequest.requester)
                                                            .selectinload(Organization.staff))
        .order_by(DispatchRequest.id))
    return [request for request in rows if follow_up_due(request) <= on]


def remind_follow_ups(session: Session, link_for, on: date | None = None) -> int:
    """Mail the requester's approved staff a link to the follow-up survey; return how many requests.

    `link_for(request_id)` builds the absolute URL. Each request is reminded once (follow_up_reminded_at); the
    mails go out only once the caller's commit has stored that.
    """
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from hub.mail import send_mail_or_log

    reminded = 0
    for request in due_follow_ups(session, on):
        staff = [u for u in request.requester.staff if permissions.is_approved_org_staff(u)]
        for user in staff:
            with force_locale(user.locale or "ja"):
                after_commit(session, send_mail_or_log, user.email,
                             _("Follow-up survey on the adviser dispatch “%(theme)s”", theme=request.theme),
                             _("Hello %(name)s,\n\nlast fiscal year an adviser supported %(org)s on “%(theme)s”. "
                               "The scheme asks the requester a year later what came of it. Please answer the "
                               "short survey:\n\n%(link)s\n", name=user.display_name, org=request.requester.name,
                               theme=request.theme, link=link_for(request.id)))
        request.follow_up_reminded_at = utcnow()
        session.flush()
        audit.record(session, None, "dispatch_request.remind_follow_up", "dispatch_request", request.id,
                     recipients=len(staff))
        reminded += 1
    return reminded


# -- reading ----------------------------------------------------------------------------------------------

def visible_requests(session: Session, user: User, *, states: Iterable[str] | None = None,
                     bureau_id: str | None = None) -> list[DispatchRequest]:
    """The requests a user may see (permissions.can_see_dispatch, as one query), newest first."""
    query = select(DispatchRequest).options(
        selectinload(DispatchRequest.requester), selectinload(DispatchRequest.recommender),
        selectinload(DispatchRequest.assignments).selectinload(DispatchAssignment.expert),
        selectinload(DispatchRequest.fields)).order_by(DispatchRequest.wanted_from.desc(), DispatchRequest.id.desc())
    if not permissions.is_admin(user):
        conditions = []
        if (bureau := permissions.bureau_of(user)) is not None:
            conditions.append(DispatchRequest.bureau_id == bureau)
        if permissions.is_approved_staff(user) and user.organization_id is not None:
            conditions += [DispatchRequest.requester_id == user.organization_id,
                           DispatchRequest.recommender_id == user.organization_id]
        if permissions.is_expert(user) and user.expert is not None:
            conditions.append(DispatchRequest.id.in_(select(DispatchAssignment.dispatch_id).where(
                DispatchAssignment.expert_id == user.expert.id)))
        if not conditions:
            return []
        query = query.where(or_(*conditions))
    if bureau_id is not None:
        query = query.where(DispatchRequest.bureau_id == bureau_id)
    if states is not None:
        query = query.where(DispatchRequest.state.in_(tuple(states)))
    return list(session.scalars(query))


def purpose_mix(session: Session, bureau_id: str | None) -> dict[str, int]:
    """How many of the region's dispatches (not rejected or cancelled) served each purpose."""
    query = select(DispatchRequest.purpose, func.count()).where(
        DispatchRequest.state.not_in(("rejected", "cancelled"))).group_by(DispatchRequest.purpose)
    if bureau_id is not None:
        query = query.where(DispatchRequest.bureau_id == bureau_id)
    counts = dict(session.execute(query).all())
    return {purpose: int(counts.get(purpose, 0)) for purpose in DISPATCH_PURPOSES}
