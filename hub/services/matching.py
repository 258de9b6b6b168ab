"""Feed the matcher from the database and store what it returns.

The matcher (`matching/`) only sees plain records. This module turns rows into `ExpertRecord`s and
`NeedQuery`s, keeps text embeddings in the `embedding` table (computed when a text changes, never per
query), keeps one `CandidateIndex` per process and brings it up to date incrementally: every ranking
first asks the database which experts changed since the index last looked (one cheap query), so
several worker processes stay correct without talking to each other.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

import matching
from hub.db import utcnow
from hub.gazetteer import load_gazetteer
from hub.models import (Embedding, Engagement, ExpertProfile, Need, RankerWeights, ShortlistEntry, User)
from hub.services.experts import expert_text
from hub.services.needs import need_text
from skill_taxonomy import Taxonomy

log = logging.getLogger(__name__)

OPEN_CONTACT_STATES = ("contacted", "offered")


def skill_space(taxonomy: Taxonomy) -> matching.SkillSpace:
    """The matcher's view of the DSS taxonomy: axis order, texts for inference, stage priors."""
    return matching.SkillSpace(
        item_ids=tuple(taxonomy.item_ids),
        texts={item: (taxonomy.skill_text(item, "ja"), taxonomy.skill_text(item, "en"))
               for item in taxonomy.item_ids},
        stage_priors={sid: {item: p.weight for item, p in stage.prior.items()}
                      for sid, stage in taxonomy.stages.items()},
        stage_leading_types={sid: stage.leading_type for sid, stage in taxonomy.stages.items()},
    )


# --- rows -> records ------------------------------------------------------------------------
def expert_load_options():
    return (selectinload(ExpertProfile.skills), selectinload(ExpertProfile.fields),
            selectinload(ExpertProfile.stages_led), selectinload(ExpertProfile.schemes),
            selectinload(ExpertProfile.travel_prefectures),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.stages),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.fields),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.evaluation),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.organization))


def is_availability_stale(expert: ExpertProfile, stale_days: int, now: datetime | None = None) -> bool:
    """Availability not re-confirmed within `stale_days` (never confirmed counts from sign-up)."""
    confirmed = expert.availability_confirmed_at or expert.created_at
    if confirmed is None:
        return True
    if confirmed.tzinfo is None:  # SQLite hands back naive datetimes
        confirmed = confirmed.replace(tzinfo=timezone.utc)
    return (now or utcnow()) - confirmed > timedelta(days=stale_days)


def expert_record(expert: ExpertProfile, *, open_requests: int = 0, stale_days: int = 90) -> matching.ExpertRecord:
    """Turn one profile (with its engagements loaded) into the matcher's record."""
    gazetteer = load_gazetteer()
    coords = gazetteer.coordinates(expert.home_lg_code) if expert.home_lg_code else None
    commitments, ratings = [], []
    stage_counts: Counter[str] = Counter()
    field_counts: Counter[str] = Counter()
    for e in expert.engagements:
        if e.status == "active":
            commitments.append(matching.Commitment(e.start_date, e.end_date, float(e.hours_per_month),
                                                   e.organization.name if e.organization else ""))
        elif e.status == "completed":
            stage_counts.update(e.stage_ids)
            field_counts.update(e.field_ids)
        if e.evaluation is not None:
            ratings.append(matching.Rating(float(e.evaluation.overall), e.evaluation.would_rehire))
    return matching.ExpertRecord(
        id=expert.id, external_id=expert.external_id, talent_type=expert.talent_type,
        skills={s.skill_id: s.level for s in expert.skills},
        verified_skills={s.skill_id: float(s.level) for s in expert.skills if s.source != "self"},
        lat=coords[0] if coords else None, lng=coords[1] if coords else None,
        prefecture_code=expert.home_lg_code[:2] if expert.home_lg_code else None,
        remote=expert.remote, onsite=expert.onsite, resident=expert.resident,
        max_travel_km=float(expert.max_travel_km) if expert.max_travel_km is not None else None,
        travel_prefectures=frozenset(p.prefecture_code for p in expert.travel_prefectures),
        hours_per_month=float(expert.hours_per_month), commitments=tuple(commitments),
        available_from=expert.available_from, available_until=expert.available_until,
        fee_unit=expert.fee_unit, fee_amount=float(expert.fee_amount) if expert.fee_amount is not None else None,
        schemes=frozenset(expert.scheme_ids), listed=expert.listed, active=expert.status == "active",
        ratings=tuple(ratings), completed_stage_counts=dict(stage_counts),
        completed_field_counts=dict(field_counts), fields=frozenset(expert.field_ids),
        stages_led=frozenset(expert.stage_ids), open_contact_requests=open_requests,
        availability_stale=is_availability_stale(expert, stale_days),
    )


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
    )


