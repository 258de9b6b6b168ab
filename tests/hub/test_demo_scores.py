"""The demo's shortlists carry what the real matcher says of each proposed expert."""
from sqlalchemy import select

import matching
from hub import demo
from hub.models import ShortlistEntry


def test_demo_score_shortlists_stores_the_matchers_view(app, session, taxonomy):
    demo.load_demo(session, taxonomy, n_experts=80, n_needs=12)
    scored = demo.score_shortlists(session, app.extensions["hub.matcher"])
    entries = list(session.scalars(select(ShortlistEntry)))
    assert scored > 0
    with_signals = [e for e in entries if e.signals is not None]
    assert len(with_signals) == scored
    for entry in with_signals:
        assert set(entry.signals) == set(matching.SIGNALS)
        assert 0.0 <= entry.score <= 1.0
        assert entry.explanation["needed_hours"] == entry.need.hours_per_month
        assert entry.weights["version"] and entry.index_version
