"""Rank regional ICT advisers for a dispatch request with the same matcher (and explanation) as a need.

A request becomes a `matching.NeedQuery`: its stage (whose prior gives the skills), fields, text, place (the
requester's municipality, else its prefecture), the case's hours over the wanted period, on site or online, and
the adviser scheme as a hard filter. The named adviser, if any, is looked up in the full ranking so the bureau
sees their fit (or why they are excluded) first.
"""
from __future__ import annotations

from dataclasses import dataclass

import matching
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.gazetteer import load_gazetteer
from hub.models import DispatchRequest, ExpertProfile
from hub.services.dispatch import ADVISER_SCHEME, dispatch_hours, dispatch_period
from hub.services.matching import MatchingEngine, expert_load_options
from hub.services.needs import compose_need_text


@dataclass
class AdviserRanking:
    result: matching.RankResult
    experts: dict[int, ExpertProfile]
    named: matching.Match | None  # the named adviser's match, wherever they rank
    named_rank: int | None
    named_excluded: bool  # named, but a hard filter (no hours, work style, inactive) excluded them


def request_text(request: DispatchRequest) -> str:
    return compose_need_text(request.theme, request.description)


def request_query(request: DispatchRequest, text_vector) -> matching.NeedQuery:
    gazetteer = load_gazetteer()
    org = request.requester
    place = org.lg_code or f"{org.prefecture_code}0000"
    coords = gazetteer.coordinates(place)
    start, end = dispatch_period(request)
    return matching.NeedQuery(
        stages=(request.stage_id,), fields=tuple(request.field_ids),
        work_style="remote" if request.days == 0 else ("hybrid" if request.online_hours else "onsite"),
        lat=coords[0] if coords else None, lng=coords[1] if coords else None,
        prefecture_code=org.prefecture_code, hours_per_month=float(max(dispatch_hours(request), 1)),
        start=start, end=end, schemes=frozenset({ADVISER_SCHEME}), text_vector=text_vector)


def rank_advisers(session: Session, engine: MatchingEngine, request: DispatchRequest, *,
                  top_k: int = 10) -> AdviserRanking:
    """The best advisers for the request, and the named adviser's place among all of them."""
    index = engine.index(session)
    text = request_text(request)
    vector = engine.encoder.encode([text], kind="query")[0] if text.strip() else None
    query = request_query(request, vector)
    ranker = engine.ranker(session)
    result = ranker.rank(index, query, top_k=top_k)
    named, named_rank = None, None
    if request.named_expert_id is not None:
        found = [(i, m) for i, m in enumerate(result.matches, 1) if m.expert_id == request.named_expert_id]
        if not found and request.named_expert_id in index:
            everyone = ranker.rank(index, query, top_k=max(index.n_rows, 1))
            found = [(i, m) for i, m in enumerate(everyone.matches, 1) if m.expert_id == request.named_expert_id]
        if found:
            named_rank, named = found[0]
    ids = [m.expert_id for m in result.matches] + ([named.expert_id] if named else [])
    if request.named_expert_id is not None:
        ids.append(request.named_expert_id)
    experts = {e.id: e for e in session.scalars(
        select(ExpertProfile).where(ExpertProfile.id.in_(ids)).options(*expert_load_options()))} if ids else {}
    return AdviserRanking(result, experts, named, named_rank,
                          named_excluded=request.named_expert_id is not None and named is None)
