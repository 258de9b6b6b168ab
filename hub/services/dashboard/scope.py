"""What a dashboard covers: a scope (the nation, a bureau's region, a prefecture) and a period, and the SQL
pieces every dashboard query shares (listed experts and their hours left this month, a scope's needs,
dispatch requests and talent pool), so that the tables of one dashboard count the same things the same way.

Definitions (docs/dashboards.md says them in words):
- listed expert: active, listed, with listing consent, not deleted;
- remaining hours this month: the availability service's rule (hours offered minus the hours of active
  engagements overlapping the month, never below zero), zero when the expert is not available this month;
- open need of the period: status open, published within the period (days in Japan time);
- dispatch request of the period: submitted within the period, not rejected or cancelled;
- a scope's pool: listed experts who live in one of its prefectures, or list one of them as a travel
  prefecture and work on site or resident, or work remotely.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Float, and_, case, exists, func, literal, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from hub.gazetteer import Gazetteer, load_gazetteer
from hub.models import DispatchRequest, ExpertProfile, ExpertTravelPrefecture, Need, Organization
from hub.services.availability import committed_hours
from skill_taxonomy import load_rules

NATION, BUREAU, PREFECTURE = "nation", "bureau", "prefecture"
KINDS = (NATION, BUREAU, PREFECTURE)
JST = timezone(timedelta(hours=9))  # the hub's users count days in Japan time
EXCLUDED_DISPATCH_STATES = ("rejected", "cancelled")


@dataclass(frozen=True)
class Scope:
    """A dashboard's area: `key` is "" (nation), a bureau id (shinetsu) or a prefecture code (20)."""

    kind: str
    key: str
    prefecture_codes: tuple[str, ...]
    bureau_id: str | None  # the bureau of a bureau scope, or of a prefecture scope's prefecture

    @property
    def is_nation(self) -> bool:
        return self.kind == NATION

    def name(self, locale: object = "ja", gazetteer: Gazetteer | None = None) -> str:
        gazetteer = gazetteer or load_gazetteer()
        english = str(locale).startswith("en")
        if self.kind == NATION:
            return "Japan" if english else "全国"
        if self.kind == BUREAU:
            bureau = gazetteer.bureaus[self.key]
            return bureau.name_en if english else bureau.name_ja
        return prefecture_name(self.key, locale, gazetteer)


def nation() -> Scope:
    return Scope(NATION, "", tuple(p.prefecture_code for p in load_gazetteer().prefectures()), None)


def resolve(kind: str, key: str = "") -> Scope | None:
    """The scope a URL names, or None when there is no such bureau or prefecture."""
    gazetteer = load_gazetteer()
    if kind == NATION:
        return nation()
    if kind == BUREAU and key in gazetteer.bureaus:
        return Scope(BUREAU, key, tuple(sorted(gazetteer.bureaus[key].prefecture_codes)), key)
    if kind == PREFECTURE and len(key) == 2 and key.isdigit() and any(
            p.prefecture_code == key for p in gazetteer.prefectures()):
        return Scope(PREFECTURE, key, (key,), gazetteer.bureau_of(key).id)
    return None


def prefecture_name(code: str, locale: object = "ja", gazetteer: Gazetteer | None = None) -> str:
    """A prefecture's name in the viewer's language (the gazetteer's English name where it has one)."""
    return (gazetteer or load_gazetteer()).prefecture_names(str(locale)).get(code, code)


def municipality_name(lg_code: str, locale: object = "ja", gazetteer: Gazetteer | None = None) -> str:
    place = (gazetteer or load_gazetteer()).by_code(lg_code)
    if place is None:
        return lg_code
    english = str(locale).startswith("en") and getattr(place, "name_en", None)
    return english or place.name


