"""Skills read from a profile's text (推定): imported text-only rosters get them, pages badge them,
the matcher counts them below stated levels, and the expert confirms or corrects them."""
from __future__ import annotations

import json

from sqlalchemy import select

from hub.models import AuditEvent, ExpertProfile, ExpertSkill
from hub.services import experts as expert_verbs
from hub.services import interchange
from tests.support import post_form
from tests.web.needs_factories import expert, login, need, org, user

ROSTER = [
    {"external_id": "R1", "name": "経歴 一郎", "talent_type": "D", "hours_per_month": 20,
     "bio": "経歴：自治体の情報セキュリティポリシー改定とCSIRT構築を支援。標的型攻撃メール訓練とインシデント対応の手順整備。"},
    {"external_id": "R2", "name": "経歴 花子", "talent_type": "X", "hours_per_month": 20,
     "bio": "・住民インタビュー\n・カスタマージャーニー作成\n・ユーザビリティテスト\n・申請画面の改善"},
]


def _import(session, taxonomy, lines):
    data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
    report = interchange.import_experts(session, data, taxonomy)
    assert report.ok, report.errors
    return report


def test_import_of_a_text_only_roster_reads_skills_and_a_reimport_changes_nothing(session, taxonomy):
    _import(session, taxonomy, ROSTER)
    rows = session.execute(select(ExpertProfile.external_id, ExpertSkill.skill_id, ExpertSkill.source, ExpertSkill.level)
                           .join(ExpertSkill)).all()
    by_expert = {}
    for external_id, skill_id, source, level in rows:
        assert source == "inferred" and level == 1
        by_expert.setdefault(external_id, set()).add(skill_id)
    assert set(by_expert) == {"R1", "R2"}
    assert by_expert["R1"] & {"security_organization", "security_management", "incident_response_bcp",
                              "security_operations"}
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "expert.import")).one()
    assert event.details["skills_read_from_text"] == 2
    before = sorted(rows)
    _import(session, taxonomy, ROSTER)
    after = session.execute(select(ExpertProfile.external_id, ExpertSkill.skill_id, ExpertSkill.source,
                                   ExpertSkill.level).join(ExpertSkill)).all()
    assert sorted(after) == before
    exported = {o["external_id"]: o for o in interchange.export_experts(session)}
    assert exported["R1"]["skills"] == {}  # derived data: an import reads the text again


def test_full_profiles_are_not_read(session, taxonomy):
    line = dict(ROSTER[0], skills={"backend_dev": 3, "frontend_dev": 2, "software_design": 2})
    _import(session, taxonomy, [line])
    sources = session.scalars(select(ExpertSkill.source)).all()
    assert sorted(sources) == ["self", "self", "self"]


def test_profile_shows_inferred_skills_and_the_expert_confirms_or_declines_them(client, session):
    person = expert(session, skills={}, bio="自治体の情報セキュリティポリシー改定とCSIRT構築、インシデント対応を支援")
    assert expert_verbs.infer_skills(session, [person.id]) == 1
    session.refresh(person)
    inferred = person.inferred_skills
    assert inferred and person.skill_levels == {}
    staff = user(session, "org_staff", org(session))
    login(client, staff)
    page = client.get(f"/experts/{person.id}").get_data(as_text=True)
    assert "badge inferred" in page and "level_" not in page  # others see the badge, not the form
    login(client, person.user)
    page = client.get(f"/experts/{person.id}").get_data(as_text=True)
    assert "badge inferred" in page and 'action="/experts/me/skills/confirm"' in page
    first, *rest = sorted(inferred)
    form = {f"level_{first}": "3"} | {f"level_{item}": "0" for item in rest}
    response = post_form(client, "/experts/me/skills/confirm", form, form_url=f"/experts/{person.id}")
    assert response.status_code == 302
    session.expire_all()
    rows = {r.skill_id: (r.source, r.level) for r in session.get(ExpertProfile, person.id).skills}
    assert rows[first] == ("self", 3) and all(rows[item] == ("self", 0) for item in rest)
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "expert.confirm_skills"))
    # declined items are never read again; the confirmed one is the expert's own
    expert_verbs.infer_skills(session, [person.id])
    session.expire_all()
    assert session.get(ExpertProfile, person.id).inferred_skills == {}


def test_confirming_an_item_not_read_from_the_text_is_refused(client, session):
    person = expert(session, skills={"backend_dev": 2})
    login(client, person.user)
    response = post_form(client, "/experts/me/skills/confirm", {"level_backend_dev": "4"},
                         form_url=f"/experts/{person.id}")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(ExpertSkill, (person.id, "backend_dev")).level == 2


def test_candidate_card_badges_inferred_skills(client, session):
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri)
    row = need(session, shiojiri, skills={"security_management": 2})
    person = expert(session, skills={}, bio="情報セキュリティマネジメントとセキュリティ監査、ISMS認証の取得支援")
    person.skills.append(ExpertSkill(skill_id="security_management", level=1, source="inferred"))
    session.flush()
    login(client, staff)
    page = client.get(f"/needs/{row.id}").get_data(as_text=True)
    assert person.name in page and "badge inferred" in page
