from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from matching import features
from matching.vectors import NeedSkills

levels_st = arrays(np.float32, (6,), elements=st.integers(0, 4).map(float))


def _need(levels, weights, must) -> NeedSkills:
    return NeedSkills(np.asarray(levels, np.float32), np.asarray(weights, np.float32), np.asarray(must, bool))


@settings(max_examples=200, deadline=None)
@given(levels=levels_st, bump=st.integers(0, 5), req=arrays(np.float32, (6,), elements=st.integers(1, 4).map(float)),
       must=arrays(bool, (6,)), weights=arrays(np.float32, (6,), elements=st.floats(0.125, 3.0, width=32)))
def test_skill_more_skill_never_lowers_score(levels, bump, req, must, weights):
    need = _need(req, weights, must)
    more = levels.copy()
    more[bump] = min(more[bump] + 1, 4)
    before, after = features.skill(np.stack([levels, more]), need)
    assert after >= before - 1e-6
    assert 0.0 <= before <= 1.0 and 0.0 <= after <= 1.0


def test_skill_missing_must_have_hurts_more_than_missing_nice_to_have():
    need = _need([2, 2], [1, 1], [True, False])
    lacks_must, lacks_nice = features.skill(np.array([[0, 2], [2, 0]], np.float32), need)
    assert lacks_must < lacks_nice


def test_skill_full_coverage_scores_one_and_no_requirement_is_neutral():
    need = _need([2, 3], [1, 2], [True, True])
    assert features.skill(np.array([[4, 4]], np.float32), need)[0] == 1.0
    empty = _need([0, 0], [0, 0], [False, False])
    assert features.skill(np.array([[4, 4]], np.float32), empty)[0] == 0.5


def test_semantic_clips_negative_cosine_to_zero():
    vectors = np.array([[1, 0], [-1, 0], [0.6, 0.8]], np.float32)
    assert features.semantic(vectors, np.array([1, 0], np.float32)).tolist() == [1.0, 0.0, np.float32(0.6)]


def test_remaining_hours_counts_only_commitments_active_in_the_period():
    start, end = 1000, 1364
    c_start = np.array([[900, 1400, 10**7]], np.int32)     # overlaps, after, padding
    c_end = np.array([[10**7, 1500, -(10**7)]], np.int32)  # open-ended, later, padding
    c_hours = np.array([[15, 10, 0]], np.float32)
    remaining, count = features.remaining_hours(np.array([40], np.float32), c_start, c_end, c_hours, start, end)
    assert remaining.tolist() == [25.0] and count.tolist() == [1]


def test_availability_is_scaled_down_when_stale_and_by_period_overlap():
    overlap = features.period_overlap(np.array([0, 1182], np.int32), np.array([10**7, 10**7], np.int32), 1000, 1364)
    assert overlap[0] == 1.0 and abs(overlap[1] - 0.5) < 0.01
    score = features.availability(np.array([20, 20], np.float32), 20, np.ones(2, np.float32), np.array([False, True]))
    assert score.tolist() == [1.0, np.float32(features.STALE_CONFIDENCE)]


@settings(max_examples=100, deadline=None)
@given(d1=st.floats(0, 2000), d2=st.floats(0, 2000))
def test_place_remote_work_ignores_distance(d1, d2):
    flags = np.array([True, True])
    score, possible = features.place("remote", flags, ~flags, ~flags, np.array([d1, d2], np.float32),
                                     np.array([10, 10], np.float32), ~flags)
    assert score[0] == score[1] == 1.0 and possible.all()


def test_place_resident_need_requires_resident_willingness():
    score, possible = features.place("resident", np.array([True, True]), np.array([True, True]),
                                     np.array([False, True]), np.array([5, 500], np.float32),
                                     np.array([100, 100], np.float32), np.array([False, False]))
    assert possible.tolist() == [False, True] and score[0] == 0.0 and score[1] > 0


