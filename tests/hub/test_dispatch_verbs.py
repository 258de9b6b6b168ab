"""The dispatch workflow: every transition, every published rule (each refusal names its reason), the
permissions (a bureau acts only on its region, admins everywhere), the engagement and the capacity rule."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hub.models import AuditEvent, DispatchRequest, Engagement, Evaluation
from hub.permissions import PermissionDenied
from hub.services import dispatch
from hub.services.errors import NotEnoughHours, Refused, StateError
from tests.hub.dispatch_support import IN_WINDOW, build, request_data, submitted, through
from tests.web.needs_factories import user


@pytest.fixture
def w(app, session):
    with app.test_request_context():  # refusals carry translated messages
        yield build(session)


def reason_of(excinfo) -> str:
    return excinfo.value.reason


# -- submitting: the rules of who may ask, when, and for how much -----------------------------------------

def test_a_municipality_requests_directly_and_the_request_goes_to_its_bureau(session, w):
    request = dispatch.submit(session, w.muni_staff, w.shiojiri, request_data(), on=IN_WINDOW)
    assert request.state == "submitted" and request.bureau_id == w.shiojiri.bureau_id == "shinetsu"
    assert request.recommender_id is None
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.entity_id == str(request.id))) \
        == "dispatch_request.submit"


def test_a_local_business_requests_with_a_recommending_municipality(session, w):
    request = submitted(session, w)
    assert request.requester_id == w.business.id and request.recommender_id == w.shiojiri.id


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"recommender_id": None}, "recommendation_required"),
    ({"recommender": "npo"}, "recommender_kind"),
    ({"recommender": "kanto"}, "recommender_region"),
    ({"days": 4}, "onsite_days"),
    ({"days": 0, "online_hours": 11}, "online_hours"),
    ({"days": 0, "online_hours": 0}, "no_support"),
    ({"wanted_until": date(2026, 11, 1)}, "period"),
    ({"named": "non_adviser"}, "named_not_adviser"),
    ({"purpose": "party"}, "purpose"),
])
def test_each_request_rule_refuses_with_its_reason(session, w, overrides, reason):
    overrides = dict(overrides)
    recommender = {"npo": w.npo.id, "kanto": w.kanto.id}.get(overrides.pop("recommender", None), w.shiojiri.id)
    if overrides.pop("named", None):
        overrides["named_expert_id"] = w.non_adviser.id
    data = request_data(**{"recommender_id": recommender, **overrides})
    with pytest.raises(Refused) as excinfo:
        dispatch.submit(session, w.business_staff, w.business, data, on=IN_WINDOW)
    assert reason_of(excinfo) == reason
    assert str(excinfo.value.message)  # a sentence the user reads
    assert session.scalar(select(DispatchRequest.id)) is None


def test_the_caps_are_the_rules_files_numbers_at_the_edge(session, w):
    assert dispatch.rules().dispatch.max_onsite_days == 3 and dispatch.rules().dispatch.max_online_hours == 10
    assert submitted(session, w, days=3).days == 3
    assert submitted(session, w, days=0, online_hours=10, theme="オンライン相談").online_hours == 10


@pytest.mark.parametrize("month", [1, 2, 3])
def test_no_application_window_from_january_to_march(session, w, month):
    with pytest.raises(Refused) as excinfo:
        dispatch.submit(session, w.muni_staff, w.shiojiri, request_data(), on=date(2027, month, 10))
    assert reason_of(excinfo) == "window"


@pytest.mark.parametrize("month", [4, 12])
def test_the_windows_run_april_to_december(session, w, month):
    assert dispatch.submit(session, w.muni_staff, w.shiojiri, request_data(), on=date(2026, month, 1)).id


def test_a_bureau_or_an_expert_cannot_request(session, w):
    with pytest.raises(PermissionDenied):
        dispatch.submit(session, w.bureau_staff, w.shinetsu, request_data(), on=IN_WINDOW)
    with pytest.raises(PermissionDenied):  # staff only for their own organization
        dispatch.submit(session, w.muni_staff, w.business, request_data(recommender_id=w.shiojiri.id), on=IN_WINDOW)
    with pytest.raises(Refused) as excinfo:  # the system may file for anyone, but the kind rule still holds
        dispatch.submit(session, None, w.shinetsu, request_data(), on=IN_WINDOW)
    assert reason_of(excinfo) == "requester_kind"


# -- the bureau's moves ----------------------------------------------------------------------------------

def test_the_whole_way_from_request_to_follow_up(session, w):
    request = submitted(session, w)
    through(session, w, request, "reported")
    assert request.state == "reported" and request.reported_at is not None
    engagement = session.scalar(select(Engagement).where(Engagement.dispatch_id == request.id))
    assert engagement.status == "completed" and engagement.end_date == date(2026, 11, 12)
    assert engagement.source == "dispatch" and engagement.organization_id == w.business.id
    assert engagement.hours_per_month == 2 * 8
    assert dispatch.follow_up_due(request) == date(2027, 4, 1)
    with pytest.raises(Refused) as excinfo:
        dispatch.answer_follow_up(session, w.business_staff, request, "計画を作った", overall=4, would_rehire=True,
                                  on=date(2027, 3, 31))
    assert reason_of(excinfo) == "follow_up_not_yet"
    dispatch.answer_follow_up(session, w.business_staff, request, "実証を始めた", overall=4, would_rehire=True,
                              on=date(2027, 4, 1))
    assert request.state == "followed_up" and request.follow_up == "実証を始めた"
    evaluation = session.scalar(select(Evaluation).where(Evaluation.engagement_id == engagement.id))
    assert evaluation.overall == 4 and evaluation.would_rehire is True  # feeds the adviser's record
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "dispatch_request",
                                                                   AuditEvent.entity_id == str(request.id))
                                   .order_by(AuditEvent.id)))
    assert actions == ["dispatch_request.submit", "dispatch_request.review", "dispatch_request.approve",
                       "dispatch_request.assign", "dispatch_request.schedule", "dispatch_request.done",
                       "dispatch_request.report", "dispatch_request.follow_up"]


@pytest.mark.parametrize(("state", "verb"), [
    ("submitted", "approve"), ("submitted", "assign"), ("submitted", "schedule"), ("submitted", "done"),
    ("submitted", "report"), ("under_review", "review"), ("approved", "approve"), ("approved", "schedule"),
    ("assigned", "done"), ("assigned", "reject"), ("scheduled", "report"), ("done", "cancel"),
    ("reported", "report"), ("reported", "reject"),
])
def test_a_move_from_the_wrong_state_is_refused_with_a_reason(session, w, state, verb):
    request = submitted(session, w)
    if state != "submitted":
        through(session, w, request, state)
    moves = {
        "review": lambda: dispatch.start_review(session, w.bureau_staff, request),
        "approve": lambda: dispatch.approve(session, w.bureau_staff, request),
        "reject": lambda: dispatch.reject(session, w.bureau_staff, request, "予算超過"),
        "assign": lambda: dispatch.assign(session, w.bureau_staff, request, w.adviser2.id),
        "schedule": lambda: dispatch.schedule(session, w.bureau_staff, request, date(2026, 11, 12)),
        "done": lambda: dispatch.mark_done(session, w.bureau_staff, request, date(2026, 11, 12), on=date(2026, 11, 20)),
        "report": lambda: dispatch.file_report(session, w.bureau_staff, request, "報告"),
        "cancel": lambda: dispatch.cancel(session, w.bureau_staff, request),
    }
    with pytest.raises(StateError) as excinfo:
        moves[verb]()
    assert reason_of(excinfo) == f"state_{state}" and str(excinfo.value.message)
    assert request.state == state


def test_reject_needs_a_reason_and_keeps_it(session, w):
    request = submitted(session, w)
    with pytest.raises(Refused) as excinfo:
        dispatch.reject(session, w.bureau_staff, request, "  ")
    assert reason_of(excinfo) == "reason_required"
    dispatch.reject(session, w.bureau_staff, request, "同じ内容の研修が今年度実施済みのため")
    assert request.state == "rejected" and request.decision_reason.startswith("同じ内容")


def test_cancel_releases_the_advisers_hours(session, w):
    request = through(session, w, submitted(session, w), "assigned")
    dispatch.cancel(session, w.business_staff, request, "日程が合わなくなった")
    assert request.state == "cancelled"
    assert session.scalar(select(Engagement.status).where(Engagement.dispatch_id == request.id)) == "cancelled"


def test_a_bureau_acts_only_on_its_own_region_and_admins_everywhere(session, w):
    request = submitted(session, w)
    for verb in (dispatch.start_review, dispatch.approve):
        with pytest.raises(PermissionDenied):
            verb(session, w.other_bureau_staff, request)
    with pytest.raises(PermissionDenied):
        dispatch.start_review(session, w.muni_staff, request)  # the recommender does not review
    with pytest.raises(PermissionDenied):
        dispatch.start_review(session, w.business_staff, request)  # nor does the requester
    unapproved = user(session, "bureau_staff", w.shinetsu, approved=False)
    with pytest.raises(PermissionDenied):
        dispatch.start_review(session, unapproved, request)
    dispatch.start_review(session, w.admin, request)
    assert request.state == "under_review"
    kanto_request = dispatch.submit(session, None, w.kanto_business, request_data(recommender_id=w.kanto.id),
                                    on=IN_WINDOW)
    with pytest.raises(PermissionDenied):
        dispatch.start_review(session, w.bureau_staff, kanto_request)
    dispatch.start_review(session, w.other_bureau_staff, kanto_request)


def test_who_sees_which_requests(session, w):
    ours = submitted(session, w)
    theirs = dispatch.submit(session, None, w.kanto_business, request_data(recommender_id=w.kanto.id), on=IN_WINDOW)
    ids = lambda u: {r.id for r in dispatch.visible_requests(session, u)}  # noqa: E731
    assert ids(w.bureau_staff) == {ours.id} and ids(w.other_bureau_staff) == {theirs.id}
    assert ids(w.business_staff) == {ours.id} and ids(w.muni_staff) == {ours.id}  # requester, recommender
    assert ids(w.npo_staff) == set() and ids(w.admin) == {ours.id, theirs.id}
    assert ids(w.adviser.user) == set()
    through(session, w, ours, "assigned")
    assert ids(w.adviser.user) == {ours.id}


# -- assignment: the adviser scheme, the team, the same-project rule, the capacity rule -----------------

def test_only_advisers_are_assigned_and_one_unless_a_team_is_asked(session, w):
    request = through(session, w, submitted(session, w), "approved")
    with pytest.raises(Refused) as excinfo:
        dispatch.assign(session, w.bureau_staff, request, w.non_adviser.id)
    assert reason_of(excinfo) == "not_adviser"
    dispatch.assign(session, w.bureau_staff, request, w.adviser.id)
    with pytest.raises(Refused) as excinfo:
        dispatch.assign(session, w.bureau_staff, request, w.adviser2.id)
    assert reason_of(excinfo) == "team_not_asked"
    team = through(session, w, submitted(session, w, team=True, theme="チーム派遣"), "approved")
    dispatch.assign(session, w.bureau_staff, team, w.adviser.id)
    dispatch.assign(session, w.bureau_staff, team, w.adviser2.id)
    with pytest.raises(Refused) as excinfo:
        dispatch.assign(session, w.bureau_staff, team, w.adviser2.id)
    assert reason_of(excinfo) == "assigned_already"
    assert {a.expert_id for a in team.assignments} == {w.adviser.id, w.adviser2.id}


def test_the_same_adviser_for_the_same_project_once_per_fiscal_year(session, w):
    first = through(session, w, submitted(session, w, project="工場IoT"), "done")
    again = through(session, w, submitted(session, w, project="工場IoT", theme="第2回", wanted_from=date(2027, 2, 1),
                                          wanted_until=date(2027, 2, 28)), "approved")
    with pytest.raises(Refused) as excinfo:
        dispatch.assign(session, w.bureau_staff, again, w.adviser.id)
    assert reason_of(excinfo) == "same_adviser_same_project"
    dispatch.assign(session, w.bureau_staff, again, w.adviser2.id)  # another adviser is fine
    next_year = through(session, w, submitted(session, w, project="工場IoT", theme="翌年度", wanted_from=date(2027, 4, 5),
                                              wanted_until=date(2027, 4, 30)), "approved")
    dispatch.assign(session, w.bureau_staff, next_year, w.adviser.id)  # a new fiscal year
    other_project = through(session, w, submitted(session, w, project="販路開拓", theme="別事業"), "approved")
    dispatch.assign(session, w.bureau_staff, other_project, w.adviser.id)
    assert first.state == "done"


def test_assigning_commits_hours_under_the_capacity_rule(session, w):
    w.adviser.hours_per_month = 20
    session.flush()
    first = through(session, w, submitted(session, w, days=2), "assigned")  # 16 hours
    assert first.state == "assigned"
    second = through(session, w, submitted(session, w, days=1, theme="別件", project="別件"), "approved")
    with pytest.raises(NotEnoughHours) as excinfo:
        dispatch.assign(session, w.bureau_staff, second, w.adviser.id)
    assert excinfo.value.remaining == 4 and excinfo.value.asked == 8
    assert second.state == "approved" and second.assignments == []


# -- done, report, follow-up -----------------------------------------------------------------------------

def test_done_cannot_be_in_the_future_and_the_report_is_due_a_week_later(session, w):
    request = through(session, w, submitted(session, w), "scheduled")
    with pytest.raises(Refused) as excinfo:
        dispatch.mark_done(session, w.bureau_staff, request, date(2026, 11, 21), on=date(2026, 11, 20))
    assert reason_of(excinfo) == "future"
    dispatch.mark_done(session, w.bureau_staff, request, date(2026, 11, 12), on=date(2026, 11, 20))
    assert dispatch.report_due(request) == date(2026, 11, 19)
    assert not dispatch.is_report_overdue(request, date(2026, 11, 19))
    assert dispatch.is_report_overdue(request, date(2026, 11, 20))


def test_the_assigned_adviser_files_the_report_and_others_may_not(session, w):
    request = through(session, w, submitted(session, w), "done")
    for outsider in (w.adviser2.user, w.business_staff, w.muni_staff, w.other_bureau_staff):
        with pytest.raises(PermissionDenied):
            dispatch.file_report(session, outsider, request, "報告")
    with pytest.raises(Refused) as excinfo:
        dispatch.file_report(session, w.adviser.user, request, "")
    assert reason_of(excinfo) == "report_required"
    dispatch.file_report(session, w.adviser.user, request, "助言の内容と次の一手")
    assert request.state == "reported"


def test_only_the_requester_answers_the_follow_up(session, w):
    request = through(session, w, submitted(session, w), "reported")
    for outsider in (w.bureau_staff, w.muni_staff, w.adviser.user, w.admin):
        with pytest.raises(PermissionDenied):
            dispatch.answer_follow_up(session, outsider, request, "答え", overall=3, would_rehire=None,
                                      on=date(2027, 5, 1))
    with pytest.raises(Refused) as excinfo:
        dispatch.answer_follow_up(session, w.business_staff, request, " ", overall=3, would_rehire=None,
                                  on=date(2027, 5, 1))
    assert reason_of(excinfo) == "answer_required"


def test_the_reminder_mails_the_requester_once_after_the_commit(app, session, w):
    request = through(session, w, submitted(session, w), "reported")
    session.commit()
    outbox = app.extensions.setdefault("hub.outbox", [])
    before = len(outbox)
    with app.test_request_context():
        assert dispatch.remind_follow_ups(session, lambda rid: f"http://hub.test/dispatch/{rid}/follow-up",
                                          on=date(2027, 3, 31)) == 0
        assert dispatch.remind_follow_ups(session, lambda rid: f"http://hub.test/dispatch/{rid}/follow-up",
                                          on=date(2027, 4, 1)) == 1
    assert request.follow_up_reminded_at is not None
    session.rollback()  # nothing committed: nothing mailed
    assert len(outbox) == before
    with app.test_request_context():
        assert dispatch.remind_follow_ups(session, lambda rid: f"http://hub.test/dispatch/{rid}/follow-up",
                                          on=date(2027, 4, 1)) == 1
    session.commit()
    with app.test_request_context():
        assert dispatch.remind_follow_ups(session, lambda rid: "x", on=date(2027, 4, 2)) == 0  # once


def test_the_assigned_adviser_is_mailed_a_link_after_the_commit_only(app, session, w):
    outbox = app.extensions.setdefault("hub.outbox", [])
    request = through(session, w, submitted(session, w), "approved")
    session.commit()
    before = len(outbox)
    dispatch.assign(session, w.bureau_staff, request, w.adviser.id)
    assert len(outbox) == before  # not before the commit
    session.commit()
    assert len(outbox) == before + 1
    mail = outbox[-1]
    assert mail["To"] == w.adviser.user.email and f"http://hub.test/dispatch/{request.id}" in mail.get_content()
