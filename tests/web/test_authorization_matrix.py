"""Authorization matrix: every route of `app.url_map` × every role, the expected answer in ONE table.

A route (method and endpoint) without a row fails `test_every_route_has_a_row`, naming it: adding a route
means deciding, here, who may use it. Each cell runs against one realistic world (塩尻市's open need with
shortlist entries in every state, engagements, experts, tokens) inside a SAVEPOINT rolled back after the
request, so a POST in one cell (publish, start, approve, …) never changes what the next cell sees.

Columns (the roles):
  anon       not signed in
  expert     the expert whose profile, engagement and contact request the URLs name
  expert2    another expert (with an accepted contact request of 塩尻市, but not the one in the URL)
  owner      approved staff of 塩尻市, the organization of the needs
  unappr     staff of 塩尻市 not yet approved
  sb_muni    approved staff of 松本市: another municipality, same bureau (信越)
  ob_muni    approved staff of 千代田区: a municipality of another bureau (関東)
  bureau     approved staff of 信越総合通信局, the bureau of the needs' region
  ob_bureau  approved staff of 関東総合通信局, another region's bureau
  admin      the hub's administrator

Outcomes:
  200, 400, 401, 403, 404, 409   the HTTP status
  302        a redirect (not to the login page)
  login      a redirect to the login page (with ?next=: "sign in first")
  C          (need page) 200 with the ranked candidates and the shortlist, read-only
  M          (need page) 200 with the candidates and the actions of the organization (edit, shortlist, …)
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pytest
from hub import create_app
from hub.db import get_session, utcnow
from hub.models import (DispatchAssignment, DispatchRequest, Engagement, ExpertRole, ExpertScheme, Need, NeedRole,
                        NeedShare, Notification, ShortlistEntry)
from hub.services import accounts, tokens
from hub.services.organizations import create_organization
from tests.support import TEST_DATABASE_URL, csrf_token_from
from tests.web.needs_factories import expert, need, org, user

ROLES = ("anon", "expert", "expert2", "owner", "unappr", "sb_muni", "ob_muni", "bureau", "ob_bureau", "admin")

MATRIX = """
# method endpoint [variant]                anon   expert expert2 owner unappr sb_muni ob_muni bureau ob_bureau admin
GET  main.index                             200    200    200     200   200    200     200     200    200       200
GET  static                                 200    200    200     200   200    200     200     200    200       200
GET  health.healthz                         200    200    200     200   200    200     200     200    200       200
GET  health.readyz                          200    200    200     200   200    200     200     200    200       200

GET  auth.signup                            200    200    200     200   200    200     200     200    200       200
GET  auth.signup_expert                     200    200    200     200   200    200     200     200    200       200
POST auth.signup_expert                     302    302    302     302   302    302     302     302    302       302
GET  auth.signup_staff                      200    200    200     200   200    200     200     200    200       200
POST auth.signup_staff                      302    302    302     302   302    302     302     302    302       302
GET  auth.login                             200    302    302     302   302    302     302     302    302       302
POST auth.login                             200    302    302     302   302    302     302     302    302       302
POST auth.logout                            login  302    302     302   302    302     302     302    302       302
GET  auth.waiting                           login  302    302     302   200    302     302     302    302       302
GET  auth.reset_request                     200    200    200     200   200    200     200     200    200       200
POST auth.reset_request                     302    302    302     302   302    302     302     302    302       302
GET  auth.reset_password                    200    200    200     200   200    200     200     200    200       200
POST auth.reset_password                    302    302    302     302   302    302     302     302    302       302
GET  auth.signup_sent                       200    200    200     200   200    200     200     200    200       200
GET  auth.verify_pending                    login  302    302     302   302    302     302     302    302       302
POST auth.verify_send                       login  302    302     302   302    302     302     302    302       302
GET  auth.verify_email                      200    200    200     200   200    200     200     200    200       200
POST auth.verify_email                      302    302    302     302   302    302     302     302    302       302
GET  auth.account                           login  200    200     200   200    200     200     200    200       200
POST auth.account                           login  200    200     200   200    200     200     200    200       200

GET  experts.dashboard                      login  200    200     403   403    403     403     403    403       403
GET  experts.edit                           login  200    200     403   403    403     403     403    403       403
POST experts.edit                           login  302    302     403   403    403     403     403    403       403
GET  experts.engagements                    login  200    200     403   403    403     403     403    403       403
GET  experts.engagement_new                 login  200    200     403   403    403     403     403    403       403
POST experts.engagement_new                 login  302    302     403   403    403     403     403    403       403
GET  experts.engagement_edit                login  200    404     403   403    403     403     403    403       403
POST experts.engagement_edit                login  302    404     403   403    403     403     403    403       403
POST experts.engagement_delete              login  302    404     403   403    403     403     403    403       403
POST experts.confirm_availability           login  302    302     403   403    403     403     403    403       403
POST experts.confirm_inferred_skills        login  302    302     403   403    403     403     403    403       403
GET  experts.confirm_availability_link      200    200    200     200   200    200     200     200    200       200
POST experts.respond                        login  302    404     403   403    403     403     403    403       403
POST experts.notifications_read             login  302    302     403   403    403     403     403    403       403
GET  experts.needs_for_me                   login  200    200     403   403    403     403     403    403       403
GET  notifications.index                    login  200    200     200   200    200     200     200    200       200
POST notifications.read                     login  302    302     302   302    302     302     302    302       302
GET  privacy.overview                       login  200    200     403   403    403     403     403    403       403
POST privacy.download                       login  200    200     403   403    403     403     403    403       403
GET  privacy.delete                         login  200    200     403   403    403     403     403    403       403
POST privacy.delete                         login  200    200     403   403    403     403     403    403       403
GET  experts.profile                        login  200    403     200   403    200     200     200    200       200
GET  experts.profile [unlisted]             login  403    403     200   403    403     403     403    403       200

