"""Need-form suggestions: only what the stages' headline items and the need's text support."""
from __future__ import annotations

import numpy as np

from matching import suggest_need_skills
from matching.suggest import MAX_SUGGESTIONS

from .matching_factories import ITEMS, SPACE


def _items_and_text(leaning: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """One axis per item; the text vector leans towards the given items."""
    items = np.eye(len(ITEMS), dtype=np.float32)
    text = np.full(len(ITEMS), 0.1, dtype=np.float32)
    for item, value in leaning.items():
        text[ITEMS.index(item)] = value
    return items, text / np.linalg.norm(text)


def test_without_text_only_the_stages_core_items_are_suggested():
    got = suggest_need_skills(SPACE, {"backend_dev": 0.9, "cloud_infrastructure": 0.8, "data_understanding": 0.4},
                              None, None)
    assert [s.item_id for s in got] == ["backend_dev", "cloud_infrastructure"]
    assert {s.origin for s in got} == {"stage"}


def test_minor_stage_items_need_the_texts_support_and_text_items_must_stand_out():
    items, text = _items_and_text({"security_management": 1.0})
    prior = {"backend_dev": 0.9, "data_understanding": 0.4, "facilitation": 0.5}
    got = {s.item_id: s for s in suggest_need_skills(SPACE, prior, text, items)}
    assert "backend_dev" in got            # the stage's headline item stays
    assert "data_understanding" not in got and "facilitation" not in got  # minor, the text says nothing of them
    assert got["security_management"].origin == "text"


def test_suggestions_are_capped_and_best_first():
    items = np.eye(len(ITEMS), dtype=np.float32)
    text = np.ones(len(ITEMS), dtype=np.float32) / np.sqrt(len(ITEMS))
    prior = {item: 0.9 for item in ITEMS}
    got = suggest_need_skills(SPACE, prior, text, items, max_items=3)
    assert len(got) == 3
    assert len(suggest_need_skills(SPACE, prior, text, items)) == min(MAX_SUGGESTIONS, len(ITEMS))