def test_place_onsite_beyond_reach_is_impossible_unless_prefecture_listed():
    score, possible = features.place("onsite", np.array([True] * 3), np.array([True] * 3), np.array([False] * 3),
                                     np.array([50, 400, 400], np.float32), np.array([100, 100, 100], np.float32),
                                     np.array([False, False, True]))
    assert possible.tolist() == [True, False, True]
    assert score[0] > 0.5


def test_place_hybrid_prefers_onsite_capable_nearby_expert():
    score, possible = features.place("hybrid", np.array([True, True]), np.array([False, True]),
                                     np.array([False, False]), np.array([10, 10], np.float32),
                                     np.array([100, 100], np.float32), np.array([False, False]))
    assert possible.all() and score[1] > 0.9 and score[0] == np.float32(features.HYBRID_REMOTE_ONLY)


def test_place_hybrid_counts_distance_as_onsite_does():
    """Beyond reach, a hybrid need is remote-only work for that expert; within reach, closer is better."""
    args = (np.array([True] * 3), np.array([True] * 3), np.array([False] * 3),
            np.array([21, 90, 213], np.float32), np.array([100, 100, 100], np.float32), np.array([False] * 3))
    hybrid, possible = features.place("hybrid", *args)
    onsite, _ = features.place("onsite", *args)
    assert possible.all()
    assert hybrid[:2].tolist() == onsite[:2].tolist() and hybrid[0] > hybrid[1]
    assert hybrid[2] == np.float32(features.HYBRID_REMOTE_ONLY)
    impossible, possible = features.place("hybrid", np.array([False]), np.array([True]), np.array([False]),
                                          np.array([213], np.float32), np.array([100], np.float32),
                                          np.array([False]))
    assert not possible[0] and impossible[0] == 0


def test_record_one_five_scores_below_twenty_ratings_averaging_4_8():
    n = np.array([1, 20], np.float32)
    total = np.array([5.0, 20 * 4.8], np.float32)
    zero = np.zeros(2, np.float32)
    one_five, twenty = features.record(n, total, zero, zero, zero)
    assert one_five < twenty


def test_record_no_history_is_neutral_between_poor_and_good():
    none_, poor, good = features.record(np.array([0, 10, 10], np.float32), np.array([0, 20, 48], np.float32),
                                        np.array([0, 10, 10], np.float32), np.array([0, 0, 10], np.float32),
                                        np.array([0, 0, 3], np.float32))
    assert poor < none_ < good and 0.4 < none_ < 0.65


@settings(max_examples=100, deadline=None)
@given(fee=st.floats(100, 1e6))
def test_fee_unknown_on_either_side_is_neutral(fee):
    assert features.fee(np.array([np.nan, fee], np.float32), None).tolist() == [0.5, 0.5]
    assert features.fee(np.array([np.nan], np.float32), 10000.0)[0] == 0.5


def test_fee_within_budget_scores_one_and_far_over_scores_zero():
    assert features.fee(np.array([8000, 12500, 20000], np.float32), 10000.0).tolist() == [1.0, 0.5, 0.0]


def test_hours_per_unit_converts_day_and_month():
    units = np.array([1, 2, 3, 0], np.int8)
    h = features.hours_per_unit(units, 20.0)
    assert h[:3].tolist() == [1.0, 8.0, 20.0] and np.isnan(h[3])
    assert features.per_hour(320000, "month", None) == 2000.0
    assert features.per_hour(80000, "day", 10) == 10000.0


def test_talent_type_matches_subsets():
    bits = np.array([1, 2, 3], np.int8)
    assert features.talent_type(bits, "X").tolist() == [1.0, np.float32(0.2), 1.0]
    assert features.talent_type(bits, "XD").tolist() == [0.5, 0.5, 1.0]
    assert features.talent_type(bits, None).tolist() == [0.5, 0.5, 0.5]


def test_distance_km_tokyo_osaka_is_about_400():
    lat = np.radians(np.array([35.68], np.float32))
    lng = np.radians(np.array([139.76], np.float32))
    d = features.distance_km(lat, lng, 34.69, 135.50)[0]
    assert 380 < d < 420
