"""One function per signal; each returns (n,) float32 in [0, 1], fully vectorised.

Inputs are column arrays (see `index.CandidateIndex`), so every signal can be tested alone.
Dates are day ordinals (`date.toordinal()`), coordinates radians, fees yen.
"""

from __future__ import annotations

import numpy as np

from .vectors import NeedSkills

def column_sum(matrix: np.ndarray, indicator: np.ndarray) -> np.ndarray:
    """matrix @ indicator for a 0/1 indicator: add the few selected (column-major) columns."""
    out = np.zeros(matrix.shape[0], dtype=np.float32)
    for j in np.flatnonzero(indicator):
        out += matrix[:, j]
    return out


# --- skill -------------------------------------------------------------------------------
# A must-have counts quadratically (half the level gives a quarter of the credit), and a
# must-have the expert lacks entirely multiplies the whole signal down: missing all of them
# halves the signal whatever else matches.
MUST_EXPONENT = 2.0
MISSING_MUST_PENALTY = 0.5
NEUTRAL = 0.5
# Narrow products (n x k with small k, or few rows) run as einsum, not BLAS: on a busy 2-core
# machine a threaded BLAS call on such shapes spends ~50x longer synchronising than computing.
SMALL_BLAS_ROWS = 16384


def rowdot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """matrix @ vector as float32; single-threaded einsum unless the matrix is large and wide."""
    vector = vector.astype(np.float32, copy=False)
    if matrix.shape[1] >= 64 and matrix.shape[0] > SMALL_BLAS_ROWS:
        return matrix @ vector
    return np.einsum("ij,j->i", matrix, vector)


def skill(levels: np.ndarray, need: NeedSkills) -> np.ndarray:
    """Weighted coverage of the required levels; more skill never lowers it.

    `levels` may be the full (n, n_items) matrix or already restricted to the columns where
    `need.weights > 0` (then pass a `need` restricted the same way).
    """
    active = need.weights > 0
    if not active.any():
        return np.full(levels.shape[0], NEUTRAL, dtype=np.float32)
    if active.size == levels.shape[1] and not active.all():
        levels = levels[:, active]
    req = need.levels[active]
    w = need.weights[active].astype(np.float32)
    w = w / w.sum()
    must = need.must[active]
    wm = np.where(must, w, 0.0) / max(float(w[must].sum()), 1e-12)
    # One pass per asked item over a contiguous column (pass column-major `levels`): k is small
    # and this avoids (n, k) temporaries.
    score = np.zeros(levels.shape[0], dtype=np.float32)
    missing = np.zeros(levels.shape[0], dtype=np.float32) if must.any() else None
    for j in range(req.size):
        column = levels[:, j]
        cover = np.minimum(column * np.float32(1.0 / req[j]), np.float32(1.0))
        if must[j]:
            cover **= MUST_EXPONENT
            missing += np.float32(wm[j]) * (column <= 0)
        score += np.float32(w[j]) * cover
    if missing is not None:
        score *= 1.0 - MISSING_MUST_PENALTY * missing
    return np.clip(score, 0.0, 1.0).astype(np.float32, copy=False)


# --- semantic ----------------------------------------------------------------------------
def semantic(expert_vectors: np.ndarray, need_vector: np.ndarray) -> np.ndarray:
    """Cosine similarity of L2-normalised vectors, clipped to [0, 1]."""
    out = rowdot(expert_vectors, need_vector)
    return np.clip(out, 0.0, 1.0, out=out)


# --- availability ------------------------------------------------------------------------
STALE_CONFIDENCE = 0.8  # availability not confirmed recently: trust it less, do not drop it
OPEN_END_DAYS = 365     # a need with no end is judged over its first year
FAR_FUTURE = 10**7      # day ordinal standing for "no end"


