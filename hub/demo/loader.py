"""Load the demo set into an empty database: experts and needs through the interchange import, the rest directly.

The import service validates and writes what the interchange format can say (experts with their history,
needs); this module adds what it cannot: organizations of every kind, demo logins, listing status,
evaluation comments and per-skill ratings, engagements from filled needs, shortlists, a pending contact
request, notifications and adviser dispatch requests. It flushes and never commits.
"""
from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import generate_password_hash

from hub.demo import texts
from hub.services.notifications import CONTACT_REQUEST, NEED_PUBLISHED
from hub.demo.generator import DEMO_EXPERT_EMAIL, SHIOJIRI, TOKYO_AREA, DemoSet, generate
from hub.gazetteer import Gazetteer, load_gazetteer
from hub.models import (DispatchAssignment, DispatchField, DispatchRequest, Engagement, EngagementField,
                        EngagementStage, Evaluation, EvaluationSkill, ExpertProfile, ExpertSkill, Need,
                        NeedStage, Notification, Organization, ShortlistEntry, User)
from hub.services import interchange
from hub.services.availability import remaining_hours_by_expert
from hub.services.organizations import create_organization, get_or_create_local_government
from skill_taxonomy import Taxonomy, load_rules

DEFAULT_SEED = 20261201
DEFAULT_EXPERTS = 320
DEFAULT_NEEDS = 64
DEMO_PASSWORD = "demo-password"
MATSUMOTO = "202029"  # 長野県松本市
NAGAOKA = "152021"  # 新潟県長岡市
NAGANO_PREFECTURE = "200000"  # 長野県
LOGINS = (  # email, role, display name, organization key
    ("admin@demo.example.jp", "admin", "ハブ運営事務局", None),
    ("bureau@demo.example.jp", "bureau_staff", "信越総合通信局 情報通信部 担当", "bureau:shinetsu"),
    ("shiojiri@demo.example.jp", "org_staff", "塩尻市 DX推進課 担当", SHIOJIRI),
    # Same bureau (信越) as 塩尻市, another municipality: sees 塩尻市's open needs but not their candidates.
    ("matsumoto@demo.example.jp", "org_staff", "松本市 DX推進課 担当", MATSUMOTO),
    # A prefecture's government: its supply-and-demand dashboard and talent pool (人材プール).
    ("nagano@demo.example.jp", "org_staff", "長野県 DX推進課 担当", NAGANO_PREFECTURE),
    (DEMO_EXPERT_EMAIL, "expert", None, None),
)


class DatabaseNotEmpty(RuntimeError):
    """The demo only fills an empty database; it never mixes with real data."""


class DemoDataInvalid(RuntimeError):
    """The generated objects failed the import's validation (a bug in the generator)."""


@dataclass
class DemoCounts:
    """What the demo put in the database."""

    experts: int = 0
    tokyo_area: int = 0
    needs: int = 0
    needs_per_stage: dict[str, int] = field(default_factory=dict)
    needs_per_status: dict[str, int] = field(default_factory=dict)
    engagements: int = 0
    active_engagements: int = 0
    evaluations: int = 0
    skill_ratings: int = 0
    experts_without_hours: int = 0
    organizations: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    shortlist_entries: int = 0
    notifications: int = 0
    dispatch_requests: int = 0
    experts_per_bureau: dict[str, int] = field(default_factory=dict)

    @property
    def tokyo_area_share(self) -> float:
        return self.tokyo_area / self.experts if self.experts else 0.0

    def lines(self) -> list[str]:
        """Return a short human-readable summary."""
        def joined(d: dict[str, int]) -> str:
            return ", ".join(f"{k} {v}" for k, v in d.items())
        return [
            f"experts: {self.experts} (Tokyo area {self.tokyo_area}, {self.tokyo_area_share:.0%}; "
            f"{self.experts_without_hours} with no hours left today)",
            f"experts per bureau: {joined(self.experts_per_bureau)}",
            f"needs: {self.needs} (per stage: {joined(self.needs_per_stage)}; per status: "
            f"{joined(self.needs_per_status)})",
            f"engagements: {self.engagements} ({self.active_engagements} active); evaluations: {self.evaluations} "
            f"({self.skill_ratings} per-skill ratings)",
            f"organizations: {joined(self.organizations)}",
            f"users: {joined(self.users)}",
            f"shortlist entries: {self.shortlist_entries}; notifications: {self.notifications}; "
            f"dispatch requests: {self.dispatch_requests}",
        ]


