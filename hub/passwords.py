"""The password policy, one declaration for every form that sets a password (sign-up, reset, change).

A password needs PASSWORD_MIN characters, must not be the account's e-mail, and must not be one of the most
common passwords. hub/data/common-passwords.txt holds the 8,354 entries of 8 or more characters of Django's
common-passwords list (django/contrib/auth/common-passwords.txt.gz in Django 5.2.19, from PyPI; copyright
Django Software Foundation and individual contributors, BSD-3-Clause; compiled by Royce Williams from leaked
lists, most common first, lowercased). Shorter ones already fail the length rule.
"""
from __future__ import annotations

from functools import cache
from importlib.resources import files

from flask_babel import lazy_gettext as _l

PASSWORD_MIN = 10
PASSWORD_MAX = 200


@cache
def common_passwords() -> frozenset[str]:
    text = files("hub").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def policy_error(password: str, email: str | None = None):
    """Return why `password` is refused (a lazy translated text), or None when it is fine."""
    if len(password) < PASSWORD_MIN or len(password) > PASSWORD_MAX:
        return _l("Use between %(min)d and %(max)d characters.", min=PASSWORD_MIN, max=PASSWORD_MAX)
    folded = password.strip().lower()
    if email and folded == email.strip().lower():
        return _l("Your password must not be your email address.")
    if folded in common_passwords():
        return _l("This password is one of the most common ones, which are tried first. Choose another.")
    return None
