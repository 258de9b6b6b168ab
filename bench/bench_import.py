"""Time validating and importing 10,000 synthetic experts (interchange JSONL) into fresh databases.

    .venv/bin/python bench/bench_import.py [--experts 10000] [--seed 7] [--postgres URL | --no-postgres]

Generates a seeded file with real DSS ids and real lg_codes, then for a fresh SQLite file and,
when reachable, a scratch PostgreSQL database: validation time, import time (one transaction,
migrations excluded), a re-import of the same file (all updates), an export, a re-import of that
export (changes nothing), then export-all of the database and import-all into a second empty one
(of the same engine, and SQLite -> PostgreSQL), checking the second export-all is byte-identical.
Not a test.
"""
from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import skill_taxonomy  # noqa: E402
from hub import migrate  # noqa: E402
from hub.db import make_engine  # noqa: E402
from hub.gazetteer import load_gazetteer  # noqa: E402
from hub.models import Engagement, ExpertProfile, ExpertSkill  # noqa: E402
from hub.services import backup, interchange  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SURNAMES = "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林".split()
GIVEN = "翔太 花子 大輔 美咲 健一 陽菜 拓也 由美 直樹 彩 誠 愛 剛 結衣 亮 真由美".split()
PROJECTS = ("オンライン申請の導入", "地域交通の再編", "観光データの分析", "避難所運営の電子化", "農産物の販路開拓",
            "庁内クラウド移行", "子育て支援アプリ", "遠隔医療の実証")


def generate(n: int, seed: int) -> bytes:
    """Return n experts as JSONL: about 60% living in the Tokyo area, 0-3 engagements each."""
    rng = random.Random(seed)
    taxonomy = skill_taxonomy.load()
    gazetteer = load_gazetteer()
    items, roles = list(taxonomy.item_ids), list(taxonomy.roles)
    stages, fields = list(taxonomy.stages), list(taxonomy.fields)
    places = [p.lg_code for p in gazetteer.municipalities()]
    tokyo_area = [p.lg_code for p in gazetteer.municipalities() if p.prefecture_code in ("11", "12", "13", "14")]
    out = io.StringIO()
    for i in range(n):
        start = date(2026, 4, 1) + timedelta(days=rng.randrange(365))
        engagements = []
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            begin = date(2019, 4, 1) + timedelta(days=rng.randrange(2400))
            active = rng.random() < 0.2
            engagements.append({
                "org_lg_code": rng.choice(places), "title": rng.choice(PROJECTS), "stages": rng.sample(stages, 2),
                "fields": rng.sample(fields, 1), "role": "PM", "contribution": "要件整理と事業者選定を担当",
                "start": begin.isoformat(),
                "end": None if active else (begin + timedelta(days=rng.randrange(60, 700))).isoformat(),
                "hours_per_month": rng.choice((8, 16, 20, 40)), "status": "active" if active else "completed",
                "rating": None if active else rng.choice((3, 3.5, 4, 4.5, 5)),
                "would_rehire": None if active else rng.random() < 0.8})
        obj = {
            "external_id": f"B{i:06d}", "name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
            "email": f"expert{i}@example.jp", "talent_type": rng.choice(("X", "D", "XD")),
            "roles": rng.sample(roles, rng.randint(1, 3)),
            "skills": {item: rng.randint(0, 4) for item in rng.sample(items, rng.randint(5, 15))},
            "bio": "自治体のDXを" + rng.choice(PROJECTS) + "から支援してきました。",
            "fields": rng.sample(fields, rng.randint(1, 3)), "stages_led": rng.sample(stages, rng.randint(1, 3)),
            "home_lg_code": rng.choice(tokyo_area if rng.random() < 0.6 else places),
            "work_styles": {"remote": True, "onsite": rng.random() < 0.6, "resident": rng.random() < 0.1},
            "max_travel_km": rng.choice((None, 50, 150, 500)), "hours_per_month": rng.choice((10, 20, 40, 80, 160)),
            "available_from": start.isoformat(),
            "available_until": rng.choice((None, (start + timedelta(days=730)).isoformat())),
            "fee": rng.choice((None, {"unit": "hour", "amount": rng.randrange(5000, 20000, 500),
                                      "negotiable": True})),
            "schemes": rng.sample(["external_list", "adviser"], rng.randint(0, 2)),
            "engagements": engagements,
        }
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return out.getvalue().encode()


