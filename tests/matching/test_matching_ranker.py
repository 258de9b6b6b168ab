from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from matching import CandidateIndex, Commitment, Filters, InferredSkill, Rating, Ranker, need_skill_vector
from matching.ranker import DEFAULT_WEIGHTS, resolve_weights, top_k_positions

from .matching_factories import OSAKA, SPACE, expert, need, unit


def _rank(experts, query, **kwargs):
    index = CandidateIndex(SPACE, experts, None)
    return Ranker(**kwargs.pop("ranker", {})).rank(index, query, **kwargs)


def test_default_weights_sum_to_one():
    assert abs(sum(DEFAULT_WEIGHTS.values()) - 1.0) < 1e-9


def test_rank_filters_out_zero_remaining_hours_and_counts_it():
    busy = expert(2, commitments=(Commitment(date(2026, 1, 1), None, 40.0, "A市"),))
    result = _rank([expert(1), busy, expert(3, hours_per_month=0.0)], need())
    assert [m.expert_id for m in result.matches] == [1]
    assert result.excluded["no_remaining_hours"] == 2 and result.considered == 3


def test_rank_ignores_commitments_that_ended_before_the_need():
    past = expert(2, commitments=(Commitment(date(2025, 1, 1), date(2026, 3, 31), 40.0),))
    assert [m.expert_id for m in _rank([past], need()).matches] == [2]


def test_rank_resident_need_excludes_experts_not_willing_to_be_resident():
    result = _rank([expert(1, resident=False), expert(2, resident=True)], need(work_style="resident"))
    assert [m.expert_id for m in result.matches] == [2]
    assert result.excluded["work_style_impossible"] == 1


def test_rank_onsite_need_excludes_expert_beyond_reach():
    far = expert(2, lat=OSAKA[0], lng=OSAKA[1], prefecture_code="27", max_travel_km=100.0)
    result = _rank([expert(1), far, expert(3, onsite=False)], need(work_style="onsite"))
    assert [m.expert_id for m in result.matches] == [1]
    assert result.excluded["work_style_impossible"] == 2


def test_rank_remote_need_ignores_distance():
    far = expert(2, lat=OSAKA[0], lng=OSAKA[1], prefecture_code="27")
    result = _rank([expert(1), far], need(work_style="remote"))
    assert result.matches[0].signals["place"] == result.matches[1].signals["place"] == 1.0
    assert result.matches[0].score == result.matches[1].score


def test_rank_inactive_and_unlisted_are_excluded():
    result = _rank([expert(1, active=False), expert(2, listed=False), expert(3)], need())
    assert [m.expert_id for m in result.matches] == [3] and result.excluded["inactive_or_unlisted"] == 2


def test_rank_ties_go_to_lower_id():
    experts = [expert(i) for i in (9, 4, 7, 5)]
    result = _rank(experts, need(), top_k=3)
    assert [m.expert_id for m in result.matches] == [4, 5, 7]


def test_top_k_positions_keeps_ties_at_the_boundary_exact():
    score = np.array([0.5, 0.9, 0.5, 0.5, 0.1], np.float32)
    ids = np.array([10, 1, 3, 7, 2])
    assert top_k_positions(score, ids, 2).tolist() == [1, 2]


def test_rank_explanation_names_the_gaps_it_penalised():
    weak = expert(1, skills={"backend_dev": 1})
    query = need(required={"backend_dev": 3, "security_management": 2}, nice_to_have={"project_management": 2})
    match = _rank([weak], query).matches[0]
    gaps = {g[0]: g for g in match.explanation.gaps}
    assert gaps["backend_dev"] == ("backend_dev", 1, 3, True, "required")
    assert gaps["security_management"] == ("security_management", 0, 2, True, "required")
    assert gaps["project_management"][3:] == (False, "nice_to_have")
    assert gaps["cloud_infrastructure"][3:] == (False, "stage")  # asked at level 2 by the development stage prior
    assert match.signals["skill"] < 0.5


def test_rank_explanation_lists_matched_skills_and_no_gap_when_covered():
    strong = expert(1, skills={"backend_dev": 4, "cloud_infrastructure": 3})
    match = _rank([strong], need()).matches[0]
    assert match.explanation.gaps == ()
    assert ("backend_dev", 4, 2) in match.explanation.matched_skills


def test_rank_load_spreading_lowers_heavily_contacted_experts():
    experts = [expert(1, open_contact_requests=12), expert(2, open_contact_requests=0)]
    plain = _rank(experts, need())
    spread = _rank(experts, need(), ranker={"load_spreading": 0.1})
    assert [m.expert_id for m in plain.matches] == [1, 2]
    assert [m.expert_id for m in spread.matches] == [2, 1]
    assert spread.matches[1].score < plain.matches[0].score


