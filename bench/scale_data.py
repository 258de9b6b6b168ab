"""The PostgreSQL databases of the scale benches: N demo experts (seeded), made once and then reused.

    .venv/bin/python bench/scale_data.py --experts 100000      # creates bench_scale_100k unless it is there

The demo generator (hub/demo: realistic Japanese experts, 64+ needs of real municipalities, the demo
logins) loaded through the interchange importer (set-based), text embeddings with the `tfidf` backend
(a real encoder, hashed character n-grams, 512-d: no model to load, so 100,000 texts take about a minute on
one core), then ANALYZE. Prints how long each step took.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKEND = "tfidf"


def database_name(n: int) -> str:
    return f"bench_scale_{n // 1000}k" if n % 1000 == 0 else f"bench_scale_{n}"


def database_url(n: int) -> str:
    admin = create_engine(SERVER)
    url = admin.url.set(database=database_name(n)).render_as_string(hide_password=False)
    admin.dispose()
    return url


def ensure(n: int, *, needs: int = 100, quiet: bool = False) -> str:
    """Return the URL of a database holding the N-expert demo set, making it first when missing."""
    from hub import create_app, demo
    from hub.db import get_session, refresh_statistics
    from hub.models import ExpertProfile, Need

    say = (lambda *_: None) if quiet else print
    url = database_url(n)
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database_name(n)})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{database_name(n)}"'))
    admin.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "EMBEDDING_BACKEND": BACKEND,
                      "AUTO_MIGRATE": True, "NOTIFY_TOP_N": 0, "INDEX_SNAPSHOT_DIR": "off"})
    with app.app_context():
        session = get_session()
        have = session.scalar(select(func.count()).select_from(ExpertProfile))
        if have >= n:
            say(f"{database_name(n)}: {have} experts, {session.scalar(select(func.count()).select_from(Need))} "
                f"needs (made before)")
            return url
        started = time.perf_counter()
        demo.load_demo(session, app.extensions["hub.taxonomy"], seed=demo.DEFAULT_SEED, n_experts=n, n_needs=needs)
        session.commit()
        loaded = time.perf_counter()
        say(f"{database_name(n)}: demo data ({n} experts, {needs} needs) loaded in {loaded - started:.1f} s")
        from hub.services.matching import load_expert_rows
        engine = app.extensions["hub.matcher"]
        engine.embed_experts(session, load_expert_rows(session).texts)
        engine.store_need_vectors(session)
        session.commit()
        embedded = time.perf_counter()
        say(f"{database_name(n)}: text embeddings ({BACKEND}) in {embedded - loaded:.1f} s")
        refresh_statistics(session)
        say(f"{database_name(n)}: ANALYZE in {time.perf_counter() - embedded:.1f} s; "
            f"total {time.perf_counter() - started:.1f} s")
    return url


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--needs", type=int, default=100)
    args = parser.parse_args()
    ensure(args.experts, needs=args.needs)