def is_empty(session: Session) -> bool:
    """Tell whether the database holds no experts, needs or users yet."""
    return not any(session.scalar(select(func.count()).select_from(model)) for model in (ExpertProfile, Need, User))


def _jsonl(objects: list[dict]) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode("utf-8")


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def load_demo(session: Session, taxonomy: Taxonomy, *, seed: int = DEFAULT_SEED, n_experts: int = DEFAULT_EXPERTS,
              n_needs: int = DEFAULT_NEEDS, gazetteer: Gazetteer | None = None,
              password: str = DEMO_PASSWORD) -> DemoCounts:
    """Fill an empty database with the demo set of `seed`; raise DatabaseNotEmpty otherwise. Never commits."""
    if n_experts < 1 or n_needs < 5:
        raise ValueError("the demo needs at least 1 expert and 5 needs")
    if not is_empty(session):
        raise DatabaseNotEmpty("the database already has experts, needs or users")
    gazetteer = gazetteer or load_gazetteer()
    demo = generate(seed, n_experts, n_needs, taxonomy, gazetteer)
    rng = random.Random(f"{seed}:loader")

    for kind, objects, importer in (("experts", demo.experts, interchange.import_experts),
                                    ("needs", demo.needs, interchange.import_needs)):
        report = importer(session, _jsonl(objects), taxonomy, filename=f"demo-{kind}.jsonl", gazetteer=gazetteer)
        if not report.ok:
            shown = "; ".join(str(e) for e in report.errors[:5])
            raise DemoDataInvalid(f"generated {kind} failed validation ({len(report.errors)} errors): {shown}")

    orgs = _organizations(session, gazetteer)
    users = _users(session, orgs, password)
    experts = {e.external_id: e for e in session.scalars(
        select(ExpertProfile).options(selectinload(ExpertProfile.skills), selectinload(ExpertProfile.engagements)
                                      .selectinload(Engagement.organization)))}
    needs = {n.external_id: n for n in session.scalars(select(Need).options(selectinload(Need.organization)))}
    _expert_details(demo, experts, users)
    _evaluations(demo, experts, users)
    _needs_details(needs, users)
    _filled_needs(session, rng, needs, experts)
    _shortlists(session, rng, needs, experts, users)
    _dispatches(session, rng, orgs, experts, users)
    session.flush()
    return count(session, gazetteer)


def _organizations(session: Session, gazetteer: Gazetteer) -> dict[str, Organization]:
    """Bureaus, NPOs, universities, chambers and businesses; local governments come with the imports."""
    orgs: dict[str, Organization] = {}
    for bureau in gazetteer.bureaus.values():
        orgs[f"bureau:{bureau.id}"] = create_organization(
            session, "bureau", bureau.name_ja, bureau.prefecture_codes[0], code=f"BUREAU-{bureau.id.upper()}",
            gazetteer=gazetteer)
    for kind, entries in (("npo", texts.NPOS), ("university", texts.UNIVERSITIES), ("chamber", texts.CHAMBERS),
                          ("business", texts.BUSINESSES)):
        for i, (name, pref) in enumerate(entries, start=1):
            orgs[f"{kind}:{i}"] = create_organization(session, kind, name, pref,
                                                      code=f"{kind[:3].upper()}-{pref}-DEMO{i}", gazetteer=gazetteer)
    orgs[SHIOJIRI] = get_or_create_local_government(session, SHIOJIRI, gazetteer)
    for code in ("150002", MATSUMOTO, NAGANO_PREFECTURE, NAGAOKA):  # 新潟県, 松本市, 長野県, 長岡市 for dispatches
        orgs[code] = get_or_create_local_government(session, code, gazetteer)
    return orgs


def _users(session: Session, orgs: dict[str, Organization], password: str) -> dict[str, User]:
    users: dict[str, User] = {}
    approved = _at(date(2026, 4, 1), 9)
    for email, role, display, org_key in LOGINS:
        user = User(email=email, password_hash=generate_password_hash(password), display_name=display or "",
                    role=role, organization=orgs[org_key] if org_key else None, locale="ja", approved_at=approved,
                    verified_at=approved)
        session.add(user)
        users.setdefault(role, user)  # the first login of a role acts in the demo (塩尻市 for org_staff)
    session.flush()
    return users


