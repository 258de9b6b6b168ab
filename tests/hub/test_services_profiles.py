"""Services behind forms and imports alike: organizations, apply_expert, apply_need, texts, audit."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from hub.models import AuditEvent, Engagement, ExpertProfile, Organization
from hub.services import audit
from hub.services.experts import EngagementData, ExpertData, apply_expert, expert_text, generate_external_id
from hub.services.needs import NeedData, apply_need, need_text
from hub.services.organizations import (UnknownLocalGovernment, create_organization,
                                        get_or_create_local_government)


def test_services_organizations_local_government_from_gazetteer(session):
    city = get_or_create_local_government(session, "202151")
    assert (city.kind, city.code, city.name, city.prefecture_code, city.bureau_id) == (
        "municipality", "202151", "長野県塩尻市", "20", "shinetsu")
    prefecture = get_or_create_local_government(session, "130001")
    assert (prefecture.kind, prefecture.name, prefecture.bureau_id) == ("prefecture", "東京都", "kanto")
    assert get_or_create_local_government(session, "202151") is city
    assert session.scalar(select(func.count()).select_from(Organization)) == 2


def test_services_organizations_unknown_code_is_refused(session):
    with pytest.raises(UnknownLocalGovernment):
        get_or_create_local_government(session, "999999")


def test_services_organizations_create_other_kinds_derive_bureau(session):
    npo = create_organization(session, "npo", "沖縄ITの会", "47")
    assert (npo.kind, npo.bureau_id, npo.lg_code) == ("npo", "okinawa", None) and npo.code.startswith("NPO-47-")
    chamber = create_organization(session, "chamber", "札幌商工会議所", "01", code="CH-SAPPORO")
    assert (chamber.code, chamber.bureau_id) == ("CH-SAPPORO", "hokkaido")
    with pytest.raises(ValueError):
        create_organization(session, "municipality", "勝手市", "13")
    with pytest.raises(ValueError):
        create_organization(session, "npo", "どこか", "99")


def _data(**changes) -> ExpertData:
    values = dict(external_id="S1", name="伊藤 六子", talent_type="X", skills={"leadership": 3},
                  roles=["service_designer"], fields=["welfare"], stages_led=["awareness"], home_lg_code="011002",
                  hours_per_month=30, bio="福祉の現場で住民と一緒に考えてきました。")
    return ExpertData(**(values | changes))


def test_services_experts_apply_creates_and_derives_prefecture(session):
    expert = apply_expert(session, None, _data())
    session.flush()
    assert expert.id is not None and expert.prefecture_code == "01"
    assert (expert.skill_levels, expert.role_ids, expert.field_ids, expert.stage_ids) == (
        {"leadership": 3}, ["service_designer"], ["welfare"], ["awareness"])


def test_services_experts_form_edit_leaves_history_alone(session):
    history = [EngagementData(org_lg_code="011002", title="札幌の相談窓口", start=date(2024, 4, 1),
                              end=date(2025, 3, 31), hours_per_month=10, status="completed", rating=5)]
    expert = apply_expert(session, None, _data(engagements=history))
    session.flush()
    apply_expert(session, expert, _data(name="伊藤 六子（改）", skills={"leadership": 4, "collaboration": 2},
                                        roles=[], engagements=None))
    session.flush()
    session.expire_all()
    expert = session.scalars(select(ExpertProfile)).one()
    assert expert.name == "伊藤 六子（改）" and expert.role_ids == []
    assert expert.skill_levels == {"collaboration": 2, "leadership": 4}
    assert [e.title for e in expert.engagements] == ["札幌の相談窓口"]
    assert expert.engagements[0].evaluation.overall == 5


def test_services_experts_text_joins_bio_and_engagements(session):
    history = [EngagementData(org_lg_code="011002", title="窓口DX", role="PM", contribution="予約の電子化",
                              start=date(2024, 4, 1), end=date(2025, 3, 31), hours_per_month=10,
                              status="completed")]
    expert = apply_expert(session, None, _data(engagements=history))
    session.flush()
    assert expert_text(expert) == "福祉の現場で住民と一緒に考えてきました。\n窓口DX / PM / 予約の電子化"


def test_services_experts_generate_external_id_is_new(session):
    apply_expert(session, None, _data())
    session.flush()
    first, second = generate_external_id(session), generate_external_id(session)
    assert first != second and first.startswith("W") and len(first) == 9
    assert session.scalar(select(ExpertProfile).where(ExpertProfile.external_id == first)) is None


def test_services_needs_apply_sets_skills_and_location(session):
    org = get_or_create_local_government(session, "202151")
    data = NeedData(external_id="SN1", title="防災アプリ", stages=["development", "operations"],
                    work_style="hybrid", hours_per_month=20, start=date(2027, 4, 1), engagement_form="contract",
                    required_skills={"frontend_dev": 3}, nice_to_have_skills={"sre": 2},
                    skill_weights={"frontend_dev": 2.0}, fields=["disaster_prevention"], description="避難所の混雑")
    need = apply_need(session, None, data, org)
    session.flush()
    assert (need.location_lg_code, need.talent_type, need.status) == ("202151", None, "open")
    assert need.required_skills == {"frontend_dev": 3} and need.nice_to_have_skills == {"sre": 2}
    assert {s.skill_id: s.weight for s in need.skills} == {"frontend_dev": 2.0, "sre": 1.0}
    assert sorted(need.stage_ids) == ["development", "operations"]
    assert need_text(need) == "防災アプリ\n避難所の混雑"
    data.stages, data.required_skills, data.nice_to_have_skills = ["operations"], {"sre": 3}, {}
    apply_need(session, need, data, org)
    session.flush()
    session.expire_all()
    assert need.stage_ids == ["operations"] and need.required_skills == {"sre": 3}


def test_services_needs_other_organizations_need_a_location(session):
    npo = create_organization(session, "npo", "NPO", "13")
    data = NeedData(external_id="SN2", title="t", stages=["awareness"], work_style="remote", hours_per_month=1,
                    start=date(2027, 1, 1), engagement_form="contract")
    with pytest.raises(ValueError):
        apply_need(session, None, data, npo)
    data.location_lg_code = "131016"
    assert apply_need(session, None, data, npo).location_lg_code == "131016"


def test_services_audit_records_who_did_what(session):
    event = audit.record(session, None, "expert.import", "expert", "experts.jsonl", created=3, updated=1)
    assert event.id is not None and event.user_id is None
    stored = session.scalars(select(AuditEvent)).one()
    assert (stored.action, stored.entity, stored.entity_id, stored.details) == (
        "expert.import", "expert", "experts.jsonl", {"created": 3, "updated": 1})


def test_services_experts_imported_engagement_uses_organization_cache(session):
    history = [EngagementData(org_lg_code="011002", title=f"案件{i}", start=date(2024, 4, i + 1),
                              end=date(2024, 5, 1), hours_per_month=1, status="completed") for i in range(3)]
    apply_expert(session, None, _data(engagements=history))
    session.flush()
    assert session.scalar(select(func.count()).select_from(Organization)) == 1
    assert session.scalar(select(func.count()).select_from(Engagement)) == 3
