"""Run the hub under gunicorn for a bench, and sign a client in (an API token when the hub has them).

Used by bench_load.py and bench_scale.py. Never a test: it starts real processes on loopback ports.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEMO_LOGIN = ("shiojiri@demo.example.jp", "demo-password")


def hub_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN", "FLASK_"))}
    env.update({"DATABASE_URL": database_url, "EMBEDDING_BACKEND": "tfidf", "SECRET_KEY": "bench-secret",
                "RATELIMIT_ENABLED": "false", "NOTIFY_DAILY_CAP": "3", "PUBLIC_URL": "http://127.0.0.1"})
    env.update(extra)
    return env


@contextmanager
def gunicorn(database_url: str, port: int, workers: int = 2, **env: str):
    """The README's production command on 127.0.0.1:`port`; yields the master's Popen once /readyz answers."""
    command = [str(VENV_BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "120",
               "app:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=hub_env(database_url, **env),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not become ready: {process.stderr.read()[-2000:]}")
            time.sleep(0.2)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def worker_pids(master_pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master_pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def memory_mib(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process in MiB: PSS shares each mapped page among the processes that map it."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if parts and parts[0] in ("Rss:", "Pss:"):
            values[parts[0]] = int(parts[1]) / 1024
    return values.get("Rss:", 0.0), values.get("Pss:", 0.0)


def api_token(database_url: str, email: str = DEMO_LOGIN[0]) -> str | None:
    """A token from `flask --app app create-token EMAIL` when the hub has that command, else None."""
    flask = str(VENV_BIN / "flask")
    env = hub_env(database_url)
    if subprocess.run([flask, "--app", "app", "create-token", "--help"], cwd=ROOT, env=env,
                      capture_output=True).returncode != 0:
        return None
    done = subprocess.run([flask, "--app", "app", "create-token", email], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    token = done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else None
    return token


def session_cookies(base: str, email: str = DEMO_LOGIN[0], password: str = DEMO_LOGIN[1]) -> dict[str, str]:
    """Sign in through the login form (CSRF token included) and return the session cookie."""
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/account/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        response = client.post("/account/login", data={"email": email, "password": password,
                                                       "csrf_token": token.group(1) if token else ""})
        if response.status_code != 302:
            raise RuntimeError(f"login as {email} failed: {response.status_code}")
        return dict(client.cookies)


def auth(base: str, database_url: str) -> tuple[dict[str, str], dict[str, str], str]:
    """(headers, cookies, how) for the bench's requests: a Bearer token when possible, else a session."""
    token = api_token(database_url)
    if token:
        return {"Authorization": f"Bearer {token}"}, {}, "token"
    return {}, session_cookies(base), "session cookie"