def _expert_details(demo: DemoSet, experts: dict[str, ExpertProfile], users: dict[str, User]) -> None:
    for external_id, (status, listed) in demo.expert_status.items():
        expert = experts[external_id]
        expert.status, expert.listed = status, listed
    for expert in experts.values():
        # The roster's consent, on a fixed day so the demo stays reproducible; an unlisted expert has none on
        # record (listing follows the consent).
        expert.listing_consented_at = _at(date(2026, 10, 1)) if expert.listed else None
    rich = experts[demo.demo_expert_id]
    rich.user = users["expert"]
    rich.visibility = "public"
    rich.phone = "090-0000-0000"
    rich.availability_confirmed_at = _at(date(2026, 11, 20))
    users["expert"].display_name = rich.name


def _evaluations(demo: DemoSet, experts: dict[str, ExpertProfile], users: dict[str, User]) -> None:
    """Comments and per-skill ratings; rated skills carry their mean rating and count."""
    ratings: dict[tuple[str, str], list[int]] = {}
    for expert in experts.values():
        for engagement in expert.engagements:
            if engagement.evaluation is None:
                continue
            key = (expert.external_id, engagement.organization.lg_code, engagement.start_date.isoformat(),
                   engagement.title)
            if key in demo.comments:
                engagement.evaluation.comment = demo.comments[key]
            for skill_id, rating in sorted(demo.skill_ratings.get(key, {}).items()):
                engagement.evaluation.skill_ratings.append(EvaluationSkill(skill_id=skill_id, rating=rating))
                ratings.setdefault((expert.external_id, skill_id), []).append(rating)
            if engagement.organization.lg_code == SHIOJIRI:
                engagement.evaluation.evaluator_id = users["org_staff"].id
    for (external_id, skill_id), values in ratings.items():
        expert = experts[external_id]
        row = next((s for s in expert.skills if s.skill_id == skill_id), None)
        if row is None:
            row = ExpertSkill(skill_id=skill_id, level=max(1, min(4, round(sum(values) / len(values)) - 1)))
            expert.skills.append(row)
        row.source = "rated"
        row.rating_mean = round(sum(values) / len(values), 2)
        row.rating_count = len(values)


def _needs_details(needs: dict[str, Need], users: dict[str, User]) -> None:
    for need in needs.values():
        if need.status != "draft":
            need.published_at = _at(date(need.start_date.year, need.start_date.month, 1)
                                    if need.status in ("filled", "closed") else date(2026, 11, 1))
        if need.organization.lg_code == SHIOJIRI:
            need.created_by_id = users["org_staff"].id


def _pick_experts(rng: random.Random, candidates: list[ExpertProfile], k: int) -> list[ExpertProfile]:
    return rng.sample(candidates, k=min(k, len(candidates)))


def _fitting(experts: dict[str, ExpertProfile], need: Need, exclude: set[str]) -> list[ExpertProfile]:
    """Listed, active experts whose type and stages fit the need (a cheap stand-in for the matcher)."""
    stages = set(need.stage_ids)
    wanted = need.talent_type
    return [e for id_, e in sorted(experts.items())
            if id_ not in exclude and e.status == "active" and e.listed
            and (wanted is None or wanted in e.talent_type or e.talent_type in wanted)
            and stages & set(e.stage_ids)]


def _filled_needs(session: Session, rng: random.Random, needs: dict[str, Need],
                  experts: dict[str, ExpertProfile]) -> None:
    """A filled need has the expert who took it: an active engagement from the need, and an accepted entry."""
    session.flush()
    for external_id, need in sorted(needs.items()):
        if need.status != "filled":
            continue
        remaining = remaining_hours_by_expert(session, None, need.start_date, need.end_date)
        candidates = [e for e in _fitting(experts, need, {"T0001"}) if remaining.get(e.id, 0) >= 8]
        if not candidates:
            continue
        expert = rng.choice(candidates)
        hours = min(need.hours_per_month, remaining[expert.id])
        entry = ShortlistEntry(need=need, expert=expert, state="accepted", rank=1,
                               message="ご応募ありがとうございます。ぜひお願いしたく、ご連絡いたしました。",
                               contacted_at=_at(need.start_date), responded_at=_at(need.start_date, 15))
        session.add(entry)
        session.flush()
        engagement = Engagement(
            expert=expert, organization=need.organization, need_id=need.id, shortlist_entry_id=entry.id,
            source="need", title=need.title,
            role=f"{need.title}の担当として採用", contribution="進行中。着任後の現状把握と関係者ヒアリングを進めている。",
            start_date=need.start_date, end_date=need.end_date, hours_per_month=hours, status="active",
            stages=[EngagementStage(stage_id=s) for s in need.stage_ids],
            fields=[EngagementField(field_id=f) for f in need.field_ids])
        session.add(engagement)
        session.flush()


