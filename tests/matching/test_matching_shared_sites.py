"""A shared need (共同任用): on-site work must reach every co-organization's site; remote work ignores them."""
from __future__ import annotations

from matching import CandidateIndex, Ranker, Site
from tests.matching.matching_factories import SPACE, expert, need

SHIOJIRI = (36.115, 137.954)
IIDA = (35.515, 137.822)        # 長野県飯田市, ~68 km south of 塩尻市
NAGANO = (36.648, 138.194)      # 長野県長野市, ~63 km north of 塩尻市


def _rank(query, experts):
    return Ranker().rank(CandidateIndex(SPACE, experts, None), query, top_k=10)


def test_onsite_shared_need_drops_experts_who_cannot_reach_every_site():
    # Home in 岐阜県 (another prefecture), 114 km from 塩尻, 73 km from 飯田, 173 km from 長野.
    near_south = expert(1, lat=35.42, lng=137.02, prefecture_code="21", max_travel_km=120.0)
    central = expert(2, lat=SHIOJIRI[0], lng=SHIOJIRI[1], prefecture_code="20", max_travel_km=80.0)
    single = need(work_style="onsite", lat=SHIOJIRI[0], lng=SHIOJIRI[1], prefecture_code="20")
    assert {m.expert_id for m in _rank(single, [near_south, central]).matches} == {1, 2}
    shared = need(work_style="onsite", lat=SHIOJIRI[0], lng=SHIOJIRI[1], prefecture_code="20",
                  other_sites=(Site(IIDA[0], IIDA[1], "20"), Site(NAGANO[0], NAGANO[1], "20")))
    result = _rank(shared, [near_south, central])
    assert [m.expert_id for m in result.matches] == [2]
    assert result.excluded["work_style_impossible"] == 1
    # The explanation names the farthest site (塩尻 -> 飯田 ~67 km).
    assert 60 < result.matches[0].explanation.distance_km < 75


def test_the_farthest_site_sets_the_place_score():
    central = expert(2, lat=SHIOJIRI[0], lng=SHIOJIRI[1], prefecture_code="20", max_travel_km=150.0)
    single = need(work_style="onsite", lat=SHIOJIRI[0], lng=SHIOJIRI[1], prefecture_code="20")
    shared = need(work_style="onsite", lat=SHIOJIRI[0], lng=SHIOJIRI[1], prefecture_code="20",
                  other_sites=(Site(IIDA[0], IIDA[1], "20"),))
    alone = _rank(single, [central]).matches[0].signals["place"]
    joint = _rank(shared, [central]).matches[0].signals["place"]
    assert joint < alone


def test_remote_shared_need_ignores_the_sites():
    far = expert(1, remote=True, onsite=False)  # in Tokyo, remote only
    shared = need(work_style="remote", other_sites=(Site(IIDA[0], IIDA[1], "20"),))
    assert [m.expert_id for m in _rank(shared, [far]).matches] == [1]


def test_a_site_with_unknown_coordinates_is_not_held_against_anyone():
    central = expert(2, lat=SHIOJIRI[0], lng=SHIOJIRI[1], prefecture_code="20", max_travel_km=80.0)
    shared = need(work_style="onsite", lat=SHIOJIRI[0], lng=SHIOJIRI[1], prefecture_code="20",
                  other_sites=(Site(None, None, "20"),))
    assert [m.expert_id for m in _rank(shared, [central]).matches] == [2]
