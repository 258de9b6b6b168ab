"""Team proposals (matching.teams): coverage, budget, optimality and time on synthetic team needs.

A seeded synthetic pool (not the labelled set: that one grades single experts) of ranked candidates, each with
one or two DSS roles, levels in the items their roles usually use, remaining hours and fees (a fifth unknown),
and team needs of 2-4 roles with required levels drawn from those roles' items, hours per role and, for most,
a monthly budget. Compared:
  beam       propose_teams (the hub's search)
  greedy     per role, the best-scored eligible candidate not yet taken (what a spreadsheet gives)
  exhaustive every combination of the 8 best-scored eligible candidates per role (the optimum of the same
             objective on that pool), to measure how far the beam is from it
Run: .venv/bin/python bench/bench_teams.py   (bench_quality.py prints the same lines at its end)
"""
from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.teams import (COVERAGE_WEIGHT, ROLES_WEIGHT, SCORE_WEIGHT, SIZE_PENALTY, TeamCandidate,  # noqa: E402
                            TeamNeed, coverage, propose_teams)

# The bench's own generator: which items a role usually exercises (our judgement, not DSS's role table).
ROLE_ITEMS = {
    "ba_internal_operations": ("project_management", "business_analysis", "change_management", "leadership"),
    "service_designer": ("user_understanding", "value_discovery", "design_specification", "user_validation"),
    "backend_engineer": ("backend_dev", "cloud_infrastructure", "software_design", "secure_development"),
    "frontend_engineer": ("frontend_dev", "web_basics", "software_design", "user_validation"),
    "data_engineer": ("data_platform_design", "data_understanding", "statistics_visualization", "cloud_infrastructure"),
    "cybersecurity_engineer": ("security_operations", "secure_development", "incident_response_bcp", "privacy"),
}
ROLES = tuple(ROLE_ITEMS)


def make_pool(rng: np.random.Generator, n: int = 200) -> list[TeamCandidate]:
    pool = []
    for i in range(n):
        roles = tuple(rng.choice(ROLES, size=int(rng.integers(1, 3)), replace=False))
        levels: dict[str, int] = {}
        for role in roles:
            for item in ROLE_ITEMS[role]:
                levels[item] = max(levels.get(item, 0), int(rng.integers(1, 5)))
        fee = None if rng.random() < 0.2 else float(rng.choice((5000, 7000, 9000, 12000, 15000)))
        pool.append(TeamCandidate(i + 1, float(rng.uniform(0.3, 0.9)), frozenset(roles), levels,
                                  float(rng.choice((0, 10, 20, 30, 40, 80))), fee))
    return pool


def make_need(rng: np.random.Generator) -> TeamNeed:
    roles = tuple(rng.choice(ROLES, size=int(rng.integers(2, 5)), replace=False))
    hours = {r: float(rng.choice((10, 20, 30))) for r in roles}
    required = {}
    for role in roles:
        for item in rng.choice(ROLE_ITEMS[role], size=2, replace=False):
            required[str(item)] = int(rng.integers(2, 4))
    budget = None if rng.random() < 0.25 else sum(hours.values()) * float(rng.choice((7000, 9000, 12000)))
    return TeamNeed(role_hours=hours, required=required, budget_per_month=budget)


def objective(team: list[tuple[str, TeamCandidate]], need: TeamNeed) -> float:
    people = {c.expert_id: c for _, c in team}
    best: dict[str, float] = {}
    for c in people.values():
        for item, level in c.levels.items():
            if item in need.required:
                best[item] = max(best.get(item, 0), level)
    filled = len(team)
    mean = sum(c.score for c in people.values()) / len(people) if people else 0.0
    return (COVERAGE_WEIGHT * coverage(best, need) + SCORE_WEIGHT * mean
            + ROLES_WEIGHT * filled / len(need.role_hours) - SIZE_PENALTY * len(people))