# --- embeddings -----------------------------------------------------------------------------
def _vector(row: Embedding) -> np.ndarray:
    return np.frombuffer(row.vector, dtype="<f4").copy()


def ensure_embeddings(session: Session, encoder: matching.Encoder, owner_kind: str,
                      owners: Sequence[tuple[int, str]], *, batch_size: int = 256,
                      progress: Callable[[int], None] | None = None) -> dict[int, np.ndarray]:
    """Return a vector per owner id, encoding only texts that are new or changed for this model."""
    kind = "query" if owner_kind == "need" else "document"
    stored: dict[int, Embedding] = {}
    ids = [owner_id for owner_id, _ in owners]
    for chunk in _chunks(ids, 2000):
        for row in session.scalars(select(Embedding).where(
                Embedding.owner_kind == owner_kind, Embedding.model == encoder.name,
                Embedding.owner_id.in_(chunk))):
            stored[row.owner_id] = row
    out: dict[int, np.ndarray] = {}
    todo: list[tuple[int, str, str]] = []
    for owner_id, text in owners:
        digest = matching.content_hash(text, encoder.name)
        row = stored.get(owner_id)
        if row is not None and row.content_hash == digest:
            out[owner_id] = _vector(row)
        else:
            todo.append((owner_id, text, digest))
    for batch in _chunks(todo, batch_size):
        vectors = encoder.encode([text for _, text, _ in batch], kind=kind)
        for (owner_id, _, digest), vector in zip(batch, vectors):
            row = stored.get(owner_id)
            blob = np.asarray(vector, dtype="<f4").tobytes()
            if row is None:
                session.add(Embedding(owner_kind=owner_kind, owner_id=owner_id, model=encoder.name,
                                      content_hash=digest, dim=len(vector), vector=blob))
            else:
                row.content_hash, row.dim, row.vector = digest, len(vector), blob
            out[owner_id] = np.asarray(vector, dtype=np.float32)
        if progress:
            progress(len(batch))
    session.flush()
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