GET  search.experts                         login  403    403     200   403    200     200     200    200       200
GET  admin.staff                            login  403    403     403   403    403     403     200    200       200
POST admin.approve                          login  403    403     403   403    403     403     302    403       302
GET  jobs.index                             login  200    200     200   200    200     200     200    200       200
POST jobs.start                             login  403    403     403   403    403     403     403    403       302
GET  jobs.detail                            login  404    404     200   404    404     404     404    404       200
POST admin.reject                           login  403    403     403   403    403     403     302    403       302
GET  admin.users                            login  403    403     403   403    403     403     403    403       200
POST admin.deactivate                       login  403    403     403   403    403     403     403    403       302
POST admin.reactivate                       login  403    403     403   403    403     403     403    403       302
GET  admin.audit_trail                      login  403    403     403   403    403     403     403    403       200

GET  needs.index                            login  200    200     200   200    200     200     200    200       200
GET  needs.create                           login  403    403     200   403    200     200     403    403       403
POST needs.create                           login  403    403     302   403    302     302     403    403       403
GET  needs.detail                           login  200    200     M     200    200     200     C      200       C
GET  needs.detail [draft]                   login  404    404     M     404    404     404     404    404       C
GET  needs.edit                             login  403    403     200   403    403     403     403    403       403
POST needs.edit                             login  403    403     302   403    403     403     403    403       403
POST needs.publish [draft]                  login  404    404     302   404    404     404     404    404       403
GET  needs.close                            login  403    403     200   403    403     403     403    403       403
POST needs.close                            login  403    403     302   403    403     403     403    403       403
POST needs.reopen                           login  403    403     302   403    403     403     403    403       403
POST needs.keep_weights                     login  403    403     302   403    403     403     403    403       403
POST needs.shortlist                        login  403    403     302   403    403     403     403    403       403
POST needs.contact                          login  403    403     302   403    403     403     403    403       403
POST needs.add_to_shortlist                 login  403    403     302   403    403     403     403    403       403
POST needs.add_to_shortlist [draft]         login  403    403     302   403    404     404     403    403       403
POST needs.withdraw                         login  403    403     302   403    403     403     403    403       403
POST needs.remove_entry                     login  403    403     302   403    403     403     403    403       403
GET  needs.compare                          login  403    403     200   403    403     403     200   403       200
GET  needs.compare [draft]                  login  404    404     200   404    404     404     404   404       200
POST needs.start_engagement                 login  403    403     302   403    403     403     403    403       403
POST needs.complete                         login  403    403     302   403    403     403     403    403       403
GET  needs.evaluate                         login  403    403     200   403    403     403     403    403       403
POST needs.evaluate                         login  403    403     302   403    403     403     403    403       403

GET  bureau.home                            login  403    403     403   403    403     403     200    200       200
GET  dispatch.index                         login  200    200     200   403    200     200     200    200       200
GET  dispatch.new                           login  403    403     200   403    200     200     403    403       403
POST dispatch.new                           login  403    403     302   403    302     302     403    403       403
GET  dispatch.routing                       login  403    403     200   403    200     200     200    200       200
GET  dispatch.detail                        login  404    404     200   404    404     404     200    404       200
GET  dispatch.detail [done]                 login  200    404     200   404    404     404     200    404       200
POST dispatch.review [submitted]            login  404    404     403   404    404     404     302    404       302
POST dispatch.approve [review]              login  404    404     403   404    404     404     302    404       302
POST dispatch.reject [submitted]            login  404    404     403   404    404     404     302    404       302
POST dispatch.assign                        login  404    404     403   404    404     404     302    404       302
POST dispatch.schedule [assigned]           login  403    404     403   404    404     404     302    404       302
POST dispatch.done [scheduled]              login  403    404     403   404    404     404     302    404       302
POST dispatch.report [done]                 login  302    404     403   404    404     404     302    404       302
POST dispatch.cancel                        login  404    404     302   404    404     404     302    404       302
GET  dispatch.follow_up [reported]          login  403    404     200   404    404     404     403    404       403
POST dispatch.follow_up [reported]          login  403    404     302   404    404     404     403    404       403

# Supply-and-demand dashboards (issue 9, dashboards): admins every scope, bureau staff their region and its
# prefectures (信越 = 新潟 + 長野); municipal staff and experts none. Prefecture staff: tests/hub/test_dashboard_pages.py.
GET  dashboard.home                         login  403    403     403   403    403     403     302    302       302
GET  dashboard.show                         login  403    403     403   403    403     403     200    403       200
GET  dashboard.show [nation]                login  403    403     403   403    403     403     403    403       200
GET  dashboard.show [prefecture]            login  403    403     403   403    403     403     200    403       200
GET  dashboard.needs                        login  403    403     403   403    403     403     200    403       200
GET  dashboard.table_csv                    login  403    403     403   403    403     403     200    403       200
GET  dashboard.export_xlsx                  login  403    403     403   403    403     403     200    403       200
GET  dashboard.map_svg                      login  403    403     403   403    403     403     200    403       200
GET  dashboard.map_svg [prefecture]         login  403    403     403   403    403     403     200    403       200

GET  api.need_matches                       401    403    403     200   403    403     403     200    403       200
GET  api.need_matches [draft]               401    404    404     200   404    404     404     404    404       200

