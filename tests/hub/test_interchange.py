"""JSONL import: every error kind is reported with its line and field, and a bad file writes nothing."""
from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import func, select

from hub.models import (AuditEvent, Engagement, Evaluation, ExpertProfile, ExpertSkill, Need, NeedSkill,
                        Organization)
from hub.services import interchange

EXPERT = {
    "external_id": "T0001", "name": "山田 花子", "email": "hanako@example.jp", "talent_type": "D",
    "roles": ["backend_engineer"], "skills": {"backend_dev": 3, "cloud_infrastructure": 2},
    "bio": "自治体の予約システムを開発してきました。", "fields": ["mobility"], "stages_led": ["development"],
    "home_lg_code": "202151", "work_styles": {"remote": True, "onsite": True, "resident": False},
    "max_travel_km": 150, "hours_per_month": 40, "available_from": "2026-12-01", "available_until": None,
    "fee": {"unit": "hour", "amount": 8000, "negotiable": True}, "schemes": ["external_list"],
    "engagements": [
        {"org_lg_code": "202045", "title": "デマンド交通の予約基盤", "stages": ["development"], "role": "開発リード",
         "contribution": "予約APIを設計し運用へ引き継いだ", "start": "2024-04-01", "end": "2025-03-31",
         "hours_per_month": 20, "status": "completed", "rating": 4.5, "would_rehire": True},
        {"org_lg_code": "200000", "title": "県の庁内DX支援", "start": "2025-04-01", "end": None,
         "hours_per_month": 10, "status": "active"},
    ],
}

NPO = {"key": "NPO-20-0001", "kind": "npo", "name": "NPO法人 信州ITサポート", "prefecture_code": "20"}

NEED = {
    "external_id": "N001", "org_lg_code": "202151", "title": "地域交通の課題整理", "description": "バス路線の再編",
    "stages": ["problem_identification"], "talent_type": "X", "required_skills": {"business_research": 2},
    "fields": ["mobility"], "work_style": "hybrid", "hours_per_month": 20, "start": "2027-04-01",
    "end": "2028-03-31", "budget": {"unit": "hour", "max": 10000}, "engagement_form": "contract",
}


def expert(external_id: str = "T0001", **changes) -> dict:
    obj = copy.deepcopy(EXPERT) | {"external_id": external_id}
    return obj | changes


def need(external_id: str = "N001", **changes) -> dict:
    return copy.deepcopy(NEED) | {"external_id": external_id} | changes


def jsonl(*objects: dict) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode()


def counts(session) -> dict[str, int]:
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (ExpertProfile, ExpertSkill, Engagement, Evaluation, Organization, Need, NeedSkill,
                          AuditEvent)}


# -- good files -------------------------------------------------------------------------------------------------

def test_interchange_imports_expert_with_history(session, taxonomy):
    report = interchange.import_experts(session, jsonl(expert()), taxonomy, filename="experts.jsonl")
    assert report.ok and (report.created, report.updated) == (1, 0)
    profile = session.scalars(select(ExpertProfile).where(ExpertProfile.external_id == "T0001")).one()
    assert profile.skill_levels == {"backend_dev": 3, "cloud_infrastructure": 2}
    assert profile.prefecture_code == "20" and profile.onsite and not profile.resident
    assert (profile.fee_unit, profile.fee_amount) == ("hour", 8000)
    completed, active = sorted(profile.engagements, key=lambda e: e.start_date)
    assert completed.source == "import" and completed.organization.name == "長野県岡谷市"
    assert completed.organization.kind == "municipality" and completed.organization.bureau_id == "shinetsu"
    assert completed.evaluation.overall == 4.5 and completed.evaluation.would_rehire is True
    assert active.organization.kind == "prefecture" and active.end_date is None and active.evaluation is None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "expert.import")).one()
    assert event.entity == "expert" and event.details["created"] == 1


def test_interchange_minimal_expert_takes_defaults(session, taxonomy):
    report = interchange.import_experts(session, jsonl({"external_id": "M1", "name": "最小", "talent_type": "X"}),
                                        taxonomy)
    assert report.ok
    profile = session.scalars(select(ExpertProfile).where(ExpertProfile.external_id == "M1")).one()
    assert (profile.hours_per_month, profile.remote, profile.onsite, profile.fee_unit) == (0, True, False, None)