def test_rank_need_weights_override_and_semantic_dropped_without_text():
    result = _rank([expert(1)], need(weights={"skill": 1.0}))
    assert result.weights["semantic"] == 0.0
    assert abs(sum(result.weights.values()) - 1.0) < 1e-6
    assert result.weights["skill"] > DEFAULT_WEIGHTS["skill"]
    with pytest.raises(ValueError, match="unknown signal"):
        resolve_weights(DEFAULT_WEIGHTS, {"charm": 1.0}, True)


def test_rank_semantic_uses_text_vectors():
    a, b = unit(16, 1), unit(16, 2)
    index = CandidateIndex(SPACE, [expert(1), expert(2)], np.stack([b, a]))
    result = Ranker().rank(index, need(text_vector=a))
    assert result.matches[0].expert_id == 2 and result.matches[0].signals["semantic"] > 0.99


def test_rank_user_filters_are_counted_apart():
    experts = [expert(1, fee_unit="hour", fee_amount=20000), expert(2, prefecture_code="27"),
               expert(3, schemes=frozenset({"adviser"})), expert(4)]
    result = _rank(experts, need(budget_unit="hour", budget_max=10000),
                   filters=Filters(prefectures=frozenset({"13"}), fee_within_budget=True, min_remaining_hours=30))
    assert [m.expert_id for m in result.matches] == [3, 4]
    assert result.filtered["prefecture"] == 1 and result.filtered["fee_over_budget"] == 1
    assert sum(result.excluded.values()) == 0
    only_advisers = _rank(experts, need(), filters=Filters(schemes=frozenset({"adviser"})))
    assert [m.expert_id for m in only_advisers.matches] == [3]


def test_rank_no_history_is_neither_first_nor_excluded():
    good = expert(1, ratings=tuple(Rating(4.8, True) for _ in range(10)), completed_stage_counts={"development": 3})
    poor = expert(2, ratings=tuple(Rating(2.0, False) for _ in range(10)))
    new = expert(3)
    order = [m.expert_id for m in _rank([good, poor, new], need()).matches]
    assert order == [1, 3, 2]


def test_rank_inferred_skills_are_returned_and_raise_requirements():
    inferred = [InferredSkill("security_management", 0.7)]
    result = _rank([expert(1)], need(required={}), inferred=inferred)
    assert result.inferred == tuple(inferred)
    assert any(g[0] == "security_management" for g in result.matches[0].explanation.gaps)


def test_need_skill_vector_must_haves_outweigh_prior_and_inferred():
    vec = need_skill_vector(SPACE, need(required={"backend_dev": 3}), [InferredSkill("facilitation", 0.5)])
    j = SPACE.position
    assert vec.levels[j("backend_dev")] == 3 and vec.must[j("backend_dev")]
    assert vec.levels[j("cloud_infrastructure")] == 2 and not vec.must[j("cloud_infrastructure")]
    assert vec.weights[j("backend_dev")] > vec.weights[j("cloud_infrastructure")] > 0
    assert 0 < vec.weights[j("facilitation")] < vec.weights[j("backend_dev")]


def test_rank_unavailable_in_period_is_excluded():
    gone = expert(2, available_until=date(2027, 1, 1))
    later = expert(3, available_from=date(2027, 10, 1))
    result = _rank([expert(1), gone, later], need(end=date(2028, 3, 31)))
    assert [m.expert_id for m in result.matches] == [1, 3]
    assert result.excluded["unavailable_in_period"] == 1
    assert result.matches[1].signals["availability"] < result.matches[0].signals["availability"]


def test_match_as_dict_pins_the_match_json_shape():
    a = unit(8, 3)
    index = CandidateIndex(SPACE, [expert(1, fee_unit="day", fee_amount=64000, ratings=(Rating(4.0, True),))],
                           a[None, :])
    result = Ranker().rank(index, need(text_vector=a, budget_unit="hour", budget_max=10000,
                                       work_style="hybrid", required={"backend_dev": 4}))
    payload = json.loads(json.dumps(result.as_dicts()))
    assert list(payload[0]) == ["external_id", "score", "signals", "explanation"]
    assert payload[0]["external_id"] == "T0001"
    assert set(payload[0]["signals"]) == {"skill", "semantic", "availability", "place", "record", "fee", "type"}
    explanation = payload[0]["explanation"]
    assert set(explanation) == {
        "matched_skills", "gaps", "remaining_hours", "needed_hours", "concurrent_commitments", "work_style",
        "distance_km", "rating", "completed_in_stages", "completed_in_fields", "fee", "type_match",
        "availability_stale", "open_contact_requests", "rules"}
    assert explanation["gaps"][0] == {"item": "backend_dev", "level": 3, "required": 4, "must": True,
                                      "source": "required"}
    assert explanation["fee"] == {"per_hour": 8000, "budget_per_hour": 10000, "status": "within"}
    assert explanation["rating"] == {"mean": 4.0, "count": 1, "smoothed": 3.58, "would_rehire_rate": 1.0}
    assert explanation["work_style"] == ["remote_ok", "onsite_within_reach"]
    assert explanation["distance_km"] == 0.0
    assert explanation["type_match"] == "match"