# A shared need (共同任用) of 塩尻市 with 松本市 (sb_muni) as co-organization, asking for a team of two roles:
# co-organization staff see the candidates and evaluate for their organization; only the lead hires.
GET  needs.detail [shared]                  login  200    200     M     200    C       200     C      200       C
GET  api.need_matches [shared]              401    403    403     200   403    200     403     200    403       200
POST teams.shortlist_team [shared]          login  403    403     302   403    403     403     403    403       403
GET  shared_needs.co_evaluate [shared]      login  403    403     403   403    200     403     403    403       403
POST shared_needs.co_evaluate [shared]      login  403    403     403   403    302     403     403    403       403
GET  api.list_needs                         401    200    200     200   200    200     200     200    200       200
POST api.create_need                        401    403    403     201   403    201     201     403    403       403
GET  api.get_need                           401    200    200     200   200    200     200     200    200       200
GET  api.get_need [draft]                   401    404    404     200   404    404     404     404    404       200
PATCH api.update_need                       401    403    403     200   403    403     403     403    403       403
POST api.publish_need [draft]               401    404    404     200   404    404     404     404    404       403
POST api.close_need                         401    403    403     200   403    403     403     403    403       403
GET  api.list_shortlist                     401    403    403     200   403    403     403     200    403       200
POST api.add_to_shortlist                   401    403    403     201   403    403     403     403    403       403
POST api.contact_expert                     401    404    404     200   404    404     404     403    404       403
POST api.respond_to_contact                 401    200    404     403   404    404     404     403    404       403
POST api.start_engagement                   401    404    403     201   404    404     404     403    404       403
POST api.complete_engagement                401    404    404     200   404    404     404     403    404       403
POST api.evaluate_engagement                401    404    404     201   404    404     404     403    404       403
GET  api.list_experts                       401    403    403     200   403    200     200     200    200       200
GET  api.get_own_profile                    401    200    200     403   403    403     403     403    403       403
PATCH api.update_own_profile                401    200    200     403   403    403     403     403    403       403
GET  api.get_expert                         401    200    403     200   403    200     200     200    200       200
GET  api.get_expert [unlisted]              401    403    403     200   403    403     403     403    403       200
GET  api.get_taxonomy                       401    200    200     200   200    200     200     200    200       200
GET  api.list_dispatches                    401    200    200     200   403    200     200     200    200       200
POST api.submit_dispatch                    401    403    403     201   403    201     201     403    403       403
GET  api.get_dispatch                       401    404    404     200   404    404     404     200    404       200
GET  api.get_dispatch [done]                401    200    404     200   404    404     404     200    404       200
GET  api.dispatch_candidates                401    404    404     403   404    404     404     200    404       200
POST api.review_dispatch [submitted]        401    404    404     403   404    404     404     200    404       200
POST api.approve_dispatch [review]          401    404    404     403   404    404     404     200    404       200
POST api.reject_dispatch [submitted]        401    404    404     403   404    404     404     200    404       200
POST api.assign_dispatch                    401    404    404     403   404    404     404     200    404       200
POST api.schedule_dispatch [assigned]       401    403    404     403   404    404     404     200    404       200
POST api.done_dispatch [scheduled]          401    403    404     403   404    404     404     200    404       200
POST api.report_dispatch [done]             401    200    404     403   404    404     404     200    404       200
POST api.follow_up_dispatch [reported]      401    403    404     200   404    404     404     403    404       403
POST api.cancel_dispatch                    401    404    404     200   404    404     404     200    404       200
GET  api-docs.openapi_json                  200    200    200     200   200    200     200     200    200       200

POST tokens.create                          login  200    200     200   200    200     200     200    200       200
POST tokens.revoke                          login  302    404     404   404    404     404     404    404       302