def _shortlists(session: Session, rng: random.Random, needs: dict[str, Need], experts: dict[str, ExpertProfile],
                users: dict[str, User]) -> None:
    """Shiojiri's open needs have shortlists; the demo expert has a pending contact request and notifications."""
    staff = users["org_staff"]
    rich = experts["T0001"]
    open_needs = [n for _, n in sorted(needs.items()) if n.status == "open" and n.organization.lg_code == SHIOJIRI]
    states = ("contacted", "shortlisted", "shortlisted", "offered", "declined")
    contact = None
    for i, need in enumerate(open_needs[:2]):
        chosen = _pick_experts(rng, _fitting(experts, need, {"T0001"}), 4)
        if i == 0:
            chosen = [rich] + chosen
        for rank, expert in enumerate(chosen, start=1):
            state = "contacted" if expert is rich else states[rank % len(states)]
            entry = ShortlistEntry(need=need, expert=expert, state=state, rank=rank, created_by_id=staff.id)
            if state in ("contacted", "offered", "declined"):
                entry.contacted_at = _at(date(2026, 11, 24))
                entry.message = ("塩尻市DX推進課です。募集中の案件について、これまでのご経験を踏まえて"
                                 "一度オンラインでお話を伺えないでしょうか。")
            if state in ("offered", "declined"):
                entry.responded_at = _at(date(2026, 11, 26))
            session.add(entry)
            if expert is rich:
                contact = entry
    session.flush()
    notifications = []
    if contact is not None:
        notifications.append(Notification(user_id=users["expert"].id, kind=CONTACT_REQUEST,
                                          need_id=contact.need.id, shortlist_entry_id=contact.id,
                                          payload={"need_title": contact.need.title,
                                                   "organization": contact.need.organization.name},
                                          created_at=_at(date(2026, 11, 24))))
    fitting = [n for _, n in sorted(needs.items()) if n.status == "open"
               and set(n.stage_ids) & set(rich.stage_ids) and n.organization.lg_code != SHIOJIRI][:2]
    for i, need in enumerate(fitting):
        notifications.append(Notification(user_id=users["expert"].id, kind=NEED_PUBLISHED, need_id=need.id,
                                          payload={"need_title": need.title,
                                                   "organization": need.organization.name},
                                          created_at=_at(date(2026, 11, 18 + i)),
                                          read_at=_at(date(2026, 11, 19 + i)) if i == 0 else None))
    session.add_all(notifications)