def remaining_hours(hours: np.ndarray, c_start: np.ndarray, c_end: np.ndarray, c_hours: np.ndarray,
                    need_start: int, need_end: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (offered minus hours of commitments active during the need, concurrent count).

    Commitments are padded (n, K) arrays; padding has zero hours and never overlaps.
    """
    committed = np.zeros(hours.shape[0], dtype=np.float32)
    count = np.zeros(hours.shape[0], dtype=np.int16)
    for k in range(c_start.shape[1]):  # K is small: a loop avoids (n, K) temporaries
        active = (c_start[:, k] <= need_end) & (c_end[:, k] >= need_start) & (c_hours[:, k] > 0)
        committed += np.where(active, c_hours[:, k], 0.0)
        count += active
    return hours - committed, count


def period_overlap(available_from: np.ndarray, available_until: np.ndarray,
                   need_start: int, need_end: int) -> np.ndarray:
    """Fraction of the need's period inside the expert's availability window."""
    length = max(need_end - need_start + 1, 1)
    inside = np.minimum(available_until, need_end) - np.maximum(available_from, need_start) + 1
    return np.clip(inside.astype(np.float32) / length, 0.0, 1.0)


def availability(remaining: np.ndarray, needed_hours: float, overlap: np.ndarray,
                 stale: np.ndarray) -> np.ndarray:
    """Share of the needed hours the expert has left, times period overlap and data confidence."""
    needed = max(float(needed_hours), 1e-6)
    score = np.clip(remaining / needed, 0.0, 1.0).astype(np.float32)
    score *= overlap
    score *= np.where(stale, np.float32(STALE_CONFIDENCE), np.float32(1.0))
    return score


# --- place -------------------------------------------------------------------------------
EARTH_RADIUS_KM = 6371.0
DEFAULT_REACH_KM = 100.0       # reach assumed when the expert stated none
RESIDENT_DISTANCE_SCALE = 300.0  # moving is the expert's choice: distance only breaks ties
# A hybrid need has an on-site part: an expert who cannot do it (remote only, or beyond reach) can
# still take the remote part, so stays a candidate, but scores 0.5: never above anyone within reach
# (on-site scores run 0.5-1 by distance against reach).
HYBRID_REMOTE_ONLY = 0.5
# ... and, where the need's stage is worked on site (local or resident: workshops, field work), covers only
# part of the work (someone else must do the on-site part), so the whole score is multiplied down, as a
# missing must-have is: the place signal alone (weight 0.12) let a strong remote-only expert 72% over budget
# rank first on a hybrid problem-finding workshop (demo N020, issue 12).
HYBRID_PART_ONLY_FACTOR = 0.85  # 0.9 left N020 as it was; bench_quality text-only experts: -0.002 to -0.003 NDCG


def distance_km(lat: np.ndarray, lng: np.ndarray, need_lat: float | None, need_lng: float | None) -> np.ndarray:
    """Great-circle distance (haversine) from radians arrays to a need in degrees; NaN when unknown."""
    if need_lat is None or need_lng is None:
        return np.full(lat.shape[0], np.nan, dtype=np.float32)
    nlat, nlng = np.float32(np.radians(need_lat)), np.float32(np.radians(need_lng))
    a = np.sin((lat - nlat) * 0.5) ** 2 + np.cos(lat) * np.float32(np.cos(nlat)) * np.sin((lng - nlng) * 0.5) ** 2
    return (2.0 * EARTH_RADIUS_KM) * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def place(work_style: str, remote: np.ndarray, onsite: np.ndarray, resident: np.ndarray,
          distance: np.ndarray, reach_km: np.ndarray, prefecture_reach: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (score, possible) for the need's work style.

    remote: needs remote willingness; distance is ignored. onsite: needs on-site (or resident)
    willingness and the need within reach (distance <= reach, or the need's prefecture is home or a
    listed travel prefecture); closer scores higher. resident: needs resident willingness.
    hybrid: scored like onsite (distance against reach counts the same); an expert who can only do
    the remote part (remote only, or beyond reach) stays possible but scores HYBRID_REMOTE_ONLY.
    Unknown distance is not held against anyone: reachable, scored 0.5 (0.8 when the prefecture fits).
    """
    known = ~np.isnan(distance)
    ratio = np.where(known, distance / np.maximum(reach_km, 1e-3), 0.0)
    near = np.where(known, 1.0 - 0.5 * np.clip(ratio, 0.0, 1.0), np.where(prefecture_reach, 0.8, 0.5))
    near = np.where(known & prefecture_reach, np.maximum(near, 0.8), near)
    reachable = np.where(known, ratio <= 1.0, True) | prefecture_reach
    onsite_ok = (onsite | resident) & reachable
    if work_style == "remote":
        return remote.astype(np.float32), remote.copy()
    if work_style == "onsite":
        return np.where(onsite_ok, near, 0.0).astype(np.float32), onsite_ok
    if work_style == "resident":
        moved = 1.0 - 0.2 * np.clip(np.where(known, distance / RESIDENT_DISTANCE_SCALE, 0.5), 0.0, 1.0)
        return np.where(resident, moved, 0.0).astype(np.float32), resident.copy()
    if work_style == "hybrid":
        possible = remote | onsite_ok
        score = np.where(onsite_ok, near, np.where(remote, HYBRID_REMOTE_ONLY, 0.0))
        return score.astype(np.float32), possible
    raise ValueError(f"unknown work style {work_style!r}")


# --- staffing rules of the stages (skill_taxonomy/data/stages.yaml, `staffing`) -----------
BREADTH_FULL_FIELDS = 3  # one field gives no breadth credit, two half, three or more all of it
NEARBY_FULL_KM = 20.0    # lives in or next to the municipality: full resident credit
NEARBY_ZERO_KM = 60.0    # beyond a daily commute: none


def field_breadth(n_fields: np.ndarray) -> np.ndarray:
    """Breadth across fields, 0 for one field (or none) to 1 from BREADTH_FULL_FIELDS distinct fields."""
    return np.clip((n_fields.astype(np.float32) - 1.0) / (BREADTH_FULL_FIELDS - 1), 0.0, 1.0).astype(np.float32)


def nearby(distance: np.ndarray) -> np.ndarray:
    """1 within NEARBY_FULL_KM of the need, falling to 0 at NEARBY_ZERO_KM; unknown distance gives 0."""
    share = 1.0 - (distance - NEARBY_FULL_KM) / (NEARBY_ZERO_KM - NEARBY_FULL_KM)
    return np.where(np.isnan(distance), 0.0, np.clip(share, 0.0, 1.0)).astype(np.float32)


# --- record ------------------------------------------------------------------------------
RATING_PRIOR_MEAN = 3.5   # a typical evaluation; few ratings are pulled toward it
RATING_PRIOR_COUNT = 5.0  # five ratings weigh as much as the prior
REHIRE_PRIOR_RATE = 0.7
REHIRE_PRIOR_COUNT = 3.0
EXPERIENCE_SCALE = 3.0    # three relevant completed engagements give ~63% of the experience credit
RECORD_MIX = (0.6, 0.25, 0.15)  # rating, would-rehire, relevant experience


def smoothed_rating(n_ratings: np.ndarray, sum_ratings: np.ndarray) -> np.ndarray:
    """Bayesian mean (C*m + sum) / (C + n) on the 1-5 scale."""
    return (RATING_PRIOR_COUNT * RATING_PRIOR_MEAN + sum_ratings) / (RATING_PRIOR_COUNT + n_ratings)


def record(n_ratings: np.ndarray, sum_ratings: np.ndarray, n_rehire_answers: np.ndarray,
           n_rehire_yes: np.ndarray, experience: np.ndarray) -> np.ndarray:
    """Past results: smoothed rating, smoothed would-rehire rate and relevant completed work.

    No history gives 0.55: between a poor record (~0.35) and a good one (>0.8).
    """
    rating = (smoothed_rating(n_ratings, sum_ratings) - 1.0) / 4.0
    rehire = (REHIRE_PRIOR_COUNT * REHIRE_PRIOR_RATE + n_rehire_yes) / (REHIRE_PRIOR_COUNT + n_rehire_answers)
    exp = 1.0 - np.exp(-experience / EXPERIENCE_SCALE)
    a, b, c = RECORD_MIX
    return np.clip(a * rating + b * rehire + c * exp, 0.0, 1.0).astype(np.float32)


# --- fee ---------------------------------------------------------------------------------
HOURS_PER_DAY = 8.0
DEFAULT_HOURS_PER_MONTH = 160.0  # a full-time month, when the need gives no hours
FEE_UNITS = {None: 0, "hour": 1, "day": 2, "month": 3}
OVER_BUDGET_SLACK = 0.5  # 50% over budget scores 0


def hours_per_unit(unit_code: np.ndarray, need_hours: float | None) -> np.ndarray:
    """Hours one fee unit pays for: hour 1, day 8, month the need's hours (160 when unknown)."""
    month = float(need_hours) if need_hours else DEFAULT_HOURS_PER_MONTH
    table = np.array([np.nan, 1.0, HOURS_PER_DAY, month], dtype=np.float32)
    return table[unit_code]


def per_hour(amount: float | None, unit: str | None, need_hours: float | None) -> float | None:
    """Convert one amount to yen per hour (None when unknown)."""
    if amount is None or unit is None:
        return None
    return float(amount) / float(hours_per_unit(np.array([FEE_UNITS[unit]]), need_hours)[0])


def fee(fee_per_hour: np.ndarray, budget_per_hour: float | None) -> np.ndarray:
    """1 within budget, falling to 0 at 50% over; unknown on either side is neutral (0.5)."""
    if budget_per_hour is None or not budget_per_hour > 0:
        return np.full(fee_per_hour.shape[0], NEUTRAL, dtype=np.float32)
    ratio = fee_per_hour / np.float32(budget_per_hour)
    score = np.clip(1.0 - (ratio - 1.0) / OVER_BUDGET_SLACK, 0.0, 1.0)
    return np.where(np.isnan(fee_per_hour), np.float32(NEUTRAL), score).astype(np.float32)


# --- type --------------------------------------------------------------------------------
TYPE_BITS = {"X": 1, "D": 2, "XD": 3}


def talent_type(expert_bits: np.ndarray, need_type: str | None) -> np.ndarray:
    """1 when the expert has every type the need calls for, 0.5 for half of XD, 0.2 otherwise."""
    if need_type is None:
        return np.full(expert_bits.shape[0], NEUTRAL, dtype=np.float32)
    want = TYPE_BITS[need_type]
    have = expert_bits & want
    return np.where(have == want, 1.0, np.where(have > 0, 0.5, 0.2)).astype(np.float32)