# Excel out (issue 9, xlsx): the staff's expert search and need lists as .xlsx; POST because each export is
# audited. Experts export nothing; the own list needs an organization (admins have none), the region list is the
# bureau home's (bureau staff: their region; admins: any).
POST exports.experts_xlsx                   login  403    403     200   403    200     200     200    200       200
POST exports.needs_xlsx [own]               login  403    403     200   403    200     200     200    200       403
POST exports.needs_xlsx [open]              login  403    403     200   403    200     200     200    200       200
POST exports.needs_xlsx [region]            login  403    403     403   403    403     403     200    200       200
# Roster import (名簿の取り込み, hub/views/roster.py): admins and approved bureau staff upload .xlsx/CSV rosters
# and download the templates; the POST is a valid one-row CSV, imported by a job (302 to /jobs/<id>).
GET  roster.upload                          login  403    403     403   403    403     403     200    200       200
POST roster.upload                          login  403    403     403   403    403     403     302    302       302
GET  roster.export_template_xlsx            login  403    403     403   403    403     403     200    200       200
GET  roster.export_template_csv             login  403    403     403   403    403     403     200    200       200
"""


def parse_matrix(text: str) -> dict[tuple[str, str, str], dict[str, str]]:
    """{(method, endpoint, variant): {role: outcome}} from the table above."""
    rows = {}
    for line in text.strip().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        method, endpoint, *rest = line.split()
        variant = rest.pop(0).strip("[]") if rest[0].startswith("[") else ""
        assert len(rest) == len(ROLES), f"row {method} {endpoint} {variant}: {len(rest)} cells for {len(ROLES)} roles"
        assert (method, endpoint, variant) not in rows, f"row {method} {endpoint} {variant} twice"
        rows[(method, endpoint, variant)] = dict(zip(ROLES, rest))
    return rows


ROWS = parse_matrix(MATRIX)


# -- the world every cell is asked in ------------------------------------------------------------------

@dataclass
class World:
    users: dict[str, int]  # role -> user id (no "anon")
    logins: dict[str, str]  # role -> what the session names (Flask-Login's id with the auth version)
    lg_codes: dict[str, str]  # role -> local-government code of their organization
    open_need: int
    draft_need: int
    shared_need: int  # 塩尻市 with 松本市, asking for a team
    shared_co_organization: int  # 松本市
    shared_completed_engagement: int
    team_members: str  # expert ids for the team form
    expert: int  # the profile of the "expert" column
    unlisted_expert: int  # unlisted, shortlisted by 塩尻市
    unshortlisted_expert: int
    contacted_entry: int  # 塩尻市 asked the "expert" column for contact
    accepted_entry: int  # expert2 accepted; no engagement yet
    shortlisted_entry: int
    active_engagement: int
    active_entry: int
    completed_engagement: int
    imported_engagement: int  # the "expert" column's own track record
    pending_staff: int
    reset_token: str
    verify_token: str
    availability_token: str
    expert_token: int  # an API token of the "expert" column
    dispatches: dict[str, int]  # state -> a request of 塩尻市 to 信越 in that state ("done": the expert advised)
    owner_job: int = 0  # a background job 塩尻市's staff started (publishing: the notification fan-out)


def build_world(session, secret_key: str) -> World:
    shiojiri, matsumoto, chiyoda = org(session), org(session, "202029"), org(session, "131016")
    shinetsu = create_organization(session, "bureau", "信越総合通信局", "20", code="BUREAU-SHINETSU")
    kanto = create_organization(session, "bureau", "関東総合通信局", "13", code="BUREAU-KANTO")
    skills = {"backend_dev": 3, "frontend_dev": 2}
    hanako = expert(session, name="山田 花子", skills={"backend_dev": 3, "frontend_dev": 3})
    taro = expert(session, name="佐藤 太郎", skills={"backend_dev": 2})
    unlisted = expert(session, name="非公開 三郎", account=False, listed=False, skills={"backend_dev": 3})
    active = expert(session, name="稼働 四郎", account=False, skills={"backend_dev": 3})
    done = expert(session, name="完了 五子", account=False, skills={"frontend_dev": 3})
    fresh = expert(session, name="新規 六美", account=False, skills={"backend_dev": 4, "frontend_dev": 3})
    users = {
        "expert": hanako.user, "expert2": taro.user,
        "owner": user(session, "org_staff", shiojiri),
        "unappr": user(session, "org_staff", shiojiri, approved=False),
        "sb_muni": user(session, "org_staff", matsumoto), "ob_muni": user(session, "org_staff", chiyoda),
        "bureau": user(session, "bureau_staff", shinetsu), "ob_bureau": user(session, "bureau_staff", kanto),
        "admin": user(session, "admin"),
    }
    owner = users["owner"]
    open_need = need(session, shiojiri, skills=skills, created_by_id=owner.id, published_at=utcnow())
    draft_need = need(session, shiojiri, status="draft", title="窓口予約のオンライン化", skills=skills,
                      created_by_id=owner.id)
    shared_need = need(session, shiojiri, title="広域の窓口DX（共同任用）", skills=skills, created_by_id=owner.id,
                       published_at=utcnow(), hours_per_month=40)
    shared_need.team_roles = [NeedRole(role_id="backend_engineer", hours_per_month=20),
                              NeedRole(role_id="frontend_engineer", hours_per_month=20)]
    shared_need.shares = [NeedShare(organization=matsumoto, hours_per_month=20, location_lg_code="202029")]
    for profile, role_id in ((fresh, "backend_engineer"), (done, "frontend_engineer")):
        profile.roles.append(ExpertRole(role_id=role_id))
    now = utcnow()

    def entry(profile, state: str) -> ShortlistEntry:
        row = ShortlistEntry(need=open_need, expert=profile, state=state, rank=1, score=0.8, created_by_id=owner.id,
                             contacted_at=now if state != "shortlisted" else None,
                             responded_at=now if state in ("accepted", "declined") else None)
        session.add(row)
        return row

    def engagement(profile, status: str, source: str = "need", **extra) -> Engagement:
        row = Engagement(expert=profile, organization=extra.pop("organization", shiojiri), source=source,
                         need_id=open_need.id if source == "need" else None, title=extra.pop("title", open_need.title),
                         role="開発リーダー", start_date=date(2027, 4, 1), hours_per_month=20, status=status,
                         **extra)
        session.add(row)
        return row

    contacted, accepted, shortlisted = entry(hanako, "contacted"), entry(taro, "accepted"), entry(unlisted, "shortlisted")
    active_entry = entry(active, "accepted")
    entry(done, "accepted")
    running = engagement(active, "active")
    finished = engagement(done, "completed", end_date=date(2027, 9, 30))
    shared_finished = engagement(taro, "completed", end_date=date(2027, 9, 30), title=shared_need.title)
    shared_finished.need_id = shared_need.id
    imported = engagement(hanako, "completed", source="import", organization=matsumoto, title="観光DXの推進",
                          end_date=date(2027, 3, 31))
    imported.start_date = date(2024, 4, 1)
    session.add(Notification(user_id=hanako.user_id, kind="need_published", need_id=open_need.id))
    fresh.schemes = [ExpertScheme(scheme="adviser")]  # assignable: a regional ICT adviser with hours
    hanako.schemes = [ExpertScheme(scheme="adviser")]
    dispatches = {}
    for state in ("approved", "submitted", "review", "assigned", "scheduled", "done", "reported"):
        row = DispatchRequest(
            requester_id=shiojiri.id, bureau_id=shiojiri.bureau_id, theme=f"窓口DXの助言 {state}",
            purpose="project_formation", stage_id="problem_identification", wanted_from=date(2025, 6, 1),
            wanted_until=date(2025, 6, 30), days=1, state={"review": "under_review"}.get(state, state))
        if state in ("assigned", "scheduled", "done", "reported"):
            row.assignments.append(DispatchAssignment(expert_id=hanako.id, scheduled_on=date(2025, 6, 10)))
        if state in ("done", "reported"):
            row.support_date = date(2025, 6, 10)
        if state == "reported":
            row.report = "助言した。"
        session.add(row)
        session.flush()
        dispatches[state] = row.id
    session.flush()
    token_row, _token = tokens.create_token(session, None, hanako.user, "matrix")
    return World(
        users={role: account.id for role, account in users.items()},
        logins={role: account.get_id() for role, account in users.items()},
        lg_codes={role: account.organization.lg_code for role, account in users.items()
                  if account.organization is not None and account.organization.lg_code},
        open_need=open_need.id,
        draft_need=draft_need.id, shared_need=shared_need.id, shared_co_organization=matsumoto.id,
        shared_completed_engagement=shared_finished.id, team_members=f"{fresh.id},{done.id}", expert=hanako.id, unlisted_expert=unlisted.id, unshortlisted_expert=fresh.id,
        contacted_entry=contacted.id, accepted_entry=accepted.id, shortlisted_entry=shortlisted.id,
        active_engagement=running.id, active_entry=active_entry.id, completed_engagement=finished.id,
        imported_engagement=imported.id, pending_staff=users["unappr"].id,
        reset_token=accounts.make_reset_token(secret_key, users["expert2"]),
        verify_token=accounts.make_verify_token(secret_key, users["expert2"]),
        availability_token=accounts.make_availability_token(secret_key, hanako), expert_token=token_row.id,
        dispatches=dispatches, owner_job=_owner_job(session, owner))


# -- what each row asks: (url, form data) --------------------------------------------------------------

PASSWORD = "a long new password 2026"
NEED_FORM = {
    "title": "防災情報のデジタル化", "description": "避難所の情報をアプリで住民に届けたい。",
    "stages": ["product_planning", "development"], "talent_type": "", "field_ids": ["disaster_prevention"],
    "work_style": "hybrid", "location_lg_code": "202151", "hours_per_month": "30", "start": "2027-04-01",
    "end": "2028-03-31", "budget_unit": "hour", "budget_max": "9000", "engagement_form": "contract",
    "skills-0-skill_id": "backend_dev", "skills-0-min_level": "3", "skills-0-must": "must",
    **{f"skills-{i}-{key}": value for i in (1, 2, 3) for key, value in
       (("skill_id", ""), ("min_level", "2"), ("must", "must"))},
    "save": "1",
}
DISPATCH_FORM = {
    "theme": "窓口のオンライン化の進め方", "purpose": "project_formation", "stage_id": "problem_identification",
    "description": "", "project": "", "wanted_from": "2026-11-10", "wanted_until": "2026-11-30", "days": "1",
    "online_hours": "0", "visits": "1", "named_expert_id": "", "recommender_id": "",
}
ENGAGEMENT_FORM = {
    "title": "AIオンデマンドバス", "organization": "塩尻市", "org_kind": "local", "org_prefecture": "",
    "role": "プロジェクトマネージャー", "contribution": "住民説明会を12回開催", "outcome": "利用者月3,000人",
    "start": "2021-04-01", "end": "2023-03-31", "hours_per_month": "30", "status": "completed",
    "stages": ["development"], "fields": ["mobility"],
}


API_DISPATCH = {"theme": "窓口のオンライン化の進め方", "purpose": "project_formation", "stage_id": "problem_identification",
                "wanted_from": "2026-11-10", "wanted_until": "2026-11-30", "days": 1}
API_NEED = {"title": "防災情報のデジタル化", "stages": ["development"], "work_style": "remote", "hours_per_month": 30,
            "start": "2027-04-01", "engagement_form": "contract", "required_skills": {"backend_dev": 3}}


def _owner_job(session, owner) -> int:
    from hub.models import Job
    job = Job(kind="notify.need_published", state="finished", params={}, progress=3, total=3,
              result={"notified": 3}, created_by_id=owner.id)
    session.add(job)
    session.flush()
    return job.id


def request_for(row: tuple[str, str, str], w: World, role: str = "owner") -> tuple[str, dict | None]:
    """The URL and form of a row; a need is posted at the location of the poster's own organization."""
    method, endpoint, variant = row
    need_id = {"draft": w.draft_need, "shared": w.shared_need}.get(variant, w.open_need)
    n = f"/needs/{need_id}"
    co_evaluate = f"{n}/engagements/{w.shared_completed_engagement}/evaluate/{w.shared_co_organization}"
    d = f"/dispatch/{w.dispatches[variant or 'approved']}" if variant in w.dispatches or not variant else ""
    return {
        ("GET", "main.index"): ("/", None),
        ("GET", "health.healthz"): ("/healthz", None),
        ("GET", "health.readyz"): ("/readyz", None),
        ("GET", "jobs.index"): ("/jobs", None),
        ("POST", "jobs.start"): ("/jobs", {"kind": "availability.reminders"}),
        ("GET", "jobs.detail"): (f"/jobs/{w.owner_job}", None),
        ("GET", "static"): ("/static/css/hub.css", None),
        ("GET", "auth.signup"): ("/account/signup", None),
        ("GET", "auth.signup_expert"): ("/account/signup/expert", None),
        ("POST", "auth.signup_expert"): ("/account/signup/expert", {
            "name": "新人 七海", "email": "nanami@example.jp", "talent_type": "D", "password": PASSWORD,
            "confirm": PASSWORD}),
        ("GET", "auth.signup_staff"): ("/account/signup/staff", None),
        ("POST", "auth.signup_staff"): ("/account/signup/staff", {
            "name": "塩尻 新人", "email": "newcomer@city.shiojiri.example.jp", "organization_code": "202151",
            "password": PASSWORD, "confirm": PASSWORD}),
        ("GET", "auth.login"): ("/account/login", None),
        ("POST", "auth.login"): ("/account/login", {"email": "nobody@example.jp", "password": "wrong password"}),
        ("POST", "auth.logout"): ("/account/logout", {}),
        ("GET", "auth.waiting"): ("/account/waiting", None),
        ("GET", "auth.reset_request"): ("/account/reset", None),
        ("POST", "auth.reset_request"): ("/account/reset", {"email": "nobody@example.jp"}),
        ("GET", "auth.reset_password"): (f"/account/reset/{w.reset_token}", None),
        ("POST", "auth.reset_password"): (f"/account/reset/{w.reset_token}", {"password": PASSWORD,
                                                                              "confirm": PASSWORD}),
        ("GET", "auth.signup_sent"): ("/account/signup/sent", None),
        ("GET", "auth.verify_pending"): ("/account/verify", None),
        ("POST", "auth.verify_send"): ("/account/verify/send", {}),
        ("GET", "auth.verify_email"): (f"/account/verify/{w.verify_token}", None),
        ("POST", "auth.verify_email"): (f"/account/verify/{w.verify_token}", {}),
        ("GET", "auth.account"): ("/account/", None),
        ("POST", "auth.account"): ("/account/", {"current": "not my password at all", "password": PASSWORD,
                                                 "confirm": PASSWORD}),
        ("GET", "experts.dashboard"): ("/experts/me", None),
        ("GET", "experts.edit"): ("/experts/me/profile/basics", None),
        ("POST", "experts.edit"): ("/experts/me/profile/basics", {
            "name": "山田 花子", "talent_type": "XD", "bio": "地域交通のデータ活用", "email": "", "phone": ""}),
        ("GET", "experts.engagements"): ("/experts/me/engagements", None),
        ("GET", "experts.engagement_new"): ("/experts/me/engagements/new", None),
        ("POST", "experts.engagement_new"): ("/experts/me/engagements/new", ENGAGEMENT_FORM),
        ("GET", "experts.engagement_edit"): (f"/experts/me/engagements/{w.imported_engagement}/edit", None),
        ("POST", "experts.engagement_edit"): (f"/experts/me/engagements/{w.imported_engagement}/edit",
                                              ENGAGEMENT_FORM),
        ("POST", "experts.engagement_delete"): (f"/experts/me/engagements/{w.imported_engagement}/delete", {}),
        ("POST", "experts.confirm_availability"): ("/experts/me/availability", {}),
        ("POST", "experts.confirm_inferred_skills"): ("/experts/me/skills/confirm", {"level_backend_dev": "2"}),
        ("GET", "experts.confirm_availability_link"): (f"/experts/availability/{w.availability_token}", None),
        ("POST", "experts.respond"): (f"/experts/me/requests/{w.contacted_entry}", {"answer": "accept"}),
        ("POST", "experts.notifications_read"): ("/experts/me/notifications/read", {}),
        ("GET", "experts.profile"): (f"/experts/{w.unlisted_expert if variant == 'unlisted' else w.expert}", None),
        ("GET", "privacy.overview"): ("/experts/me/privacy", None),
        ("POST", "privacy.download"): ("/experts/me/privacy/download", {}),
        ("GET", "privacy.delete"): ("/experts/me/delete", None),
        ("POST", "privacy.delete"): ("/experts/me/delete", {"password": "not my password at all", "confirm": "y"}),
        ("GET", "search.experts"): ("/search/experts", None),
        ("GET", "admin.staff"): ("/admin/staff", None),
        ("POST", "admin.approve"): (f"/admin/staff/{w.pending_staff}/approve", {}),
        ("POST", "admin.reject"): (f"/admin/staff/{w.pending_staff}/reject", {"reason": "所属を確認できませんでした"}),
        ("GET", "admin.users"): ("/admin/users?status=pending&q=塩尻", None),
        ("POST", "admin.deactivate"): (f"/admin/users/{w.users['expert2']}/deactivate", {}),
        ("POST", "admin.reactivate"): (f"/admin/users/{w.users['expert2']}/reactivate", {}),
        ("GET", "admin.audit_trail"): ("/admin/audit?entity=user&verb=approve&since=2026-01-01", None),
        ("GET", "needs.index"): ("/needs/", None),
        ("GET", "needs.create"): ("/needs/new", None),
        ("POST", "needs.create"): ("/needs/new", {**NEED_FORM, "location_lg_code": w.lg_codes.get(role, "")}),
        ("GET", "needs.detail"): (n, None),
        ("GET", "needs.edit"): (f"{n}/edit", None),
        ("POST", "needs.edit"): (f"{n}/edit", NEED_FORM),
        ("POST", "needs.publish"): (f"{n}/publish", {}),
        ("GET", "needs.close"): (f"{n}/close", None),
        ("POST", "needs.close"): (f"{n}/close", {"reason": "no_fit", "note": "予算が取れなかった"}),
        ("POST", "needs.add_to_shortlist"): ("/needs/shortlist/add", {
            "need_id": str(need_id), "expert_id": str(w.unshortlisted_expert), "back": "/search/experts?q=x"}),
        ("POST", "needs.withdraw"): (f"{n}/shortlist/{w.contacted_entry}/withdraw", {}),
        ("POST", "needs.remove_entry"): (f"{n}/shortlist/{w.shortlisted_entry}/remove", {}),
        ("GET", "needs.compare"): (f"{n}/compare", None),
        ("GET", "experts.needs_for_me"): ("/experts/me/needs", None),
        ("GET", "notifications.index"): ("/notifications/", None),
        ("POST", "notifications.read"): ("/notifications/read", {}),
        ("POST", "needs.reopen"): (f"{n}/reopen", {}),
        ("POST", "needs.keep_weights"): (f"{n}/weights", {
            "w_skill": "40", "w_semantic": "20", "w_availability": "10", "w_place": "10", "w_record": "10",
            "w_fee": "5", "w_type": "5", "submit": "1"}),
        ("POST", "needs.shortlist"): (f"{n}/shortlist", {"expert_id": str(w.unshortlisted_expert)}),
        ("POST", "needs.contact"): (f"{n}/shortlist/{w.shortlisted_entry}/contact", {
            f"c{w.shortlisted_entry}-message": "ぜひご相談させてください。"}),
        ("POST", "needs.start_engagement"): (f"{n}/shortlist/{w.accepted_entry}/engagement", {
            f"s{w.accepted_entry}-role": "開発リーダー", f"s{w.accepted_entry}-start": "2027-04-01",
            f"s{w.accepted_entry}-end": "", f"s{w.accepted_entry}-hours_per_month": "20"}),
        ("POST", "needs.complete"): (f"{n}/engagements/{w.active_engagement}/complete", {
            f"x{w.active_entry}-end": "2028-03-31", f"x{w.active_entry}-contribution": "予約システムを構築",
            f"x{w.active_entry}-outcome": "利用者が倍増"}),
        ("GET", "needs.evaluate"): (f"{n}/engagements/{w.completed_engagement}/evaluate", None),
        ("POST", "needs.evaluate"): (f"{n}/engagements/{w.completed_engagement}/evaluate", {
            "overall": "4", "skills-0-skill_id": "backend_dev", "skills-0-rating": "4",
            "skills-1-skill_id": "frontend_dev", "skills-1-rating": "", "would_rehire": "yes", "comment": "助かりました"}),
        ("GET", "api.need_matches"): (f"/api/v1/needs/{need_id}/matches?top=5", None),
        ("POST", "teams.shortlist_team"): (f"{n}/teams/shortlist", {"members": w.team_members}),
        ("GET", "shared_needs.co_evaluate"): (co_evaluate, None),
        ("POST", "shared_needs.co_evaluate"): (co_evaluate, {
            "overall": "5", "skills-0-skill_id": "backend_dev", "skills-0-rating": "4",
            "skills-1-skill_id": "frontend_dev", "skills-1-rating": "", "would_rehire": "yes", "comment": "広域で助かりました"}),
        ("GET", "api.list_needs"): ("/api/v1/needs?per_page=5", None),
        ("POST", "api.create_need"): ("/api/v1/needs", API_NEED),
        ("GET", "api.get_need"): (f"/api/v1/needs/{need_id}", None),
        ("PATCH", "api.update_need"): (f"/api/v1/needs/{need_id}", {"hours_per_month": 24}),
        ("POST", "api.publish_need"): (f"/api/v1/needs/{need_id}/publish", {}),
        ("POST", "api.close_need"): (f"/api/v1/needs/{need_id}/close", {}),
        ("GET", "api.list_shortlist"): (f"/api/v1/needs/{need_id}/shortlist", None),
        ("POST", "api.add_to_shortlist"): (f"/api/v1/needs/{need_id}/shortlist", {"expert": str(w.unshortlisted_expert)}),
        ("POST", "api.contact_expert"): (f"/api/v1/shortlist/{w.shortlisted_entry}/contact", {"message": "ぜひ"}),
        ("POST", "api.respond_to_contact"): (f"/api/v1/shortlist/{w.contacted_entry}/respond", {"accept": True}),
        ("POST", "api.start_engagement"): (f"/api/v1/shortlist/{w.accepted_entry}/engagement", {
            "hours_per_month": 20, "start": "2027-04-01", "end": None, "role": "開発リーダー"}),
        ("POST", "api.complete_engagement"): (f"/api/v1/engagements/{w.active_engagement}/complete", {
            "end": "2028-03-31", "contribution": "予約システムを構築", "outcome": "利用者が倍増"}),
        ("POST", "api.evaluate_engagement"): (f"/api/v1/engagements/{w.completed_engagement}/evaluation", {
            "overall": 4, "skill_ratings": {"backend_dev": 4}, "would_rehire": True, "comment": "助かりました"}),
        ("GET", "api.list_experts"): ("/api/v1/experts?skill_1=backend_dev&level_1=2", None),
        ("GET", "api.get_own_profile"): ("/api/v1/experts/me", None),
        ("PATCH", "api.update_own_profile"): ("/api/v1/experts/me", {"hours_per_month": 30}),
        ("GET", "api.get_expert"): (f"/api/v1/experts/{w.unlisted_expert if variant == 'unlisted' else w.expert}",
                                    None),
        ("GET", "api.get_taxonomy"): ("/api/v1/taxonomy", None),
        ("GET", "api.list_dispatches"): ("/api/v1/dispatch?state=approved&per_page=5", None),
        ("POST", "api.submit_dispatch"): ("/api/v1/dispatch", API_DISPATCH),
        ("GET", "api.get_dispatch"): (f"/api/v1{d}", None),
        ("GET", "api.dispatch_candidates"): (f"/api/v1{d}/candidates", None),
        ("POST", "api.review_dispatch"): (f"/api/v1{d}/review", None),
        ("POST", "api.approve_dispatch"): (f"/api/v1{d}/approve", None),
        ("POST", "api.reject_dispatch"): (f"/api/v1{d}/reject", {"reason": "予算の都合"}),
        ("POST", "api.assign_dispatch"): (f"/api/v1{d}/assign", {"expert": str(w.unshortlisted_expert)}),
        ("POST", "api.schedule_dispatch"): (f"/api/v1{d}/schedule", {"day": "2025-06-12"}),
        ("POST", "api.done_dispatch"): (f"/api/v1{d}/done", {"day": "2025-06-12"}),
        ("POST", "api.report_dispatch"): (f"/api/v1{d}/report", {"report": "課題を整理した。"}),
        ("POST", "api.follow_up_dispatch"): (f"/api/v1{d}/follow-up", {"answer": "実証を始めた", "overall": 4,
                                                                      "would_rehire": True}),
        ("POST", "api.cancel_dispatch"): (f"/api/v1{d}/cancel", {"reason": "日程が合わない"}),
        ("GET", "api-docs.openapi_json"): ("/api/v1/openapi.json", None),
        ("POST", "tokens.create"): ("/account/tokens/", {"name": "連携"}),
        ("POST", "tokens.revoke"): (f"/account/tokens/{w.expert_token}/revoke", {}),
        ("GET", "bureau.home"): ("/bureau/", None),
        # Supply-and-demand dashboards (issue 9)
        ("GET", "dashboard.home"): ("/dashboard/", None),
        ("GET", "dashboard.show"): ({"nation": "/dashboard/nation/", "prefecture": "/dashboard/prefecture/20/"}.get(
            variant, "/dashboard/bureau/shinetsu/") + "?from=2026-04-01&to=2026-12-01", None),
        ("GET", "dashboard.needs"): ("/dashboard/bureau/shinetsu/needs?stage=development&field=mobility", None),
        ("GET", "dashboard.table_csv"): ("/dashboard/bureau/shinetsu/supply.csv", None),
        ("GET", "dashboard.export_xlsx"): ("/dashboard/bureau/shinetsu/dashboard.xlsx", None),
        ("GET", "dashboard.map_svg"): ("/dashboard/prefecture/20/map.svg" if variant == "prefecture"
                                       else "/dashboard/bureau/shinetsu/map.svg", None),
        ("GET", "roster.upload"): ("/roster/import", None),
        ("POST", "roster.upload"): ("/roster/import", {
            "file": (io.BytesIO("管理番号,氏名,メール\nMX-1,名簿 一郎,ichiro@example.jp\n".encode()), "名簿.csv"),
            "scheme": "adviser", "sheet": ""}),
        ("GET", "roster.export_template_xlsx"): ("/roster/template.xlsx", None),
        ("GET", "roster.export_template_csv"): ("/roster/template.csv", None),
        ("GET", "dispatch.index"): ("/dispatch/", None),
        ("GET", "dispatch.new"): ("/dispatch/new", None),
        ("POST", "dispatch.new"): ("/dispatch/new", DISPATCH_FORM),
        ("GET", "dispatch.routing"): ("/dispatch/routing?requester_kind=municipality&months=1&days_per_month=1"
                                      "&hours_per_month=8&onsite_days_per_month=1&has_budget=no", None),
        ("GET", "dispatch.detail"): (d, None),
        ("POST", "dispatch.review"): (f"{d}/review", {}),
        ("POST", "dispatch.approve"): (f"{d}/approve", {}),
        ("POST", "dispatch.reject"): (f"{d}/reject", {"reason": "予算の都合"}),
        ("POST", "dispatch.assign"): (f"{d}/assign", {"expert_id": str(w.unshortlisted_expert)}),
        ("POST", "dispatch.schedule"): (f"{d}/schedule", {"day": "2025-06-12"}),
        ("POST", "dispatch.done"): (f"{d}/done", {"day": "2025-06-12"}),
        ("POST", "dispatch.report"): (f"{d}/report", {"report": "課題を整理した。"}),
        ("POST", "dispatch.cancel"): (f"{d}/cancel", {"reason": "日程が合わない"}),
        ("GET", "dispatch.follow_up"): (f"{d}/follow-up", None),
        # Excel out (issue 9, xlsx)
        ("POST", "exports.experts_xlsx"): ("/search/experts/export.xlsx?skill_1=backend_dev&level_1=2&sort=name", {}),
        ("POST", "exports.needs_xlsx"): (f"/needs/export.xlsx?scope={variant}", {}),
        ("POST", "dispatch.follow_up"): (f"{d}/follow-up", {"answer": "実証を始めた"}),  # no engagement to rate
    }[(method, endpoint)]