DISPATCHES = (  # requester key, theme, purpose, stage, fields, state, wanted month, visits, days, online
    ("npo:1", "高齢者向けスマホ講座の進め方と地域ボランティアの育成", "seminar", "adoption", ("welfare",),
     "under_review", 1, 1, 1, False),
    ("chamber:1", "地元事業者向け 生成AI活用セミナー", "seminar", "awareness", ("local_industry",), "approved", 2, 1, 1,
     True),
    (SHIOJIRI, "AIオンデマンド交通の運行データを使った事業評価の進め方", "follow_up", "operations", ("mobility",),
     "assigned", 1, 2, 2, True),
    ("chamber:2", "製造業のIoT導入に向けた勉強会と個別相談", "project_formation", "problem_identification",
     ("local_industry",), "submitted", 3, 1, 1, False),
    ("business:1", "工場の設備データ活用の進め方", "project_formation", "product_planning", ("local_industry",),
     "reported", -2, 2, 2, False),
    (MATSUMOTO, "観光DXの庁内勉強会", "seminar", "awareness", ("tourism",), "done", -1, 1, 1, False),
    ("150002", "県内市町村向け 防災DX研修", "seminar", "awareness", ("disaster_prevention",), "scheduled", 1, 1, 1,
     True),
    ("npo:2", "地域の見守り活動へのデータ活用", "project_formation", "problem_identification", ("welfare",),
     "submitted", 2, 1, 1, True),
    ("university:3", "学生と自治体の協働によるオープンデータ活用", "seminar", "awareness", ("data_linkage",),
     "followed_up", -10, 1, 1, False),
    ("npo:3", "子育て支援アプリの利用者調査の設計", "project_formation", "problem_identification", ("welfare",),
     "rejected", 1, 1, 1, True),
    # A local business and an NPO of 信越 through the whole way, a withdrawn request, and a report from last
    # fiscal year whose follow-up survey is open now (the reminder command mails it).
    ("business:1", "受発注業務のデジタル化と取引先との連携", "project_formation", "business_model", ("local_industry",),
     "followed_up", -11, 2, 2, False),
    ("npo:1", "見守りボランティアの活動記録アプリ", "follow_up", "ux_operations", ("welfare",), "reported", -10, 1, 0,
     True),
    ("npo:4", "里山の獣害対策にセンサーを使う事業の立ち上げ", "project_formation", "problem_identification",
     ("agriculture",), "approved", 1, 2, 3, False),
    (NAGAOKA, "窓口のキャッシュレス化の勉強会", "seminar", "awareness", ("government_dx",), "cancelled", 1, 1, 1, False),
)
REPORT = "現状の課題を整理し、次年度に向けた取組の優先順位について助言した。"
FOLLOW_UP = "助言を受けて実証の計画を作り、今年度から小さく始めた。"


