"""Who may do what: one function per question (the agreed API; helper "perm" writes the full module).

This stand-in answers the questions the service verbs ask, with the rules the views apply today.
"""
from __future__ import annotations

from sqlalchemy import exists, select


class PermissionDenied(Exception):
    """A user asked for something their role does not allow; views answer 403, the API 403 JSON."""


def require(allowed: bool, message: str | None = None) -> None:
    """Raise PermissionDenied(message) unless allowed."""
    if not allowed:
        raise PermissionDenied(message)


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", True)


def is_approved_staff(user) -> bool:
    return _signed_in(user) and user.role in ("org_staff", "bureau_staff") and user.is_approved


def can_see_need(user, need) -> bool:
    if not _signed_in(user):
        return False
    if need.status != "draft":
        return True
    return user.role == "admin" or (is_approved_staff(user) and user.organization_id == need.organization_id)


def can_manage_need(user, need) -> bool:
    return (_signed_in(user) and user.role == "org_staff" and user.is_approved
            and user.organization_id == need.organization_id)


def can_see_candidates(user, need) -> bool:
    if not _signed_in(user):
        return False
    if user.role == "admin":
        return True
    if not is_approved_staff(user):
        return False
    if user.organization_id == need.organization_id:
        return True
    return (user.role == "bureau_staff" and user.organization is not None
            and need.organization is not None and user.organization.bureau_id == need.organization.bureau_id)


def can_see_contact(session, user, expert) -> bool:
    from hub.models import Need, ShortlistEntry
    if not _signed_in(user):
        return False
    if expert.user_id is not None and user.id == expert.user_id:
        return True
    if user.role == "admin":
        return True
    if not is_approved_staff(user) or user.organization_id is None:
        return False
    return bool(session.scalar(select(exists().where(
        ShortlistEntry.expert_id == expert.id, ShortlistEntry.state == "accepted",
        ShortlistEntry.need_id == Need.id, Need.organization_id == user.organization_id))))


def can_edit_expert(user, expert) -> bool:
    return _signed_in(user) and expert.user_id is not None and user.id == expert.user_id


def can_respond_to_contact(user, entry) -> bool:
    return _signed_in(user) and entry.expert is not None and entry.expert.user_id == user.id


def can_approve(approver, user) -> bool:
    if not _signed_in(approver):
        return False
    if approver.role == "admin":
        return True
    return (approver.role == "bureau_staff" and approver.is_approved and approver.organization is not None
            and user.organization is not None and user.role in ("org_staff", "bureau_staff")
            and user.organization.bureau_id == approver.organization.bureau_id)
