"""A small dispatch world: 信越 and 関東 bureaus, a local business recommended by 塩尻市, advisers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hub.models import ExpertScheme, Organization, User
from hub.services import dispatch
from hub.services.organizations import create_organization
from tests.web.needs_factories import expert, org, user

IN_WINDOW = date(2026, 10, 5)  # October: a monthly application window of the scheme


@dataclass
class DispatchWorld:
    shiojiri: Organization
    business: Organization
    npo: Organization
    kanto_business: Organization
    shinetsu: Organization
    kanto: Organization
    muni_staff: User
    business_staff: User
    npo_staff: User
    bureau_staff: User
    other_bureau_staff: User
    admin: User
    adviser: object
    adviser2: object
    non_adviser: object


def adviser(session, name: str, **extra):
    profile = expert(session, name=name, **extra)
    profile.schemes = [ExpertScheme(scheme="adviser")]
    session.flush()
    return profile


def build(session) -> DispatchWorld:
    shiojiri = org(session)
    shinetsu = create_organization(session, "bureau", "信越総合通信局", "20", code="BUREAU-SHINETSU-T")
    kanto = create_organization(session, "bureau", "関東総合通信局", "13", code="BUREAU-KANTO-T")
    business = create_organization(session, "business", "塩尻精密工業株式会社", "20")
    npo = create_organization(session, "npo", "NPO法人 信州まちづくりネット", "20")
    kanto_business = create_organization(session, "business", "東京の会社", "13")
    return DispatchWorld(
        shiojiri=shiojiri, business=business, npo=npo, kanto_business=kanto_business, shinetsu=shinetsu,
        kanto=kanto, muni_staff=user(session, "org_staff", shiojiri),
        business_staff=user(session, "org_staff", business), npo_staff=user(session, "org_staff", npo),
        bureau_staff=user(session, "bureau_staff", shinetsu), other_bureau_staff=user(session, "bureau_staff", kanto),
        admin=user(session, "admin"),
        adviser=adviser(session, "助言 一郎", skills={"business_strategy": 3}),
        adviser2=adviser(session, "助言 二葉", skills={"statistics_visualization": 3}),
        non_adviser=expert(session, name="一般 三太"))


def request_data(**overrides) -> dispatch.RequestData:
    values = dict(theme="製造現場のデータ活用", purpose="project_formation", stage_id="problem_identification",
                  wanted_from=date(2026, 11, 10), wanted_until=date(2026, 11, 30), field_ids=("local_industry",),
                  description="工場の稼働データを活かす事業を形にしたい。", days=2, online_hours=0)
    values.update(overrides)
    return dispatch.RequestData(**values)


def submitted(session, w: DispatchWorld, **overrides):
    """A local business's request, recommended by 塩尻市."""
    data = request_data(recommender_id=w.shiojiri.id, **overrides)
    return dispatch.submit(session, w.business_staff, w.business, data, on=IN_WINDOW)


def through(session, w: DispatchWorld, request, state: str, *, adviser=None, support_date=date(2026, 11, 12)):
    """Move a request along the happy path up to `state`."""
    steps = ["under_review", "approved", "assigned", "scheduled", "done", "reported"]
    for step in steps[:steps.index(state) + 1]:
        if step == "under_review":
            dispatch.start_review(session, w.bureau_staff, request)
        elif step == "approved":
            dispatch.approve(session, w.bureau_staff, request)
        elif step == "assigned":
            dispatch.assign(session, w.bureau_staff, request, (adviser or w.adviser).id)
        elif step == "scheduled":
            dispatch.schedule(session, w.bureau_staff, request, support_date)
        elif step == "done":
            dispatch.mark_done(session, w.bureau_staff, request, support_date, on=date(2026, 11, 20))
        elif step == "reported":
            dispatch.file_report(session, w.bureau_staff, request, "課題を整理し、実証の計画を助言した。")
    return request
