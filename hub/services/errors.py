"""Why a service verb refused: domain exceptions with a reason the user can read.

A verb raises one of these instead of changing anything; the HTML view shows `message` as a flash or a
form error (it is a lazy string, translated when shown), the API answers 409 (or 422) JSON with it.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


class Refused(Exception):
    """A state change the rules do not allow now; nothing was changed."""

    status = 409

    def __init__(self, message: object, reason: str = "refused"):
        super().__init__(str(message))
        self.message = message
        self.reason = reason


class StateError(Refused, ValueError):
    """The record is not in a state that allows this step (e.g. a second contact request)."""


class NotEnoughHours(Refused):
    """Starting the engagement would commit more hours than the expert has left in its period."""

    def __init__(self, remaining: int, asked: int, name: str = ""):
        super().__init__(_l("%(name)s has only %(hours)d hours per month left in this period (%(asked)d asked).",
                            name=name, hours=remaining, asked=asked), reason="not_enough_hours")
        self.remaining, self.asked = remaining, asked


class Conflict(Refused):
    """Someone else made the same change at the same moment (a double click, two officers); it is done once."""


@contextmanager
def conflicts_as(session: Session, message: object) -> Iterator[None]:
    """Turn a unique constraint that a concurrent request won (at a flush or the commit) into Conflict(message)."""
    try:
        yield
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(message, reason="conflict") from exc