# -- the period ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included (Japan time)."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        """The period's first instant, as a UTC timestamp for comparing stored (UTC) times."""
        return datetime.combine(self.start, time(0), tzinfo=JST).astimezone(timezone.utc)

    @property
    def until(self) -> datetime:
        """The instant after the period's last day."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=JST).astimezone(timezone.utc)

    def holds(self, column):
        """SQL: the timestamp column falls within the period."""
        return and_(column >= self.since, column < self.until)

    def query(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def fiscal_year_start(day: date) -> date:
    rules = load_rules()
    return rules.fiscal_year_start(rules.fiscal_year(day))


def default_period(today: date) -> Period:
    """This fiscal year (April to March, the rules file says) up to today."""
    return Period(fiscal_year_start(today), today)


def quick_periods(today: date) -> list[tuple[str, Period]]:
    """The quick choices of the period form: (id, period)."""
    this_fy = fiscal_year_start(today)
    last_fy = fiscal_year_start(this_fy - timedelta(days=1))
    month_start = today.replace(day=1)
    return [("this_fiscal_year", Period(this_fy, today)),
            ("last_fiscal_year", Period(last_fy, this_fy - timedelta(days=1))),
            ("this_month", Period(month_start, today)),
            ("last_90_days", Period(today - timedelta(days=89), today))]


def month_of(today: date) -> tuple[date, date]:
    """The calendar month of `today`: the month whose hours left the dashboards count."""
    return today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])


# -- SQL pieces ----------------------------------------------------------------------------------------------

class days_between(FunctionElement):
    """Days (fractional) from the second timestamp to the first, on SQLite and PostgreSQL alike."""

    inherit_cache = True
    type = Float()


@compiles(days_between)
def _days_between_default(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return f"(julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)}))"


@compiles(days_between, "postgresql")
def _days_between_pg(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return (f"(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"
            " / 86400.0)")


def listed_condition():
    """Listed experts: active, listed, with consent, not deleted (the matcher's first hard filter)."""
    return and_(ExpertProfile.status == "active", ExpertProfile.listed.is_(True),
                ExpertProfile.listing_consented_at.is_not(None), ExpertProfile.deleted_at.is_(None))


def supply_subquery(today: date):
    """Listed experts with their hours left this month: id, prefecture_code, home_lg_code, remote, onsite,
    resident, remaining (one row per expert, aggregated in SQL)."""
    first, last = month_of(today)
    committed = committed_hours(first, last)
    left = ExpertProfile.hours_per_month - func.coalesce(committed.c.hours, 0)
    available = and_(or_(ExpertProfile.available_from.is_(None), ExpertProfile.available_from <= last),
                     or_(ExpertProfile.available_until.is_(None), ExpertProfile.available_until >= first))
    remaining = case((and_(available, left > 0), left), else_=0)
    return (select(ExpertProfile.id, ExpertProfile.prefecture_code, ExpertProfile.home_lg_code,
                   ExpertProfile.remote, ExpertProfile.onsite, ExpertProfile.resident,
                   remaining.label("remaining"))
            .outerjoin(committed, committed.c.expert_id == ExpertProfile.id)
            .where(listed_condition()).subquery("supply"))


def travels_to(supply, codes):
    """SQL: the expert of `supply` works on site or resident and lists one of `codes` as a travel prefecture."""
    return and_(or_(supply.c.onsite.is_(True), supply.c.resident.is_(True)), exists().where(
        ExpertTravelPrefecture.expert_id == supply.c.id, ExpertTravelPrefecture.prefecture_code.in_(codes)))


def in_pool(supply, scope: Scope):
    """SQL: the expert of `supply` is in the scope's pool (everyone, for the nation)."""
    if scope.is_nation:
        return true()
    codes = list(scope.prefecture_codes)
    # Cheapest test first: most experts work remotely, and the travel prefectures need a lookup.
    return or_(supply.c.remote.is_(True), supply.c.prefecture_code.in_(codes), travels_to(supply, codes))


def need_prefecture():
    return func.substr(Need.location_lg_code, 1, 2)


def open_needs_condition(scope: Scope, period: Period):
    """SQL: open needs located in the scope, published in the period."""
    condition = and_(Need.status == "open", Need.published_at.is_not(None), period.holds(Need.published_at))
    if not scope.is_nation:
        condition = and_(condition, need_prefecture().in_(list(scope.prefecture_codes)))
    return condition


def published_needs_condition(scope: Scope, period: Period):
    """SQL: needs located in the scope published in the period, whatever became of them since."""
    condition = and_(Need.status != "draft", Need.published_at.is_not(None), period.holds(Need.published_at))
    if not scope.is_nation:
        condition = and_(condition, need_prefecture().in_(list(scope.prefecture_codes)))
    return condition


def need_in_scope(scope: Scope):
    return true() if scope.is_nation else need_prefecture().in_(list(scope.prefecture_codes))


def dispatch_query(scope: Scope, period: Period, *columns):
    """SELECT columns FROM dispatch requests of the scope (by the requester's prefecture) submitted in the
    period; the caller adds the grouping and what else it filters."""
    query = (select(*columns).select_from(DispatchRequest)
             .join(Organization, Organization.id == DispatchRequest.requester_id)
             .where(period.holds(DispatchRequest.created_at)))
    if not scope.is_nation:
        query = query.where(Organization.prefecture_code.in_(list(scope.prefecture_codes)))
    return query


def dispatch_hours():
    """SQL: the hours a request asks: days on site at the rules' hours per day, plus its online hours
    (hub.services.dispatch.dispatch_hours, the capacity rule)."""
    per_day = load_rules().dispatch.hours_per_onsite_day
    return DispatchRequest.days * literal(per_day) + DispatchRequest.online_hours


def report_overdue_condition(today: date):
    """SQL: a support done whose report is past due (hub.services.dispatch.is_report_overdue)."""
    due_days = load_rules().dispatch.report_due_days
    return and_(DispatchRequest.state == "done", DispatchRequest.support_date.is_not(None),
                DispatchRequest.support_date < today - timedelta(days=due_days))


__all__ = ["BUREAU", "KINDS", "NATION", "PREFECTURE", "Period", "Scope", "days_between", "default_period",
           "dispatch_hours", "dispatch_query", "in_pool", "listed_condition", "month_of",
           "municipality_name", "need_in_scope", "nation", "open_needs_condition", "prefecture_name",
           "published_needs_condition", "quick_periods", "report_overdue_condition", "resolve",
           "supply_subquery", "travels_to"]
