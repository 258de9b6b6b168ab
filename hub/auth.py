"""Who is signed in, and the permission checks views share."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user, login_required

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


def roles_required(*roles: str) -> Callable:
    """Allow only signed-in users with one of `roles` (staff must also be approved)."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            if current_user.role in ("org_staff", "bureau_staff") and not current_user.is_approved:
                abort(403, description=_("Your account is waiting for approval."))
            return view(*args, **kwargs)
        return wrapped
    return decorator
