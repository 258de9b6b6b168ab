"""Time importing a roster (.xlsx and CSV with Japanese headers) of 1,000 and 10,000 experts: read + check, apply.

    .venv/bin/python bench/bench_roster.py [--rows 1000 10000] [--postgres URL]

Generates a seeded roster in the template's columns (hub/data/roster_columns.yaml) with Japanese labels
(roles, skills "名前:レベル", fields, 都道府県 + 市区町村, 勤務形態), writes it as .xlsx and as Shift_JIS CSV,
and for a fresh migrated SQLite file (and a PostgreSQL database when --postgres names one: its tables are
dropped and migrated again) times: reading the file into objects, checking every row (the import-experts
checker plus the protection of existing experts), and applying it in one transaction (apply_experts, skills
read from the texts, the roster sources, the audit event). Then the same file again: every row an update.
Not a test.
"""
from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402
from sqlalchemy import text  # noqa: E402

import skill_taxonomy  # noqa: E402
from hub import create_app, migrate  # noqa: E402
from hub.db import Base, get_session  # noqa: E402
from hub.gazetteer import load_gazetteer  # noqa: E402
from hub.services import roster  # noqa: E402
from hub.services.roster_columns import load_columns  # noqa: E402

SURNAMES = "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上".split()
GIVEN = "翔太 花子 大輔 美咲 健一 陽菜 拓也 由美 直樹 彩 誠 愛".split()


def generate(n: int, seed: int = 7) -> list[list]:
    rng = random.Random(seed)
    taxonomy = skill_taxonomy.load()
    columns = load_columns(taxonomy)
    gazetteer = load_gazetteer()
    places = [(None, p) for p in gazetteer.municipalities()]
    prefectures = {p.prefecture_code: p.name for p in gazetteer.prefectures()}
    items = [i.name("ja") for i in taxonomy.items.values()]
    roles = [r.name("ja") for r in taxonomy.roles.values()]
    fields = [f.name("ja") for f in taxonomy.fields.values()]
    header = [c.header_ja for c in columns.columns]
    rows = [header]
    for i in range(n):
        _, place = rng.choice(places)
        values = {
            "external_id": f"B{i:06d}", "name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
            "email": f"expert{i}@example.jp", "talent_type": rng.choice(["X人材", "D人材", "X・D両方"]),
            "roles": "、".join(rng.sample(roles, rng.randint(1, 2))),
            "skills": "\n".join(f"{s}:{rng.randint(1, 4)}" for s in rng.sample(items, rng.randint(5, 9))),
            "fields": "、".join(rng.sample(fields, 2)), "bio": "自治体のDX推進を支援。" * rng.randint(1, 5),
            "home.prefecture": prefectures[place.prefecture_code], "home.municipality": place.name,
            "work_styles": rng.choice(["リモート", "リモート、現地", "現地、常駐"]),
            "hours_per_month": rng.choice([10, 20, 40, 80]), "available_from": "2027-04-01",
            "fee.unit": "時間単価", "fee.amount": rng.choice([5000, 8000, 12000]), "fee.negotiable": "はい",
            "schemes": "", "listed": "はい",
        }
        rows.append([values.get(c.key, "") for c in columns.columns])
    return rows


def as_xlsx(rows: list[list]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("名簿")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def as_csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("cp932")


def run(url: str, label: str, files: dict[str, bytes]) -> None:
    app = create_app({"DATABASE_URL": url, "EMBEDDING_BACKEND": "tfidf", "SECRET_KEY": "bench", "AUTO_MIGRATE": False})
    engine = app.extensions["hub.engine"]
    for name, data in files.items():
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(engine)
            with engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        migrate.upgrade(engine, "head")
        taxonomy = app.extensions["hub.taxonomy"]
        for attempt in ("new", "again"):
            with app.test_request_context():
                session = get_session()
                t0 = time.perf_counter()
                read = roster.read_roster(data, name, taxonomy)
                t1 = time.perf_counter()
                check = roster.check_roster(session, read, taxonomy, None, scheme="adviser")
                assert check.ok, [str(e) for e in check.errors[:5]]
                t2 = time.perf_counter()
                report = roster.apply_roster(session, check, None, scheme="adviser")
                session.commit()
                t3 = time.perf_counter()
                print(f"{label:10} {name:18} {attempt:5} rows {report.records:6}  read {t1 - t0:6.2f} s  "
                      f"check {t2 - t1:6.2f} s  apply {t3 - t2:6.2f} s  total {t3 - t0:6.2f} s  "
                      f"(created {report.created}, updated {report.updated})", flush=True)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database may be emptied")
    args = parser.parse_args()
    for n in args.rows:
        rows = generate(n)
        files = {f"roster-{n}.xlsx": as_xlsx(rows), f"roster-{n}.csv": as_csv(rows)}
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/bench.db", "sqlite", files)
        if args.postgres:
            run(args.postgres, "postgresql", files)


if __name__ == "__main__":
    main()
