"""The rules file (skill_taxonomy/data/dispatch_rules.yaml): the scheme's numbers, the fiscal year, and one test
per routing rule (each route's rules hold and fail at their edge, with the rule's published text)."""
from __future__ import annotations

from datetime import date

import pytest
import yaml

import skill_taxonomy
from skill_taxonomy import RulesError, load_rules
from skill_taxonomy.rules import RULES_FILE, parse_rules

RULES = load_rules()
# A request that fits adviser dispatch: a local business, one short case, two days on site, no budget.
SHORT_CASE = {"requester_kind": "business", "months": 1, "days_per_month": 2, "hours_per_month": 16,
              "onsite_days_per_month": 2, "has_budget": False}
# A municipality's long engagement with a budget.
LONG_TERM = {"requester_kind": "municipality", "months": 12, "days_per_month": 8, "hours_per_month": 60,
             "onsite_days_per_month": 4, "has_budget": True}


def answer(facts, route_id):
    return next(a for a in RULES.route(facts) if a.route.id == route_id)


def failed(facts, route_id):
    return [check.rule.id for check in answer(facts, route_id).failed]


def test_the_published_numbers_of_the_adviser_scheme():
    d = RULES.dispatch
    assert (d.max_onsite_days, d.max_online_hours, d.report_due_days) == (3, 10, 7)
    assert d.application_months == (4, 5, 6, 7, 8, 9, 10, 11, 12)
    assert d.same_adviser_same_project_per_fiscal_year == 1 and d.follow_up_fiscal_years_after == 1
    assert set(d.recommended_requesters) == {"npo", "university", "chamber", "business"}
    assert set(d.recommenders) == {"municipality", "bureau"}
    assert skill_taxonomy.load_rules() is RULES  # read once


@pytest.mark.parametrize(("day", "year"), [(date(2026, 4, 1), 2026), (date(2027, 3, 31), 2026),
                                           (date(2027, 4, 1), 2027), (date(2026, 1, 15), 2025)])
def test_the_fiscal_year_runs_april_to_march(day, year):
    assert RULES.fiscal_year(day) == year


# -- adviser dispatch ------------------------------------------------------------------------------------

def test_adviser_dispatch_fits_a_short_case_of_a_local_business():
    assert answer(SHORT_CASE, "adviser_dispatch").fits


def test_adviser_dispatch_requester_kind():
    assert failed({**SHORT_CASE, "requester_kind": "bureau"}, "adviser_dispatch") == ["requester_kind"]


def test_adviser_dispatch_short():
    assert failed({**SHORT_CASE, "months": 2}, "adviser_dispatch") == ["short"]


def test_adviser_dispatch_onsite_days_at_most_three():
    assert answer({**SHORT_CASE, "onsite_days_per_month": 3}, "adviser_dispatch").fits
    assert failed({**SHORT_CASE, "onsite_days_per_month": 4}, "adviser_dispatch") == ["onsite_days"]


def test_adviser_dispatch_online_hours_at_most_ten_and_only_when_online():
    online = {**SHORT_CASE, "onsite_days_per_month": 0, "hours_per_month": 10}
    assert answer(online, "adviser_dispatch").fits
    assert failed({**online, "hours_per_month": 11}, "adviser_dispatch") == ["online_hours"]
    checks = {c.rule.id: c for c in answer(SHORT_CASE, "adviser_dispatch").checks}
    assert not checks["online_hours"].applies  # on site: the online cap does not apply


# -- the external-talent list ----------------------------------------------------------------------------

def test_appointment_fits_a_municipalitys_year_with_a_budget():
    assert answer(LONG_TERM, "external_list_appointment").fits


def test_appointment_requester_kind():
    assert failed({**LONG_TERM, "requester_kind": "npo"}, "external_list_appointment") == ["requester_kind"]


def test_appointment_long_term():
    assert failed({**LONG_TERM, "months": 11}, "external_list_appointment") == ["long_term"]


def test_appointment_budget():
    assert failed({**LONG_TERM, "has_budget": False}, "external_list_appointment") == ["budget"]


# -- 地域活性化起業人 ---------------------------------------------------------------------------------------

CORPORATE = {"requester_kind": "municipality", "months": 12, "days_per_month": 20, "hours_per_month": 150,
             "onsite_days_per_month": 15, "has_budget": False}