class MatchingEngine:
    """One per process: the encoder, the skill space, the item matrix and the candidate index."""

    def __init__(self, taxonomy: Taxonomy, backend: str, model_path: str | None = None,
                 stale_days: int = 90, load_spreading: float = 0.0):
        self.taxonomy = taxonomy
        self.space = skill_space(taxonomy)
        self.backend = backend
        self.model_path = model_path
        self.stale_days = stale_days
        self.load_spreading = load_spreading
        self._encoder: matching.Encoder | None = None
        self._item_matrix: np.ndarray | None = None
        self._index: matching.CandidateIndex | None = None
        self._seen: datetime | None = None  # newest expert change the index has taken in
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
    def _records(self, session: Session, experts: Sequence[ExpertProfile]) -> list[matching.ExpertRecord]:
        ids = [e.id for e in experts]
        open_counts: dict[int, int] = {}
        for chunk in _chunks(ids, 2000):
            open_counts.update(session.execute(
                select(ShortlistEntry.expert_id, func.count()).where(
                    ShortlistEntry.expert_id.in_(chunk), ShortlistEntry.state.in_(OPEN_CONTACT_STATES))
                .group_by(ShortlistEntry.expert_id)).all())
        return [expert_record(e, open_requests=open_counts.get(e.id, 0), stale_days=self.stale_days)
                for e in experts]

    def _load_experts(self, session: Session, since: datetime | None) -> list[ExpertProfile]:
        query = select(ExpertProfile).options(*expert_load_options()).order_by(ExpertProfile.id)
        if since is not None:
            query = query.where(ExpertProfile.updated_at > since)
        return list(session.scalars(query))

    def index(self, session: Session) -> matching.CandidateIndex:
        """Return the candidate index, built on first use and then refreshed incrementally."""
        with self._lock:
            newest = session.scalar(select(func.max(ExpertProfile.updated_at)))
            if self._index is None:
                experts = self._load_experts(session, None)
                vectors = self.expert_vectors(session, experts)
                dim = self.encoder.dim
                matrix = (np.stack([vectors[e.id] for e in experts]) if experts
                          else np.zeros((0, dim), dtype=np.float32))
                self._index = matching.CandidateIndex(self.space, self._records(session, experts), matrix, dim=dim)
                log.info("candidate index built: %d experts", len(experts))
            elif newest is not None and (self._seen is None or newest > self._seen):
                changed = self._load_experts(session, self._seen)
                vectors = self.expert_vectors(session, changed)
                for record in self._records(session, changed):
                    self._index.upsert(record, vectors[record.id])
                log.info("candidate index refreshed: %d experts changed", len(changed))
            self._seen = newest
            return self._index

    def forget(self) -> None:
        """Drop the index (e.g. after a bulk import or a model change); the next ranking rebuilds it."""
        with self._lock:
            self._index, self._seen = None, None

    def expert_vectors(self, session: Session, experts: Sequence[ExpertProfile],
                       progress: Callable[[int], None] | None = None) -> dict[int, np.ndarray]:
        return ensure_embeddings(session, self.encoder, "expert", [(e.id, expert_text(e)) for e in experts],
                                 progress=progress)

    def need_vector(self, session: Session, need: Need) -> np.ndarray | None:
        text = need_text(need)
        if not text.strip():
            return None
        return ensure_embeddings(session, self.encoder, "need", [(need.id, text)])[need.id]

    # ranking ----------------------------------------------------------------------------
    def ranker(self, session: Session, load_spreading: float | None = None) -> matching.Ranker:
        learned = session.scalars(select(RankerWeights).order_by(RankerWeights.created_at.desc(),
                                                                  RankerWeights.id.desc()).limit(1)).first()
        return matching.Ranker(
            weights=learned.weights if learned else None,
            weights_version=learned.version if learned else None,
            load_spreading=self.load_spreading if load_spreading is None else load_spreading,
            item_matrix=self.item_matrix)

    def suggest_skills(self, text: str) -> list[matching.InferredSkill]:
        """Skills the text of a need suggests, for the need form (not yet saved needs too)."""
        if not text.strip():
            return []
        vector = self.encoder.encode([text], kind="query")[0]
        return matching.infer_skills(self.space, vector, self.item_matrix)

    def rank(self, session: Session, need: Need, *, top_k: int = 10, filters: matching.Filters | None = None,
             weights: dict | None = None, load_spreading: float | None = None) -> MatchOutcome:
        """Rank experts for a need and load the profiles of the results."""
        index = self.index(session)
        query = need_query(need, self.need_vector(session, need), weights=weights)
        result = self.ranker(session, load_spreading).rank(index, query, top_k=top_k, filters=filters)
        ids = [m.expert_id for m in result.matches]
        experts = {e.id: e for e in session.scalars(
            select(ExpertProfile).where(ExpertProfile.id.in_(ids)).options(*expert_load_options()))} if ids else {}
        return MatchOutcome(result, experts, query)


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