def backup_roundtrip(label: str, url: str, target_url: str) -> str:
    """export-all from `url`, import-all into the empty `target_url`, export-all again; return the file."""
    engine, target = make_engine(url), make_engine(target_url)
    migrate.upgrade(target)
    t0 = time.perf_counter()
    with Session(engine) as session:
        first = io.StringIO()
        report = backup.export_all(session, first)
    t1 = time.perf_counter()
    with Session(target) as session:
        backup.import_all(session, io.StringIO(first.getvalue()))
        session.commit()
    t2 = time.perf_counter()
    with Session(target) as session:
        second = io.StringIO()
        backup.export_all(session, second)
    engine.dispose()
    target.dispose()
    same = "byte-identical" if second.getvalue() == first.getvalue() else "DIFFERENT"
    print(f"{label}: export-all {t1 - t0:.2f}s ({report.rows} rows, {len(first.getvalue()) / 1e6:.1f} MB); "
          f"import-all {t2 - t1:.2f}s ({report.rows / (t2 - t1):,.0f} rows/s); second export {same}")
    return first.getvalue()


def run(label: str, url: str, data: bytes, lines: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    taxonomy = skill_taxonomy.load()
    t0 = time.perf_counter()
    parsed = interchange.parse_experts(data, taxonomy)
    t1 = time.perf_counter()
    assert parsed.ok, parsed.errors[:5]
    with Session(engine) as session:
        created, _ = interchange.apply_experts(session, parsed.records)
        session.commit()
    t2 = time.perf_counter()
    with Session(engine) as session:
        _, updated = interchange.apply_experts(session, interchange.parse_experts(data, taxonomy).records)
        session.commit()
    t3 = time.perf_counter()
    with Session(engine) as session:
        exported = interchange.write_jsonl(interchange.export_experts(session), io.StringIO())
        counts = {m.__name__: session.scalar(select(func.count()).select_from(m))
                  for m in (ExpertProfile, ExpertSkill, Engagement)}
    t4 = time.perf_counter()
    out = io.StringIO()
    with Session(engine) as session:
        interchange.write_jsonl(interchange.export_experts(session), out)
        before = backup.count_rows(session)
        interchange.apply_experts(session, interchange.parse_experts(out.getvalue().encode(), taxonomy).records)
        session.commit()
    t5 = time.perf_counter()
    with Session(engine) as session:
        again = io.StringIO()
        interchange.write_jsonl(interchange.export_experts(session), again)
        unchanged = again.getvalue() == out.getvalue() and backup.count_rows(session) == before
    engine.dispose()
    print(f"{label}: validate {t1 - t0:.2f}s ({lines / (t1 - t0):,.0f} lines/s); "
          f"import {t2 - t1:.2f}s ({created / (t2 - t1):,.0f} experts/s, {created} created); "
          f"re-import {t3 - t2:.2f}s ({updated} updated); export {t4 - t3:.2f}s ({exported} lines); rows {counts}; "
          f"re-import of the export {t5 - t4:.2f}s ({'unchanged' if unchanged else 'CHANGED'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL used to create a scratch database")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    data = generate(args.experts, args.seed)
    print(f"generated {args.experts} experts, {len(data) / 1e6:.1f} MB, in {time.perf_counter() - t0:.2f}s")
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{tmp}/bench.sqlite3"
        run("sqlite", sqlite_url, data, args.experts)
        backup_roundtrip("sqlite -> sqlite", sqlite_url, f"sqlite:///{tmp}/restored.sqlite3")
        if args.no_postgres:
            return
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        names = [f"bench_import_{uuid.uuid4().hex[:8]}" for _ in range(3)]
        try:
            with admin.connect() as connection:
                for name in names:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
            print(f"postgresql: skipped ({type(exc).__name__}: {str(exc).splitlines()[0]})")
            return
        urls = [admin.url.set(database=name).render_as_string(hide_password=False) for name in names]
        try:
            run("postgresql", urls[0], data, args.experts)
            backup_roundtrip("postgresql -> postgresql", urls[0], urls[1])
            backup_roundtrip("sqlite -> postgresql", sqlite_url, urls[2])
        finally:
            with admin.connect() as connection:
                for name in names:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
