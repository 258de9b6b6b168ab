"""Time of the Excel exports (expert search and need lists) with many experts, through the whole WSGI stack.

    python bench/bench_export.py                    # 10,000 experts, SQLite
    python bench/bench_export.py --experts 2000 --repeat 5
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/bench_export.py

Fills a fresh database with the demo generator (as bench/bench_pages.py does), signs in as the demo municipal
officer (塩尻市) and posts to each export: the whole listed population, a prefecture, a skill filter, and the
need lists. Prints the rows, the file size, the SQL statements of one export (they must not grow with the
rows: no query per expert) and the median and 95th percentile time; then the time spent in the rows
(hub/services/exports.py) and in writing the workbook (hub/tabular.to_xlsx) for the largest export.
Numbers, not a test.
"""
from __future__ import annotations

import argparse
import io
import time
from datetime import date

from demo_hub import demo_hub, report, signed_in, timed
from sqlalchemy import event

from hub.db import get_session


def rows_in(data: bytes) -> int:
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return sum(1 for row in sheet.iter_rows(min_col=1, max_col=2, values_only=True) if row[1] is not None) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--needs", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    app = demo_hub("bench_export", args.experts, args.needs, RATELIMIT_ENABLED=False)
    with app.app_context():
        engine = get_session().get_bind()

    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client = signed_in(app, "shiojiri@demo.example.jp")
    exports = [
        ("experts: every listed expert", "/search/experts/export.xlsx"),
        ("experts: prefecture 長野県", "/search/experts/export.xlsx?prefecture=20"),
        ("experts: skill >= 3, hours >= 20", "/search/experts/export.xlsx?skill_1=backend_dev&level_1=3&min_hours=20"),
        ("needs: own organization", "/needs/export.xlsx?scope=own"),
        ("needs: open needs of others", "/needs/export.xlsx?scope=open"),
    ]
    for label, path in exports:
        statements.clear()
        response = client.post(path)
        assert response.status_code == 200, (path, response.status_code)
        queries = len(statements)
        report(label, timed(client, path, args.repeat, method="post"),
               f"{rows_in(response.data):>6} rows  {len(response.data) / 1024:7.0f} KiB  {queries:>3} SQL statements")

    # Where the time of the largest export goes: the rows (SQL) against the workbook (openpyxl).
    from hub.models import User
    from hub.services import exports as service
    from hub.services.search import Criteria
    from hub.tabular import to_xlsx
    from hub.views.exports import expert_table
    with app.test_request_context("/search/experts/export.xlsx"):
        session = get_session()
        officer = session.query(User).filter_by(email="shiojiri@demo.example.jp").one()
        started = time.perf_counter()
        result = service.export_experts(session, officer, Criteria(words=[], skills={}), filters={})
        rows_ms = (time.perf_counter() - started) * 1000
        session.rollback()
        started = time.perf_counter()
        table = expert_table(result.rows, "")
        table_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        data = to_xlsx([table])
        xlsx_ms = (time.perf_counter() - started) * 1000
    print(f"largest export, {len(result.rows)} rows on {date.today()}: rows (SQL) {rows_ms:.0f} ms, labels "
          f"{table_ms:.0f} ms, workbook (openpyxl) {xlsx_ms:.0f} ms, {len(data) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
