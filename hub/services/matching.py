"""Feed the matcher from the database and store what it returns.

The matcher (`matching/`) only sees plain records. This module turns rows into `ExpertRecord`s and
`NeedQuery`s, keeps text embeddings in the `embedding` table (computed when a text changes, never per
query), keeps one `CandidateIndex` per process and brings it up to date incrementally: every ranking
first reads the change log past the last id it applied (one primary-key range; see
`hub.models.index_changes`), so several worker processes and hosts stay correct without talking to each
other. `index_store` keeps the index on disk so a new worker maps it instead of building it.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, selectinload

import matching
from hub.db import has_written, side_session, utcnow
from hub.gazetteer import load_gazetteer
from hub.models import (Embedding, Engagement, ExpertProfile, Need, RankerWeights, ShortlistEntry, User)
from hub.services import index_store
from hub.services.needs import need_text
from skill_taxonomy import Taxonomy

log = logging.getLogger(__name__)

OPEN_CONTACT_STATES = ("contacted", "offered")


def skill_space(taxonomy: Taxonomy) -> matching.SkillSpace:
    """The matcher's view of the DSS taxonomy: axis order, texts for inference, stage priors and staffing rules."""
    return matching.SkillSpace(
        item_ids=tuple(taxonomy.item_ids),
        texts={item: (taxonomy.skill_text(item, "ja"), taxonomy.skill_text(item, "en"))
               for item in taxonomy.item_ids},
        stage_priors={sid: {item: p.weight for item, p in stage.prior.items()}
                      for sid, stage in taxonomy.stages.items()},
        stage_leading_types={sid: stage.leading_type for sid, stage in taxonomy.stages.items()},
        stage_rules={sid: {rule: r.weight for rule, r in stage.staffing.items()}
                     for sid, stage in taxonomy.stages.items()},
        stage_work_places={sid: stage.work_place for sid, stage in taxonomy.stages.items()},
    )


# --- rows -> records ------------------------------------------------------------------------
# The index is built from plain column queries, one per table, not from ORM objects: at 10,000 experts
# the ORM route instantiates ~300,000 objects and took 40 s; tuples take a small fraction of that.

def expert_load_options():
    """Eager loads for pages that show many experts with their record (no query per expert)."""
    return (selectinload(ExpertProfile.skills), selectinload(ExpertProfile.fields),
            selectinload(ExpertProfile.stages_led), selectinload(ExpertProfile.schemes),
            selectinload(ExpertProfile.travel_prefectures),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.stages),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.fields),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.evaluation),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.organization))


def availability_stale(confirmed_at: datetime | None, created_at: datetime | None, stale_days: int,
                       now: datetime | None = None) -> bool:
    """Availability not re-confirmed within `stale_days` (never confirmed counts from sign-up)."""
    confirmed = confirmed_at or created_at
    if confirmed is None:
        return True
    if confirmed.tzinfo is None:  # SQLite hands back naive datetimes
        confirmed = confirmed.replace(tzinfo=timezone.utc)
    return (now or utcnow()) - confirmed > timedelta(days=stale_days)


def is_availability_stale(expert: ExpertProfile, stale_days: int, now: datetime | None = None) -> bool:
    return availability_stale(expert.availability_confirmed_at, expert.created_at, stale_days, now)


@dataclass
class ExpertRows:
    """What the matcher needs of some experts, read with one query per table."""

    records: list[matching.ExpertRecord]
    texts: dict[int, str]  # expert id -> the text to embed (services.experts.compose_expert_text)


def _grouped(session: Session, query, key_index: int = 0) -> dict[int, list[tuple]]:
    out: dict[int, list[tuple]] = {}
    for row in session.execute(query):
        out.setdefault(row[key_index], []).append(tuple(row))
    return out


