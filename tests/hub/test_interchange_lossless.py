"""The expert format is lossless: re-importing the hub's own export over the demo changes no row of any table."""
from __future__ import annotations

import io
import json
from datetime import date, datetime, timezone

from sqlalchemy import func, select

from hub import demo
from hub.db import Base
from hub.models import (AuditEvent, Engagement, Evaluation, EvaluationSkill, ExpertProfile, ExpertSkill,
                        Organization)
from hub.services import interchange
from tests.hub.test_interchange_roundtrip import empty_session  # noqa: F401  (a fixture)


def snapshot(session) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order, as the database returns it."""
    session.flush()
    return {table.name: [tuple(row) for row in session.execute(
        select(table).order_by(*table.primary_key.columns))] for table in Base.metadata.sorted_tables}


def column(rows: list[tuple], table: str, name: str) -> list:
    index = list(Base.metadata.tables[table].columns.keys()).index(name)
    return [row[index] for row in rows]


def _export(session) -> tuple[bytes, bytes]:
    experts, needs = io.StringIO(), io.StringIO()
    interchange.write_jsonl(interchange.export_experts(session), experts)
    interchange.write_jsonl(interchange.export_needs(session), needs)
    return experts.getvalue().encode(), needs.getvalue().encode()


def _what_the_demo_lacks(session) -> None:
    """Engagements the demo has none of: with an NPO, cancelled and proposed ones, and an outcome."""
    experts = session.scalars(select(ExpertProfile).order_by(ExpertProfile.external_id).limit(3)).all()
    npo = session.scalars(select(Organization).where(Organization.kind == "npo").order_by(Organization.id)).first()
    town = session.scalars(select(Organization).where(Organization.lg_code.is_not(None))
                           .order_by(Organization.id)).first()
    session.add_all([
        Engagement(expert=experts[0], organization=npo, source="import", title="NPOの会計DX", role="助言",
                   start_date=date(2023, 4, 1), end_date=date(2024, 3, 31), hours_per_month=8, status="completed",
                   outcome="会計ソフトを導入",
                   evaluation=Evaluation(overall=4, would_rehire=True, comment="丁寧な伴走でした",
                                         skill_ratings=[EvaluationSkill(skill_id="leadership", rating=5)])),
        Engagement(expert=experts[1], organization=town, source="need", title="中止になった案件",
                   start_date=date(2025, 4, 1), hours_per_month=10, status="cancelled"),
        Engagement(expert=experts[2], organization=npo, source="need", title="提案中の案件",
                   start_date=date(2027, 1, 1), hours_per_month=4, status="proposed"),
    ])
    experts[1].phone = "03-1234-5678"
    experts[2].notify_opt_in = False
    session.flush()


def test_interchange_reimport_of_the_export_over_the_demo_changes_no_row(session, taxonomy):
    demo.load_demo(session, taxonomy)
    _what_the_demo_lacks(session)
    before = snapshot(session)
    assert sum(1 for c in column(before["evaluation"], "evaluation", "comment") if c) > 100  # the old import erased them
    assert len(before["evaluation_skill"]) > 100
    assert set(column(before["expert_skill"], "expert_skill", "source")) == {"self", "rated"}
    experts, needs = _export(session)

    for importer, data in ((interchange.import_experts, experts), (interchange.import_needs, needs)):
        report = importer(session, data, taxonomy, filename="again.jsonl")
        assert report.ok and report.created == 0, report.errors[:3]
    after = snapshot(session)

    # The only new rows: the audit events of the two imports themselves.
    new_events = after["audit_event"][len(before["audit_event"]):]
    assert [(e[2], e[3], e[4]) for e in new_events] == [("expert.import", "expert", "again.jsonl"),  # action,
                                                        ("need.import", "need", "again.jsonl")]  # entity, entity_id
    after["audit_event"] = after["audit_event"][:len(before["audit_event"])]
    for table in before:
        assert after[table] == before[table], f"{table} changed"
    assert _export(session) == (experts, needs)


def test_interchange_export_says_everything_about_an_expert(session, taxonomy):
    demo.load_demo(session, taxonomy, n_experts=40, n_needs=5)
    _what_the_demo_lacks(session)
    objects = {o["external_id"]: o for o in interchange.export_experts(session)}
    rated = session.scalars(select(ExpertSkill).where(ExpertSkill.source == "rated")).first()
    exported = objects[session.get(ExpertProfile, rated.expert_id).external_id]["skills"][rated.skill_id]
    assert exported == {"level": rated.level, "source": "rated", "rating_mean": interchange._number(rated.rating_mean),
                        "rating_count": rated.rating_count}
    unlisted = session.scalars(select(ExpertProfile).where(ExpertProfile.listed.is_(False))).first()
    if unlisted is not None:
        assert objects[unlisted.external_id]["listed"] is False
    lines = [json.dumps(o, ensure_ascii=False) for o in objects.values()]
    npo_engagement = next(e for line in lines for e in json.loads(line)["engagements"]
                          if e["title"] == "NPOの会計DX")
    assert npo_engagement["org_lg_code"] is None and npo_engagement["org"]["kind"] == "npo"
    assert npo_engagement["comment"] == "丁寧な伴走でした" and npo_engagement["skill_ratings"] == {"leadership": 5}
    assert npo_engagement["outcome"] == "会計ソフトを導入"
    statuses = {e["status"] for o in objects.values() for e in o["engagements"]}
    assert statuses == {"proposed", "active", "completed", "cancelled"}
    rich = next(o for o in objects.values() if o["visibility"] == "public")
    assert rich["phone"] == "090-0000-0000" and rich["availability_confirmed_at"].endswith("+00:00")


def test_interchange_format_1_files_stay_valid_and_keep_what_they_cannot_say(session, taxonomy):
    """A line in the old shape (no phone, listing, skill sources, comments …) imports, and erases nothing."""
    old_shape = {"external_id": "OLD1", "name": "旧形式 太郎", "talent_type": "D", "skills": {"backend_dev": 3},
                 "hours_per_month": 20,
                 "engagements": [{"org_lg_code": "202045", "title": "予約基盤", "start": "2024-04-01",
                                  "end": "2025-03-31", "hours_per_month": 20, "status": "completed", "rating": 4,
                                  "would_rehire": True}]}
    data = (json.dumps(old_shape, ensure_ascii=False) + "\n").encode()
    assert interchange.import_experts(session, data, taxonomy).created == 1
    expert = session.scalars(select(ExpertProfile)).one()
    assert (expert.status, expert.listed, expert.visibility, expert.phone) == ("active", True, "staff", None)
    expert.listed, expert.visibility, expert.phone, expert.status = False, "public", "026-000-0000", "paused"
    expert.availability_confirmed_at = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
    skill = next(s for s in expert.skills if s.skill_id == "backend_dev")  # beside skills read from the text
    skill.source, skill.rating_mean, skill.rating_count = "rated", 4.0, 1
    evaluation = expert.engagements[0].evaluation
    evaluation.comment = "また頼みたい"
    evaluation.skill_ratings.append(EvaluationSkill(skill_id="backend_dev", rating=4))
    session.flush()
    before = snapshot(session)

    report = interchange.import_experts(session, data, taxonomy)
    assert report.ok and report.updated == 1
    after = snapshot(session)
    after["audit_event"] = after["audit_event"][:len(before["audit_event"])]
    assert after == before


def test_interchange_reimport_applies_changes_in_place(session, taxonomy):
    data = {"external_id": "C1", "name": "変更 花子", "talent_type": "X", "skills": {"marketing": 2},
            "engagements": [{"org": {"key": "NPO-13-X1", "kind": "npo", "name": "東京のNPO", "prefecture_code": "13"},
                             "title": "広報支援", "start": "2024-04-01", "end": "2024-09-30", "hours_per_month": 8,
                             "status": "completed", "rating": 3, "comment": "普通", "skill_ratings": {"marketing": 3}},
                            {"org_lg_code": "131016", "title": "区の相談", "start": "2025-04-01",
                             "hours_per_month": 8, "status": "proposed"}]}
    line = lambda obj: (json.dumps(obj, ensure_ascii=False) + "\n").encode()  # noqa: E731
    assert interchange.import_experts(session, line(data), taxonomy).created == 1
    engagement_ids = session.scalars(select(Engagement.id).order_by(Engagement.id)).all()
    evaluation_id = session.scalar(select(Evaluation.id))

    data["engagements"][0] |= {"rating": 5, "comment": "素晴らしい", "skill_ratings": {"marketing": 5, "branding": 4}}
    data["engagements"][1] |= {"status": "cancelled", "outcome": "予算見送り"}
    data["skills"] = {"marketing": {"level": 3, "source": "rated", "rating_mean": 5, "rating_count": 1}}
    data |= {"listed": False, "status": "retired"}
    assert interchange.import_experts(session, line(data), taxonomy).updated == 1
    session.expire_all()
    assert session.scalars(select(Engagement.id).order_by(Engagement.id)).all() == engagement_ids
    evaluation = session.get(Evaluation, evaluation_id)
    assert (evaluation.overall, evaluation.comment) == (5, "素晴らしい")
    assert {r.skill_id: r.rating for r in evaluation.skill_ratings} == {"marketing": 5, "branding": 4}
    cancelled = session.get(Engagement, engagement_ids[1])
    assert (cancelled.status, cancelled.outcome) == ("cancelled", "予算見送り")
    expert = session.scalars(select(ExpertProfile)).one()
    assert (expert.listed, expert.status) == (False, "retired")
    marketing = next(s for s in expert.skills if s.skill_id == "marketing")  # beside skills read from the text
    assert (marketing.source, marketing.rating_count) == ("rated", 1)
    assert session.scalar(select(func.count()).select_from(Organization).where(Organization.code == "NPO-13-X1")) == 1

    data["engagements"] = data["engagements"][1:]  # an imported engagement the line no longer names goes
    interchange.import_experts(session, line(data), taxonomy)
    assert session.scalar(select(func.count()).select_from(Evaluation)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 3
