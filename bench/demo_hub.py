"""What the page benches share: a hub on a fresh database filled by the demo generator, a signed-in test
client (the full WSGI stack), and the timing and printing of a URL's p50 / p95.

    from demo_hub import demo_hub, signed_in, timed, report   # from a script in bench/
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub import create_app, demo  # noqa: E402
from hub.db import get_session, refresh_statistics  # noqa: E402


def demo_hub(name: str, n_experts: int, n_needs: int, *, backend: str = "tfidf", **config):
    """A hub on DATABASE_URL, or on a new SQLite file, filled with the demo generator's experts and needs."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/{name}.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "EMBEDDING_BACKEND": backend,
                      "WTF_CSRF_ENABLED": False, "AUTO_MIGRATE": True, "NOTIFY_TOP_N": 0, **config})
    with app.app_context():
        session = get_session()
        started = time.perf_counter()
        demo.load_demo(session, app.extensions["hub.taxonomy"], seed=demo.DEFAULT_SEED, n_experts=n_experts,
                       n_needs=n_needs)
        session.commit()
        refresh_statistics(session)  # as `flask demo` and the import commands do after a bulk load
        print(f"database {url.split('@')[-1]}: {n_experts} experts, {n_needs} needs, encoder {backend} "
              f"(loaded in {time.perf_counter() - started:.1f} s)")
    return app


def signed_in(app, email: str):
    """A test client signed in as a demo login."""
    client = app.test_client()
    response = client.post("/account/login", data={"email": email, "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302, f"login of {email} failed"
    return client


def timed(client, url: str, repeat: int, method: str = "get") -> list[float]:
    """Milliseconds of each of `repeat` requests, the body read; every answer must be a 200."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.open(url, method=method.upper())
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def report(label: str, times: list[float], extra: str = "") -> None:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
    print(f"{label:<48} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   (n={len(times)}) {extra}")