def load_expert_rows(session: Session, *, ids: Sequence[int] | None = None, stale_days: int = 90) -> ExpertRows:
    """Read every live expert, or exactly `ids` (the changed ones: see the change log), as records and texts."""
    from hub.models import (EngagementField, EngagementStage, Evaluation, ExpertField, ExpertScheme,
                            ExpertSkill, ExpertStage, ExpertTravelPrefecture, Organization)
    from hub.services.experts import compose_expert_text

    P = ExpertProfile
    selected = select(P.id).where(P.id.in_(list(ids))).scalar_subquery() if ids is not None else None

    def owned(column):
        return column.in_(selected) if selected is not None else True

    profiles = session.execute(select(
        P.id, P.external_id, P.talent_type, P.bio, P.home_lg_code, P.remote, P.onsite, P.resident,
        P.max_travel_km, P.hours_per_month, P.available_from, P.available_until, P.fee_unit, P.fee_amount,
        P.listed, P.status, P.availability_confirmed_at, P.created_at).where(owned(P.id), P.deleted_at.is_(None))
        .order_by(P.id)).all()
    skills = _grouped(session, select(ExpertSkill.expert_id, ExpertSkill.skill_id, ExpertSkill.level,
                                      ExpertSkill.source).where(owned(ExpertSkill.expert_id)))
    fields = _grouped(session, select(ExpertField.expert_id, ExpertField.field_id).where(owned(ExpertField.expert_id)))
    stages_led = _grouped(session, select(ExpertStage.expert_id, ExpertStage.stage_id)
                          .where(owned(ExpertStage.expert_id)))
    schemes = _grouped(session, select(ExpertScheme.expert_id, ExpertScheme.scheme).where(owned(ExpertScheme.expert_id)))
    travel = _grouped(session, select(ExpertTravelPrefecture.expert_id, ExpertTravelPrefecture.prefecture_code)
                      .where(owned(ExpertTravelPrefecture.expert_id)))
    E = Engagement
    engagements = _grouped(session, select(
        E.expert_id, E.id, E.status, E.start_date, E.end_date, E.hours_per_month, E.title, E.role,
        E.contribution, Organization.name, Evaluation.overall, Evaluation.would_rehire)
        .join(Organization, Organization.id == E.organization_id)
        .outerjoin(Evaluation, (Evaluation.engagement_id == E.id) & Evaluation.co_organization_id.is_(None))
        .where(owned(E.expert_id)))
    # A shared need's co-organizations evaluate too: each evaluation is one more rating of the expert.
    co_ratings = _grouped(session, select(E.expert_id, Evaluation.overall, Evaluation.would_rehire)
                          .join(Evaluation, Evaluation.engagement_id == E.id)
                          .where(Evaluation.co_organization_id.is_not(None), owned(E.expert_id)))
    engagement_ids = select(E.id).where(E.status == "completed", owned(E.expert_id)).scalar_subquery()
    e_stages = _grouped(session, select(EngagementStage.engagement_id, EngagementStage.stage_id)
                        .where(EngagementStage.engagement_id.in_(engagement_ids)))
    e_fields = _grouped(session, select(EngagementField.engagement_id, EngagementField.field_id)
                        .where(EngagementField.engagement_id.in_(engagement_ids)))
    open_requests = dict(session.execute(
        select(ShortlistEntry.expert_id, func.count()).where(
            ShortlistEntry.state.in_(OPEN_CONTACT_STATES), owned(ShortlistEntry.expert_id))
        .group_by(ShortlistEntry.expert_id)).all())

    gazetteer = load_gazetteer()
    now = utcnow()
    records, texts = [], {}
    for (expert_id, external_id, talent_type, bio, home, remote, onsite, resident, reach, hours, available_from,
         available_until, fee_unit, fee_amount, listed, status, confirmed_at, created_at) in profiles:
        coords = gazetteer.coordinates(home) if home else None
        commitments, ratings = [], []
        stage_counts: Counter[str] = Counter()
        field_counts: Counter[str] = Counter()
        own = engagements.get(expert_id, [])
        for (_, e_id, e_status, start, end, e_hours, _title, _role, _contribution, org_name, overall,
             rehire) in own:
            if e_status == "active":
                commitments.append(matching.Commitment(start, end, float(e_hours), org_name or ""))
            elif e_status == "completed":
                stage_counts.update(stage for _, stage in e_stages.get(e_id, ()))
                field_counts.update(field for _, field in e_fields.get(e_id, ()))
            if overall is not None:
                ratings.append(matching.Rating(float(overall), rehire))
        ratings.extend(matching.Rating(float(overall), rehire) for _, overall, rehire in co_ratings.get(expert_id, ()))
        own_skills = skills.get(expert_id, [])
        records.append(matching.ExpertRecord(
            id=expert_id, external_id=external_id, talent_type=talent_type,
            skills={skill: level for _, skill, level, source in own_skills if source != "inferred"},
            verified_skills={skill: float(level) for _, skill, level, source in own_skills
                             if source in ("verified", "rated")},
            inferred_skills={skill: float(level) for _, skill, level, source in own_skills if source == "inferred"},
            lat=coords[0] if coords else None, lng=coords[1] if coords else None,
            prefecture_code=home[:2] if home else None, remote=remote, onsite=onsite, resident=resident,
            max_travel_km=float(reach) if reach is not None else None,
            travel_prefectures=frozenset(code for _, code in travel.get(expert_id, ())),
            hours_per_month=float(hours), commitments=tuple(commitments),
            available_from=available_from, available_until=available_until, fee_unit=fee_unit,
            fee_amount=float(fee_amount) if fee_amount is not None else None,
            schemes=frozenset(scheme for _, scheme in schemes.get(expert_id, ())), listed=listed,
            active=status == "active", ratings=tuple(ratings), completed_stage_counts=dict(stage_counts),
            completed_field_counts=dict(field_counts),
            fields=frozenset(field for _, field in fields.get(expert_id, ())),
            stages_led=frozenset(stage for _, stage in stages_led.get(expert_id, ())),
            open_contact_requests=open_requests.get(expert_id, 0),
            availability_stale=availability_stale(confirmed_at, created_at, stale_days, now)))
        texts[expert_id] = compose_expert_text(bio, [(row[3], row[1], row[2], row[6], row[7], row[8])
                                                     for row in own])
    return ExpertRows(records, texts)


