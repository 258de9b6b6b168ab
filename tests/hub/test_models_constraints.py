"""Each check, unique and foreign-key constraint refuses a bad row in the database itself, not only in forms."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from hub.models import (Engagement, Evaluation, EvaluationSkill, ExpertProfile, ExpertScheme, ExpertSkill,
                        ExpertTravelPrefecture, Need, NeedSkill, Organization)


@pytest.fixture
def org(session):
    org = Organization(code="202151", kind="municipality", name="長野県塩尻市", lg_code="202151",
                       prefecture_code="20", bureau_id="shinetsu")
    session.add(org)
    session.flush()
    return org


@pytest.fixture
def expert(session):
    expert = ExpertProfile(external_id="C0001", name="検証 太郎", talent_type="D", hours_per_month=40)
    session.add(expert)
    session.flush()
    return expert


def _engagement(expert, org, **overrides) -> Engagement:
    # Ids, not relationships: a rejected row must not stay in the persistent parent's collection.
    values = dict(expert_id=expert.id, organization_id=org.id, source="import", title="t", start_date=date(2024, 4, 1),
                  end_date=date(2025, 3, 31), hours_per_month=20, status="completed")
    return Engagement(**(values | overrides))


def _need(org, **overrides) -> Need:
    values = dict(external_id="NC01", organization_id=org.id, title="t", work_style="remote", location_lg_code="202151",
                  hours_per_month=20, start_date=date(2027, 4, 1), engagement_form="contract")
    return Need(**(values | overrides))


def _rejects(session, *rows) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add_all(rows)
        session.flush()


def test_models_constraints_accept_valid_rows(session, org, expert):
    engagement = _engagement(expert, org)
    engagement.evaluation = Evaluation(overall=4.5)
    session.add_all([engagement, ExpertSkill(expert_id=expert.id, skill_id="backend_dev", level=4), _need(org)])
    session.flush()
    assert engagement.id is not None and engagement.evaluation.id is not None


def test_models_constraints_reject_skill_level_5(session, expert):
    _rejects(session, ExpertSkill(expert_id=expert.id, skill_id="backend_dev", level=5))


def test_models_constraints_reject_negative_skill_level(session, expert):
    _rejects(session, ExpertSkill(expert_id=expert.id, skill_id="backend_dev", level=-1))


def test_models_constraints_reject_rating_6(session, org, expert):
    engagement = _engagement(expert, org)
    engagement.evaluation = Evaluation(overall=6)
    _rejects(session, engagement)


def test_models_constraints_reject_rating_0(session, org, expert):
    engagement = _engagement(expert, org)
    engagement.evaluation = Evaluation(overall=0.5)
    _rejects(session, engagement)


def test_models_constraints_reject_skill_rating_6(session, org, expert):
    engagement = _engagement(expert, org)
    engagement.evaluation = Evaluation(overall=4, skill_ratings=[EvaluationSkill(skill_id="backend_dev", rating=6)])
    _rejects(session, engagement)


def test_models_constraints_reject_expert_hours_800(session):
    _rejects(session, ExpertProfile(external_id="C0002", name="x", talent_type="D", hours_per_month=800))


def test_models_constraints_reject_engagement_hours_800(session, org, expert):
    _rejects(session, _engagement(expert, org, hours_per_month=800))


def test_models_constraints_reject_need_hours_800(session, org):
    _rejects(session, _need(org, hours_per_month=800))


def test_models_constraints_reject_engagement_end_before_start(session, org, expert):
    _rejects(session, _engagement(expert, org, end_date=date(2024, 3, 31)))


def test_models_constraints_reject_need_end_before_start(session, org):
    _rejects(session, _need(org, end_date=date(2027, 3, 31)))


def test_models_constraints_reject_availability_until_before_from(session):
    _rejects(session, ExpertProfile(external_id="C0003", name="x", talent_type="X",
                                    available_from=date(2026, 12, 1), available_until=date(2026, 11, 30)))


def test_models_constraints_reject_completed_engagement_without_end(session, org, expert):
    _rejects(session, _engagement(expert, org, end_date=None))


def test_models_constraints_reject_unknown_engagement_status(session, org, expert):
    _rejects(session, _engagement(expert, org, status="paused"))


def test_models_constraints_reject_unknown_talent_type(session):
    _rejects(session, ExpertProfile(external_id="C0004", name="x", talent_type="Z"))


def test_models_constraints_reject_unknown_need_talent_type(session, org):
    _rejects(session, _need(org, talent_type="Y"))


def test_models_constraints_reject_unknown_work_style(session, org):
    _rejects(session, _need(org, work_style="anywhere"))


def test_models_constraints_reject_need_skill_level_0(session, org):
    _rejects(session, _need(org, skills=[NeedSkill(skill_id="backend_dev", min_level=0)]))


def test_models_constraints_reject_half_a_fee(session):
    _rejects(session, ExpertProfile(external_id="C0005", name="x", talent_type="D", fee_unit="hour"))


def test_models_constraints_reject_half_a_budget(session, org):
    _rejects(session, _need(org, budget_max=10000))


def test_models_constraints_reject_unknown_scheme(session, expert):
    _rejects(session, ExpertScheme(expert_id=expert.id, scheme="volunteer"))


def test_models_constraints_reject_short_prefecture_code(session, expert):
    _rejects(session, ExpertTravelPrefecture(expert_id=expert.id, prefecture_code="2"))


def test_models_constraints_reject_duplicate_expert_external_id(session, expert):
    _rejects(session, ExpertProfile(external_id=expert.external_id, name="y", talent_type="X"))


def test_models_constraints_reject_duplicate_need_external_id(session, org):
    session.add(_need(org))
    session.flush()
    _rejects(session, _need(org))


def test_models_constraints_reject_duplicate_lg_code(session, org):
    _rejects(session, Organization(code="other", kind="municipality", name="x", lg_code=org.lg_code,
                                   prefecture_code="20", bureau_id="shinetsu"))


def test_models_constraints_reject_unknown_organization_kind(session):
    _rejects(session, Organization(code="X1", kind="club", name="x", prefecture_code="13", bureau_id="kanto"))


def test_models_constraints_reject_second_evaluation_of_one_engagement(session, org, expert):
    engagement = _engagement(expert, org)
    session.add(engagement)
    session.flush()
    session.add(Evaluation(engagement_id=engagement.id, overall=4))
    session.flush()
    _rejects(session, Evaluation(engagement_id=engagement.id, overall=3))


def test_models_constraints_reject_engagement_of_missing_expert(session, org):
    _rejects(session, Engagement(expert_id=987654, organization_id=org.id, source="import", title="t",
                                 start_date=date(2024, 4, 1), hours_per_month=1, status="active"))
