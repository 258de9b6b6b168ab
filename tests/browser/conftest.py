"""Real-browser fixtures: the hub served on a free port from a fresh SQLite file with a small demo, and
Debian's headless Chromium driven by Playwright (one fresh browser context, i.e. cookie jar, per user).

Run with `.venv/bin/pytest -m browser tests/browser -q`; skipped with a reason when /usr/bin/chromium is missing
(`apt-get install -y chromium fonts-noto-cjk`). Screenshots go to tests/screenshots/ (ignored by git).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
TIMEOUT_MS = 15_000  # generous for a busy CI box; Playwright returns as soon as the condition holds

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright


# --- the hub on a live server ----------------------------------------------------------------------------
@dataclass
class LiveHub:
    url: str
    app: object
    mails: list  # the mail the hub wrote to its log (no MAIL_SERVER), as a developer reads it there


class _MailLog(logging.Handler):
    def __init__(self, sink: list):
        super().__init__(logging.INFO)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


@pytest.fixture(scope="session")
def live_hub(tmp_path_factory):
    from werkzeug.serving import make_server

    from hub import create_app, demo
    from hub.db import get_session

    path = tmp_path_factory.mktemp("browser") / "hub.sqlite3"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "browser-test",
                      "EMBEDDING_BACKEND": "tfidf", "TESTING": False, "MAIL_SERVER": None})
    with app.app_context():
        session = get_session()
        demo.load_demo(session, app.extensions["hub.taxonomy"], seed=demo.DEFAULT_SEED, n_experts=60, n_needs=10)
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = url  # mailed links point at this server
    mails: list = []
    handler, mail_log = _MailLog(mails), logging.getLogger("hub.mail")
    level = mail_log.level
    mail_log.setLevel(logging.INFO)  # under pytest the root logger may stop at WARNING
    mail_log.addHandler(handler)
    thread = threading.Thread(target=server.serve_forever, name="live-hub", daemon=True)
    thread.start()
    try:
        yield LiveHub(url=url, app=app, mails=mails)
    finally:
        mail_log.removeHandler(handler)
        mail_log.setLevel(level)
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.extensions["hub.engine"].dispose()


# --- Chromium ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium fonts-noto-cjk)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def new_page(browser: Browser, live_hub: LiveHub):
    """Open a page in a fresh context (its own cookies), Japanese like a browser in Japan; closed at the end."""
    expect.set_options(timeout=TIMEOUT_MS)
    contexts: list[BrowserContext] = []

    def open_page() -> Page:
        context = browser.new_context(base_url=live_hub.url, locale="ja-JP",
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Each browser test starts with fresh rate-limit counters: the limits stay real within a test, but one
    shared live hub would otherwise count every test's sign-ins against one address (429 after 20 a minute)."""
    if "live_hub" in request.fixturenames:
        from hub.extensions import limiter
        with request.getfixturevalue("live_hub").app.app_context():
            limiter.reset()
    yield
