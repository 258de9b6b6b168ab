"""The team search on its own: roles, hours, budget, coverage, gaps, distinct proposals."""
from __future__ import annotations

import itertools

import pytest

from matching.teams import TeamCandidate, TeamNeed, coverage, propose_teams

PM, ENG, SD = "ba_internal_operations", "backend_engineer", "service_designer"
NEED = TeamNeed(role_hours={PM: 10, ENG: 30, SD: 20},
                required={"project_management": 3, "backend_dev": 3, "user_research": 2, "service_design": 3})


def cand(expert_id, roles, levels, score=0.6, hours=40, fee=None):
    return TeamCandidate(expert_id, score, frozenset(roles), levels, hours, fee)


POOL = [
    cand(1, [PM], {"project_management": 4}, 0.7),
    cand(2, [ENG], {"backend_dev": 4}, 0.8),
    cand(3, [SD], {"service_design": 3, "user_research": 3}, 0.6),
    cand(4, [ENG], {"backend_dev": 2}, 0.9),          # high score, lower skill
    cand(5, [SD], {"service_design": 1}, 0.9),
    cand(6, [PM], {"project_management": 3}, 0.5),
]


def test_teams_cover_every_role_and_the_required_skills():
    result = propose_teams(POOL, NEED)
    best = result.teams[0]
    assert {m.expert_id for m in best.members} == {1, 2, 3}
    assert best.coverage == pytest.approx(1.0)
    assert best.gaps == () and best.missing_roles == ()
    roles = {m.expert_id: m.roles for m in best.members}
    assert roles == {1: (PM,), 2: (ENG,), 3: (SD,)}
    brings = {m.expert_id: m.brings for m in best.members}
    assert brings[3] == ("service_design", "user_research") and brings[2] == ("backend_dev",)


def test_teams_are_distinct_and_later_ones_show_their_gaps():
    result = propose_teams(POOL, NEED, n_teams=3)
    sets = [frozenset(t.expert_ids) for t in result.teams]
    assert len(sets) == 3 and len(set(sets)) == 3
    assert [t.objective for t in result.teams] == sorted((t.objective for t in result.teams), reverse=True)
    more = propose_teams(POOL, NEED, n_teams=8).teams
    assert [frozenset(t.expert_ids) for t in more[:3]] == sets  # asking for more keeps the first ones
    weaker = next(t for t in more if 5 in t.expert_ids)
    assert ("service_design", 1, 3) in weaker.gaps and weaker.coverage < 1.0


def test_an_expert_without_the_hours_for_a_role_is_not_given_it():
    pool = [cand(2, [ENG], {"backend_dev": 4}, 0.9, hours=20), cand(4, [ENG], {"backend_dev": 3}, 0.5, hours=30),
            *[c for c in POOL if c.expert_id in (1, 3)]]
    best = propose_teams(pool, NEED).teams[0]
    assert 2 not in best.expert_ids and 4 in best.expert_ids


def test_one_member_may_take_two_roles_when_they_have_the_hours_for_both():
    both = cand(7, [PM, SD], {"project_management": 4, "service_design": 3, "user_research": 2}, 0.7, hours=30)
    best = propose_teams([both, POOL[1]], NEED).teams[0]
    assert {m.expert_id: m.roles for m in best.members} == {7: (PM, SD), 2: (ENG,)}
    assert next(m for m in best.members if m.expert_id == 7).hours == 30
    tired = cand(7, [PM, SD], both.levels, 0.7, hours=25)  # 25 < 10 + 20: only one of the two roles
    team = propose_teams([tired, POOL[1]], NEED).teams[0]
    assert team.missing_roles in ((PM,), (SD,))


def test_budget_excludes_teams_whose_known_fees_exceed_it_and_unknown_fees_are_counted():
    need = TeamNeed(role_hours=NEED.role_hours, required=NEED.required, budget_per_month=60 * 6000)
    pool = [cand(1, [PM], {"project_management": 4}, 0.7, fee=5000),
            cand(2, [ENG], {"backend_dev": 4}, 0.9, fee=12000),  # 30 h × 12,000 = 360,000: the whole budget
            cand(4, [ENG], {"backend_dev": 3}, 0.6, fee=5000),
            cand(3, [SD], {"service_design": 3, "user_research": 3}, 0.6, fee=None)]
    result = propose_teams(pool, need)
    for team in result.teams:
        assert team.within_budget is True
        assert team.cost_per_month <= need.budget_per_month
    best = result.teams[0]
    assert set(best.expert_ids) == {1, 4, 3}
    assert best.unknown_fees == 1 and best.cost_per_month == 10 * 5000 + 30 * 5000
    assert result.over_budget > 0


def test_a_role_nobody_declared_is_a_gap_not_an_empty_answer():
    pool = [c for c in POOL if SD not in c.roles]
    result = propose_teams(pool, NEED)
    assert result.unstaffable_roles == (SD,)
    assert result.teams[0].missing_roles == (SD,)
    assert ("service_design", 0, 3) in result.teams[0].gaps


def test_no_candidate_with_an_asked_role_gives_no_team():
    result = propose_teams([cand(9, ["graphic_designer"], {})], NEED)
    assert result.teams == () and result.candidates == 0


def test_beam_search_finds_the_exhaustive_best_on_a_small_pool():
    pool = [cand(i, [role], {item: level}, score)
            for i, (role, item, level, score) in enumerate([
                (PM, "project_management", 4, 0.4), (PM, "project_management", 2, 0.9), (PM, "backend_dev", 4, 0.5),
                (ENG, "backend_dev", 4, 0.5), (ENG, "backend_dev", 3, 0.95), (ENG, "user_research", 3, 0.6),
                (SD, "service_design", 3, 0.3), (SD, "user_research", 2, 0.8), (SD, "service_design", 2, 0.7)], 1)]
    result = propose_teams(pool, NEED, beam_width=50, branching=9)

    def value(team):
        best = {}
        for c in team:
            for item, level in c.levels.items():
                best[item] = max(best.get(item, 0), level)
        return 0.55 * coverage(best, NEED) + 0.35 * sum(c.score for c in team) / 3 + 0.10 - 0.03
    by_role = {r: [c for c in pool if r in c.roles] for r in (PM, ENG, SD)}
    exhaustive = max(itertools.product(*by_role.values()), key=value)
    assert set(result.teams[0].expert_ids) == {c.expert_id for c in exhaustive}
    assert result.teams[0].objective == pytest.approx(value(exhaustive))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        propose_teams(POOL, NEED, n_teams=0)
