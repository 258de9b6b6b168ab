"""Small, readable builders for matcher tests (no app, no database)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from matching import ExpertRecord, NeedQuery, SkillSpace

ITEMS = ("business_strategy", "project_management", "user_understanding", "backend_dev",
         "cloud_infrastructure", "data_understanding", "facilitation", "security_management")

SPACE = SkillSpace(
    item_ids=ITEMS,
    texts={i: (i.replace("_", " "),) for i in ITEMS},
    stage_priors={"development": {"backend_dev": 1.0, "cloud_infrastructure": 1.0},
                  "problem_identification": {"user_understanding": 1.0, "data_understanding": 0.5}},
    stage_leading_types={"development": "D", "problem_identification": "X", "adoption": None},
)

TOKYO = (35.68, 139.76)
OSAKA = (34.69, 135.50)
START = date(2027, 4, 1)


def expert(id: int = 1, **changes) -> ExpertRecord:
    base = ExpertRecord(
        id=id, external_id=f"T{id:04d}", talent_type="D", skills={"backend_dev": 3, "cloud_infrastructure": 2},
        lat=TOKYO[0], lng=TOKYO[1], prefecture_code="13", remote=True, onsite=True, resident=False,
        max_travel_km=100.0, hours_per_month=40.0)
    return replace(base, **changes)


def need(**changes) -> NeedQuery:
    base = NeedQuery(required={"backend_dev": 2}, stages=("development",), work_style="remote",
                     lat=TOKYO[0], lng=TOKYO[1], prefecture_code="13", hours_per_month=20.0, start=START)
    return replace(base, **changes)


def unit(dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)
