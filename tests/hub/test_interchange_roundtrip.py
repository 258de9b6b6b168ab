"""Export -> import into an empty database -> export gives byte-identical JSONL, on SQLite and PostgreSQL."""
from __future__ import annotations

import io
import json
import uuid
from datetime import date

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from hub.db import Base
from hub.models import Engagement, ExpertProfile, Need, NeedSkill, Organization
from hub.services import interchange
from tests.support import TEST_DATABASE_URL

EXPERTS = [
    {"external_id": "R002", "name": "佐藤 次郎", "talent_type": "X", "roles": ["service_designer", "ba_new_business"],
     "skills": {"value_discovery": 4, "business_model_design": 3, "leadership": 0}, "bio": "観光DXの伴走支援。",
     "fields": ["tourism", "local_industry"], "stages_led": ["problem_identification", "business_model"],
     "home_lg_code": "131016", "work_styles": {"remote": True, "onsite": True, "resident": True},
     "max_travel_km": None, "travel_prefectures": ["47", "01"], "hours_per_month": 60,
     "available_from": None, "available_until": "2028-03-31", "fee": None, "schemes": ["adviser", "external_list"],
     "engagements": [
         {"org_lg_code": "472018", "title": "観光データ基盤", "stages": ["business_model"], "fields": ["tourism"],
          "role": "PM", "contribution": "周遊データの可視化", "start": "2023-04-01", "end": "2024-03-31",
          "hours_per_month": 30, "status": "completed", "rating": 4, "would_rehire": None},
         {"org_lg_code": "012025", "title": "函館の移動支援", "start": "2025-10-01", "end": "2026-09-30",
          "hours_per_month": 16, "status": "active"},
         {"org_lg_code": "010006", "title": "評価なしの完了案件", "start": "2022-01-01", "end": "2022-06-30",
          "hours_per_month": 8, "status": "completed"}]},
    {"external_id": "R001", "name": "Emma Wilson", "email": "emma@example.com", "talent_type": "XD",
     "skills": {"machine_learning": 2}, "hours_per_month": 0,
     "fee": {"unit": "month", "amount": 300000, "negotiable": False}},
]

NEEDS = [
    {"external_id": "RN2", "org_lg_code": "472018", "title": "観光", "stages": ["business_model", "awareness"],
     "required_skills": {"marketing": {"level": 2, "weight": 2.5}, "branding": 1},
     "nice_to_have_skills": {"statistics_visualization": 2}, "work_style": "onsite", "hours_per_month": 10,
     "start": "2027-01-01", "engagement_form": "side_job", "status": "draft", "location_lg_code": "472077"},
    {"external_id": "RN1", "org_lg_code": "200000", "title": "県のデータ連携", "stages": ["development"],
     "talent_type": None, "work_style": "remote", "hours_per_month": 40, "start": "2027-04-01",
     "end": "2028-03-31", "budget": {"unit": "day", "max": 60000}, "engagement_form": "appointment"},
]


def _jsonl(objects) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode()


def _export(session: Session) -> tuple[str, str]:
    experts, needs = io.StringIO(), io.StringIO()
    interchange.write_jsonl(interchange.export_experts(session), experts)
    interchange.write_jsonl(interchange.export_needs(session), needs)
    return experts.getvalue(), needs.getvalue()


@pytest.fixture
def empty_session(tmp_path):
    """A session on a second, empty database: a SQLite file, or a scratch PostgreSQL schema rolled back after."""
    if TEST_DATABASE_URL.startswith("sqlite"):
        engine = create_engine(f"sqlite:///{tmp_path}/roundtrip.sqlite3")
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            yield session
        engine.dispose()
        return
    engine = create_engine(TEST_DATABASE_URL)
    with engine.connect() as connection:
        transaction = connection.begin()
        schema = f"rt_{uuid.uuid4().hex[:8]}"
        connection.execute(text(f"CREATE SCHEMA {schema}"))
        connection.execute(text(f"SET search_path TO {schema}"))
        Base.metadata.create_all(connection)
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            yield session
        transaction.rollback()
    engine.dispose()


def test_interchange_roundtrip_export_import_export_is_identical(session, taxonomy, empty_session):
    assert interchange.import_experts(session, _jsonl(EXPERTS), taxonomy).ok
    assert interchange.import_needs(session, _jsonl(NEEDS), taxonomy).ok
    session.flush()
    experts_1, needs_1 = _export(session)

    assert interchange.import_experts(empty_session, experts_1.encode(), taxonomy).created == 2
    assert interchange.import_needs(empty_session, needs_1.encode(), taxonomy).created == 2
    empty_session.flush()
    experts_2, needs_2 = _export(empty_session)

    assert experts_2 == experts_1
    assert needs_2 == needs_1
    assert [json.loads(line)["external_id"] for line in experts_1.splitlines()] == ["R001", "R002"]
    assert [json.loads(line)["external_id"] for line in needs_1.splitlines()] == ["RN1", "RN2"]


