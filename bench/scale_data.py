"""The PostgreSQL databases of the scale benches: N demo experts (seeded), made once and then reused.

    .venv/bin/python bench/scale_data.py --experts 100000      # creates bench_scale_100k unless it is there

The demo generator (hub/demo: realistic Japanese experts, needs of real municipalities, the demo logins)
for 1,000 experts, loaded through the interchange importer, copied in SQL up to N; text embeddings with the `tfidf` backend
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


BASE = 1000  # the demo generator makes this many; larger sets are copies of it (ids: see OFFSET)
OFFSET = 1_000_000  # id offset of each copy (ids stay far inside INTEGER)
# column -> SQL of the copy (k = copy number, o = its id offset); other columns are copied as they are.
COPIED = {
    "expert_profile": {"id": "id + {o}", "external_id": "external_id || '-{k}'", "user_id": "NULL"},
    "expert_skill": {"expert_id": "expert_id + {o}"}, "expert_field": {"expert_id": "expert_id + {o}"},
    "expert_role": {"expert_id": "expert_id + {o}"}, "expert_scheme": {"expert_id": "expert_id + {o}"},
    "expert_stage": {"expert_id": "expert_id + {o}"},
    "expert_travel_prefecture": {"expert_id": "expert_id + {o}"},
    "engagement": {"id": "id + {o}", "expert_id": "expert_id + {o}", "need_id": "NULL", "dispatch_id": "NULL",
                   "shortlist_entry_id": "NULL", "source": "'import'"},
    "engagement_field": {"engagement_id": "engagement_id + {o}"},
    "engagement_stage": {"engagement_id": "engagement_id + {o}"},
    "evaluation": {"id": "id + {o}", "engagement_id": "engagement_id + {o}"},
    "evaluation_skill": {"evaluation_id": "evaluation_id + {o}"},
    "embedding": {"id": "id + {o}", "owner_id": "owner_id + {o}"},
}
ORIGINALS = {"expert_profile": "id < {O} AND deleted_at IS NULL", "engagement": "id < {O} AND status <> 'proposed'",
             "embedding": "owner_kind = 'expert' AND owner_id < {O}"}


def multiply(url: str, copies: int) -> None:
    """Add `copies` copies of every expert (profile, skills, record, embedding) in SQL: a bigger population
    of the same shape, in seconds instead of generating it again. Clones have no account."""
    import hub.models  # noqa: F401
    from hub.db import Base
    engine = create_engine(url)
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    with engine.begin() as connection:
        for k in range(1, copies + 1):
            for name, overrides in COPIED.items():
                columns = [c.name for c in tables[name].columns]
                values = [overrides.get(c, c).format(k=k, o=k * OFFSET) for c in columns]
                where = ORIGINALS.get(name, "true").format(O=OFFSET)
                if name in ("engagement_field", "engagement_stage"):
                    where = f"engagement_id IN (SELECT id FROM engagement WHERE {ORIGINALS['engagement'].format(O=OFFSET)})"
                elif name == "evaluation":
                    where = f"engagement_id IN (SELECT id FROM engagement WHERE {ORIGINALS['engagement'].format(O=OFFSET)})"
                elif name == "evaluation_skill":
                    where = "evaluation_id < {O} AND evaluation_id IN (SELECT e.id FROM evaluation e JOIN engagement g ON g.id = e.engagement_id WHERE {W})".format(O=OFFSET, W=ORIGINALS['engagement'].format(O=OFFSET).replace("id <", "g.id <").replace("status", "g.status"))
                elif name.startswith("expert_") and name != "expert_profile":
                    where = f"expert_id IN (SELECT id FROM expert_profile WHERE {ORIGINALS['expert_profile'].format(O=OFFSET)})"
                connection.execute(text(f'INSERT INTO "{name}" ({", ".join(columns)}) '
                                        f'SELECT {", ".join(values)} FROM "{name}" WHERE {where}'))
        for name in ("expert_profile", "engagement", "evaluation", "embedding", "expert_change"):
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                    f"(SELECT MAX(id) FROM \"{name}\"))"))
    engine.dispose()


def ensure(n: int, *, needs: int = 100, quiet: bool = False) -> str:
    """Return the URL of a database holding the N-expert demo set, making it first when missing.

    Above BASE experts, the BASE set is made (or reused) and copied in SQL up to N (`multiply`): the demo
    generator is written for hundreds of experts, and copies have the same shape.
    """
    from hub import create_app

    say = (lambda *_: None) if quiet else print
    url = database_url(n)
    base = BASE
    if n > base and n % base == 0:
        return _ensure_copied(n, base, say)
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database_name(n)})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{database_name(n)}"'))
    admin.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "EMBEDDING_BACKEND": BACKEND,
                      "AUTO_MIGRATE": True, "NOTIFY_TOP_N": 0, "INDEX_SNAPSHOT_DIR": "off"})
    try:
        return _fill(app, n, needs, url, say)
    finally:
        app.extensions["hub.engine"].dispose()  # no connection left: the set may be a template next


def _fill(app, n: int, needs: int, url: str, say) -> str:
    from hub import demo
    from hub.db import get_session, refresh_statistics
    from hub.models import ExpertProfile, Need
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


def _ensure_copied(n: int, base: int, say) -> str:
    url = database_url(n)
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database_name(n)})
    if exists:
        admin.dispose()
        say(f"{database_name(n)}: made before")
        return url
    ensure(base)
    started = time.perf_counter()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database_name(n)}" TEMPLATE "{database_name(base)}"'))
    admin.dispose()
    multiply(url, n // base - 1)
    copied = time.perf_counter()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        count = connection.scalar(text("SELECT count(*) FROM expert_profile"))
    engine.dispose()
    say(f"{database_name(n)}: {database_name(base)} copied to {count} experts in {copied - started:.1f} s, "
        f"ANALYZE {time.perf_counter() - copied:.1f} s")
    return url


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--needs", type=int, default=100)
    args = parser.parse_args()
    ensure(args.experts, needs=args.needs)
