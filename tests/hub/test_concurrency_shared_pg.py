"""Concurrency on PostgreSQL for shared needs (共同任用): the lead and a co-organization evaluate at once, each
eight times; one evaluation each, both folded into the expert's skill ratings, the rest refused with a message."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.models import Engagement, Evaluation, ExpertProfile, NeedShare, User
from hub.services import engagements
from hub.services.errors import Refused, conflicts_as
from tests.hub.test_concurrency_pg import END, START, _run_at_once, pytestmark, scratch, scratch_url  # noqa: F401
from tests.web.needs_factories import expert, need, org, user


def test_lead_and_co_organization_evaluate_at_once_each_once(scratch):
    with Session(scratch) as session:
        lead_org, co_org = org(session), org(session, "204323")
        lead, co_staff = user(session, "org_staff", lead_org), user(session, "org_staff", co_org)
        row = need(session, lead_org)
        row.shares = [NeedShare(organization=co_org, hours_per_month=5, location_lg_code="204323")]
        person = expert(session, skills={"backend_dev": 2})
        done = Engagement(expert_id=person.id, organization_id=lead_org.id, need_id=row.id, source="need",
                          title="t", start_date=START, end_date=END, hours_per_month=1, status="completed")
        session.add(done)
        session.commit()
        ids = {"lead": lead.id, "co": co_staff.id, "co_org": co_org.id, "engagement": done.id, "expert": person.id}
    factory = sessionmaker(scratch, expire_on_commit=False)

    def evaluate(i):
        as_co = i % 2 == 1
        with factory() as session:
            with conflicts_as(session, "conflict"):
                engagements.evaluate(session, session.get(User, ids["co" if as_co else "lead"]),
                                     session.get(Engagement, ids["engagement"]), overall=4, would_rehire=True,
                                     skill_ratings={"backend_dev": 5 if as_co else 3},
                                     co_organization_id=ids["co_org"] if as_co else None)
                session.commit()
            return "co" if as_co else "lead"

    results = _run_at_once(16, evaluate)
    assert results.count("lead") == 1 and results.count("co") == 1, results
    assert all(isinstance(r, Refused) for r in results if r not in ("lead", "co")), results
    with Session(scratch) as session:
        assert session.scalar(select(func.count()).select_from(Evaluation)) == 2
        skill = session.scalar(select(ExpertProfile).where(ExpertProfile.id == ids["expert"])).skills[0]
        assert (skill.rating_count, skill.rating_mean) == (2, 4.0)
