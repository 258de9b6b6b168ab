"""The candidate index stays fresh through the change log and starts from a snapshot on disk."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, select, text, update

from hub.models import ExpertChange, ExpertProfile, ExpertSkill
from hub.services import index_store
from hub.services.experts import ExpertData, apply_expert
from hub.services.matching import MatchingEngine
from tests.hub.test_services_matching import make_expert, make_need


def _changes(session) -> list[int]:
    return list(session.scalars(select(ExpertChange.expert_id).order_by(ExpertChange.id)))


def test_change_log_the_trigger_logs_every_write_to_a_profile_orm_or_not(session):
    before = session.scalar(select(func.count()).select_from(ExpertChange))
    expert = make_expert(session, "E-log", skills={"backend_dev": 2})
    assert _changes(session)[before:][-1] == expert.id  # created
    mark = len(_changes(session))
    session.add(ExpertSkill(expert_id=expert.id, skill_id="frontend_dev", level=2))  # a related row
    session.flush()
    assert expert.id in _changes(session)[mark:]
    mark = len(_changes(session))
    session.execute(update(ExpertProfile).where(ExpertProfile.id == expert.id).values(hours_per_month=10))
    assert _changes(session)[mark:] == [expert.id]  # a Core statement, as the importers write
    mark = len(_changes(session))
    session.execute(text("DELETE FROM expert_skill WHERE expert_id = :e"), {"e": expert.id})
    session.execute(text("DELETE FROM expert_profile WHERE id = :e"), {"e": expert.id})
    assert _changes(session)[mark:] == [expert.id]  # deleted: the index drops it


def test_change_cursor_reads_only_new_ids_and_waits_for_a_late_commit(session):
    high = session.scalar(select(func.max(ExpertChange.id))) or 0
    cursor = index_store.ChangeCursor.at_build(session)
    assert cursor.high == high and cursor.read(session) == set()
    # Id high+2 commits first; high+1 belongs to a transaction still running.
    session.execute(insert(ExpertChange).values(id=high + 2, expert_id=902))
    assert cursor.read(session) == {902}
    assert cursor.high == high + 2 and set(cursor.gaps) == {high + 1}
    assert cursor.read(session) == set()  # nothing new: the applied id is not applied again
    session.execute(insert(ExpertChange).values(id=high + 1, expert_id=901))  # the late commit
    assert cursor.read(session) == {901}
    assert cursor.gaps == {}
    session.execute(insert(ExpertChange).values(id=high + 4, expert_id=904))
    assert cursor.read(session) == {904} and set(cursor.gaps) == {high + 3}
    assert cursor.read(session, gap_seconds=-1) == set() and cursor.gaps == {}  # rolled back: no longer awaited


def test_a_change_through_another_process_is_in_the_next_ranking(app, session):
    """Two engines (two workers) on one database: each sees what the other's requests changed."""
    def engine() -> MatchingEngine:
        return MatchingEngine(app.extensions["hub.taxonomy"], "tfidf")
    first, second = engine(), engine()
    expert = make_expert(session, "E-1", skills={"backend_dev": 4, "cloud_infrastructure": 3})
    make_expert(session, "E-2", skills={"backend_dev": 2})
    need = make_need(session)
    assert first.rank(session, need, top_k=5).matches[0].expert_id == expert.id
    assert second.rank(session, need, top_k=5).matches[0].expert_id == expert.id
    expert.listed = False  # e.g. through the other worker's profile page
    session.flush()
    assert expert.id not in [m.expert_id for m in first.rank(session, need, top_k=5).matches]
    assert expert.id not in [m.expert_id for m in second.rank(session, need, top_k=5).matches]


def test_a_worker_maps_the_snapshot_another_wrote_and_catches_up(app, session, tmp_path):
    def engine() -> MatchingEngine:
        return MatchingEngine(app.extensions["hub.taxonomy"], "tfidf", database_url="sqlite:///x",
                              snapshot_dir=str(tmp_path), snapshot_every=10_000)
    strong = make_expert(session, "E-1", skills={"backend_dev": 4, "cloud_infrastructure": 3})
    weak = make_expert(session, "E-2", skills={"backend_dev": 2})
    need = make_need(session)
    builder = engine()
    built = builder.rank(session, need, top_k=5)
    assert builder.started_from == "database"
    assert len(list(tmp_path.glob("*/*/meta.json"))) == 1  # it wrote a snapshot for the next worker

    later = engine()
    mapped = later.rank(session, need, top_k=5)
    assert later.started_from == "snapshot"
    assert [(m.expert_id, round(m.score, 6)) for m in mapped.matches] == \
        [(m.expert_id, round(m.score, 6)) for m in built.matches]

    apply_expert(session, weak, ExpertData(
        external_id="E-2", name=weak.name, talent_type="D", skills={"backend_dev": 4, "cloud_infrastructure": 4},
        bio=weak.bio, home_lg_code=weak.home_lg_code, hours_per_month=40, available_from=date(2026, 1, 1)))
    session.flush()
    fresh = make_expert(session, "E-3", skills={"backend_dev": 1})
    before = {m.expert_id: m.signals["skill"] for m in mapped.matches}
    now = later.rank(session, need, top_k=5).matches
    ranked = [m.expert_id for m in now]
    assert {m.expert_id: m.signals["skill"] for m in now}[weak.id] > before[weak.id]
    assert fresh.id in ranked and strong.id in ranked
    # The snapshot files themselves are untouched (copy-on-write): a third worker starts from them as well.
    third = engine()
    assert [m.expert_id for m in third.rank(session, need, top_k=5).matches] == ranked
    assert third.started_from == "snapshot"


def test_a_snapshot_of_another_database_state_is_not_used(app, session, tmp_path):
    make_expert(session, "E-1", skills={"backend_dev": 4})
    need = make_need(session)
    options = {"database_url": "sqlite:///x", "snapshot_dir": str(tmp_path)}
    MatchingEngine(app.extensions["hub.taxonomy"], "tfidf", **options).rank(session, need, top_k=5)
    session.execute(update(ExpertChange).values(changed_at=date(2001, 1, 1)))  # the fingerprint no longer fits
    other = MatchingEngine(app.extensions["hub.taxonomy"], "tfidf", **options)
    assert other.rank(session, need, top_k=5).matches
    assert other.started_from == "database"