def outcome_of(response, endpoint: str, need_id: int) -> str:
    """The table's word for what a response means."""
    if response.status_code in (301, 302, 303):
        path, _sep, query = response.headers["Location"].partition("?")
        return "login" if path.endswith("/account/login") and "next=" in query else "302"
    if response.status_code == 200 and endpoint == "needs.detail":
        html = response.get_data(as_text=True)
        if 'id="candidates-title"' not in html:
            return "200"
        return "M" if f'href="/needs/{need_id}/edit"' in html else "C"
    return str(response.status_code)


# -- the tests ---------------------------------------------------------------------------------------

@pytest.fixture
def matrix_app(connection):
    """The test app with CSRF off: the matrix asks who may, `test_csrf_…` below asks for the token."""
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": TEST_DATABASE_URL, "EMBEDDING_BACKEND": "tfidf",
        "AUTO_MIGRATE": False, "MAIL_SERVER": None, "SERVER_NAME": "hub.test", "WTF_CSRF_ENABLED": False,
        "PUBLIC_URL": "http://hub.test", "RATELIMIT_ENABLED": False,
    })
    app.extensions["hub.sessionmaker"].configure(bind=connection, join_transaction_mode="create_savepoint")
    return app


@pytest.fixture
def world(matrix_app, monkeypatch) -> World:
    # Requests are taken April to December (the rules file): the matrix asks in October, whatever today is.
    monkeypatch.setattr("hub.services.dispatch.today", lambda: date(2026, 10, 5))
    with matrix_app.app_context():
        session = get_session()
        built = build_world(session, matrix_app.config["SECRET_KEY"])
        session.commit()
    return built


