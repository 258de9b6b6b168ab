"""Small teams for a need that asks for several roles: a beam search over the ranked candidates.

A need asks for DSS roles (each with its hours per month) and for skills. A team gives every role to one
member who declared that role and has the role's hours left (a member may take two roles when they declared
both and have the hours for both), stays within the monthly budget where the fees are known, and should
together reach the required levels. The objective mixes that coverage, the members' own match scores and
the share of roles filled; fewer people break ties (a small team coordinates more easily).

The search is a beam over the roles, hardest to staff first: each partial team is extended with the best
few eligible candidates for the next role, and only the best `beam_width` partial teams are kept. With r
roles, beam b and branching f it scores at most r * b * f partial teams, whatever the number of experts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

COVERAGE_WEIGHT = 0.55   # the team reaching the required levels is what a team is for
SCORE_WEIGHT = 0.35      # the members' own fit (availability, place, record, fee, text)
ROLES_WEIGHT = 0.10      # a role nobody can take is a gap, shown, not a reason to propose nothing
SIZE_PENALTY = 0.01      # per member: equal teams, the smaller first


@dataclass(frozen=True)
class TeamCandidate:
    """A ranked expert as the team search sees them; `fee_per_hour` None is unknown, not free."""

    expert_id: int
    score: float
    roles: frozenset[str]
    levels: Mapping[str, int]
    remaining_hours: float
    fee_per_hour: float | None = None


@dataclass(frozen=True)
class TeamNeed:
    """What the team must cover: role -> hours per month, required item -> level (with weights)."""

    role_hours: Mapping[str, float]
    required: Mapping[str, int] = field(default_factory=dict)
    skill_weights: Mapping[str, float] = field(default_factory=dict)  # item -> weight; missing 1.0
    budget_per_month: float | None = None  # yen for the whole team per month; None unknown


@dataclass(frozen=True)
class TeamMember:
    expert_id: int
    roles: tuple[str, ...]
    hours: float
    score: float
    brings: tuple[str, ...]  # required items this member is the team's best at and reaches
    fee_per_month: float | None


@dataclass(frozen=True)
class Team:
    """One proposal: members, what it covers and what it lacks (codes and numbers; the hub words them)."""

    members: tuple[TeamMember, ...]
    objective: float
    coverage: float                               # weighted share of the required levels reached, 0-1
    covered: tuple[str, ...]
    gaps: tuple[tuple[str, int, int], ...]        # (item, best level in the team, required level)
    missing_roles: tuple[str, ...]
    cost_per_month: float | None                  # known fees only; None when no fee is known
    unknown_fees: int
    budget_per_month: float | None

    @property
    def within_budget(self) -> bool | None:
        """True/False against the budget for the known fees; None when the budget is unknown."""
        if self.budget_per_month is None:
            return None
        return (self.cost_per_month or 0.0) <= self.budget_per_month

    @property
    def expert_ids(self) -> tuple[int, ...]:
        return tuple(m.expert_id for m in self.members)


@dataclass(frozen=True)
class TeamSearchResult:
    teams: tuple[Team, ...]
    candidates: int                       # candidates that declared at least one asked role
    unstaffable_roles: tuple[str, ...]    # roles no candidate can take (none declared it or nobody has the hours)
    over_budget: int                      # choices of a member dropped because the known fees would exceed the budget
    explored: int                         # partial teams scored


def coverage(levels: Mapping[str, float], need: TeamNeed) -> float:
    """Weighted share of the required levels reached by `levels` (item -> the team's best level)."""
    if not need.required:
        return 1.0
    total = got = 0.0
    for item, want in need.required.items():
        weight = float(need.skill_weights.get(item, 1.0))
        total += weight
        got += weight * min(float(levels.get(item, 0)) / float(want), 1.0)
    return got / total if total else 1.0


@dataclass(frozen=True)
class _Partial:
    assignment: tuple[tuple[str, int], ...]  # (role, candidate position), in search order
    best: tuple[tuple[str, float], ...]      # item -> the team's best level so far (sorted)
    cost: float
    unknown: frozenset[int]


def _objective(partial: _Partial, need: TeamNeed, candidates: Sequence[TeamCandidate], n_roles: int) -> float:
    positions = {pos for _, pos in partial.assignment if pos >= 0}
    filled = sum(1 for _, pos in partial.assignment if pos >= 0)
    mean_score = sum(candidates[p].score for p in positions) / len(positions) if positions else 0.0
    return (COVERAGE_WEIGHT * coverage(dict(partial.best), need) + SCORE_WEIGHT * mean_score
            + ROLES_WEIGHT * filled / max(n_roles, 1) - SIZE_PENALTY * len(positions))


def propose_teams(candidates: Sequence[TeamCandidate], need: TeamNeed, *, n_teams: int = 3, beam_width: int = 24,
                  branching: int = 8) -> TeamSearchResult:
    """Return up to `n_teams` distinct teams, best first (ties: fewer members, then lower expert ids).

    Candidates are usually the need's ranking (their `score` is the individual match score). Two proposals
    never have the same set of members; each later one differs from every earlier one by at least one member.
    """
    if n_teams < 1 or beam_width < 1 or branching < 1:
        raise ValueError("n_teams, beam_width and branching must be >= 1")
    roles = [r for r, h in need.role_hours.items() if h is not None]
    eligible = {role: [i for i, c in enumerate(candidates) if role in c.roles
                       and c.remaining_hours >= need.role_hours[role]] for role in roles}
    unstaffable = tuple(sorted(r for r in roles if not eligible[r]))
    order = sorted(roles, key=lambda r: (len(eligible[r]) or 10**9, r))  # hardest first; unstaffable last
    relevant = sum(1 for c in candidates if c.roles & set(roles))
    budget = need.budget_per_month

    beam = [_Partial((), (), 0.0, frozenset())]
    explored = over_budget = 0
    for role in order:
        hours = float(need.role_hours[role])
        extended: list[tuple[float, _Partial]] = []
        for partial in beam:
            used: dict[int, float] = {}
            for r, pos in partial.assignment:
                if pos >= 0:
                    used[pos] = used.get(pos, 0.0) + float(need.role_hours[r])
            options = [pos for pos in eligible[role] if candidates[pos].remaining_hours - used.get(pos, 0.0) >= hours]
            # Branch on the candidates who add most coverage, then on their own score.
            best = dict(partial.best)

            def gain(pos: int) -> tuple[float, float, int]:
                return (-coverage(_with(best, candidates[pos], need), need), -candidates[pos].score,
                        candidates[pos].expert_id)

            options.sort(key=gain)
            children = []
            for pos in options[:branching]:
                c = candidates[pos]
                merged = _with(best, c, need)
                cost, unknown = partial.cost, partial.unknown
                if c.fee_per_hour is None:
                    unknown = unknown | {pos}
                else:
                    cost += c.fee_per_hour * hours
                if budget is not None and cost > budget:
                    over_budget += 1  # known fees already over the budget: no completion can fix that
                    continue
                children.append(_Partial(partial.assignment + ((role, pos),), tuple(sorted(merged.items())),
                                         cost, unknown))
            if not children:
                children = [_Partial(partial.assignment + ((role, -1),), partial.best, partial.cost, partial.unknown)]
            for child in children:
                explored += 1
                extended.append((_objective(child, need, candidates, len(roles)), child))
        extended.sort(key=lambda pair: (-pair[0], _tiebreak(pair[1], candidates)))
        unique: dict[tuple, tuple[float, _Partial]] = {}
        for value, child in extended:
            key = tuple(sorted(child.assignment))
            unique.setdefault(key, (value, child))
        beam = [child for _, child in list(unique.values())[:beam_width]]

    finals = sorted(((_objective(p, need, candidates, len(roles)), p) for p in beam),
                    key=lambda pair: (-pair[0], _tiebreak(pair[1], candidates)))
    teams: list[Team] = []
    seen: list[frozenset[int]] = []
    for value, partial in finals:
        members = frozenset(pos for _, pos in partial.assignment if pos >= 0)
        if not members or any(members == earlier for earlier in seen):
            continue
        seen.append(members)
        teams.append(_team(partial, value, need, candidates))
        if len(teams) == n_teams:
            break
    return TeamSearchResult(tuple(teams), relevant, unstaffable, over_budget, explored)


def _with(best: Mapping[str, float], candidate: TeamCandidate, need: TeamNeed) -> dict[str, float]:
    """The team's best level per required item once `candidate` joins."""
    merged = dict(best)
    for item, level in candidate.levels.items():
        if item in need.required and level > merged.get(item, 0):
            merged[item] = float(level)
    return merged


def _tiebreak(partial: _Partial, candidates: Sequence[TeamCandidate]) -> tuple:
    positions = sorted({pos for _, pos in partial.assignment if pos >= 0})
    return (len(positions), tuple(candidates[p].expert_id for p in positions))


def _team(partial: _Partial, value: float, need: TeamNeed, candidates: Sequence[TeamCandidate]) -> Team:
    best = dict(partial.best)
    by_member: dict[int, list[str]] = {}
    for role, pos in partial.assignment:
        if pos >= 0:
            by_member.setdefault(pos, []).append(role)
    members = []
    claimed: set[str] = set()
    for pos, member_roles in sorted(by_member.items(), key=lambda kv: -candidates[kv[0]].score):
        c = candidates[pos]
        hours = sum(float(need.role_hours[r]) for r in member_roles)
        brings = tuple(item for item in sorted(need.required) if item not in claimed
                       and c.levels.get(item, 0) >= need.required[item] and c.levels.get(item, 0) >= best.get(item, 0))
        claimed.update(brings)
        members.append(TeamMember(c.expert_id, tuple(sorted(member_roles)), hours, c.score, brings,
                                  None if c.fee_per_hour is None else c.fee_per_hour * hours))
    covered = tuple(sorted(i for i, want in need.required.items() if best.get(i, 0) >= want))
    gaps = tuple(sorted((i, int(best.get(i, 0)), int(want)) for i, want in need.required.items()
                        if best.get(i, 0) < want))
    known = [m.fee_per_month for m in members if m.fee_per_month is not None]
    return Team(members=tuple(members), objective=float(value), coverage=coverage(best, need), covered=covered,
                gaps=gaps, missing_roles=tuple(sorted(r for r, pos in partial.assignment if pos < 0)),
                cost_per_month=sum(known) if known else None, unknown_fees=len(members) - len(known),
                budget_per_month=need.budget_per_month)
