"""The demo data set: a realistic, seeded, reproducible Japanese hub for `flask --app app demo`."""
from hub.demo.generator import DemoSet, generate
from hub.demo.loader import (DEFAULT_EXPERTS, DEFAULT_NEEDS, DEFAULT_SEED, DEMO_PASSWORD, LOGINS, DatabaseNotEmpty,
                             DemoCounts, DemoDataInvalid, count, is_empty, load_demo, score_shortlists)

__all__ = ["DEFAULT_EXPERTS", "DEFAULT_NEEDS", "DEFAULT_SEED", "DEMO_PASSWORD", "LOGINS", "DatabaseNotEmpty",
           "DemoCounts", "DemoDataInvalid", "DemoSet", "count", "generate", "is_empty", "load_demo",
           "score_shortlists"]
