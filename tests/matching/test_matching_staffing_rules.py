"""The seed's staffing rules (stage data `staffing`) and the hybrid need's on-site part, on tiny records."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import skill_taxonomy
from matching import CandidateIndex, Explanation, Ranker, features
from tests.matching.matching_factories import SPACE, TOKYO, expert, need

RULES_SPACE = replace(
    SPACE,
    stage_leading_types={**SPACE.stage_leading_types, "ux_operations": "X"},
    stage_rules={"problem_identification": {"field_breadth": 0.04},
                 "ux_operations": {"field_breadth": 0.04, "resident_nearby": 0.04},
                 "development": {"remote_friendly": 0.5}},
    stage_work_places={"problem_identification": "local", "ux_operations": "resident", "development": "remote_ok"},
)
X_SKILLS = {"user_understanding": 3, "data_understanding": 2}


def _rank(experts, query, space=RULES_SPACE):
    return Ranker().rank(CandidateIndex(space, experts, None), query, top_k=10)


def _by_id(result):
    return {m.expert_id: m for m in result.matches}


def test_shipped_stage_data_carries_each_rule_where_the_seed_puts_it():
    stages = skill_taxonomy.load().stages
    assert {s for s, st in stages.items() if "field_breadth" in st.staffing} == {
        s for s, st in stages.items() if st.leading_type == "X"}
    assert {s for s, st in stages.items() if "resident_nearby" in st.staffing} == {"ux_operations", "adoption"}
    assert {s for s, st in stages.items() if "remote_friendly" in st.staffing} == {"development"}
    for stage in stages.values():
        for rule in stage.staffing.values():
            assert rule.weight <= 0.5 and "domain_facts.md" in rule.reason_en and rule.reason_ja


def test_unknown_or_out_of_range_staffing_rule_is_reported(tmp_path):
    import shutil
    shutil.copytree(skill_taxonomy.DATA_DIR, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "stages.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    remote_friendly:\n      weight: 0.5", "    remote_friendly:\n      weight: 1.5", 1)
    text = text.replace("    field_breadth:", "    breadth_everywhere:", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(skill_taxonomy.TaxonomyError) as error:
        skill_taxonomy.load(tmp_path)
    message = str(error.value)
    assert "awareness.staffing.breadth_everywhere: unknown staffing rule" in message
    assert "development.staffing.remote_friendly.weight: must be within [0, 1], got 1.5" in message


def test_x_led_stage_prefers_the_generalist_with_several_fields():
    specialist = expert(1, talent_type="X", skills=X_SKILLS, fields=frozenset({"mobility"}))
    generalist = expert(2, talent_type="X", skills=X_SKILLS, fields=frozenset({"mobility", "tourism", "welfare"}))
    query = need(required={}, stages=("problem_identification",), work_style="remote")
    result = _rank([specialist, generalist], query)
    assert [m.expert_id for m in result.matches] == [2, 1]
    gap = result.matches[0].score - result.matches[1].score
    assert 0 < gap <= 0.04 + 1e-6  # a low weight: a tie-breaker, not a new signal
    assert result.matches[0].explanation.rules == (("field_breadth", 3.0),)
    assert result.matches[1].explanation.rules == ()


def test_breadth_does_not_fire_for_a_d_led_stage():
    specialist = expert(1, fields=frozenset({"mobility"}))
    generalist = expert(2, fields=frozenset({"mobility", "tourism", "welfare"}))
    result = _rank([generalist, specialist], need())
    assert [m.expert_id for m in result.matches] == [1, 2]  # equal scores: lower id first
    assert result.matches[0].score == pytest.approx(result.matches[1].score)
    assert all(m.explanation.rules == () for m in result.matches)


def test_breadth_counts_with_the_skill_not_instead_of_it():
    unskilled = expert(1, talent_type="X", skills={}, fields=frozenset({"mobility", "tourism", "welfare"}))
    result = _rank([unskilled], need(required={}, stages=("problem_identification",)))
    assert result.matches[0].explanation.rules == ()


def test_ux_operations_prefers_a_resident_of_the_place():
    near = expert(1, talent_type="X", skills=X_SKILLS, resident=True, lat=TOKYO[0] + 0.05, lng=TOKYO[1])
    far = expert(2, talent_type="X", skills=X_SKILLS, resident=True, lat=TOKYO[0] + 0.9, lng=TOKYO[1])
    result = _rank([far, near], need(required={}, stages=("ux_operations",), work_style="resident"))
    assert [m.expert_id for m in result.matches] == [1, 2]
    by_id = _by_id(result)
    (code, km), = by_id[1].explanation.rules
    assert code == "resident_nearby" and km == pytest.approx(5.6, abs=0.5)
    assert by_id[2].explanation.rules == ()  # ~100 km away: beyond a daily commute


def test_nearby_credit_falls_from_20_to_60_km():
    credit = features.nearby(np.array([0.0, 20.0, 40.0, 60.0, 90.0, np.nan], dtype=np.float32))
    assert credit.tolist() == pytest.approx([1.0, 1.0, 0.5, 0.0, 0.0, 0.0])
    assert features.field_breadth(np.array([0, 1, 2, 3, 7])).tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]


def test_development_weighs_distance_less():
    near = expert(1, lat=TOKYO[0] + 0.05, lng=TOKYO[1])
    far = expert(2, lat=TOKYO[0] + 0.8, lng=TOKYO[1])
    onsite = need(work_style="onsite")
    friendly = _rank([near, far], onsite)
    strict = _rank([near, far], onsite, space=replace(RULES_SPACE, stage_rules={}))
    gap = lambda r: _by_id(r)[1].score - _by_id(r)[2].score  # noqa: E731
    assert 0 < gap(friendly) < gap(strict)
    assert friendly.weights["place"] == pytest.approx(strict.weights["place"] / 2)
    assert friendly.matches[0].explanation.rules == (("remote_friendly", 0.5),)
    assert _rank([near], need()).matches[0].explanation.rules == ()  # remote work: place plays no part


def test_remote_friendly_needs_every_stage():
    assert RULES_SPACE.staffing_rules(("development",)) == {"remote_friendly": 0.5}
    assert "remote_friendly" not in RULES_SPACE.staffing_rules(("development", "ux_operations"))


def test_hybrid_workshop_ranks_local_within_budget_above_remote_only_over_budget():
    """Demo N020: a hybrid problem-finding workshop; the first was remote-only, 72% over budget, skilled."""
    skilled_remote = expert(1, talent_type="X", onsite=False, fee_unit="hour", fee_amount=13750,
                            skills={"user_understanding": 3, "data_understanding": 3, "facilitation": 3},
                            fields=frozenset({"mobility", "tourism", "welfare"}))
    local = expert(2, talent_type="X", fee_unit="hour", fee_amount=5500, lat=TOKYO[0] + 0.3, lng=TOKYO[1],
                   skills={"user_understanding": 2, "data_understanding": 1, "facilitation": 1},  # weaker, as there
                   fields=frozenset({"mobility", "tourism"}))
    query = need(required={"user_understanding": 2, "facilitation": 2}, stages=("problem_identification",),
                 work_style="hybrid", budget_unit="hour", budget_max=8000)
    result = _rank([skilled_remote, local], query)
    assert [m.expert_id for m in result.matches] == [2, 1]
    assert "remote_only_for_hybrid" in result.matches[1].explanation.work_style
    without_cut = _rank([skilled_remote, local], query, space=replace(RULES_SPACE, stage_work_places={}))
    assert [m.expert_id for m in without_cut.matches] == [1, 2]  # the place signal alone did not do it


def test_hybrid_cut_spares_stages_worked_remotely():
    remote_only = expert(1, onsite=False)
    query = need(work_style="hybrid")  # development: remote_ok
    assert _rank([remote_only], query).matches[0].score == pytest.approx(
        _rank([remote_only], query, space=replace(RULES_SPACE, stage_work_places={})).matches[0].score)


def test_rules_survive_the_stored_explanation():
    result = _rank([expert(1, talent_type="X", skills=X_SKILLS, fields=frozenset({"a", "b"}))],
                   need(required={}, stages=("problem_identification",)))
    stored = result.matches[0].explanation.to_dict()
    assert stored["rules"] == [{"rule": "field_breadth", "value": 2.0}]
    assert Explanation.from_dict(stored).rules == (("field_breadth", 2.0),)
