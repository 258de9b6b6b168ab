"""Calling the API as another system does: a bearer token per user, JSON in and out."""
from __future__ import annotations

from flask import g, has_app_context

from hub.services import tokens


def token_for(session, account, name: str = "test") -> str:
    _row, token = tokens.create_token(session, None, account, name)
    session.commit()
    return token


class ApiClient:
    """The test client with `Authorization: Bearer …` on every request."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def open(self, method: str, url: str, **kwargs):
        if has_app_context():  # the `session` fixture shares one app context (and g) across requests
            g.pop("_login_user", None)
            g.pop("api_token", None)
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.client.open(url, method=method, headers=headers, **kwargs)

    def get(self, url: str, **kwargs):
        return self.open("GET", url, **kwargs)

    def post(self, url: str, **kwargs):
        return self.open("POST", url, **kwargs)

    def patch(self, url: str, **kwargs):
        return self.open("PATCH", url, **kwargs)


def api_as(app, session, account) -> ApiClient:
    return ApiClient(app.test_client(), token_for(session, account))
