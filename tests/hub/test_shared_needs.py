"""Shared needs (共同任用) and team roles: interchange round trip and errors, the ranking's combined sites, one
engagement counted once against the expert's hours, an evaluation per organization, and the permission rules."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from hub import permissions
from hub.models import AuditEvent, Engagement, Evaluation, Need, NeedRole, NeedShare, ShortlistEntry
from hub.permissions import PermissionDenied
from hub.services import engagements, interchange
from hub.services.availability import remaining_hours_by_expert
from hub.services.errors import StateError
from hub.services.matching import load_expert_rows
from hub.services.organizations import create_organization
from tests.hub.test_interchange import jsonl, need as need_line
from tests.web.needs_factories import expert, need, org, user

SHIOJIRI, OMACHI, IIDA, MATSUMOTO = "202151", "202126", "202053", "202029"  # 塩尻市, 大町市, 飯田市, 松本市
KISO = "204323"  # 木曽町


@pytest.fixture(autouse=True)
def in_a_request(app):
    """Refusals carry translated messages: the verbs are called as a view would call them."""
    with app.test_request_context():
        yield


def shared_line(**changes) -> dict:
    base = {"team_roles": {"ba_internal_operations": 10, "backend_engineer": 6, "service_designer": 4},
            "co_organizations": [{"org_lg_code": KISO, "hours_per_month": 5, "budget_max": 2000,
                                  "location_lg_code": None},
                                 {"org_lg_code": IIDA, "hours_per_month": 5, "budget_max": None,
                                  "location_lg_code": IIDA}]}
    return need_line("S001", **(base | changes))


# -- interchange ------------------------------------------------------------------------------------------------

def test_shared_need_round_trips_through_the_interchange_format(session, taxonomy):
    report = interchange.import_needs(session, jsonl(shared_line()), taxonomy)
    assert report.ok, report.errors
    row = session.scalar(select(Need).where(Need.external_id == "S001"))
    assert row.role_hours == {"ba_internal_operations": 10, "backend_engineer": 6, "service_designer": 4}
    shares = {s.organization.lg_code: (s.hours_per_month, s.budget_max, s.location_lg_code) for s in row.shares}
    assert shares == {KISO: (5, 2000, KISO), IIDA: (5, None, IIDA)}  # a missing site is the co-organization's
    assert row.lead_share == (10, 8000)
    exported = [line for line in interchange.export_needs(session) if line["external_id"] == "S001"][0]
    assert exported["team_roles"] == shared_line()["team_roles"]
    assert exported["co_organizations"] == [
        {"org_lg_code": IIDA, "hours_per_month": 5, "budget_max": None, "location_lg_code": IIDA},
        {"org_lg_code": KISO, "hours_per_month": 5, "budget_max": 2000, "location_lg_code": KISO}]
    # Re-importing the export changes nothing; a line without the format-2 keys keeps what the hub has.
    again = interchange.import_needs(session, jsonl(exported), taxonomy)
    assert again.ok
    older = {k: v for k, v in exported.items() if k not in ("team_roles", "co_organizations")}
    assert interchange.import_needs(session, jsonl(older), taxonomy).ok
    session.expire_all()
    row = session.scalar(select(Need).where(Need.external_id == "S001"))
    assert len(row.shares) == 2 and len(row.team_roles) == 3
    # An empty list removes the shares.
    assert interchange.import_needs(session, jsonl(exported | {"co_organizations": []}), taxonomy).ok
    session.expire_all()
    assert session.scalar(select(Need).where(Need.external_id == "S001")).shares == []


BAD_SHARED = {
    "roles hours": (shared_line(team_roles={"backend_engineer": 5, "service_designer": 5}), "team_roles",
                    "add up to hours_per_month"),
    "unknown role": (shared_line(team_roles={"pm": 20}), "team_roles.pm", "unknown role id"),
    "share is the lead": (shared_line(co_organizations=[{"org_lg_code": SHIOJIRI, "hours_per_month": 5}]),
                          "co_organizations[0]", "cannot also be a co-organization"),
    "twice": (shared_line(co_organizations=[{"org_lg_code": KISO, "hours_per_month": 5},
                                            {"org_lg_code": KISO, "hours_per_month": 5}]),
              "co_organizations[1]", "listed twice"),
    "hours over": (shared_line(co_organizations=[{"org_lg_code": KISO, "hours_per_month": 21}]),
                   "co_organizations", "exceed hours_per_month"),
    "budget over": (shared_line(co_organizations=[{"org_lg_code": KISO, "hours_per_month": 5, "budget_max": 10001}]),
                    "co_organizations", "exceed budget.max"),
    "budget without budget": (shared_line(budget=None, co_organizations=[
        {"org_lg_code": KISO, "hours_per_month": 5, "budget_max": 1000}]), "co_organizations[0]", "needs the need's budget"),
    "unknown key": (shared_line(co_organizations=[{"org_lg_code": KISO, "hours_per_month": 5, "share": 1}]),
                    "co_organizations[0].share", "unknown"),
    "unknown code": (shared_line(co_organizations=[{"org_lg_code": "209999", "hours_per_month": 5}]),
                     "co_organizations[0].org_lg_code", "unknown local-government code"),
    "not a list": (shared_line(co_organizations={"org_lg_code": KISO}), "co_organizations", "must be a list"),
    "hours as text": (shared_line(co_organizations=[{"org_lg_code": KISO, "hours_per_month": "5"}]),
                      "co_organizations[0].hours_per_month", ""),
}


@pytest.mark.parametrize("case", sorted(BAD_SHARED))
def test_bad_shared_need_lines_are_refused_and_nothing_is_written(session, taxonomy, case):
    bad, field, fragment = BAD_SHARED[case]
    before = (session.scalar(select(func.count()).select_from(Need)),
              session.scalar(select(func.count()).select_from(NeedShare)))
    report = interchange.import_needs(session, jsonl(need_line("OK1"), bad), taxonomy)
    assert any(e.line == 2 and e.field == field and fragment in e.message for e in report.errors), report.errors
    assert (session.scalar(select(func.count()).select_from(Need)),
            session.scalar(select(func.count()).select_from(NeedShare))) == before


# -- a shared need in the hub ------------------------------------------------------------------------------------

@pytest.fixture
def shared(session):
    """塩尻市 posts an on-site need jointly with 大町市 (~45 km north) and 飯田市 (~70 km south)."""
    shiojiri, omachi, iida = org(session, SHIOJIRI), org(session, OMACHI), org(session, IIDA)
    lead = user(session, "org_staff", shiojiri)
    co_staff = user(session, "org_staff", omachi)
    row = need(session, shiojiri, skills={"backend_dev": 2}, work_style="onsite", hours_per_month=30,
               budget_unit="month", budget_max=300000)
    row.shares = [NeedShare(organization=omachi, hours_per_month=10, budget_max=100000, location_lg_code=OMACHI),
                  NeedShare(organization=iida, hours_per_month=10, budget_max=100000, location_lg_code=IIDA)]
    session.flush()
    return {"need": row, "lead": lead, "co_staff": co_staff, "shiojiri": shiojiri, "omachi": omachi, "iida": iida}


def test_ranking_of_a_shared_need_wants_every_site_within_reach(app, session, shared):
    central = expert(session, name="中央 一郎", skills={"backend_dev": 3}, home=SHIOJIRI)
    nakatsugawa = expert(session, name="岐阜 二郎", skills={"backend_dev": 3}, home="212067")  # 岐阜県中津川市
    central.max_travel_km = nakatsugawa.max_travel_km = 90  # 中津川 -> 塩尻 81 km, 飯田 29 km, 大町 117 km
    session.flush()
    engine = app.extensions["hub.matcher"]
    single = need(session, shared["shiojiri"], skills={"backend_dev": 2}, work_style="onsite", hours_per_month=30)
    alone = {m.expert_id: m for m in engine.rank(session, single, top_k=10).matches}
    assert {central.id, nakatsugawa.id} <= set(alone)
    result = engine.rank(session, shared["need"], top_k=10)
    joint = {m.expert_id: m for m in result.matches}
    assert nakatsugawa.id not in joint and result.result.excluded["work_style_impossible"] >= 1  # 大町市 is out of reach
    assert joint[central.id].signals["place"] < alone[central.id].signals["place"]  # the far sites lower it
    assert round(joint[central.id].explanation.distance_km) == 68  # the farthest site: 飯田市
    # Remote work ignores the sites.
    shared["need"].work_style = "remote"
    assert nakatsugawa.id in {m.expert_id for m in engine.rank(session, shared["need"], top_k=10).matches}


def _engaged(session, shared, person):
    row = shared["need"]
    entry = ShortlistEntry(need=row, expert=person, state="accepted", rank=1, score=0.9)
    session.add(entry)
    session.flush()
    engagement = engagements.start_engagement(session, shared["lead"], entry, role="広域DX推進", start=date(2027, 4, 1),
                                              end=date(2028, 3, 31), hours_per_month=30)
    return entry, engagement


def test_an_engagement_from_a_shared_need_counts_once_against_the_experts_hours(session, shared):
    person = expert(session, name="共同 任子", skills={"backend_dev": 3}, hours=40, home=SHIOJIRI)
    _entry, engagement = _engaged(session, shared, person)
    assert engagement.organization_id == shared["shiojiri"].id
    assert session.scalar(select(func.count()).select_from(Engagement).where(Engagement.need_id == shared["need"].id)) == 1
    left = remaining_hours_by_expert(session, [person.id], date(2027, 4, 1), date(2028, 3, 31))[person.id]
    assert left == 10  # 40 offered - 30 once, not 30 per organization
    # A co-organization cannot start a second engagement for its share.
    entry2 = ShortlistEntry(need=shared["need"], expert=expert(session, name="別 人"), state="accepted")
    session.add(entry2)
    session.flush()
    with pytest.raises(PermissionDenied):
        engagements.start_engagement(session, shared["co_staff"], entry2, role="x", start=date(2027, 4, 1),
                                     end=None, hours_per_month=10)


def test_each_organization_evaluates_once_and_every_evaluation_counts_in_the_record(session, shared):
    person = expert(session, name="評価 受子", skills={"backend_dev": 3}, home=SHIOJIRI)
    _entry, engagement = _engaged(session, shared, person)
    engagements.complete_engagement(session, shared["lead"], engagement, end=date(2028, 3, 31))
    own = engagements.evaluate(session, shared["lead"], engagement, overall=4, would_rehire=True,
                               skill_ratings={"backend_dev": 4}, asked_levels={"backend_dev": 2})
    co = engagements.evaluate(session, shared["co_staff"], engagement, overall=5, would_rehire=True,
                              comment="大町市でも助かりました", co_organization_id=shared["omachi"].id)
    assert own.co_organization_id is None and co.co_organization_id == shared["omachi"].id
    session.expire_all()
    engagement = session.get(Engagement, engagement.id)
    assert engagement.evaluation.id == own.id
    assert [e.id for e in engagement.co_evaluations] == [co.id]
    with pytest.raises(StateError):  # the same co-organization twice
        engagements.evaluate(session, shared["co_staff"], engagement, overall=3, would_rehire=None,
                             co_organization_id=shared["omachi"].id)
    with pytest.raises(PermissionDenied):  # 塩尻市's staff cannot evaluate in 飯田市's name
        engagements.evaluate(session, shared["lead"], engagement, overall=3, would_rehire=None,
                             co_organization_id=shared["iida"].id)
    with pytest.raises(PermissionDenied):  # 大町市's staff cannot write the lead's evaluation
        engagements.evaluate(session, shared["co_staff"], engagement, overall=3, would_rehire=None)
    outsider = org(session, MATSUMOTO)
    with pytest.raises(StateError):  # an organization that does not share the need
        engagements.evaluate(session, None, engagement, overall=3, would_rehire=None, co_organization_id=outsider.id)
    ratings = load_expert_rows(session, ids=[person.id]).records[0].ratings
    assert sorted(r.overall for r in ratings) == [4.0, 5.0]
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "evaluation")).all()
    assert actions.count("evaluation.create") == 2


def test_re_importing_an_expert_keeps_the_co_organizations_evaluations(session, taxonomy, shared):
    person = expert(session, name="再取込 花子", skills={"backend_dev": 3}, home=SHIOJIRI)
    _entry, engagement = _engaged(session, shared, person)
    engagements.complete_engagement(session, shared["lead"], engagement, end=date(2028, 3, 31))
    engagements.evaluate(session, shared["lead"], engagement, overall=4, would_rehire=True)
    engagements.evaluate(session, shared["co_staff"], engagement, overall=5, would_rehire=True,
                         co_organization_id=shared["omachi"].id)
    line = next(e for e in interchange.export_experts(session) if e["external_id"] == person.external_id)
    assert interchange.import_experts(session, jsonl(line), taxonomy).ok
    kept = session.scalars(select(Evaluation.co_organization_id).where(Evaluation.engagement_id == engagement.id)
                           .order_by(Evaluation.co_organization_id.nulls_first())).all()
    assert kept == [None, shared["omachi"].id]


def test_permissions_of_a_shared_need_with_other_roles_accounts(session, shared):
    row, co_staff = shared["need"], shared["co_staff"]
    matsumoto_staff = user(session, "org_staff", org(session, MATSUMOTO))
    unapproved = user(session, "org_staff", shared["omachi"], approved=False)
    kanto = create_organization(session, "bureau", "関東総合通信局", "13", code="BUREAU-KANTO")
    shinetsu = create_organization(session, "bureau", "信越総合通信局", "20", code="BUREAU-SHINETSU")
    row.status = "draft"
    assert permissions.can_see_need(co_staff, row) and permissions.can_see_candidates(co_staff, row)
    assert not permissions.can_see_need(matsumoto_staff, row)  # same prefecture, not a co-organization
    assert not permissions.can_see_need(unapproved, row)
    row.status = "open"
    assert not permissions.can_see_candidates(matsumoto_staff, row)
    assert not permissions.can_manage_need(co_staff, row)  # the lead alone edits and hires
    assert permissions.can_evaluate_for(co_staff, row, shared["omachi"].id)
    assert not permissions.can_evaluate_for(co_staff, row, shared["iida"].id)
    assert not permissions.can_evaluate_for(unapproved, row, shared["omachi"].id)
    assert permissions.can_see_candidates(user(session, "bureau_staff", shinetsu), row)
    assert not permissions.can_see_candidates(user(session, "bureau_staff", kanto), row)
    assert not permissions.can_evaluate_for(user(session, "admin"), row, shared["omachi"].id)
    assert not permissions.can_see_candidates(expert(session, name="専門 家").user, row)


def test_a_bureau_of_a_co_organizations_region_sees_the_candidates(session):
    shiojiri, joetsu = org(session, SHIOJIRI), org(session, "152226")  # 新潟県上越市: also 信越
    hokuriku = create_organization(session, "bureau", "北陸総合通信局", "17", code="BUREAU-HOKURIKU")
    toyama = org(session, "162019")  # 富山市: 北陸
    row = need(session, shiojiri, skills={"backend_dev": 2})
    row.shares = [NeedShare(organization=toyama, hours_per_month=5, location_lg_code="162019")]
    session.flush()
    assert permissions.can_see_candidates(user(session, "bureau_staff", hokuriku), row)
    assert joetsu.bureau_id == shiojiri.bureau_id


def test_team_roles_are_stored_per_need(session):
    row = need(session, org(session), skills={"backend_dev": 2}, hours_per_month=30)
    row.team_roles = [NeedRole(role_id="backend_engineer", hours_per_month=20),
                      NeedRole(role_id="service_designer", hours_per_month=10)]
    session.flush()
    session.expire_all()
    assert session.get(Need, row.id).role_hours == {"backend_engineer": 20, "service_designer": 10}
    assert session.get(Need, row.id).lead_share == (30, None)  # no co-organizations: the lead has it all


def test_the_experts_data_download_holds_the_co_organizations_evaluations(session, shared):
    from hub.services.privacy import personal_data
    person = expert(session, name="開示 請求", skills={"backend_dev": 3}, home=SHIOJIRI)
    _entry, engagement = _engaged(session, shared, person)
    engagements.complete_engagement(session, shared["lead"], engagement, end=date(2028, 3, 31))
    engagements.evaluate(session, shared["co_staff"], engagement, overall=4, would_rehire=True, comment="丁寧でした",
                         skill_ratings={"backend_dev": 4}, co_organization_id=shared["omachi"].id)
    session.expire_all()
    data = personal_data(session, person.user, session.get(type(person), person.id))
    shared_engagement = next(e for e in data["engagements"] if e["id"] == engagement.id)
    assert shared_engagement["evaluation"] is None
    assert [(e["organization"], e["overall"], e["comment"], e["skill_ratings"])
            for e in shared_engagement["co_organization_evaluations"]] == [
        (shared["omachi"].name, 4.0, "丁寧でした", {"backend_dev": 4})]
