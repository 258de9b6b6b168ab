"""The matching service: records from rows, stored embeddings, incremental index, shortlist, learned weights."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

import matching
from hub.db import utcnow
from hub.models import Embedding, Engagement, Evaluation, ShortlistEntry
from hub.services import matching as matching_service
from hub.services.experts import ExpertData, apply_expert
from hub.services.needs import NeedData, apply_need
from hub.services.organizations import get_or_create_local_government
from hub.services.training import train_ranker

SHIOJIRI = "202151"


def make_expert(session, external_id: str, *, skills: dict[str, int], hours: int = 40, bio: str = "",
                **extra):
    data = ExpertData(external_id=external_id, name=f"専門家 {external_id}", talent_type="D", skills=skills,
                      bio=bio or "自治体のWebサービス開発とクラウド移行を支援してきました。",
                      home_lg_code=extra.pop("home_lg_code", "131016"), hours_per_month=hours,
                      available_from=date(2026, 1, 1), **extra)
    expert = apply_expert(session, None, data)
    session.flush()
    return expert


def make_need(session, **extra):
    org = get_or_create_local_government(session, SHIOJIRI)
    data = NeedData(external_id=extra.pop("external_id", "N-1"), title="オンデマンドバスの予約システム開発",
                    description="AIオンデマンドバスの予約・配車システムをクラウド上で開発したい。",
                    stages=["development"], work_style="remote", hours_per_month=20,
                    start=date(2027, 4, 1), end=date(2028, 3, 31), engagement_form="contract",
                    required_skills={"backend_dev": 3, "cloud_infrastructure": 2}, **extra)
    need = apply_need(session, None, data, org)
    session.flush()
    return need


@pytest.fixture
def matcher(app):
    return app.extensions["hub.matcher"]


def test_matching_service_ranks_stronger_skills_first(session, matcher):
    strong = make_expert(session, "E-strong", skills={"backend_dev": 4, "cloud_infrastructure": 3})
    weak = make_expert(session, "E-weak", skills={"backend_dev": 1})
    need = make_need(session)
    outcome = matcher.rank(session, need, top_k=5)
    ids = [m.expert_id for m in outcome.matches]
    assert ids.index(strong.id) < ids.index(weak.id)
    assert set(outcome.experts) == set(ids)  # profiles loaded for the page, no query per result


def test_matching_service_active_engagement_consumes_hours(session, matcher):
    busy = make_expert(session, "E-busy", skills={"backend_dev": 4, "cloud_infrastructure": 3}, hours=20)
    org = get_or_create_local_government(session, "202045")
    busy.engagements.append(Engagement(organization=org, source="import", title="現行案件", start_date=date(2026, 1, 1),
                                       end_date=None, hours_per_month=20, status="active"))
    session.flush()
    need = make_need(session)
    outcome = matcher.rank(session, need, top_k=5)
    assert busy.id not in [m.expert_id for m in outcome.matches]
    assert outcome.result.excluded["no_remaining_hours"] == 1


def test_matching_service_embeds_once_and_refreshes_changed_experts(session, matcher):
    expert = make_expert(session, "E-1", skills={"backend_dev": 1})
    need = make_need(session)
    first = matcher.rank(session, need, top_k=1).matches[0]
    count = session.scalar(select(func.count()).select_from(Embedding))
    matcher.rank(session, need, top_k=1)
    assert session.scalar(select(func.count()).select_from(Embedding)) == count  # same text: not re-encoded

    apply_expert(session, expert, ExpertData(
        external_id="E-1", name=expert.name, talent_type="D", skills={"backend_dev": 4, "cloud_infrastructure": 4},
        bio=expert.bio, home_lg_code=expert.home_lg_code, hours_per_month=40, available_from=date(2026, 1, 1)))
    expert.updated_at = utcnow()
    session.flush()
    second = matcher.rank(session, need, top_k=1).matches[0]
    assert second.signals["skill"] > first.signals["skill"]


def test_matching_service_shortlist_keeps_what_the_matcher_said(session, matcher):
    make_expert(session, "E-1", skills={"backend_dev": 4})
    need = make_need(session)
    outcome = matcher.rank(session, need, top_k=1)
    entry = matching_service.shortlist(session, need, outcome.matches[0], outcome.result, None, rank=1)
    assert entry.state == "shortlisted"
    assert set(entry.signals) == set(matching.SIGNALS)
    must_gaps = [g for g in entry.explanation["gaps"] if g["must"]]
    assert must_gaps == [{"item": "cloud_infrastructure", "level": 0, "required": 2, "must": True,
                          "source": "required"}]
    assert {g["source"] for g in entry.explanation["gaps"] if not g["must"]} <= {"stage", "inferred"}
    assert entry.weights["version"] == outcome.result.weights_version
    assert entry.index_version == outcome.result.index_version


def test_training_refuses_too_few_outcomes(session):
    with pytest.raises(ValueError, match="too few outcomes"):
        train_ranker(session)


def test_training_learns_weights_the_ranker_then_uses(session, matcher):
    need = make_need(session)
    org = need.organization
    # 30 past proposals: the ones with high skill signals were accepted and rated well.
    for i in range(30):
        good = i % 2 == 0
        expert = make_expert(session, f"E-{i}", skills={"backend_dev": 2})
        signals = {name: 0.5 for name in matching.SIGNALS} | {"skill": 0.9 if good else 0.2 + (i % 3) * 0.05}
        session.add(ShortlistEntry(need_id=need.id, expert_id=expert.id, state="accepted" if good else "declined",
                                   signals=signals))
        if good:
            engagement = Engagement(expert=expert, organization=org, need_id=need.id, source="need", title="t",
                                    start_date=date(2025, 1, 1), end_date=date(2025, 6, 30), hours_per_month=10,
                                    status="completed")
            session.add(engagement)
            session.add(Evaluation(engagement=engagement, overall=4.5, would_rehire=True))
    session.flush()
    row, learned = train_ranker(session)
    assert learned.n_samples == 30
    assert learned.weights["skill"] == max(learned.weights.values())
    result = matcher.rank(session, need, top_k=3).result
    assert result.weights_version == row.version


def test_matching_service_bulk_rows_embed_the_same_text_as_the_profile(session):
    from hub.services.experts import EngagementData, expert_text
    expert = make_expert(session, "E-text", skills={"backend_dev": 3}, engagements=[
        EngagementData(org_lg_code="202045", title="予約システム", start=date(2024, 4, 1), end=date(2025, 3, 31),
                       hours_per_month=20, status="completed", role="PM", contribution="待ち時間を4割削減",
                       stages=["development"], fields=["mobility"], rating=4.5, would_rehire=True),
        EngagementData(org_lg_code="202045", title="運用支援", start=date(2025, 4, 1), hours_per_month=10,
                       status="active")])
    rows = matching_service.load_expert_rows(session, ids=[expert.id])
    assert rows.texts[expert.id] == expert_text(expert)
    record = rows.records[0]
    assert record.completed_stage_counts == {"development": 1}
    assert record.completed_field_counts == {"mobility": 1}
    assert [c.hours_per_month for c in record.commitments] == [10.0]
    assert [r.overall for r in record.ratings] == [4.5]
