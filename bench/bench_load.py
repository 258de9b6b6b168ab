"""Load on the hub as it runs in production: gunicorn on PostgreSQL, driven from loopback.

    .venv/bin/python bench/bench_load.py --experts 10000 --seconds 30 [--workers 2] [--concurrency 8]

Makes (once) or reuses the N-expert demo database (bench/scale_data.py), starts the README's production
command (`gunicorn -w W app:app`) on 127.0.0.1, signs in as the demo officer of 塩尻市 and drives the need page
(ranked, explained candidates: HTML) and the matches API (JSON) of the city's needs in turn from C concurrent
clients (a small asyncio/httpx driver: locust would pull gevent into the shared venv). The API is called
with a token from `flask --app app create-token EMAIL` when the hub has that command, else with the session
cookie. Prints throughput, per-endpoint percentiles and errors, and ends with the line
`requests N errors E p50 X ms p95 Y ms p99 Z ms`. Numbers, not a test.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402

import scale_data  # noqa: E402
import serving  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def city_needs(url: str) -> list[tuple[int, str]]:
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT n.id, n.external_id FROM need n JOIN organization o ON o.id = n.organization_id "
            "WHERE o.lg_code = '202151' AND n.status = 'open' ORDER BY n.id")).all()
    engine.dispose()
    return [(row[0], row[1]) for row in rows]


async def drive(base: str, seconds: float, concurrency: int, needs, headers, cookies) -> dict[str, list]:
    results: dict[str, list] = {"need page": [], "matches API": [], "errors": []}
    stop = time.monotonic() + seconds

    async def client_loop(number: int) -> None:
        async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=60) as client:
            i = number
            while time.monotonic() < stop:
                need_id, ref = needs[i % len(needs)]
                page = i % 2 == 0
                url = f"/needs/{need_id}" if page else f"/api/v1/needs/{ref}/matches?top=10"
                started = time.perf_counter()
                try:
                    response = await client.get(url, headers=None if page else headers)
                    ok = response.status_code == 200
                except httpx.HTTPError as exc:
                    ok, response = False, exc
                elapsed = (time.perf_counter() - started) * 1000
                results["need page" if page else "matches API"].append(elapsed)
                if not ok:
                    results["errors"].append((url, getattr(response, "status_code", repr(response))))
                i += concurrency

    await asyncio.gather(*(client_loop(n) for n in range(concurrency)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--port", type=int, default=5113)
    args = parser.parse_args()

    url = scale_data.ensure(args.experts)
    needs = city_needs(url)
    base = f"http://127.0.0.1:{args.port}"
    import tempfile
    with tempfile.TemporaryDirectory() as snapshots, \
            serving.gunicorn(url, args.port, args.workers, INDEX_SNAPSHOT_DIR=snapshots):
        headers, cookies, how = serving.auth(base, url)
        if not cookies:
            cookies = serving.session_cookies(base)  # the need page is HTML: a browser session
        print(f"gunicorn -w {args.workers} on PostgreSQL ({args.experts} experts, {len(needs)} needs of 塩尻市), "
              f"{args.concurrency} clients for {args.seconds:.0f} s; API with a {how}")
        warm = asyncio.run(drive(base, 3, args.concurrency, needs, headers, cookies))  # every worker's index
        print(f"warm-up: {sum(len(v) for k, v in warm.items() if k != 'errors')} requests")
        started = time.perf_counter()
        results = asyncio.run(drive(base, args.seconds, args.concurrency, needs, headers, cookies))
        wall = time.perf_counter() - started
    times = results["need page"] + results["matches API"]
    for label in ("need page", "matches API"):
        values = results[label]
        print(f"{label:<12} {len(values):6d} requests  p50 {percentile(values, 50):7.1f} ms  "
              f"p95 {percentile(values, 95):7.1f} ms  p99 {percentile(values, 99):7.1f} ms")
    print(f"throughput {len(times) / wall:.1f} requests/s; mean {statistics.fmean(times):.1f} ms")
    for url_, status in results["errors"][:5]:
        print(f"error: {url_} -> {status}")
    print(f"requests {len(times)} errors {len(results['errors'])} p50 {percentile(times, 50):.1f} ms "
          f"p95 {percentile(times, 95):.1f} ms p99 {percentile(times, 99):.1f} ms")


if __name__ == "__main__":
    main()