def need_query(need: Need, text_vector: np.ndarray | None, *, weights: dict | None = None) -> matching.NeedQuery:
    """Turn a need into the matcher's query; `weights` (e.g. from the sliders) override the need's own."""
    coords = load_gazetteer().coordinates(need.location_lg_code)
    return matching.NeedQuery(
        required=need.required_skills, nice_to_have=need.nice_to_have_skills,
        skill_weights={s.skill_id: float(s.weight) for s in need.skills if s.weight != 1.0} or None,
        stages=tuple(need.stage_ids), fields=tuple(need.field_ids), talent_type=need.talent_type,
        work_style=need.work_style, lat=coords[0] if coords else None, lng=coords[1] if coords else None,
        prefecture_code=need.location_lg_code[:2], hours_per_month=float(need.hours_per_month),
        start=need.start_date, end=need.end_date, budget_unit=need.budget_unit,
        budget_max=float(need.budget_max) if need.budget_max is not None else None,
        text_vector=text_vector, weights=weights if weights is not None else need.weights,
        other_sites=shared_sites(need),
    )


def shared_sites(need: Need) -> tuple[matching.Site, ...]:
    """The co-organizations' sites of a shared need (共同任用): on-site work must reach each of them too."""
    gazetteer = load_gazetteer()
    sites = []
    for code in sorted({share.location_lg_code for share in need.shares} - {need.location_lg_code}):
        coords = gazetteer.coordinates(code)
        sites.append(matching.Site(coords[0] if coords else None, coords[1] if coords else None, code[:2]))
    return tuple(sites)


# --- embeddings -----------------------------------------------------------------------------
# A vector is derived data: computed when a text is saved (the need's save verb, imports, `flask reembed`),
# and otherwise computed in memory where a ranking finds it missing. Storing it is an idempotent upsert
# (INSERT … ON CONFLICT), so two requests that compute the same vector at once both succeed; on a GET it
# goes into a short transaction of its own (GET never writes in the request's transaction).

def _upsert_statement(dialect: str):
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Embedding)
    return statement.on_conflict_do_update(
        index_elements=[Embedding.owner_kind, Embedding.owner_id, Embedding.model],
        set_={"content_hash": statement.excluded.content_hash, "dim": statement.excluded.dim,
              "vector": statement.excluded.vector, "created_at": statement.excluded.created_at},
        where=Embedding.content_hash != statement.excluded.content_hash)


def store_embeddings(session: Session, rows: list[dict], *, aside: bool | None = None) -> bool:
    """Upsert embedding rows; return whether they were stored.

    `aside` None decides by the transaction: one that has written keeps the rows (they commit with it),
    otherwise a short transaction of its own stores them. A failure there (a lock, a read-only replica)
    only costs recomputing the vectors later: it is logged, never raised.
    """
    if not rows:
        return True
    if aside is None:
        aside = not has_written(session)
    if not aside:
        session.execute(_upsert_statement(session.get_bind().dialect.name), rows)
        return True
    try:
        with side_session(session) as side:
            side.execute(_upsert_statement(side.get_bind().dialect.name), rows)
            side.commit()
    except DBAPIError as exc:
        log.warning("embeddings not stored (%d rows): %s", len(rows), exc.orig)
        return False
    return True


