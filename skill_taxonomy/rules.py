"""The published rules of adviser dispatch and of routing, read from data/dispatch_rules.yaml.

    rules = skill_taxonomy.load_rules()
    rules.dispatch.max_onsite_days                      # 3
    rules.fiscal_year(date(2027, 2, 1))                 # 2026 (April to March)
    [(route.id, route.fits) for route in rules.route({"requester_kind": "business", "months": 1, ...})]

No Flask, no database: the hub's services and pages ask this object, so a changed number in the file changes
the hub everywhere. A malformed file raises RulesError naming what is wrong.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .model import ENGAGEMENT_FORMS, ORGANIZATION_KINDS, Named

RULES_FILE = Path(__file__).resolve().parent / "data" / "dispatch_rules.yaml"
ROUTING_FIELDS = ("requester_kind", "months", "days_per_month", "hours_per_month", "onsite_days_per_month",
                  "has_budget", "total_hours")
TESTS = ("in", "not_in", "min", "max", "equals")


class RulesError(ValueError):
    """The rules file is malformed."""


@dataclass(frozen=True)
class DispatchRules:
    """The adviser dispatch scheme's rules, as published."""

    max_onsite_days: int
    max_online_hours: int
    hours_per_onsite_day: int
    application_months: tuple[int, ...]
    report_due_days: int
    same_adviser_same_project_per_fiscal_year: int
    follow_up_fiscal_years_after: int
    direct_requesters: tuple[str, ...]
    recommended_requesters: tuple[str, ...]
    recommenders: tuple[str, ...]

    @property
    def requesters(self) -> tuple[str, ...]:
        return self.direct_requesters + self.recommended_requesters


@dataclass(frozen=True)
class Test:
    """One comparison of a routing field: `field` `op` `value`."""

    field: str
    op: str
    value: Any

    def holds(self, facts: Mapping[str, Any]) -> bool:
        have = facts.get(self.field)
        if have is None:
            return False
        if self.op == "in":
            return have in self.value
        if self.op == "not_in":
            return have not in self.value
        if self.op == "min":
            return have >= self.value
        if self.op == "max":
            return have <= self.value
        return have == self.value  # equals


@dataclass(frozen=True)
class RouteRule(Named):
    """A published rule of a route; `when` (if any) says when it applies."""

    id: str
    test: Test
    when: Test | None
    rule_ja: str
    rule_en: str
    name_ja: str = ""
    name_en: str = ""
    description_ja: str = ""
    description_en: str = ""

    def text(self, locale: object = "ja") -> str:
        return self.rule_en if str(locale).startswith("en") else self.rule_ja


@dataclass(frozen=True)
class Route(Named):
    id: str
    name_ja: str
    name_en: str
    description_ja: str
    description_en: str
    starts: str | None  # "dispatch", "need" or None (run outside the hub)
    engagement_form: str | None
    rules: tuple[RouteRule, ...]


@dataclass(frozen=True)
class RuleCheck:
    """How one rule fared for the facts: applies (its `when` held) and holds."""

    rule: RouteRule
    applies: bool
    holds: bool


@dataclass(frozen=True)
class RouteAnswer:
    route: Route
    checks: tuple[RuleCheck, ...]

    @property
    def fits(self) -> bool:
        return all(check.holds for check in self.checks if check.applies)

    @property
    def failed(self) -> tuple[RuleCheck, ...]:
        return tuple(check for check in self.checks if check.applies and not check.holds)


@dataclass(frozen=True)
class Rules:
    fiscal_year_start_month: int
    dispatch: DispatchRules
    routes: tuple[Route, ...]

    def fiscal_year(self, day: date) -> int:
        """The fiscal year a day belongs to, named by the calendar year it starts in (FY2026: 2026-04..2027-03)."""
        return day.year if day.month >= self.fiscal_year_start_month else day.year - 1

    def fiscal_year_start(self, fiscal_year: int) -> date:
        return date(fiscal_year, self.fiscal_year_start_month, 1)

    def route(self, facts: Mapping[str, Any]) -> list[RouteAnswer]:
        """Check every route against the facts; fitting routes first, in the file's order otherwise."""
        facts = dict(facts)
        if facts.get("months") is not None and facts.get("hours_per_month") is not None:
            facts["total_hours"] = facts["months"] * facts["hours_per_month"]
        answers = []
        for route in self.routes:
            checks = []
            for rule in route.rules:
                applies = rule.when is None or rule.when.holds(facts)
                checks.append(RuleCheck(rule, applies, applies and rule.test.holds(facts)))
            answers.append(RouteAnswer(route, tuple(checks)))
        return sorted(answers, key=lambda answer: not answer.fits)


