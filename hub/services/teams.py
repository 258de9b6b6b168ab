"""Team proposals for a need that asks for several roles: the need's ranking handed to matching.teams.

The candidates are the need's own ranking (the same signals and hard filters as the candidate list), taken
deep (`POOL_SIZE`) and ranked for the hours of one role rather than the whole team's, so that an expert who
can give a role its hours is not marked down for not giving the team all of them. Only experts who declared
one of the asked DSS roles can take a role. Read-only: shortlisting a team is the shortlist verb per member.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import matching
from hub.models import ExpertProfile, ExpertRole, Need
from matching.features import per_hour
from matching.teams import TeamCandidate, TeamNeed, TeamSearchResult, propose_teams

POOL_SIZE = 200   # ranked candidates the team search looks at (the demo has 320 experts)
TEAMS_SHOWN = 3


class _RankedForOneRole:
    """The need as the ranking should see it for team members: the hours of its smallest role."""

    def __init__(self, need: Need, hours: int):
        self._need, self.hours_per_month = need, hours

    def __getattr__(self, name: str) -> Any:
        return getattr(self._need, name)


@dataclass
class TeamOutcome:
    """Proposals with what the page shows of each member: their match (explanation) and their profile."""

    result: TeamSearchResult
    matches: dict[int, matching.Match]
    positions: dict[int, int]          # expert id -> place in the pool ranking (1 = best)
    experts: dict[int, ExpertProfile]
    rank_result: matching.RankResult
    role_hours: dict[str, int]
    budget_per_month: float | None


def team_need(need: Need) -> TeamNeed:
    """The team search's view of a need: role hours, must-have levels and weights, the monthly budget."""
    budget_hour = per_hour(need.budget_max, need.budget_unit, need.hours_per_month)
    return TeamNeed(role_hours=dict(need.role_hours), required=dict(need.required_skills),
                    skill_weights={s.skill_id: float(s.weight) for s in need.skills if s.must},
                    budget_per_month=None if budget_hour is None else budget_hour * need.hours_per_month)


def propose(session: Session, engine, need: Need, *, n_teams: int = TEAMS_SHOWN) -> TeamOutcome | None:
    """Rank the need's candidates deep and propose teams; None when the need asks for no team."""
    role_hours = need.role_hours
    if not role_hours:
        return None
    ranked = engine.rank(session, _RankedForOneRole(need, min(role_hours.values())), top_k=POOL_SIZE)
    ids = [m.expert_id for m in ranked.matches]
    roles: dict[int, set[str]] = {}
    if ids:
        for expert_id, role_id in session.execute(select(ExpertRole.expert_id, ExpertRole.role_id).where(
                ExpertRole.expert_id.in_(ids), ExpertRole.role_id.in_(list(role_hours)))):
            roles.setdefault(expert_id, set()).add(role_id)
    candidates = []
    for match in ranked.matches:
        if match.expert_id not in roles:
            continue
        expert = ranked.experts[match.expert_id]
        candidates.append(TeamCandidate(
            expert_id=match.expert_id, score=match.score, roles=frozenset(roles[match.expert_id]),
            levels={s.skill_id: s.level for s in expert.skills},
            remaining_hours=match.explanation.remaining_hours, fee_per_hour=match.explanation.fee_per_hour))
    wanted = team_need(need)
    result = propose_teams(candidates, wanted, n_teams=n_teams)
    return TeamOutcome(result=result, matches={m.expert_id: m for m in ranked.matches},
                       positions={m.expert_id: i for i, m in enumerate(ranked.matches, 1)},
                       experts=ranked.experts, rank_result=ranked.result, role_hours=dict(role_hours),
                       budget_per_month=wanted.budget_per_month)