def test_interchange_reimport_updates_not_duplicates(session, taxonomy):
    data = jsonl(expert("T1"), expert("T2"))
    first = interchange.import_experts(session, data, taxonomy)
    after_first = counts(session)
    second = interchange.import_experts(session, data, taxonomy)
    after_second = counts(session)
    assert (first.created, first.updated) == (2, 0)
    assert (second.created, second.updated) == (0, 2)
    assert after_second == after_first | {"AuditEvent": after_first["AuditEvent"] + 1}


def test_interchange_reimport_replaces_changed_values(session, taxonomy):
    interchange.import_experts(session, jsonl(expert()), taxonomy)
    changed = expert(name="山田 花子（更新）", skills={"backend_dev": 4, "sre": 1}, engagements=[], roles=[])
    report = interchange.import_experts(session, jsonl(changed), taxonomy)
    assert (report.created, report.updated) == (0, 1)
    session.expire_all()
    profile = session.scalars(select(ExpertProfile).where(ExpertProfile.external_id == "T0001")).one()
    assert profile.name == "山田 花子（更新）"
    assert profile.skill_levels == {"backend_dev": 4, "sre": 1}
    assert profile.engagements == [] and profile.role_ids == []
    assert session.scalar(select(func.count()).select_from(Evaluation)) == 0


def test_interchange_reimport_keeps_verified_skill_source(session, taxonomy):
    interchange.import_experts(session, jsonl(expert()), taxonomy)
    skill = session.get(ExpertSkill, (session.scalar(select(ExpertProfile.id)), "backend_dev"))
    skill.source, skill.rating_mean, skill.rating_count = "rated", 4.5, 2
    session.flush()
    interchange.import_experts(session, jsonl(expert(skills={"backend_dev": 4})), taxonomy)
    session.expire_all()
    skill = session.get(ExpertSkill, (session.scalar(select(ExpertProfile.id)), "backend_dev"))
    assert (skill.level, skill.source, skill.rating_count) == (4, "rated", 2)


def test_interchange_reuses_existing_organizations(session, taxonomy):
    two = [dict(EXPERT["engagements"][0], title=f"案件{i}") for i in range(2)]
    interchange.import_experts(session, jsonl(expert("A", engagements=two), expert("B", engagements=two)), taxonomy)
    assert session.scalar(select(func.count()).select_from(Organization)
                          .where(Organization.lg_code == "202045")) == 1


def test_interchange_imports_needs(session, taxonomy):
    nice = {"data_understanding": {"level": 1, "weight": 0.5}}
    report = interchange.import_needs(session, jsonl(need(nice_to_have_skills=nice), need("N002", talent_type=None,
                                                                                           end=None, budget=None)),
                                      taxonomy)
    assert report.ok and report.created == 2
    first = session.scalars(select(Need).where(Need.external_id == "N001")).one()
    assert first.required_skills == {"business_research": 2}
    assert first.nice_to_have_skills == {"data_understanding": 1}
    assert {s.skill_id: s.weight for s in first.skills} == {"business_research": 1.0, "data_understanding": 0.5}
    assert first.location_lg_code == "202151" and first.organization.lg_code == "202151"
    assert first.status == "open" and first.stage_ids == ["problem_identification"]
    second = session.scalars(select(Need).where(Need.external_id == "N002")).one()
    assert second.talent_type is None and second.budget_unit is None and second.end_date is None


def test_interchange_reimport_needs_updates(session, taxonomy):
    interchange.import_needs(session, jsonl(need()), taxonomy)
    report = interchange.import_needs(session, jsonl(need(title="改題", required_skills={"marketing": 3})),
                                      taxonomy)
    assert (report.created, report.updated) == (0, 1)
    session.expire_all()
    row = session.scalars(select(Need)).one()
    assert row.title == "改題" and row.required_skills == {"marketing": 3}


def test_interchange_skips_blank_lines_and_bom(session, taxonomy):
    data = b"\xef\xbb\xbf" + jsonl(expert("A")) + b"\n   \n" + jsonl(expert("B")).replace(b"\n", b"\r\n")
    report = interchange.import_experts(session, data, taxonomy)
    assert report.ok and report.created == 2


# -- bad files --------------------------------------------------------------------------------------------------

def _without(obj: dict, key: str) -> dict:
    return {k: v for k, v in obj.items() if k != key}


def _engagement(**changes) -> list[dict]:
    return [EXPERT["engagements"][0] | changes]


