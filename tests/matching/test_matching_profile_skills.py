"""Skills read from a profile's text: who gets them, how they count, and both readers."""
from __future__ import annotations

import numpy as np
import pytest

from matching import CandidateIndex, NeighbourSkillModel, Ranker, infer_profile_levels, needs_inference
from matching.profile_skills import TEXT_LEVEL, levels_from_items
from matching.vectors import INFERRED_PROFILE_DISCOUNT, expert_skill_row

from .matching_factories import ITEMS, SPACE, expert, need


def test_only_profiles_with_few_levels_need_inference():
    assert needs_inference({}) and needs_inference({"backend_dev": 3, "sre": 0})
    assert not needs_inference({"backend_dev": 3, "frontend_dev": 2, "sre": 1})


def test_inferred_levels_count_discounted_and_never_override_declared_ones():
    row = expert_skill_row(SPACE, expert(skills={"backend_dev": 3},
                                         inferred_skills={"backend_dev": 1, "security_management": 2}))
    assert row[ITEMS.index("backend_dev")] == 3
    assert row[ITEMS.index("security_management")] == pytest.approx(2 * INFERRED_PROFILE_DISCOUNT)


def test_item_reader_keeps_items_that_stand_out_from_the_text():
    items = np.eye(len(ITEMS), dtype=np.float32)
    text = np.full(len(ITEMS), 0.05, dtype=np.float32)
    text[ITEMS.index("security_management")] = 1.0
    text /= np.linalg.norm(text)
    assert set(levels_from_items(SPACE, text, items)) == {"security_management"}
    assert infer_profile_levels(SPACE, text, items) == {"security_management": TEXT_LEVEL}
    assert infer_profile_levels(SPACE, None, items) == {}


def test_neighbour_reader_learns_from_full_profiles_only():
    rng = np.random.default_rng(0)
    centres = {"dev": rng.standard_normal(16), "ux": rng.standard_normal(16)}
    skills = {"dev": {"backend_dev": 3, "cloud_infrastructure": 2, "security_management": 1},
              "ux": {"user_understanding": 3, "facilitation": 2, "data_understanding": 2}}
    vectors, profiles = [], []
    for i in range(12):
        kind = "dev" if i % 2 else "ux"
        v = centres[kind] + 0.1 * rng.standard_normal(16)
        vectors.append(v / np.linalg.norm(v))
        profiles.append(skills[kind])
    vectors.append(centres["dev"] / np.linalg.norm(centres["dev"]))
    profiles.append({"backend_dev": 1})  # a sparse profile is not a teacher
    model = NeighbourSkillModel.fit(SPACE, np.array(vectors, np.float32), profiles)
    assert model.vectors.shape[0] == 12
    probe = centres["ux"] / np.linalg.norm(centres["ux"])
    assert set(infer_profile_levels(SPACE, probe, None, model, "neighbours")) == set(skills["ux"])
    assert NeighbourSkillModel.fit(SPACE, np.array(vectors[:5], np.float32), profiles[:5]) is None


def test_text_only_expert_with_inferred_skill_ranks_above_one_without():
    plain = expert(1, skills={})
    read = expert(2, skills={}, inferred_skills={"backend_dev": TEXT_LEVEL})
    result = Ranker().rank(CandidateIndex(SPACE, [plain, read], None), need())
    assert [m.expert_id for m in result.matches] == [2, 1]
