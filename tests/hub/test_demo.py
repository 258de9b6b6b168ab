"""The demo data set: promised counts and proportions, reproducibility, and refusal of a non-empty database."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from hub import demo
from hub.gazetteer import load_gazetteer
from hub.models import Engagement, ExpertProfile, Need, NeedField, Notification, ShortlistEntry, User
from hub.models.organizations import ORGANIZATION_KINDS
from hub.models.people import ROLES
from hub.services import interchange

STAGES = ("awareness", "problem_identification", "business_model", "product_planning", "development",
          "operations", "ux_operations", "adoption")


def _invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=["demo", *args])


def test_demo_default_size_gives_the_promised_hub(app, session, taxonomy):
    result = _invoke(app)
    assert result.exit_code == 0, result.output
    counts = demo.count(session)
    assert counts.experts >= 300
    assert 0.55 <= counts.tokyo_area_share <= 0.65
    assert all(n > 0 for n in counts.experts_per_bureau.values()), counts.experts_per_bureau
    assert counts.needs >= 60
    assert all(counts.needs_per_stage[s] > 0 for s in STAGES), counts.needs_per_stage
    assert set(session.scalars(select(NeedField.field_id))) == set(taxonomy.fields)
    assert set(counts.organizations) == set(ORGANIZATION_KINDS)
    assert counts.organizations["bureau"] == 11
    assert counts.users == {role: 3 if role == "org_staff" else 1 for role in ROLES}  # 塩尻市, 松本市, 長野県
    assert counts.active_engagements > 0 and counts.experts_without_hours > 0
    assert counts.evaluations > 0 and counts.skill_ratings > 0
    assert counts.needs_per_status["open"] > counts.needs / 2
    assert {"draft", "filled", "closed"} <= set(counts.needs_per_status)
    without_skills = session.scalar(select(func.count()).select_from(Need).where(~Need.skills.any()))
    assert 0.2 <= without_skills / counts.needs <= 0.45
    advisers = session.scalar(select(func.count()).select_from(ExpertProfile)
                              .where(ExpertProfile.schemes.any(scheme="adviser")))
    assert 0.3 <= advisers / counts.experts <= 0.6


def test_demo_logins_and_the_rich_expert_profile(app, session):
    assert _invoke(app, "--experts", "40", "--needs", "20").exit_code == 0
    users = {u.email: u for u in session.scalars(select(User))}
    assert set(users) == {email for email, *_ in demo.LOGINS}
    assert all(check_password_hash(u.password_hash, demo.DEMO_PASSWORD) for u in users.values())
    staff = users["shiojiri@demo.example.jp"]
    assert staff.organization.lg_code == "202151"
    assert len([n for n in staff.organization.needs if n.created_by_id == staff.id]) >= 4
    assert users["bureau@demo.example.jp"].organization.bureau_id == "shinetsu"
    # A second municipality of the same bureau: approved staff, but not of 塩尻市.
    matsumoto = users["matsumoto@demo.example.jp"]
    assert matsumoto.role == "org_staff" and matsumoto.approved_at is not None
    assert matsumoto.organization.lg_code == "202029" and matsumoto.organization.name.endswith("松本市")
    assert matsumoto.organization.bureau_id == staff.organization.bureau_id == "shinetsu"
    assert not any(n.created_by_id == matsumoto.id for n in session.scalars(select(Need)))
    # A prefecture's government (its dashboard and talent pool).
    nagano = users["nagano@demo.example.jp"]
    assert nagano.role == "org_staff" and nagano.approved_at is not None
    assert (nagano.organization.kind, nagano.organization.lg_code) == ("prefecture", "200000")
    expert = users["expert@demo.example.jp"].expert
    assert expert is not None and expert.name
    assert len([e for e in expert.engagements if e.status == "completed"]) >= 4
    assert any(e.status == "active" for e in expert.engagements)
    pending = session.scalars(select(ShortlistEntry).where(ShortlistEntry.expert_id == expert.id,
                                                            ShortlistEntry.state == "contacted")).all()
    assert len(pending) == 1 and pending[0].responded_at is None
    assert session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == expert.user_id)) >= 2
    # A filled need has the expert who took it.
    for need in session.scalars(select(Need).where(Need.status == "filled")):
        assert session.scalar(select(func.count()).select_from(Engagement)
                              .where(Engagement.need_id == need.id, Engagement.status == "active")) <= 1


def test_generated_texts_are_varied_and_real_places(taxonomy):
    data = demo.generate(7, 320, 64, taxonomy, load_gazetteer())
    gazetteer = load_gazetteer()
    bios = [e["bio"] for e in data.experts]
    assert len(set(bios)) == len(bios)
    assert len({e["name"] for e in data.experts}) == len(data.experts)
    emails = [e["email"] for e in data.experts if e["email"]]
    assert len(set(emails)) == len(emails)
    assert len({n["title"] for n in data.needs}) == len(data.needs)
    assert all(e["home_lg_code"] in gazetteer for e in data.experts)
    assert all(n["org_lg_code"] in gazetteer for n in data.needs)
    types = {t: sum(e["talent_type"] == t for e in data.experts) for t in ("X", "D", "XD")}
    assert all(n >= 40 for n in types.values()), types
    assert any(e["fee"] is None for e in data.experts) and {e["fee"]["unit"] for e in data.experts if e["fee"]} == {
        "hour", "day", "month"}
    assert any(e["hours_per_month"] == 160 for e in data.experts)
    assert all(1 <= e["hours_per_month"] <= 160 for e in data.experts)


def test_backend_engineers_have_backend_skills(taxonomy):
    data = demo.generate(3, 200, 10, taxonomy, load_gazetteer())
    backend = [e for e in data.experts if e["roles"][0] == "backend_engineer"]
    assert backend
    for expert in backend:
        assert expert["skills"]["backend_dev"] >= 2
        assert "web_basics" in expert["skills"] and "cloud_infrastructure" in expert["skills"]


def test_demo_is_reproducible(app, session, taxonomy):
    gazetteer = load_gazetteer()
    assert demo.generate(11, 50, 20, taxonomy, gazetteer) == demo.generate(11, 50, 20, taxonomy, gazetteer)
    assert demo.generate(11, 50, 20, taxonomy, gazetteer) != demo.generate(12, 50, 20, taxonomy, gazetteer)
    exports = []
    for _ in range(2):
        nested = session.begin_nested()
        demo.load_demo(session, taxonomy, seed=11, n_experts=50, n_needs=20, gazetteer=gazetteer)
        exports.append((list(interchange.export_experts(session)), list(interchange.export_needs(session)),
                        sorted((e.need.external_id, e.expert.external_id, e.state)
                               for e in session.scalars(select(ShortlistEntry)))))
        nested.rollback()
        session.expunge_all()
    assert exports[0] == exports[1]
    experts, needs, _ = exports[0]
    generated = demo.generate(11, 50, 20, taxonomy, gazetteer)
    for made, stored in zip(generated.experts, experts):
        assert (made["external_id"], made["name"], made["bio"], made["home_lg_code"]) == (
            stored["external_id"], stored["name"], stored["bio"], stored["home_lg_code"])
    assert [n["title"] for n in generated.needs] == [n["title"] for n in needs]


def test_demo_refuses_a_database_that_is_not_empty(app, session, taxonomy):
    session.add(User(email="someone@example.jp", password_hash="x", display_name="someone", role="admin"))
    session.commit()
    result = _invoke(app, "--experts", "10", "--needs", "5")
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert session.scalar(select(func.count()).select_from(ExpertProfile)) == 0
    with pytest.raises(demo.DatabaseNotEmpty):
        demo.load_demo(session, taxonomy, n_experts=10, n_needs=5)