SIDE_JOB = {"requester_kind": "municipality", "months": 6, "days_per_month": 4, "hours_per_month": 20,
            "onsite_days_per_month": 1, "has_budget": False}


def test_kigyojin_corporate_fits_half_a_month_on_site():
    assert answer(CORPORATE, "kigyojin_corporate").fits


@pytest.mark.parametrize(("change", "rule"), [
    ({"requester_kind": "business"}, "requester_kind"), ({"months": 5}, "period_min"), ({"months": 37}, "period_max"),
    ({"onsite_days_per_month": 14}, "half_month_on_site")])
def test_kigyojin_corporate_each_rule(change, rule):
    assert failed({**CORPORATE, **change}, "kigyojin_corporate") == [rule]


def test_kigyojin_side_job_fits_its_floors_exactly():
    assert answer(SIDE_JOB, "kigyojin_side_job").fits
    assert answer({**SIDE_JOB, "months": 36}, "kigyojin_side_job").fits


@pytest.mark.parametrize(("change", "rule"), [
    ({"requester_kind": "npo"}, "requester_kind"), ({"months": 5}, "period_min"), ({"months": 37}, "period_max"),
    ({"days_per_month": 3}, "days"), ({"hours_per_month": 19}, "hours"), ({"onsite_days_per_month": 0}, "on_site")])
def test_kigyojin_side_job_each_rule(change, rule):
    assert failed({**SIDE_JOB, **change}, "kigyojin_side_job") == [rule]


# -- the hub's own needs, the prefecture's pool --------------------------------------------------------

def test_hub_need_any_organization_with_a_budget():
    assert answer({**SHORT_CASE, "has_budget": True}, "hub_need").fits
    assert failed(SHORT_CASE, "hub_need") == ["budget"]
    assert failed({**SHORT_CASE, "has_budget": True, "requester_kind": "bureau"}, "hub_need") == ["requester_kind"]


def test_prefecture_pool_is_for_municipalities():
    assert answer(LONG_TERM, "prefecture_pool").fits
    assert failed(SHORT_CASE, "prefecture_pool") == ["requester_kind"]


def test_fitting_routes_come_first_and_every_rule_has_its_text_in_both_languages():
    answers = RULES.route(SHORT_CASE)
    fits = [a.fits for a in answers]
    assert fits == sorted(fits, reverse=True) and fits[0]
    for route in RULES.routes:
        assert route.name("ja") and route.name("en")
        for rule in route.rules:
            assert rule.text("ja") and rule.text("en") and rule.text("ja") != rule.text("en")


# -- the file is data: a changed number changes the answer; a broken file is refused ---------------------

def raw():
    with open(RULES_FILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_a_changed_number_in_the_file_changes_the_rule(tmp_path):
    data = raw()
    data["dispatch"]["max_onsite_days"] = 5
    data["routes"][0]["rules"][2]["test"]["max"] = 5
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    changed = load_rules(path)
    assert changed.dispatch.max_onsite_days == 5
    facts = {**SHORT_CASE, "onsite_days_per_month": 5}
    assert next(a for a in changed.route(facts) if a.route.id == "adviser_dispatch").fits
    assert not answer(facts, "adviser_dispatch").fits


@pytest.mark.parametrize("breakage", ["unknown_field", "unknown_test", "unknown_kind", "bad_month", "extra_key",
                                      "missing", "bad_starts"])
def test_a_broken_rules_file_is_refused_naming_the_problem(breakage):
    data = raw()
    if breakage == "unknown_field":
        data["routes"][0]["rules"][0]["test"] = {"field": "color", "in": ["red"]}
    elif breakage == "unknown_test":
        data["routes"][0]["rules"][1]["test"] = {"field": "months", "below": 2}
    elif breakage == "unknown_kind":
        data["dispatch"]["recommenders"] = ["municipality", "shrine"]
    elif breakage == "bad_month":
        data["dispatch"]["application_months"] = [4, 13]
    elif breakage == "extra_key":
        data["dispatch"]["max_budget"] = 1
    elif breakage == "missing":
        del data["dispatch"]["report_due_days"]
    elif breakage == "bad_starts":
        data["routes"][0]["starts"] = "phone"
    with pytest.raises(RulesError):
        parse_rules(data)
