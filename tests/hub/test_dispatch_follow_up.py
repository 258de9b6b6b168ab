"""The follow-up evaluates each adviser like a need's evaluation: per-skill ratings of the request's stage items
and the adviser's own skills, so a well-rated skill becomes verified and a poor one does not."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hub.models import Engagement, Evaluation, ExpertSkill
from hub.services import dispatch
from hub.services.dispatch import AdviserEvaluation
from hub.services.errors import Refused
from skill_taxonomy import load
from tests.hub.dispatch_support import build, submitted, through

ANSWER_DAY = date(2027, 4, 10)  # the next fiscal year


@pytest.fixture
def w(app, session):
    with app.test_request_context():
        yield build(session)


def team_reported(session, w):
    """A team request of the local business, advised by 一郎 and 二葉, reported."""
    request = through(session, w, submitted(session, w, team=True), "assigned")
    dispatch.assign(session, w.bureau_staff, request, w.adviser2.id)
    dispatch.schedule(session, w.bureau_staff, request, date(2026, 11, 12))
    dispatch.mark_done(session, w.bureau_staff, request, date(2026, 11, 12), on=date(2026, 11, 20))
    dispatch.file_report(session, w.bureau_staff, request, "課題を整理し、実証の計画を助言した。")
    return request


def engagement_of(session, request, adviser) -> Engagement:
    return session.scalar(select(Engagement).where(Engagement.dispatch_id == request.id,
                                                   Engagement.expert_id == adviser.id))


def skill(session, adviser, item) -> ExpertSkill | None:
    return session.scalar(select(ExpertSkill).where(ExpertSkill.expert_id == adviser.id, ExpertSkill.skill_id == item)
                          .execution_options(populate_existing=True))


def test_the_follow_up_rates_the_stage_items_then_the_advisers_own_skills(session, w):
    request = through(session, w, submitted(session, w), "reported")
    asked = dispatch.follow_up_skills(request, engagement_of(session, request, w.adviser))
    prior = list(load().stage_prior(["problem_identification"]))
    assert list(asked)[:len(prior)] == prior and all(asked[item] == 2 for item in prior)  # the matcher's level
    assert list(asked)[len(prior):] == ["business_strategy"] and asked["business_strategy"] == 3  # its own level


def test_each_adviser_is_evaluated_and_well_rated_skills_become_verified(session, w):
    request = team_reported(session, w)
    first, second = engagement_of(session, request, w.adviser), engagement_of(session, request, w.adviser2)
    dispatch.answer_follow_up(session, w.business_staff, request, "実証を始めた", on=ANSWER_DAY, evaluations={
        first.id: AdviserEvaluation(5, True, "的確", {"user_understanding": 4, "business_strategy": 5}),
        second.id: AdviserEvaluation(2, False, "", {"user_understanding": 2, "statistics_visualization": 2})})
    assert request.state == "followed_up"
    evaluations = {e.engagement_id: e for e in session.scalars(select(Evaluation))}
    assert (evaluations[first.id].overall, evaluations[second.id].overall) == (5, 2)  # one per engagement
    assert {r.skill_id: r.rating for r in evaluations[first.id].skill_ratings} == {
        "business_strategy": 5, "user_understanding": 4}
    verified = skill(session, w.adviser, "user_understanding")  # a stage item, never claimed: verified at 2
    assert (verified.source, verified.level, verified.rating_count) == ("verified", 2, 1)
    own = skill(session, w.adviser, "business_strategy")  # declared at 3: confirmed at 3
    assert (own.source, own.level, own.rating_mean) == ("verified", 3, 5)
    assert skill(session, w.adviser2, "user_understanding") is None  # a poor rating of an unclaimed skill
    poor = skill(session, w.adviser2, "statistics_visualization")
    assert (poor.source, poor.level, poor.rating_mean) == ("rated", 3, 2)  # rated, not verified


def test_an_adviser_left_unrated_is_refused_and_nothing_is_saved(session, w):
    request = team_reported(session, w)
    first = engagement_of(session, request, w.adviser)
    with pytest.raises(Refused) as excinfo:
        dispatch.answer_follow_up(session, w.business_staff, request, "実証を始めた", on=ANSWER_DAY,
                                  evaluations={first.id: AdviserEvaluation(4)})
    assert excinfo.value.reason == "rating_required"
    assert request.state == "reported" and session.scalar(select(Evaluation.id)) is None


def test_a_skill_outside_the_follow_up_is_not_rated(session, w):
    request = through(session, w, submitted(session, w), "reported")
    engagement = engagement_of(session, request, w.adviser)
    with pytest.raises(ValueError, match="machine_learning"):
        dispatch.answer_follow_up(session, w.business_staff, request, "実証を始めた", on=ANSWER_DAY,
                                  evaluations={engagement.id: AdviserEvaluation(5, None, "", {"machine_learning": 5})})
    assert skill(session, w.adviser, "machine_learning") is None
