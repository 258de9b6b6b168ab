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

from demo_hub import demo_hub, report, signed_in, timed

from hub import demo

VIEWERS = [("nation (admin)", "admin@demo.example.jp", "/dashboard/nation/"),
           ("bureau 信越", "bureau@demo.example.jp", "/dashboard/bureau/shinetsu/"),
           ("prefecture 長野県", "nagano@demo.example.jp", "/dashboard/prefecture/20/")]
FILES = [("page", ""), ("supply.csv", "supply.csv"), ("skills.csv", "skills.csv"), ("dashboard.xlsx", "dashboard.xlsx"),
         ("map.svg", "map.svg")]


def run(n_experts: int, n_needs: int, repeat: int) -> None:
    app = demo_hub("bench_dashboard", n_experts, n_needs)
    for label, email, base in VIEWERS:
        client = signed_in(app, email)
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
