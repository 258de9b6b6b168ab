"""Who is signed in, and the decorator views use to ask hub/permissions.py before they run."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, request
from flask_login import current_user, login_required

from hub import permissions
from hub.db import get_session, parse_row_id
from hub.extensions import login_manager
from hub.models import User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the user a session or remember-me cookie names, if its auth version is still the current one."""
    if _names_a_token():
        return load_token_user(request)  # a request that names a token is authenticated by the token alone
    row_id, _, version = (user_id or "").partition(":")
    row_id = parse_row_id(row_id)
    user = get_session().get(User, row_id) if row_id is not None else None
    if user is None or not user.is_active or version != str(user.auth_version):
        return None
    return user


def _names_a_token() -> bool:
    return request.path.startswith("/api/") and request.headers.get("Authorization") is not None


@login_manager.request_loader
def load_token_user(req) -> User | None:
    """The user of a live API token in `Authorization: Bearer …` (only under /api/); remembered in g.api_token."""
    if not _names_a_token():
        return None
    from hub.services import tokens
    token = tokens.token_from_header(req.headers.get("Authorization"))
    row = tokens.find_token(get_session(), token) if token else None
    if row is None:
        return None
    g.api_token = row
    return row.user


def allowed_if(check: Callable[[User], bool]) -> Callable:
    """Let a signed-in user through when `check(user)` (a question of hub.permissions); others get 403.

    Anonymous users go to the login page first.
    """
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            permissions.require(check(current_user))
            return view(*args, **kwargs)
        return wrapped
    return decorator
