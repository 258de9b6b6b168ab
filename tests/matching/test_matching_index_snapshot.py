"""A saved index maps back (copy-on-write) and ranks like the one that was saved, also after updates."""
from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import CandidateIndex, Commitment

from .matching_factories import SPACE, expert, need, unit
from .test_matching_index import _population, _ranking


@settings(max_examples=10, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(["upsert", "remove"]), st.integers(1, 400), st.integers(0, 4)),
                    max_size=40))
def test_snapshot_loaded_and_updated_ranks_like_the_live_index(tmp_path_factory, ops):
    experts = _population(30, 3)
    live = CandidateIndex(SPACE, experts, np.stack([unit(8, e.id) for e in experts]))
    folder = tmp_path_factory.mktemp("snap")
    live.save(folder, spare_rows=4)
    mapped = CandidateIndex.load(SPACE, folder)
    on_disk = np.load(folder / "skills.npy").copy()
    query = need(text_vector=unit(8, 999), fields=("mobility",))
    assert _ranking(mapped, query) == _ranking(live, query)
    assert mapped.version == live.version
    for op, expert_id, level in ops:  # more upserts than the spare rows: the columns grow
        for index in (live, mapped):
            if op == "upsert":
                index.upsert(expert(expert_id, skills={"backend_dev": level}, fields=frozenset({f"f{level}"}),
                                    commitments=tuple(Commitment(date(2026, 1, 1), None, 1.0)
                                                      for _ in range(level))), unit(8, expert_id + level))
            else:
                index.remove(expert_id)
    assert len(mapped) == len(live)
    assert _ranking(mapped, query) == _ranking(live, query)
    assert np.array_equal(np.load(folder / "skills.npy"), on_disk)  # the file is never written through the map


def test_snapshot_of_another_skill_axis_is_refused(tmp_path):
    from matching import SkillSpace
    index = CandidateIndex(SPACE, _population(3, 1), None)
    index.save(tmp_path)
    other = SkillSpace(SPACE.item_ids[:-1], {}, {}, {})
    try:
        CandidateIndex.load(other, tmp_path)
    except ValueError as exc:
        assert "skill axis" in str(exc)
    else:
        raise AssertionError("loaded a snapshot of another skill axis")
    assert len(CandidateIndex.load(SPACE, tmp_path)) == 3
