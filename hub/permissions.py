"""Who may do what: one function per question, asked by the HTML views, the API, the templates and the CLI.

Each function takes the acting user (Flask-Login's anonymous user too: it is "not signed in") and the record
in question, and answers True or False; nothing here reads the request. `require` turns a False into
PermissionDenied, which hub/errors.py answers with a 403 page (HTML) or 403 JSON (API). Views that hide a
record altogether (a draft need) answer 404 instead, so that its existence does not leak.

The roles are the vocabulary of hub.models.people.ROLES; the groups of roles are named here, once.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, or_, select, true
from sqlalchemy.orm import Session

from hub.models import (ApiToken, DispatchAssignment, DispatchRequest, ExpertProfile, Need, NeedShare,
                        ShortlistEntry, User)
from hub.models.people import ROLES

EXPERT, ORG_STAFF, BUREAU_STAFF, ADMIN = ROLES  # a new role fails here first: decide its rules below
STAFF_ROLES = (ORG_STAFF, BUREAU_STAFF)  # staff of an organization; they act only once approved
_ID_CHUNK = 5000  # ids per IN list in the batch questions: under SQLite's and PostgreSQL's parameter limits


class PermissionDenied(Exception):
    """A user asked for something their role does not allow; views answer 403, the API 403 JSON."""

    def __init__(self, message: str | None = None):
        super().__init__(message)
        self.message = message


def require(allowed: bool, message: str | None = None) -> None:
    """Raise PermissionDenied(message) unless allowed."""
    if not allowed:
        raise PermissionDenied(message)


# -- who the user is ------------------------------------------------------------------------------

def is_signed_in(user: Any) -> bool:
    """A real, active account (Flask-Login's anonymous user and deactivated accounts are not)."""
    return bool(getattr(user, "is_authenticated", False)) and bool(getattr(user, "is_active", False))


def is_admin(user: Any) -> bool:
    return is_signed_in(user) and user.role == ADMIN


def is_expert(user: Any) -> bool:
    return is_signed_in(user) and user.role == EXPERT


def is_staff(user: Any) -> bool:
    """Staff of an organization, approved or not."""
    return is_signed_in(user) and user.role in STAFF_ROLES


def is_approved_staff(user: Any) -> bool:
    """org_staff or bureau_staff, approved, active."""
    return is_staff(user) and user.approved_at is not None


def is_waiting_for_approval(user: Any) -> bool:
    """Staff who signed up and wait for an admin or their bureau to approve them."""
    return is_staff(user) and user.approved_at is None


def is_approved_org_staff(user: Any) -> bool:
    return is_approved_staff(user) and user.role == ORG_STAFF


def is_approved_bureau_staff(user: Any) -> bool:
    return is_approved_staff(user) and user.role == BUREAU_STAFF and user.organization is not None


def works_for(user: Any, organization_id: int | None) -> bool:
    """Approved staff of this organization (unapproved staff are not yet of it)."""
    return organization_id is not None and is_approved_staff(user) and user.organization_id == organization_id


def bureau_of(user: Any) -> str | None:
    """The bureau (region) an approved bureau staff member works for; None for everyone else."""
    return user.organization.bureau_id if is_approved_bureau_staff(user) else None


# -- whole areas of the hub -----------------------------------------------------------------------

def can_use_staff_pages(user: Any) -> bool:
    """Expert search and the needs of every organization: approved staff and admins."""
    return is_admin(user) or is_approved_staff(user)


def can_post_need(user: Any) -> bool:
    """Approved staff of a municipality (or other organization) post needs for their organization."""
    return is_approved_org_staff(user) and user.organization_id is not None


def can_review_staff(user: Any) -> bool:
    """The approvals page: admins, and approved bureau staff for their region."""
    return is_admin(user) or is_approved_bureau_staff(user)


def can_approve(approver: Any, user: User) -> bool:
    """Admins approve any staff; approved bureau staff approve staff of organizations in their bureau."""
    if not (isinstance(user, User) and user.role in STAFF_ROLES):
        return False
    if is_admin(approver):
        return True
    bureau = bureau_of(approver)
    return bureau is not None and user.organization is not None and user.organization.bureau_id == bureau


def can_manage_users(user: Any) -> bool:
    """The users page (every account, with filters) and the audit trail: admins only."""
    return is_admin(user)


def can_read_audit(user: Any) -> bool:
    """The audit page: who did what to which record. Admins only: it names people and their actions."""
    return is_admin(user)


def can_change_activation(actor: Any, user: User) -> bool:
    """Deactivate or reactivate an account: admins, for any account but their own (so the hub never loses
    its last admin by a slip of the mouse)."""
    return is_admin(actor) and isinstance(user, User) and user.id != actor.id


def visible_own_organization_id(user: Any) -> int | None:
    """The organization whose needs (drafts included) the user sees as their own, if any."""
    return user.organization_id if is_approved_staff(user) else None


# -- needs ----------------------------------------------------------------------------------------

def works_for_co_organization(user: Any, need: Need) -> bool:
    """Approved staff of a co-organization of a shared need (共同任用); never of the lead organization."""
    return any(works_for(user, organization_id) for organization_id in need.co_organization_ids)


def can_see_need(user: Any, need: Need) -> bool:
    """Drafts: approved staff of the need's organization or of its co-organizations, and admins; otherwise any
    signed-in user."""
    if not is_signed_in(user):
        return False
    if need.status == "draft":
        return is_admin(user) or works_for(user, need.organization_id) or works_for_co_organization(user, need)
    return True


def visible_needs(user: Any):
    """The SQL condition of can_see_need, for lists: None when the user sees no need at all.

    tests/web/test_api_needs.py checks that it agrees with can_see_need need by need.
    """
    if not is_signed_in(user):
        return None
    if is_admin(user):
        return true()
    own = visible_own_organization_id(user)
    not_draft = Need.status != "draft"
    if own is None:
        return not_draft
    shared_with_own = exists().where(NeedShare.need_id == Need.id, NeedShare.organization_id == own)
    return or_(not_draft, Need.organization_id == own, shared_with_own)


def can_export_needs(user: Any) -> bool:
    """A list of needs as Excel: approved staff and admins (experts read needs, they do not export lists); the
    rows are those of visible_needs, and shortlist counts only where can_see_candidates allows them."""
    return can_use_staff_pages(user)


def can_manage_need(user: Any, need: Need) -> bool:
    """Approved org_staff of the need's organization: edit, publish, close, shortlist, contact, start,
    complete, evaluate, weights."""
    return is_approved_org_staff(user) and works_for(user, need.organization_id)


def can_see_candidates(user: Any, need: Need) -> bool:
    """The ranking, the team proposals and the shortlist: approved staff of the need's organization and of a
    shared need's co-organizations, approved bureau staff of the bureau of any of their regions, admins."""
    if not can_see_need(user, need):
        return False
    if is_admin(user) or works_for(user, need.organization_id) or works_for_co_organization(user, need):
        return True
    bureau = bureau_of(user)
    if bureau is None:
        return False
    return (need.organization is not None and need.organization.bureau_id == bureau) or any(
        share.organization.bureau_id == bureau for share in need.shares)


def can_evaluate_for(user: Any, need: Need, organization_id: int) -> bool:
    """Evaluate an engagement from the need on behalf of one organization: approved org_staff of it, when it is
    the need's organization or a co-organization of the shared need. Each organization evaluates once; the
    lead organization alone hires (shortlist, contact, start, complete), so an engagement counts once."""
    if not (is_approved_org_staff(user) and works_for(user, organization_id)):
        return False
    return organization_id == need.organization_id or organization_id in need.co_organization_ids


# -- experts --------------------------------------------------------------------------------------

def can_edit_expert(user: Any, expert: ExpertProfile) -> bool:
    """Only the expert's own user edits a profile (admins neither: the profile is the expert's word)."""
    return is_signed_in(user) and expert.user_id is not None and user.id == expert.user_id


def can_view_expert(session: Session, user: Any, expert: ExpertProfile) -> bool:
    """The profile page: the expert, admins, approved staff (an unlisted expert only to organizations that
    shortlisted them), and other members when the expert chose public visibility."""
    if can_edit_expert(user, expert) or is_admin(user):
        return True
    if is_staff(user):
        if not is_approved_staff(user):
            return False
        return expert.listed or _has_shortlisted(session, user.organization_id, expert)
    return is_signed_in(user) and expert.listed and expert.visibility == "public"


def can_see_contact(session: Session, user: Any, expert: ExpertProfile) -> bool:
    """E-mail and phone: the expert themself; approved staff whose organization has a contact request the
    expert accepted; admins."""
    if can_edit_expert(user, expert) or is_admin(user):
        return True
    if not is_approved_staff(user) or user.organization_id is None:
        return False
    return _has_shortlisted(session, user.organization_id, expert, state="accepted")


def contact_visible_ids(session: Session, user: Any, expert_ids: Iterable[int]) -> set[int]:
    """The ids among `expert_ids` whose contact the user may see: can_see_contact for a whole list at once
    (the Excel export), in one query per 5,000 ids. tests/web/test_exports_xlsx.py checks that both agree."""
    ids = sorted(set(expert_ids))
    if not ids or not is_signed_in(user):
        return set()
    if is_admin(user):
        return set(ids)
    own = {i for i, in session.execute(select(ExpertProfile.id).where(
        ExpertProfile.user_id == user.id, ExpertProfile.id.in_(ids)))}
    if not is_approved_staff(user) or user.organization_id is None:
        return own
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = ids[start:start + _ID_CHUNK]
        own.update(session.scalars(select(ShortlistEntry.expert_id).distinct().where(
            ShortlistEntry.expert_id.in_(chunk), ShortlistEntry.need_id == Need.id,
            Need.organization_id == user.organization_id, ShortlistEntry.state == "accepted")))
    return own


def can_export_experts(user: Any) -> bool:
    """The expert list as Excel: whoever may search experts (approved staff, admins); each row carries contact
    details only where contact_visible_ids allows them."""
    return can_use_staff_pages(user)


def can_respond_to_contact(user: Any, entry: ShortlistEntry) -> bool:
    """Only the user of the entry's expert accepts or declines a contact request."""
    return is_expert(user) and entry.expert is not None and can_edit_expert(user, entry.expert)


def _has_shortlisted(session: Session, organization_id: int | None, expert: ExpertProfile,
                     state: str | None = None) -> bool:
    if organization_id is None:
        return False
    conditions = [ShortlistEntry.expert_id == expert.id, ShortlistEntry.need_id == Need.id,
                  Need.organization_id == organization_id]
    if state is not None:
        conditions.append(ShortlistEntry.state == state)
    return bool(session.scalar(select(exists().where(*conditions))))


# -- API tokens -----------------------------------------------------------------------------------

def can_manage_tokens(user: Any, owner: User) -> bool:
    """Every signed-in user makes and lists their own API tokens (a token can do what its user can, no more)."""
    return is_signed_in(user) and isinstance(owner, User) and user.id == owner.id


def can_revoke_token(user: Any, token: ApiToken) -> bool:
    """The token's owner revokes it; admins revoke any token (a leaked token must be stoppable at once)."""
    return is_signed_in(user) and (user.id == token.user_id or is_admin(user))


# -- adviser dispatch (docs/state-changes.md) -------------------------------------------------------
# The requester organization sees and cancels its requests and answers the follow-up; the recommending body
# sees what it recommended; the bureau of the request's region reviews, assigns, schedules and closes it; the
# assigned adviser sees it and files the report; admins act everywhere.

def can_request_dispatch(user: Any) -> bool:
    """Approved staff of an organization of a kind the scheme takes requests from (the rules file says which)."""
    from skill_taxonomy import load_rules
    return (is_approved_org_staff(user) and user.organization is not None
            and user.organization.kind in load_rules().dispatch.requesters)


def can_use_routing(user: Any) -> bool:
    """The hub function (which route fits): approved staff and admins."""
    return is_admin(user) or is_approved_staff(user)


def can_list_dispatches(user: Any) -> bool:
    """The list of dispatch requests (each user sees those they may see): staff, admins, advisers."""
    return is_admin(user) or is_approved_staff(user) or is_expert(user)


def can_see_dispatch_nav(session: Session, user: Any) -> bool:
    """The navigation's dispatch entry: whoever may list dispatches, but of the experts only the advisers (the
    adviser scheme) and those assigned a dispatch, so that other experts are not shown an empty list."""
    if not can_list_dispatches(user):
        return False
    if not is_expert(user):
        return True
    from hub.services.dispatch import ADVISER_SCHEME  # here: the dispatch verbs import this module
    expert = user.expert
    return expert is not None and (ADVISER_SCHEME in expert.scheme_ids or bool(session.scalar(
        select(exists().where(DispatchAssignment.expert_id == expert.id)))))


def can_use_bureau_home(user: Any) -> bool:
    """The bureau's home page: approved bureau staff (their region) and admins (every region)."""
    return is_admin(user) or is_approved_bureau_staff(user)


def can_handle_dispatch(user: Any, request: DispatchRequest) -> bool:
    """Review, approve, reject, assign, schedule, mark done: the bureau of the request's region, admins."""
    if is_admin(user):
        return True
    bureau = bureau_of(user)
    return bureau is not None and bureau == request.bureau_id


def is_assigned_adviser(user: Any, request: DispatchRequest) -> bool:
    return (is_expert(user) and user.expert is not None
            and any(a.expert_id == user.expert.id for a in request.assignments))


def can_see_dispatch(user: Any, request: DispatchRequest) -> bool:
    """The requester's and the recommender's approved staff, the region's bureau, the assigned advisers, admins."""
    return (can_handle_dispatch(user, request) or works_for(user, request.requester_id)
            or works_for(user, request.recommender_id) or is_assigned_adviser(user, request))


def can_cancel_dispatch(user: Any, request: DispatchRequest) -> bool:
    """The requester's approved staff withdraw; the bureau and admins cancel."""
    return can_handle_dispatch(user, request) or (is_approved_org_staff(user)
                                                  and works_for(user, request.requester_id))


def can_report_dispatch(user: Any, request: DispatchRequest) -> bool:
    """The assigned adviser files the report; the bureau (or an admin) may file it on the adviser's behalf."""
    return is_assigned_adviser(user, request) or can_handle_dispatch(user, request)


def can_answer_follow_up(user: Any, request: DispatchRequest) -> bool:
    """Only the requester's approved staff answer the follow-up survey (and evaluate the advisers)."""
    return is_approved_org_staff(user) and works_for(user, request.requester_id)


# -- supply-and-demand dashboards (docs/dashboards.md) ----------------------------------------------
# A scope is hub.services.dashboard.Scope: the nation, a bureau's region or a prefecture. Aggregates only:
# no expert is named on a dashboard, and the needs behind a number are listed through visible_needs.

def prefecture_of(user: Any) -> str | None:
    """The prefecture an approved staff member of a prefecture's government works for; None for everyone else."""
    if not (is_approved_org_staff(user) and user.organization is not None):
        return None
    return user.organization.prefecture_code if user.organization.kind == "prefecture" else None


def can_use_dashboards(user: Any) -> bool:
    """The dashboards' menu entry: admins, approved bureau staff, approved staff of a prefecture."""
    return is_admin(user) or is_approved_bureau_staff(user) or prefecture_of(user) is not None


def can_see_dashboard(user: Any, scope: Any) -> bool:
    """Admins: every scope. Bureau staff: their region and each prefecture in it. Prefecture staff: their own
    prefecture. Nobody else."""
    if is_admin(user):
        return True
    if scope.kind == "bureau":
        return bureau_of(user) == scope.key
    if scope.kind == "prefecture":
        return (bureau_of(user) is not None and bureau_of(user) == scope.bureau_id) or prefecture_of(user) == scope.key
    return False


# -- roster imports (hub/services/roster.py) ------------------------------------------------------

def can_import_roster(user: Any) -> bool:
    """Import an adviser roster or an external-talent list from Excel or CSV: admins and approved bureau staff."""
    return is_admin(user) or is_approved_bureau_staff(user)


def roster_schemes(user: Any) -> tuple[str, ...]:
    """The schemes whose lists a user may import: a bureau runs the regional ICT advisers of its region, admins
    (and the command line, user None) every list, the external-talent list included."""
    from hub.models.people import SCHEMES
    if user is None or is_admin(user):
        return tuple(SCHEMES)
    if is_approved_bureau_staff(user):
        return ("adviser",)
    return ()


def can_overwrite_from_roster(user: Any, *, has_account: bool, deleted: bool, from_roster: bool,
                              source_organization_id: int | None) -> bool:
    """May a roster row update the existing expert with its ID?

    Never a self-registered expert (their profile is theirs) nor a deleted one; admins and the command line
    (user None) any other; a bureau only the experts its own roster created.
    """
    if has_account or deleted:
        return False
    if user is None or is_admin(user):
        return True
    return (is_approved_bureau_staff(user) and from_roster and source_organization_id is not None
            and source_organization_id == user.organization_id)


# -- background jobs ------------------------------------------------------------------------------

def can_see_jobs(user: Any) -> bool:
    """The jobs page: every signed-in user, who sees the jobs they started (admins see all)."""
    return is_signed_in(user)


def can_see_job(user: Any, job: Any) -> bool:
    """A job's progress and result: whoever started it, and admins."""
    return is_admin(user) or (is_signed_in(user) and job.created_by_id is not None and job.created_by_id == user.id)


def can_start_job(user: Any, kind: str) -> bool:
    """Re-embedding and the availability reminders touch every expert: admins start them (the page or the CLI)."""
    from hub.services.jobs import STARTABLE_FROM_THE_PAGE
    return is_admin(user) and kind in STARTABLE_FROM_THE_PAGE


# -- templates ------------------------------------------------------------------------------------

TEMPLATE_GLOBALS = (
    is_admin, is_expert, is_approved_staff, is_waiting_for_approval, can_use_staff_pages, can_post_need,
    can_review_staff, can_see_need, can_manage_need, can_see_candidates, can_edit_expert,
    can_respond_to_contact, works_for_co_organization, can_evaluate_for,
    can_request_dispatch, can_use_routing, can_list_dispatches, can_use_bureau_home,
    can_handle_dispatch, can_see_dispatch, can_cancel_dispatch, can_report_dispatch, can_answer_follow_up,
    can_see_jobs, can_start_job, can_use_dashboards, can_import_roster,
    can_manage_users, can_read_audit, can_change_activation, can_approve,
    can_export_experts, can_export_needs,
)


def init_app(app) -> None:
    """Make the questions available in Jinja, e.g. `{% if can_see_candidates(current_user, need) %}`."""
    from hub.db import get_session

    app.jinja_env.globals.update({check.__name__: check for check in TEMPLATE_GLOBALS})
    # The questions that need the database get the request's session.
    app.jinja_env.globals["can_see_contact"] = lambda user, expert: can_see_contact(get_session(), user, expert)
    app.jinja_env.globals["can_view_expert"] = lambda user, expert: can_view_expert(get_session(), user, expert)
    app.jinja_env.globals["can_see_dispatch_nav"] = lambda user: can_see_dispatch_nav(get_session(), user)