def _test(raw: Any, where: str) -> Test:
    if not isinstance(raw, dict) or "field" not in raw or len(raw) != 2:
        raise RulesError(f"{where}: a test is {{field: NAME, <op>: VALUE}}, got {raw!r}")
    if raw["field"] not in ROUTING_FIELDS:
        raise RulesError(f"{where}: unknown field {raw['field']!r} (one of {', '.join(ROUTING_FIELDS)})")
    op = next(key for key in raw if key != "field")
    if op not in TESTS:
        raise RulesError(f"{where}: unknown test {op!r} (one of {', '.join(TESTS)})")
    value = tuple(raw[op]) if op in ("in", "not_in") else raw[op]
    return Test(raw["field"], op, value)


def _kinds(values: Any, where: str) -> tuple[str, ...]:
    values = tuple(values or ())
    if unknown := [v for v in values if v not in ORGANIZATION_KINDS]:
        raise RulesError(f"{where}: unknown organization kinds {unknown!r}")
    return values


def parse_rules(data: Mapping[str, Any]) -> Rules:
    """Build Rules from the parsed YAML; raise RulesError on anything missing or unknown."""
    try:
        raw = dict(data["dispatch"])
        months = tuple(int(m) for m in raw.pop("application_months"))
        if not months or any(not 1 <= m <= 12 for m in months):
            raise RulesError(f"dispatch.application_months: months 1-12, got {months!r}")
        dispatch = DispatchRules(
            application_months=months,
            direct_requesters=_kinds(raw.pop("direct_requesters"), "dispatch.direct_requesters"),
            recommended_requesters=_kinds(raw.pop("recommended_requesters"), "dispatch.recommended_requesters"),
            recommenders=_kinds(raw.pop("recommenders"), "dispatch.recommenders"),
            **{key: int(raw.pop(key)) for key in (
                "max_onsite_days", "max_online_hours", "hours_per_onsite_day", "report_due_days",
                "same_adviser_same_project_per_fiscal_year", "follow_up_fiscal_years_after")})
        if raw:
            raise RulesError(f"dispatch: unknown keys {sorted(raw)!r}")
        routes = []
        for entry in data["routes"]:
            where = f"routes.{entry.get('id')}"
            starts = entry.get("starts")
            form = entry.get("engagement_form")
            if starts not in ("dispatch", "need", None):
                raise RulesError(f"{where}.starts: dispatch, need or null, got {starts!r}")
            if starts == "need" and form not in ENGAGEMENT_FORMS:
                raise RulesError(f"{where}.engagement_form: one of {ENGAGEMENT_FORMS!r}, got {form!r}")
            rules = tuple(RouteRule(
                id=rule["id"], test=_test(rule["test"], f"{where}.{rule['id']}.test"),
                when=_test(rule["when"], f"{where}.{rule['id']}.when") if "when" in rule else None,
                rule_ja=rule["rule_ja"], rule_en=rule["rule_en"]) for rule in entry["rules"])
            routes.append(Route(id=entry["id"], name_ja=entry["name_ja"], name_en=entry["name_en"],
                                description_ja=entry.get("description_ja", ""),
                                description_en=entry.get("description_en", ""), starts=starts,
                                engagement_form=form, rules=rules))
        start = int(data["fiscal_year_start_month"])
    except (KeyError, TypeError) as exc:
        raise RulesError(f"dispatch rules: missing or malformed {exc}") from None
    if len({route.id for route in routes}) != len(routes):
        raise RulesError("routes: an id twice")
    return Rules(fiscal_year_start_month=start, dispatch=dispatch, routes=tuple(routes))


def load_rules(path: Path | str | None = None) -> Rules:
    """Return the rules of `path`, or the shipped file (read once, then cached)."""
    if path is None:
        return _shipped()
    with open(path, encoding="utf-8") as f:
        return parse_rules(yaml.safe_load(f))


@lru_cache(maxsize=1)
def _shipped() -> Rules:
    with open(RULES_FILE, encoding="utf-8") as f:
        return parse_rules(yaml.safe_load(f))
