"""Who is signed in, and the decorator views use to ask hub/permissions.py before they run."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask_login import current_user, login_required

from hub import permissions
from hub.db import get_session, parse_row_id
from hub.extensions import login_manager
from hub.models import User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the user a session or remember-me cookie names, if its auth version is still the current one."""
    row_id, _, version = (user_id or "").partition(":")
    row_id = parse_row_id(row_id)
    user = get_session().get(User, row_id) if row_id is not None else None
    if user is None or not user.is_active or version != str(user.auth_version):
        return None
    return user


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