BAD_EXPERTS = {
    "unknown key": (expert(nickname="はなちゃん"), "nickname", "unknown key"),
    "missing name": (_without(expert(), "name"), "name", "missing"),
    "missing external_id": (_without(expert(), "external_id"), "external_id", "missing"),
    "string for number": (expert(hours_per_month="40"), "hours_per_month", "whole number"),
    "number for code": (expert(home_lg_code=202151), "home_lg_code", "must be a string"),
    "unknown skill": (expert(skills={"cooking": 2}), "skills.cooking", "unknown skill"),
    "unknown stage": (expert(stages_led=["launch"]), "stages_led[0]", "unknown stage"),
    "unknown field": (expert(fields=["space"]), "fields[0]", "unknown field"),
    "unknown role": (expert(roles=["wizard"]), "roles[0]", "unknown role"),
    "people type is not a role": (expert(roles=["business_architect"]), "roles[0]", "unknown role"),
    "unknown scheme": (expert(schemes=["volunteer"]), "schemes[0]", "unknown scheme"),
    "unknown talent type": (expert(talent_type="Z"), "talent_type", "unknown talent type"),
    "unknown lg_code": (expert(home_lg_code="999999"), "home_lg_code", "unknown local-government code"),
    "lost leading zero": (expert(home_lg_code="11002"), "home_lg_code", "leading zero"),
    "level 5": (expert(skills={"backend_dev": 5}), "skills.backend_dev", "out of range"),
    "level -1": (expert(skills={"backend_dev": -1}), "skills.backend_dev", "out of range"),
    "level as text": (expert(skills={"backend_dev": "3"}), "skills.backend_dev", "whole number"),
    "hours 800": (expert(hours_per_month=800), "hours_per_month", "out of range"),
    "malformed date": (expert(available_from="2026/12/01"), "available_from", "not a date"),
    "impossible date": (expert(available_from="2026-02-30"), "available_from", "not a date"),
    "until before from": (expert(available_until="2026-11-30"), "available_until", "before available_from"),
    "name too long": (expert(name="長" * 101), "name", "limit is 100"),
    "bio too long": (expert(bio="a" * 4001), "bio", "limit is 4000"),
    "malformed email": (expert(email="hanako.example.jp"), "email", "not an email"),
    "fee unit": (expert(fee={"unit": "week", "amount": 1}), "fee.unit", "unknown fee unit"),
    "fee amount text": (expert(fee={"unit": "hour", "amount": "8000円"}), "fee.amount", "whole number"),
    "work style key": (expert(work_styles={"remote": True, "hybrid": True}), "work_styles.hybrid", "unknown key"),
    "work style not bool": (expert(work_styles={"remote": "yes"}), "work_styles.remote", "true or false"),
    "rating 6": (expert(engagements=_engagement(rating=6)), "engagements[0].rating", "out of range"),
    "rating 0": (expert(engagements=_engagement(rating=0)), "engagements[0].rating", "out of range"),
    "engagement hours 800": (expert(engagements=_engagement(hours_per_month=800)),
                             "engagements[0].hours_per_month", "out of range"),
    "end before start": (expert(engagements=_engagement(end="2024-03-31")), "engagements[0].end", "before start"),
    "active with rating": (expert(engagements=_engagement(status="active", end=None, would_rehire=None)),
                           "engagements[0].rating", "active engagement"),
    "completed without end": (expert(engagements=_engagement(end=None)), "engagements[0].end", "needs an end"),
    "engagement status": (expert(engagements=_engagement(status="paused")), "engagements[0].status",
                          "unknown engagement status"),
    "proposed with rating": (expert(engagements=_engagement(status="proposed")), "engagements[0].rating",
                             "cannot be rated"),
    "cancelled with rating": (expert(engagements=_engagement(status="cancelled")), "engagements[0].rating",
                              "cannot be rated"),
    "no organization": (expert(engagements=[_without(EXPERT["engagements"][0], "org_lg_code")]),
                        "engagements[0].org_lg_code", "missing"),
    "two organizations": (expert(engagements=_engagement(org=NPO)), "engagements[0].org", "not both"),
    "org kind": (expert(engagements=_engagement(org_lg_code=None, org=NPO | {"kind": "municipality"})),
                 "engagements[0].org.kind", "unknown organization kind"),
    "org key is an lg_code": (expert(engagements=_engagement(org_lg_code=None, org=NPO | {"key": "202151"})),
                              "engagements[0].org.key", "org_lg_code"),
    "org without name": (expert(engagements=_engagement(org_lg_code=None, org=_without(NPO, "name"))),
                         "engagements[0].org.name", "missing"),
    "org prefecture": (expert(engagements=_engagement(org_lg_code=None, org=NPO | {"prefecture_code": "48"})),
                       "engagements[0].org.prefecture_code", "unknown prefecture"),
    "comment without rating": (expert(engagements=_engagement(rating=None, would_rehire=None, comment="良い")),
                               "engagements[0].comment", "needs a rating"),
    "skill rating 6": (expert(engagements=_engagement(skill_ratings={"backend_dev": 6})),
                       "engagements[0].skill_ratings.backend_dev", "out of range"),
    "skill rating unknown skill": (expert(engagements=_engagement(skill_ratings={"cooking": 3})),
                                   "engagements[0].skill_ratings.cooking", "unknown skill"),
    "outcome not text": (expert(engagements=_engagement(outcome=3)), "engagements[0].outcome", "must be a string"),
    "skill source": (expert(skills={"backend_dev": {"level": 3, "source": "guessed"}}), "skills.backend_dev.source",
                     "unknown skill source"),
    "skill mean without count": (expert(skills={"backend_dev": {"level": 3, "source": "rated", "rating_mean": 4}}),
                                 "skills.backend_dev.rating_mean", "rating count"),
    "skill object key": (expert(skills={"backend_dev": {"level": 3, "verified": True}}),
                         "skills.backend_dev.verified", "unknown key"),
    "skill object level 5": (expert(skills={"backend_dev": {"level": 5}}), "skills.backend_dev.level",
                             "out of range"),
    "expert status": (expert(status="asleep"), "status", "unknown expert status"),
    "visibility": (expert(visibility="everyone"), "visibility", "unknown visibility"),
    "listed not bool": (expert(listed="no"), "listed", "true or false"),
    "phone too long": (expert(phone="0" * 33), "phone", "limit is 32"),
    "confirmed without offset": (expert(availability_confirmed_at="2026-11-30T10:00:00"),
                                 "availability_confirmed_at", "offset"),
    "engagement org": (expert(engagements=_engagement(org_lg_code="123456")), "engagements[0].org_lg_code",
                       "unknown local-government code"),
    "engagement unknown key": (expert(engagements=_engagement(budget=1)), "engagements[0].budget", "unknown key"),
    "engagement missing title": (expert(engagements=[_without(EXPERT["engagements"][0], "title")]),
                                 "engagements[0].title", "missing"),
    "rehire without rating": (expert(engagements=_engagement(rating=None)), "engagements[0].would_rehire",
                              "needs a rating"),
    "engagements not a list": (expert(engagements={}), "engagements", "must be a list"),
}