def client_as(app, world: World, role: str):
    client = app.test_client()
    if role != "anon":
        with client.session_transaction() as sess:
            sess["_user_id"] = world.logins[role]
            sess["_fresh"] = True
    return client


def test_every_route_has_a_row(matrix_app):
    routes = {(method, rule.endpoint) for rule in matrix_app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(method, endpoint) for method, endpoint, _variant in ROWS}
    missing = sorted(routes - covered)
    assert not missing, "routes without a row in the authorization matrix: " + ", ".join(
        f"{method} {endpoint}" for method, endpoint in missing)
    stale = sorted(covered - routes)
    assert not stale, "rows of the authorization matrix for no route: " + ", ".join(
        f"{method} {endpoint}" for method, endpoint in stale)


@pytest.mark.parametrize("row", list(ROWS), ids=lambda row: " ".join(part for part in row if part))
def test_authorization_matrix(matrix_app, connection, world, row):
    method, endpoint, variant = row
    need_id = {"draft": world.draft_need, "shared": world.shared_need}.get(variant, world.open_need)
    got = {}
    for role in ROLES:
        url, data = request_for(row, world, role)
        savepoint = connection.begin_nested()  # each cell sees the same world
        try:
            body = {"json": data} if url.startswith("/api/") and data is not None else {"data": data}
            response = client_as(matrix_app, world, role).open(url, method=method, **body)
            got[role] = outcome_of(response, endpoint, need_id)
            response.close()
            assert response.status_code < 500, f"{role}: {response.status_code}"
        finally:
            savepoint.rollback()
    assert got == ROWS[row], f"{method} {url}"


def test_csrf_stays_on_for_a_managing_post(app, session):
    """The default test app keeps CSRF on: the owner's publish needs the page's token."""
    built = build_world(session, app.config["SECRET_KEY"])
    session.commit()
    client = client_as(app, built, "owner")
    url = f"/needs/{built.draft_need}/publish"
    assert client.post(url).status_code == 400
    assert session.get(Need, built.draft_need).status == "draft"
    token = csrf_token_from(client.get(f"/needs/{built.draft_need}").get_data(as_text=True))
    assert client.post(url, data={"csrf_token": token}).status_code == 302
    session.expire_all()
    assert session.get(Need, built.draft_need).status == "open"


def test_matrix_shape(matrix_app):
    """One row per route and variant, ten roles, and the table says what the issue asks of the need page."""
    assert len(ROLES) == 10
    detail = ROWS[("GET", "needs.detail", "")]
    assert [role for role, outcome in detail.items() if outcome in ("C", "M")] == ["owner", "bureau", "admin"]
    api = ROWS[("GET", "api.need_matches", "")]
    assert [role for role, outcome in api.items() if outcome == "200"] == ["owner", "bureau", "admin"]