def ensure_embeddings(session: Session, encoder: matching.Encoder, owner_kind: str,
                      owners: Sequence[tuple[int, str]], *, batch_size: int = 256,
                      progress: Callable[[int], None] | None = None,
                      aside: bool | None = None) -> dict[int, np.ndarray]:
    """Return a vector per owner id, encoding only texts that are new or changed for this model.

    New vectors are stored by `store_embeddings` (see there for `aside`).
    """
    kind = "query" if owner_kind == "need" else "document"
    stored: dict[int, tuple[str, bytes]] = {}
    ids = [owner_id for owner_id, _ in owners]
    for chunk in _chunks(ids, 2000):
        for owner_id, digest, blob in session.execute(select(
                Embedding.owner_id, Embedding.content_hash, Embedding.vector).where(
                Embedding.owner_kind == owner_kind, Embedding.model == encoder.name,
                Embedding.owner_id.in_(chunk))):
            stored[owner_id] = (digest, blob)
    out: dict[int, np.ndarray] = {}
    todo: list[tuple[int, str, str]] = []
    for owner_id, text in owners:
        digest = matching.content_hash(text, encoder.name)
        row = stored.get(owner_id)
        if row is not None and row[0] == digest:
            out[owner_id] = np.frombuffer(row[1], dtype="<f4").copy()
        else:
            todo.append((owner_id, text, digest))
    for batch in _chunks(todo, batch_size):
        vectors = encoder.encode([text for _, text, _ in batch], kind=kind)
        rows = []
        for (owner_id, _, digest), vector in zip(batch, vectors):
            blob = np.asarray(vector, dtype="<f4").tobytes()
            rows.append({"owner_kind": owner_kind, "owner_id": owner_id, "model": encoder.name,
                         "content_hash": digest, "dim": len(vector), "vector": blob, "created_at": utcnow()})
            out[owner_id] = np.frombuffer(blob, dtype="<f4").copy()
        store_embeddings(session, rows, aside=aside)
        if progress:
            progress(len(batch))
    return out


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --- the engine -----------------------------------------------------------------------------
@dataclass
class MatchOutcome:
    """A ranking and the rows the page needs to show it (no extra queries per result)."""

    result: matching.RankResult
    experts: dict[int, ExpertProfile]
    query: matching.NeedQuery

    @property
    def matches(self) -> tuple[matching.Match, ...]:
        return self.result.matches


NEED_VECTOR_CACHE = 10_000  # need vectors kept in memory (2 kB each at 512-d)
PROFILE_MODEL_SAMPLE = 5000  # full profiles the neighbour reader learns from: neighbours enough, start-up bounded
WEIGHTS_TTL = 10.0  # seconds a worker uses the learned weights before it looks for newer ones


@dataclass(frozen=True)
class LearnedWeights:
    weights: dict
    version: str