def _month(offset: int) -> date:
    """The first day of a month counted from January 2027 (positive) or December 2026 (zero and negative)."""
    base = date(2027, 1, 1) if offset > 0 else date(2026, 12, 1)
    index = base.month - 1 + (offset - 1 if offset > 0 else offset)
    return date(base.year + index // 12, index % 12 + 1, 1)


def _dispatches(session: Session, rng: random.Random, orgs: dict[str, Organization],
                experts: dict[str, ExpertProfile], users: dict[str, User]) -> None:
    """Dispatch requests in every state, most of them for the Shinetsu bureau's demo login: recommended
    requests of NPOs, chambers and businesses, assignments (with their engagements), schedules, reports,
    follow-ups with the requester's evaluation."""
    from hub.services.dispatch import adviser_role
    rules = load_rules()
    advisers = [e for _, e in sorted(experts.items()) if "adviser" in e.scheme_ids and e.status == "active"]
    for key, theme, purpose, stage, fields, state, month, visits, days, online in DISPATCHES:
        requester = orgs[key]
        wanted = _month(month)
        recommender = None
        if requester.kind in rules.dispatch.recommended_requesters:
            recommender = orgs[SHIOJIRI] if requester.bureau_id == orgs[SHIOJIRI].bureau_id \
                else orgs[f"bureau:{requester.bureau_id}"]
        request = DispatchRequest(
            requester=requester, recommender=recommender, bureau_id=requester.bureau_id, theme=theme,
            purpose=purpose, stage_id=stage, project=theme,
            description=f"{requester.name}からの依頼です。{theme}について、専門家の助言を希望します。",
            wanted_from=wanted, wanted_until=date(wanted.year, wanted.month, 28), visits=visits,
            days=days if not online else min(days, 1), online_ok=online, online_hours=4 if online else 0,
            state=state, created_by_id=users["org_staff"].id if key == SHIOJIRI else None,
            fields=[DispatchField(field_id=f) for f in fields])
        session.add(request)
        session.flush()
        if state in ("assigned", "scheduled", "done", "reported", "followed_up"):
            adviser = rng.choice(advisers)
            support = wanted + timedelta(days=3)
            request.assignments.append(DispatchAssignment(
                expert_id=adviser.id, scheduled_on=support if state != "assigned" else None))
            finished = state in ("done", "reported", "followed_up")
            engagement = Engagement(
                expert=adviser, organization=requester, dispatch_id=request.id, source="dispatch", title=theme,
                role=adviser_role(), start_date=wanted, end_date=support if finished else request.wanted_until,
                hours_per_month=request.days * rules.dispatch.hours_per_onsite_day + request.online_hours,
                status="completed" if finished else "active",
                stages=[EngagementStage(stage_id=stage)], fields=[EngagementField(field_id=f) for f in fields])
            session.add(engagement)
            if finished:
                request.support_date = support
            if state in ("reported", "followed_up"):
                request.report = REPORT
                request.reported_at = _at(support + timedelta(days=5))
            if state == "followed_up":
                request.follow_up = FOLLOW_UP
                request.followed_up_at = _at(date(2026, 5, 20))
                request.follow_up_reminded_at = _at(date(2026, 4, 2))
                engagement.evaluation = Evaluation(overall=4.0, would_rehire=True, comment=FOLLOW_UP)
        if state == "rejected":
            request.decision_reason = "同じ内容の研修を今年度すでに実施しているため、来年度の申請をお願いします。"
        if state == "cancelled":
            request.decision_reason = "庁内の日程が合わなくなったため取り下げます。"


def count(session: Session, gazetteer: Gazetteer | None = None) -> DemoCounts:
    """Count what is in the database, the way the demo report shows it."""
    gazetteer = gazetteer or load_gazetteer()
    counts = DemoCounts()

    def scalar(query) -> int:
        return int(session.scalar(query) or 0)

    prefectures = Counter(session.scalars(select(ExpertProfile.prefecture_code)))
    counts.experts = sum(prefectures.values())
    counts.tokyo_area = sum(prefectures[p] for p in TOKYO_AREA)
    per_bureau: Counter[str] = Counter()
    for pref, n in prefectures.items():
        if pref:
            per_bureau[gazetteer.bureau_of(pref).id] += n
    counts.experts_per_bureau = {b: per_bureau[b] for b in gazetteer.bureaus}
    stage_counts = Counter(session.scalars(select(NeedStage.stage_id)))
    counts.needs_per_stage = {s: stage_counts[s] for s in ("awareness", "problem_identification", "business_model",
                                                           "product_planning", "development", "operations",
                                                           "ux_operations", "adoption")}
    counts.needs = scalar(select(func.count()).select_from(Need))
    counts.needs_per_status = dict(sorted(Counter(session.scalars(select(Need.status))).items()))
    counts.engagements = scalar(select(func.count()).select_from(Engagement))
    counts.active_engagements = scalar(select(func.count()).select_from(Engagement)
                                       .where(Engagement.status == "active"))
    counts.evaluations = scalar(select(func.count()).select_from(Evaluation))
    counts.skill_ratings = scalar(select(func.count()).select_from(EvaluationSkill))
    remaining = remaining_hours_by_expert(session, None, date(2026, 12, 1), date(2026, 12, 31))
    counts.experts_without_hours = sum(1 for hours in remaining.values() if hours == 0)
    counts.organizations = dict(sorted(Counter(session.scalars(select(Organization.kind))).items()))
    counts.users = dict(sorted(Counter(session.scalars(select(User.role))).items()))
    counts.shortlist_entries = scalar(select(func.count()).select_from(ShortlistEntry))
    counts.notifications = scalar(select(func.count()).select_from(Notification))
    counts.dispatch_requests = scalar(select(func.count()).select_from(DispatchRequest))
    return counts


def score_shortlists(session: Session, engine) -> int:
    """Store the matcher's score, signals and explanation on the demo's shortlist entries.

    The loader picks shortlisted experts by type and stage; this step records what the real matcher says of
    them, as a shortlist made in the hub would (accountable ranking). Needs the text embeddings, so it runs
    after them; returns the number of entries scored.
    """
    from hub.services.matching import shortlist

    scored = 0
    entries = list(session.scalars(select(ShortlistEntry).where(ShortlistEntry.signals.is_(None))
                                   .order_by(ShortlistEntry.need_id, ShortlistEntry.id)))
    by_need: dict[int, list[ShortlistEntry]] = {}
    for entry in entries:
        by_need.setdefault(entry.need_id, []).append(entry)
    total = session.scalar(select(func.count()).select_from(ExpertProfile))
    for need_id, need_entries in by_need.items():
        need = session.get(Need, need_id)
        outcome = engine.rank(session, need, top_k=max(total, 1), load_spreading=0.0)
        ranked = {m.expert_id: (position, m) for position, m in enumerate(outcome.matches, start=1)}
        for entry in need_entries:
            if entry.expert_id in ranked:
                position, match = ranked[entry.expert_id]
                shortlist(session, need, match, outcome.result, None, rank=position)
                scored += 1
    return scored