@pytest.mark.parametrize("case", sorted(BAD_EXPERTS))
def test_interchange_reports_bad_expert(session, taxonomy, case):
    bad, field, fragment = BAD_EXPERTS[case]
    before = counts(session)
    report = interchange.import_experts(session, jsonl(expert("OK1"), bad, expert("OK2")), taxonomy)
    assert not report.ok
    assert any(e.line == 2 and e.field == field and fragment in e.message for e in report.errors), report.errors
    assert {e.line for e in report.errors} == {2}
    assert counts(session) == before


def test_interchange_reports_every_error_of_a_file_and_writes_nothing(session, taxonomy):
    interchange.import_experts(session, jsonl(expert("EXISTING")), taxonomy)
    before = counts(session)
    lines = [
        json.dumps(expert("A", name="更新されない"), ensure_ascii=False).encode(),  # 1: good
        b'{"external_id": "B", "name": ',                                            # 2: bad JSON
        json.dumps(expert("C", skills={"backend_dev": 9}, hours_per_month=1000)).encode(),  # 3: two errors
        b"[1, 2]",                                                                    # 4: not an object
        '{"external_id": "D", "name": "'.encode() + b"\xff\xfe" + b'", "talent_type": "D"}',  # 5: bad UTF-8
        json.dumps(expert("A")).encode(),                                             # 6: duplicate id
        json.dumps(expert("EXISTING", name="変更")).encode(),                          # 7: good
    ]
    report = interchange.import_experts(session, b"\n".join(lines) + b"\n", taxonomy)
    found = {(e.line, e.field) for e in report.errors}
    assert found == {(2, "json"), (3, "skills.backend_dev"), (3, "hours_per_month"), (4, "json"),
                     (5, "encoding"), (6, "external_id")}
    assert "already on line 1" in next(e.message for e in report.errors if e.line == 6)
    assert [e.line for e in report.errors] == sorted(e.line for e in report.errors)
    assert counts(session) == before
    assert session.scalars(select(ExpertProfile.name).where(ExpertProfile.external_id == "EXISTING")).one() \
        == "山田 花子"