def test_interchange_export_has_the_design_key_order(session, taxonomy):
    interchange.import_experts(session, _jsonl(EXPERTS), taxonomy)
    interchange.import_needs(session, _jsonl(NEEDS), taxonomy)
    experts = list(interchange.export_experts(session))
    needs = list(interchange.export_needs(session))
    assert tuple(experts[0]) == interchange.EXPERT_KEYS
    assert tuple(experts[1]["engagements"][0]) == interchange.ENGAGEMENT_KEYS
    assert tuple(needs[0]) == interchange.NEED_KEYS
    r002 = experts[1]
    assert [e["start"] for e in r002["engagements"]] == ["2022-01-01", "2023-04-01", "2025-10-01"]
    assert r002["engagements"][1]["rating"] == 4 and isinstance(r002["engagements"][1]["rating"], int)
    assert r002["travel_prefectures"] == ["01", "47"] and r002["fee"] is None
    assert needs[1]["required_skills"] == {"branding": 1, "marketing": {"level": 2, "weight": 2.5}}


def test_interchange_export_carries_every_engagement_and_skips_needs_of_other_organizations(
        session, taxonomy, empty_session):
    interchange.import_experts(session, _jsonl(EXPERTS[1:]), taxonomy)
    expert = session.scalars(select(ExpertProfile)).one()
    local = Organization(code="131016", kind="municipality", name="東京都千代田区", lg_code="131016",
                         prefecture_code="13", bureau_id="kanto")
    npo = Organization(code="NPO-1", kind="npo", name="地域NPO", prefecture_code="13", bureau_id="kanto")
    session.add_all([
        Engagement(expert=expert, organization=npo, source="need", title="NPO", start_date=date(2024, 1, 1),
                   hours_per_month=5, status="active"),
        Engagement(expert=expert, organization=local, source="need",
                   title="提案中", start_date=date(2024, 1, 1), hours_per_month=5, status="proposed"),
        Engagement(expert=expert, organization=local, source="need", title="中止", start_date=date(2023, 1, 1),
                   hours_per_month=5, status="cancelled", outcome="予算がつかず中止"),
        Need(external_id="NPO-N", organization=npo, title="NPOの募集", work_style="remote",
             location_lg_code="131016", hours_per_month=5, start_date=date(2027, 1, 1), engagement_form="contract",
             skills=[NeedSkill(skill_id="marketing", min_level=1)]),
    ])
    session.flush()
    (exported,) = interchange.export_experts(session)
    assert [(e["org_lg_code"], e["org"] and e["org"]["key"], e["status"]) for e in exported["engagements"]] == [
        ("131016", None, "cancelled"), ("131016", None, "proposed"), (None, "NPO-1", "active")]
    assert exported["engagements"][2]["org"] == {"key": "NPO-1", "kind": "npo", "name": "地域NPO",
                                                 "prefecture_code": "13"}
    assert exported["engagements"][0]["outcome"] == "予算がつかず中止"
    assert list(interchange.export_needs(session)) == []  # the need format names organizations by lg_code only

    assert interchange.import_experts(empty_session, _jsonl([exported]), taxonomy).created == 1
    empty_session.flush()
    (again,) = interchange.export_experts(empty_session)
    assert again == exported
    restored = empty_session.scalars(select(Organization).where(Organization.code == "NPO-1")).one()
    assert (restored.kind, restored.lg_code, restored.bureau_id) == ("npo", None, "kanto")


def test_interchange_reimport_of_export_keeps_need_engagements_single(session, taxonomy):
    """An engagement that came from a need is exported; importing that export again must not copy it."""
    interchange.import_experts(session, _jsonl(EXPERTS[1:]), taxonomy)
    expert = session.scalars(select(ExpertProfile)).one()
    org = Organization(code="202151", kind="municipality", name="長野県塩尻市", lg_code="202151",
                       prefecture_code="20", bureau_id="shinetsu")
    session.add(Engagement(expert=expert, organization=org, source="need", title="塩尻の案件",
                           start_date=date(2026, 4, 1), hours_per_month=10, status="active"))
    session.flush()
    exported = _jsonl(interchange.export_experts(session))
    report = interchange.import_experts(session, exported, taxonomy)
    assert report.updated == 1
    session.expire_all()
    assert [(e.source, e.title) for e in session.scalars(select(ExpertProfile)).one().engagements] == [("need", "塩尻の案件")]