def feasible(team: list[tuple[str, TeamCandidate]], need: TeamNeed) -> bool:
    hours: dict[int, float] = {}
    cost = 0.0
    for role, c in team:
        hours[c.expert_id] = hours.get(c.expert_id, 0.0) + need.role_hours[role]
        if hours[c.expert_id] > c.remaining_hours:
            return False
        cost += (c.fee_per_hour or 0.0) * need.role_hours[role]
    return need.budget_per_month is None or cost <= need.budget_per_month


def greedy(pool: list[TeamCandidate], need: TeamNeed) -> list[tuple[str, TeamCandidate]]:
    team, taken = [], set()
    for role, hours in need.role_hours.items():
        options = [c for c in pool if role in c.roles and c.remaining_hours >= hours and c.expert_id not in taken]
        if options:
            pick = max(options, key=lambda c: (c.score, -c.expert_id))
            team.append((role, pick))
            taken.add(pick.expert_id)
    return team


def exhaustive(pool: list[TeamCandidate], need: TeamNeed, per_role: int = 8) -> float | None:
    """Best objective over complete teams of the `per_role` best-scored eligible candidates of each role."""
    choices = []
    for role, hours in need.role_hours.items():
        options = sorted((c for c in pool if role in c.roles and c.remaining_hours >= hours),
                         key=lambda c: -c.score)[:per_role]
        if not options:
            return None
        choices.append([(role, c) for c in options])
    best = None
    for team in itertools.product(*choices):
        team = list(team)
        if feasible(team, need):
            value = objective(team, need)
            best = value if best is None else max(best, value)
    return best


def team_coverage(team: list[tuple[str, TeamCandidate]], need: TeamNeed) -> float:
    best: dict[str, float] = {}
    for _, c in team:
        for item, level in c.levels.items():
            best[item] = max(best.get(item, 0), level)
    return coverage(best, need)


def report(n_needs: int = 200, seed: int = 12) -> list[str]:
    rng = np.random.default_rng(seed)
    pool = make_pool(rng)
    needs = [make_need(rng) for _ in range(n_needs)]
    rows = {"beam": [], "greedy": []}
    gaps, over_budget_greedy, seconds = [], 0, 0.0
    for need in needs:
        start = time.perf_counter()
        result = propose_teams(pool, need)
        seconds += time.perf_counter() - start
        if result.teams:
            t = result.teams[0]
            rows["beam"].append((t.coverage, not t.missing_roles))
            optimum = exhaustive(pool, need)
            if optimum is not None and not t.missing_roles:
                gaps.append(max(0.0, optimum - t.objective) / optimum)
        else:
            rows["beam"].append((0.0, False))
        g = greedy(pool, need)
        if not feasible(g, need):
            over_budget_greedy += 1
        rows["greedy"].append((team_coverage(g, need), len(g) == len(need.role_hours)))
    lines = [f"team proposals: {n_needs} synthetic team needs (2-4 roles), {len(pool)} ranked candidates"]
    lines.append(f"{'team search':24s} {'coverage':>9s} {'full cover':>11s} {'all roles':>10s}")
    for name, values in rows.items():
        cover = np.array([c for c, _ in values])
        roles = np.array([r for _, r in values])
        lines.append(f"{name:24s} {cover.mean():9.3f} {np.mean(cover >= 0.999):11.1%} {roles.mean():10.1%}")
    lines.append(f"greedy teams over budget or over someone's hours: {over_budget_greedy / n_needs:.1%} "
                 f"(beam: 0 by construction)")
    lines.append(f"beam vs exhaustive optimum (8 per role): mean gap {np.mean(gaps):.2%}, "
                 f"max {np.max(gaps):.2%}, optimum reached on {np.mean(np.array(gaps) < 1e-9):.0%} of {len(gaps)} needs")
    lines.append(f"beam time: {seconds / n_needs * 1000:.2f} ms per need (3 teams, beam 24, branching 8)")
    return lines


if __name__ == "__main__":
    print("\n".join(report()))