class MatchingEngine:
    """One per process: the encoder, the skill space, the item matrix and the candidate index.

    The index starts from the host's newest snapshot when there is one (`index_store`), else from the
    database; every ranking then applies the change-log rows written since it last looked.
    """

    def __init__(self, taxonomy: Taxonomy, backend: str, model_path: str | None = None,
                 stale_days: int = 90, load_spreading: float = 0.0, *, database_url: str | None = None,
                 snapshot_dir: str | None = None, snapshot_every: int = 2000):
        self.taxonomy = taxonomy
        self.space = skill_space(taxonomy)
        self.backend = backend
        self.model_path = model_path
        self.stale_days = stale_days
        self.load_spreading = load_spreading
        self.database_url = database_url
        self.snapshot_dir = snapshot_dir or None
        self.snapshot_every = snapshot_every
        self._encoder: matching.Encoder | None = None
        self._item_matrix: np.ndarray | None = None
        self._index: matching.CandidateIndex | None = None
        self._cursor: index_store.ChangeCursor | None = None
        self._store: index_store.SnapshotStore | None = None
        self._since_snapshot = 0  # changes applied since the snapshot this index came from (or wrote)
        self.started_from: str | None = None  # "snapshot" or "database", for the logs and the benches
        self._profile_model: tuple[matching.NeighbourSkillModel | None] | None = None
        self._need_vectors: dict[str, np.ndarray] = {}  # content hash -> vector
        self._weights: LearnedWeights | None = None
        self._weights_read_at: float | None = None
        self._lock = threading.Lock()

    @property
    def encoder(self) -> matching.Encoder:
        if self._encoder is None:
            options = {"model_path": self.model_path} if self.backend == "st" else {}
            self._encoder = matching.make_encoder(self.backend, **options)
        return self._encoder

    @property
    def item_matrix(self) -> np.ndarray:
        if self._item_matrix is None:
            self._item_matrix = matching.item_matrix(self.space, self.encoder)
        return self._item_matrix

    # index ------------------------------------------------------------------------------
    def index(self, session: Session) -> matching.CandidateIndex:
        """Return the candidate index, started on first use and then brought up to date from the change log."""
        with self._lock:
            if self._index is None:
                self._start(session)
            else:
                self._catch_up(session)
            return self._index

    def _snapshots(self) -> index_store.SnapshotStore | None:
        if self._store is None and self.snapshot_dir and self.database_url:
            key = index_store.snapshot_key(self.database_url, self.encoder.name, self.space)
            self._store = index_store.SnapshotStore(self.snapshot_dir, key)
        return self._store

    def _start(self, session: Session) -> None:
        store = self._snapshots()
        loaded = store.load(session, self.space) if store else None
        if loaded is None:
            self._build(session)
            self.save_snapshot(session)
            return
        self._index, self._cursor, self._since_snapshot = loaded.index, loaded.cursor, 0
        if loaded.item_matrix is not None and self._item_matrix is None:
            self._item_matrix = loaded.item_matrix
        self.started_from = "snapshot"
        log.info("candidate index mapped from snapshot at change %d: %d experts", loaded.change_id,
                 len(loaded.index))
        self._catch_up(session)

    def _build(self, session: Session) -> None:
        cursor = index_store.ChangeCursor.at_build(session)  # before reading: later changes are read again
        rows = load_expert_rows(session, stale_days=self.stale_days)
        vectors = self.embed_experts(session, rows.texts)
        dim = self.encoder.dim
        matrix = (np.stack([vectors[r.id] for r in rows.records]) if rows.records
                  else np.zeros((0, dim), dtype=np.float32))
        self._index = matching.CandidateIndex(self.space, rows.records, matrix, dim=dim)
        self._cursor, self._since_snapshot, self.started_from = cursor, 0, "database"
        log.info("candidate index built: %d experts", len(rows.records))

    def _catch_up(self, session: Session) -> None:
        changed = self._cursor.read(session)
        if not changed:
            return
        if len(changed) > max(5000, len(self._index) // 5):  # a bulk write: reading everything is cheaper
            self._build(session)
            self.save_snapshot(session)
            return
        rows = load_expert_rows(session, ids=sorted(changed), stale_days=self.stale_days)
        for gone in changed - {record.id for record in rows.records}:  # deleted accounts leave the index
            self._index.remove(gone)
        vectors = self.embed_experts(session, rows.texts)
        for record in rows.records:
            self._index.upsert(record, vectors[record.id])
        self._since_snapshot += len(changed)
        log.info("candidate index refreshed: %d experts changed", len(changed))
        if self._since_snapshot >= self.snapshot_every:
            self.save_snapshot(session)

    def save_snapshot(self, session: Session) -> str | None:
        """Write the current index for the other workers of this host (no-op without a snapshot folder)."""
        store = self._snapshots()
        if store is None or self._index is None:
            return None
        try:
            path = store.save(session, self._index, self._cursor, self.item_matrix)
        except OSError as exc:  # a full disk costs the next worker a build, not this ranking
            log.warning("index snapshot not written: %s", exc)
            return None
        if path is not None:
            self._since_snapshot = 0
        return str(path) if path else None

    def forget(self) -> None:
        """Drop the index (e.g. after a bulk import or a model change); the next ranking starts it again."""
        with self._lock:
            self._index, self._cursor, self._weights_read_at = None, None, None
            self._profile_model = None

    def embed_experts(self, session: Session, texts: dict[int, str],
                      progress: Callable[[int], None] | None = None) -> dict[int, np.ndarray]:
        """Stored vectors for these experts' texts, encoding only the new or changed ones."""
        return ensure_embeddings(session, self.encoder, "expert", list(texts.items()), progress=progress)

    def need_vector(self, session: Session, need: Need) -> np.ndarray | None:
        """The need's text vector: the stored one, or computed now (and stored aside) when missing or stale.

        Kept in memory by content hash (the hash names the text and the model, so it cannot go stale): a
        ranking of a known need asks the database nothing for it.
        """
        text = need_text(need)
        if not text.strip():
            return None
        digest = matching.content_hash(text, self.encoder.name)
        vector = self._need_vectors.get(digest)
        if vector is None:
            vector = ensure_embeddings(session, self.encoder, "need", [(need.id, text)])[need.id]
            if len(self._need_vectors) >= NEED_VECTOR_CACHE:
                self._need_vectors.pop(next(iter(self._need_vectors)))
            self._need_vectors[digest] = vector
        return vector

    def store_need_vector(self, session: Session, need: Need) -> None:
        """Embed a saved need's text in the transaction that saves it (the save verb)."""
        if need_text(need).strip():
            ensure_embeddings(session, self.encoder, "need", [(need.id, need_text(need))], aside=False)

    def store_need_vectors(self, session: Session) -> None:
        """Embed every need whose text has no vector yet for this model, in the caller's transaction (imports)."""
        from hub.services.needs import compose_need_text
        owners = [(need_id, compose_need_text(title, description)) for need_id, title, description in
                  session.execute(select(Need.id, Need.title, Need.description).order_by(Need.id))]
        ensure_embeddings(session, self.encoder, "need", [(i, t) for i, t in owners if t.strip()], aside=False)

    # skills read from profile texts -----------------------------------------------------
    def profile_skill_model(self, session: Session) -> matching.NeighbourSkillModel | None:
        """The neighbour reader, trained on the hub's full profiles (declared levels and stored vectors).

        Built once per process (and after `forget`); None while the hub holds too few full profiles.
        """
        if self._profile_model is None:
            from hub.models import ExpertSkill
            declared = (ExpertSkill.source != "inferred", ExpertSkill.level > 0)
            # The newest PROFILE_MODEL_SAMPLE full profiles, chosen in SQL: at 100,000 experts reading every
            # level and vector took 6.2 s on the first profile save of each worker and held ~200 MB.
            full = list(session.scalars(
                select(ExpertSkill.expert_id).where(*declared).group_by(ExpertSkill.expert_id)
                .having(func.count() >= matching.profile_skills.FEW_LEVELS)
                .order_by(ExpertSkill.expert_id.desc()).limit(PROFILE_MODEL_SAMPLE)))
            levels: dict[int, dict[str, int]] = {}
            for chunk in _chunks(full, 2000):
                for expert_id, skill_id, level in session.execute(select(
                        ExpertSkill.expert_id, ExpertSkill.skill_id, ExpertSkill.level).where(
                        *declared, ExpertSkill.expert_id.in_(chunk))):
                    levels.setdefault(expert_id, {})[skill_id] = level
            vectors: dict[int, np.ndarray] = {}
            for chunk in _chunks(full, 2000):
                for owner_id, blob in session.execute(select(Embedding.owner_id, Embedding.vector).where(
                        Embedding.owner_kind == "expert", Embedding.model == self.encoder.name,
                        Embedding.owner_id.in_(chunk))):
                    vectors[owner_id] = np.frombuffer(blob, dtype="<f4")
            keep = [i for i in full if i in vectors]
            model = (matching.NeighbourSkillModel.fit(self.space, np.stack([vectors[i] for i in keep]),
                                                      [levels[i] for i in keep]) if keep else None)
            self._profile_model = (model,)
        return self._profile_model[0]

    def read_profile_skills(self, session: Session, rows: ExpertRows) -> dict[int, dict[str, int]]:
        """Skills read from the texts of the experts among `rows` whose profiles declare few levels."""
        sparse = [r for r in rows.records if matching.needs_inference(r.skills)]
        if not sparse:
            return {}
        vectors = self.embed_experts(session, {r.id: rows.texts[r.id] for r in sparse})
        model = self.profile_skill_model(session)
        return {r.id: matching.infer_profile_levels(self.space, vectors[r.id], self.item_matrix, model)
                for r in sparse if rows.texts[r.id].strip()}

    # ranking ----------------------------------------------------------------------------
    def ranker(self, session: Session, load_spreading: float | None = None) -> matching.Ranker:
        learned = self._learned_weights(session)
        return matching.Ranker(
            weights=learned.weights if learned else None,
            weights_version=learned.version if learned else None,
            load_spreading=self.load_spreading if load_spreading is None else load_spreading,
            item_matrix=self.item_matrix)

    def _learned_weights(self, session: Session):
        """The newest fitted weights, read at most every WEIGHTS_TTL seconds (`train-ranker` is a rare command)."""
        now = time.monotonic()
        if self._weights_read_at is None or now - self._weights_read_at > WEIGHTS_TTL:
            row = session.execute(select(RankerWeights.weights, RankerWeights.version).order_by(
                RankerWeights.created_at.desc(), RankerWeights.id.desc()).limit(1)).first()
            self._weights = LearnedWeights(row[0], row[1]) if row else None
            self._weights_read_at = now
        return self._weights

    def suggest_skills(self, text: str, stages: Sequence[str] = ()) -> list[matching.Suggestion]:
        """The few skills a need's stages and text support, for the need form (not yet saved needs too)."""
        vector = self.encoder.encode([text], kind="query")[0] if text.strip() else None
        return matching.suggest_need_skills(self.space, self.taxonomy.stage_prior(stages), vector,
                                            self.item_matrix if vector is not None else None)

    def rank(self, session: Session, need: Need, *, top_k: int = 10, filters: matching.Filters | None = None,
             weights: dict | None = None, load_spreading: float | None = None,
             profiles: bool = True) -> MatchOutcome:
        """Rank experts for a need and load the profiles of the results (one query; none without `profiles`).

        What a result shows of an expert beyond the profile row (skills, record, hours) is in its
        explanation already, so no related rows are loaded.
        """
        index = self.index(session)
        query = need_query(need, self.need_vector(session, need), weights=weights)
        result = self.ranker(session, load_spreading).rank(index, query, top_k=top_k, filters=filters)
        ids = [m.expert_id for m in result.matches]
        experts = {e.id: e for e in session.scalars(
            select(ExpertProfile).where(ExpertProfile.id.in_(ids)))} if ids and profiles else {}
        return MatchOutcome(result, experts, query)


    def position_of(self, session: Session, need: Need, expert_id: int
                    ) -> tuple[int | None, matching.Match | None, matching.RankResult]:
        """Where one expert stands in the need's plain ranking: (rank, match, result), or (None, None, result)
        when the matcher's hard filters exclude them. Ranks everyone: used once per "add to shortlist"."""
        index = self.index(session)
        query = need_query(need, self.need_vector(session, need))
        result = self.ranker(session).rank(index, query, top_k=max(len(index), 1))
        for position, match in enumerate(result.matches, 1):
            if match.expert_id == expert_id:
                return position, match, result
        return None, None, result

    def fit_for_expert(self, session: Session, expert_id: int, needs: Sequence[Need]
                       ) -> dict[int, matching.Match]:
        """How well each need fits one expert: need id -> the expert's match (needs whose hard filters
        exclude the expert are left out). An index of that one expert, so each need costs one small ranking."""
        rows = load_expert_rows(session, ids=[expert_id], stale_days=self.stale_days)
        if not rows.records:
            return {}
        vectors = self.embed_experts(session, rows.texts)
        index = matching.CandidateIndex(self.space, rows.records, np.stack([vectors[r.id] for r in rows.records]),
                                        dim=self.encoder.dim)
        ranker = self.ranker(session)
        out = {}
        for need in needs:
            result = ranker.rank(index, need_query(need, self.need_vector(session, need)), top_k=1)
            if result.matches:
                out[need.id] = result.matches[0]
        return out


def shortlist(session: Session, need: Need, match: matching.Match, result: matching.RankResult,
              user: User | None, *, rank: int | None = None) -> ShortlistEntry:
    """Keep a ranked expert on the need's shortlist with what the matcher said, for accountability."""
    entry = session.scalar(select(ShortlistEntry).where(ShortlistEntry.need_id == need.id,
                                                        ShortlistEntry.expert_id == match.expert_id))
    if entry is None:
        entry = ShortlistEntry(need_id=need.id, expert_id=match.expert_id, state="shortlisted",
                               created_by_id=user.id if user else None)
        session.add(entry)
    entry.rank = rank
    entry.score = float(match.score)
    entry.signals = {k: round(float(v), 4) for k, v in match.signals.items()}
    entry.explanation = match.explanation.to_dict()
    entry.weights = {"version": result.weights_version, "values": result.weights}
    entry.index_version = result.index_version
    session.flush()
    return entry
