"""Helpers for tests: the database under test and posting forms with their CSRF token."""
from __future__ import annotations

import os
import re

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://")

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def post_form(client, url: str, data: dict, *, form_url: str | None = None, **kwargs):
    """Open the form page, then post `data` with its CSRF token, as a browser would."""
    page = client.get(form_url or url)
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)