def test_interchange_line_error_reads_line_field_message():
    assert str(interchange.LineError(7, "skills.x", "unknown skill id")) == "line 7: skills.x: unknown skill id"


def test_interchange_rejects_duplicate_keys_and_nan(taxonomy):
    data = b'{"external_id": "A", "external_id": "B", "name": "x", "talent_type": "D"}\n' \
           b'{"external_id": "C", "name": "x", "talent_type": "D", "hours_per_month": NaN}\n'
    parsed = interchange.parse_experts(data, taxonomy)
    assert [(e.line, e.field) for e in parsed.errors] == [(1, "json"), (2, "json")]
    assert "twice" in parsed.errors[0].message


def test_interchange_empty_file_imports_nothing(session, taxonomy):
    report = interchange.import_experts(session, b"", taxonomy)
    assert report.ok and (report.created, report.updated, report.records) == (0, 0, 0)


BAD_NEEDS = {
    "unknown key": (need(salary=1), "salary", "unknown key"),
    "missing stages": (_without(need(), "stages"), "stages", "missing"),
    "empty stages": (need(stages=[]), "stages", "at least one"),
    "unknown stage": (need(stages=["launch"]), "stages[0]", "unknown stage"),
    "unknown org": (need(org_lg_code="000000"), "org_lg_code", "unknown local-government code"),
    "org as number": (need(org_lg_code=202151), "org_lg_code", "must be a string"),
    "required level 0": (need(required_skills={"marketing": 0}), "required_skills.marketing", "out of range"),
    "required level 5": (need(required_skills={"marketing": 5}), "required_skills.marketing", "out of range"),
    "unknown skill": (need(required_skills={"cooking": 2}), "required_skills.cooking", "unknown skill"),
    "weight 0": (need(required_skills={"marketing": {"level": 2, "weight": 0}}),
                 "required_skills.marketing.weight", "out of range"),
    "both must and nice": (need(nice_to_have_skills={"business_research": 1}),
                           "nice_to_have_skills.business_research", "required skill already"),
    "work style": (need(work_style="anywhere"), "work_style", "unknown work style"),
    "engagement form": (need(engagement_form="gift"), "engagement_form", "unknown engagement form"),
    "hours 745": (need(hours_per_month=745), "hours_per_month", "out of range"),
    "end before start": (need(end="2027-03-31"), "end", "before start"),
    "budget as number": (need(budget=10000), "budget", "must be an object"),
    "budget without unit": (need(budget={"max": 10000}), "budget.unit", "missing"),
    "title too long": (need(title="t" * 201), "title", "limit is 200"),
    "status": (need(status="archived"), "status", "unknown need status"),
    "talent type": (need(talent_type="Y"), "talent_type", "unknown talent type"),
}


@pytest.mark.parametrize("case", sorted(BAD_NEEDS))
def test_interchange_reports_bad_need(session, taxonomy, case):
    bad, field, fragment = BAD_NEEDS[case]
    before = counts(session)
    report = interchange.import_needs(session, jsonl(need("OK1"), bad), taxonomy)
    assert any(e.line == 2 and e.field == field and fragment in e.message for e in report.errors), report.errors
    assert {e.line for e in report.errors} == {2}
    assert counts(session) == before


def test_interchange_need_duplicate_external_id(session, taxonomy):
    report = interchange.import_needs(session, jsonl(need("N1"), need("N1")), taxonomy)
    assert [(e.line, e.field) for e in report.errors] == [(2, "external_id")]
    assert session.scalar(select(func.count()).select_from(Need)) == 0


def test_interchange_refuses_nul_characters_in_text(session, taxonomy):
    from hub.services.interchange import parse_experts
    line = ('{"external_id": "T1", "name": "山田\\u0000花子", "talent_type": "D", "home_lg_code": "202151", '
            '"hours_per_month": 10}\n')
    parsed = parse_experts(line.encode(), taxonomy)
    assert [(e.line, e.field) for e in parsed.errors] == [(1, "name")]
    assert "NUL" in parsed.errors[0].message