def test_rank_result_carries_weights_and_versions():
    index = CandidateIndex(SPACE, [expert(1)], None)
    result = Ranker(weights_version="learned-3").rank(index, need())
    assert result.index_version == index.version and result.weights_version == "learned-3"
    index.upsert(expert(2))
    assert index.version != result.index_version


def test_rank_top_k_must_be_positive_and_empty_index_answers_empty():
    index = CandidateIndex(SPACE, [], None)
    assert Ranker().rank(index, need()).matches == ()
    with pytest.raises(ValueError):
        Ranker().rank(index, need(), top_k=0)


def test_rank_semantic_pruning_gives_the_exhaustive_top_k():
    rng = np.random.default_rng(5)
    experts = [expert(i, skills={"backend_dev": int(rng.integers(0, 5)),
                                 "cloud_infrastructure": int(rng.integers(0, 5))},
                      hours_per_month=float(rng.integers(5, 60)), open_contact_requests=int(rng.integers(0, 4)),
                      ratings=tuple(Rating(float(rng.integers(1, 6))) for _ in range(int(rng.integers(0, 4)))))
               for i in range(1, 301)]
    vectors = np.stack([unit(16, i) for i in range(1, 301)])
    index = CandidateIndex(SPACE, experts, vectors)
    query = need(text_vector=unit(16, 0), weights={"semantic": 0.5})
    for spreading in (0.0, 0.2):
        top = Ranker(load_spreading=spreading).rank(index, query, top_k=7).matches
        full = Ranker(load_spreading=spreading, prune_semantic=False).rank(index, query, top_k=7).matches
        assert [(m.expert_id, m.score, m.signals) for m in top] == [(m.expert_id, m.score, m.signals) for m in full]


def test_infer_skills_suggests_items_that_stand_out_from_the_rest():
    from matching import infer_skills, item_matrix, make_encoder

    space = replace(SPACE, texts={"backend_dev": ("サーバーサイド開発 API データベース",),
                                  "security_management": ("情報セキュリティ管理 監査 ポリシー",)})
    encoder = make_encoder("tfidf", dim=256)
    items = item_matrix(space, encoder)
    assert items.shape == (len(space.item_ids), 256)
    query = encoder.encode(["情報セキュリティのポリシーと監査"], kind="query")[0]
    inferred = infer_skills(space, query, items, top_n=3, min_z=2.0)
    assert [s.item_id for s in inferred] == ["security_management"]
    assert infer_skills(space, None, items) == []
    ranker = Ranker(item_matrix=items)
    result = ranker.rank(CandidateIndex(space, [expert(1)], np.zeros((1, 256), np.float32)),
                         need(required={}, text_vector=query))
    assert [s.item_id for s in result.inferred] == ["security_management"]


def test_rank_explanation_survives_a_round_trip_through_its_dict():
    from matching.types import Explanation
    weak = expert(1, skills={"backend_dev": 1})
    original = _rank([weak], need(required={"backend_dev": 3})).matches[0].explanation
    assert Explanation.from_dict(original.to_dict()).to_dict() == original.to_dict()


def test_hybrid_need_ranks_local_expert_within_budget_above_remote_only_far_over_budget():
    """The reported case: a remote-only expert 213 km away over budget came first for a hybrid need."""
    shiojiri = (36.115, 137.954)
    far_remote = expert(1, lat=34.75, lng=137.70, onsite=False, max_travel_km=50.0, fee_unit="hour",
                        fee_amount=13000, skills={"backend_dev": 4, "cloud_infrastructure": 3})
    local = expert(2, lat=36.24, lng=137.97, max_travel_km=60.0, fee_unit="hour", fee_amount=8000,
                   skills={"backend_dev": 3, "cloud_infrastructure": 2})
    result = _rank([far_remote, local], need(work_style="hybrid", lat=shiojiri[0], lng=shiojiri[1],
                                             prefecture_code="20", budget_unit="hour", budget_max=10000))
    assert [m.expert_id for m in result.matches] == [2, 1]
    remote_only = result.matches[1].explanation.work_style
    assert remote_only == ("remote_ok", "onsite_not_willing", "remote_only_for_hybrid")
    assert result.matches[0].explanation.work_style == ("remote_ok", "onsite_within_reach")
