"""The match index at scale on PostgreSQL: worker cold start, warm ranking through the service beside the
matcher alone (same process, same needs: the ratio), and memory per gunicorn worker.

    .venv/bin/python bench/bench_scale.py --experts 10000 --experts 100000 [--repeat 5]

For each N (database from bench/scale_data.py, made once): a fresh process ranks once with no snapshot
(it builds the index from the database and writes a snapshot), then another fresh process ranks once
mapping that snapshot (what every later worker of the host does); then, warm, every open need is ranked
`repeat` times through `MatchingEngine.rank` (change-log check, need vector, learned weights, profiles)
and by `Ranker.rank` alone on the same index and query. Last, `gunicorn -w 2 app:app` serves the
matches API with the snapshot and the workers' RSS and PSS are read from /proc (PSS splits the shared,
mapped pages among the workers). Numbers, not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _config(url: str, snapshots: str) -> dict:
    return {"DATABASE_URL": url, "SECRET_KEY": "bench", "EMBEDDING_BACKEND": "tfidf", "NOTIFY_TOP_N": 0,
            "INDEX_SNAPSHOT_DIR": snapshots}


def child_cold(url: str, snapshots: str) -> dict:
    """One new worker: create the app, rank one need (the index starts: snapshot or database)."""
    started = time.perf_counter()
    from hub import create_app
    from hub.db import get_session
    from hub.models import Need
    from sqlalchemy import select
    app = create_app(_config(url, snapshots))
    created = time.perf_counter()
    with app.app_context():
        session = get_session()
        need = session.scalars(select(Need).where(Need.status == "open").order_by(Need.id)).first()
        engine = app.extensions["hub.matcher"]
        ranked = time.perf_counter()
        engine.rank(session, need, top_k=10)
        done = time.perf_counter()
        session.rollback()
    return {"import_and_app_s": created - started, "first_ranking_s": done - ranked,
            "started_from": engine.started_from, "experts": len(engine._index)}


def child_warm(url: str, snapshots: str, repeat: int) -> dict:
    import numpy as np
    from sqlalchemy import select

    from hub import create_app
    from hub.db import get_session
    from hub.models import Need
    from hub.services.matching import need_query
    app = create_app(_config(url, snapshots))
    with app.app_context():
        session = get_session()
        engine = app.extensions["hub.matcher"]
        needs = list(session.scalars(select(Need).where(Need.status == "open").order_by(Need.id)))
        index = engine.index(session)
        prepared = [(need, need_query(need, engine.need_vector(session, need))) for need in needs]
        ranker = engine.ranker(session)
        for need, query in prepared:  # warm every code path once
            engine.rank(session, need, top_k=10)
            ranker.rank(index, query, top_k=10)
        service, alone = [], []
        for _ in range(repeat):
            for need, query in prepared:
                t0 = time.perf_counter()
                engine.rank(session, need, top_k=10)
                t1 = time.perf_counter()
                ranker.rank(index, query, top_k=10)
                t2 = time.perf_counter()
                service.append((t1 - t0) * 1000)
                alone.append((t2 - t1) * 1000)
        session.rollback()
    p = lambda values, q: float(np.percentile(values, q))  # noqa: E731
    return {"needs": len(needs), "rankings": len(service),
            "service_p50": p(service, 50), "service_p95": p(service, 95),
            "alone_p50": p(alone, 50), "alone_p95": p(alone, 95),
            "index_mib": index.memory_bytes() / 2**20}


def run_child(mode: str, url: str, snapshots: str, repeat: int = 0) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--url", url, "--snapshots", snapshots,
                          "--repeat", str(repeat)], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def memory_per_worker(url: str, snapshots: str, port: int) -> list[tuple[float, float]]:
    import httpx

    import serving
    with serving.gunicorn(url, port, 2, INDEX_SNAPSHOT_DIR=snapshots) as master:
        base = f"http://127.0.0.1:{port}"
        headers, cookies, _how = serving.auth(base, url)
        from bench_load import city_needs
        needs = city_needs(url)
        with httpx.Client(base_url=base, headers=headers, cookies=cookies, timeout=120) as client:
            for i in range(24):  # enough for both workers to start their index
                _, ref = needs[i % len(needs)]
                assert client.get(f"/api/v1/needs/{ref}/matches?top=10").status_code == 200
        return [serving.memory_mib(pid) for pid in serving.worker_pids(master.pid)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, action="append")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--port", type=int, default=5113)
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--snapshots")
    args = parser.parse_args()
    if args.child:
        result = (child_cold(args.url, args.snapshots) if args.child == "cold"
                  else child_warm(args.url, args.snapshots, args.repeat))
        print(json.dumps(result))
        return

    import scale_data
    for n in args.experts or [10_000]:
        url = scale_data.ensure(n)
        with tempfile.TemporaryDirectory() as snapshots:
            built = run_child("cold", url, snapshots)
            size = sum(f.stat().st_size for f in Path(snapshots).rglob("*") if f.is_file()) / 2**20
            mapped = run_child("cold", url, snapshots)
            warm = run_child("warm", url, snapshots, args.repeat)
            memory = memory_per_worker(url, snapshots, args.port)
        print(f"--- {n:,} experts ({built['experts']:,} in the index), PostgreSQL, tfidf 512-d")
        print(f"cold start, no snapshot (build from the database + write): first ranking "
              f"{built['first_ranking_s']:.2f} s (imports + app {built['import_and_app_s']:.2f} s); snapshot "
              f"{size:.0f} MiB on disk")
        print(f"cold start per worker, snapshot mapped ({mapped['started_from']}): first ranking "
              f"{mapped['first_ranking_s']:.2f} s (imports + app {mapped['import_and_app_s']:.2f} s)")
        print(f"warm ranking, {warm['rankings']} rankings of {warm['needs']} needs: service p50 "
              f"{warm['service_p50']:.1f} ms p95 {warm['service_p95']:.1f} ms; matcher alone p50 "
              f"{warm['alone_p50']:.1f} ms p95 {warm['alone_p95']:.1f} ms; ratio p95 "
              f"{warm['service_p95'] / warm['alone_p95']:.2f}x, p50 {warm['service_p50'] / warm['alone_p50']:.2f}x")
        print(f"memory per gunicorn worker (index {warm['index_mib']:.0f} MiB): " + "; ".join(
            f"RSS {rss:.0f} MiB, PSS {pss:.0f} MiB" for rss, pss in memory))


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
