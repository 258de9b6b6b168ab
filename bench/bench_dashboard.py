"""Render times of the supply-and-demand dashboards: each page (nation, bureau, prefecture), its CSV, its Excel
workbook and its map, on the demo and with 10,000 experts.

    python bench/bench_dashboard.py                          # the demo (320 experts) and 10,000 experts, SQLite
    python bench/bench_dashboard.py --experts 10000 --repeat 10
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/bench_dashboard.py --experts 10000

Fills a fresh database with the demo generator (as bench/bench_pages.py does), signs in as the demo admin, the
bureau (信越) and the prefecture (長野県) through the Flask test client (the full WSGI stack) and prints the
median and 95th percentile of each URL. Numbers, not a test.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub import create_app, demo  # noqa: E402
from hub.db import get_session, refresh_statistics  # noqa: E402

VIEWERS = [("nation (admin)", "admin@demo.example.jp", "/dashboard/nation/"),
           ("bureau 信越", "bureau@demo.example.jp", "/dashboard/bureau/shinetsu/"),
           ("prefecture 長野県", "nagano@demo.example.jp", "/dashboard/prefecture/20/")]
FILES = [("page", ""), ("supply.csv", "supply.csv"), ("skills.csv", "skills.csv"), ("dashboard.xlsx", "dashboard.xlsx"),
         ("map.svg", "map.svg")]


def timed(client, url: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def report(label: str, times: list[float]) -> None:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
    print(f"  {label:<40} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   (n={len(times)})")


def run(n_experts: int, n_needs: int, repeat: int) -> None:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench_dashboard.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "EMBEDDING_BACKEND": "tfidf",
                      "WTF_CSRF_ENABLED": False, "AUTO_MIGRATE": True, "NOTIFY_TOP_N": 0})
    with app.app_context():
        session = get_session()
        started = time.perf_counter()
        demo.load_demo(session, app.extensions["hub.taxonomy"], seed=demo.DEFAULT_SEED, n_experts=n_experts,
                       n_needs=n_needs)
        session.commit()
        refresh_statistics(session)
        print(f"database {url.split('@')[-1]}: {n_experts} experts, {n_needs} needs "
              f"(loaded in {time.perf_counter() - started:.1f} s)")
    for label, email, base in VIEWERS:
        client = app.test_client()
        response = client.post("/account/login", data={"email": email, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302, f"login of {email} failed"
        for name, suffix in FILES:
            path = base + suffix
            timed(client, path, 1)  # warm-up
            report(f"{label}: {name}", timed(client, path, repeat))
    app.extensions["hub.engine"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", default="320,10000", help="comma-separated sizes (default: the demo, 10,000)")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    for size in (int(s) for s in args.experts.split(",")):
        run(size, demo.DEFAULT_NEEDS if size <= demo.DEFAULT_EXPERTS else max(100, size // 50), args.repeat)


if __name__ == "__main__":
    main()
