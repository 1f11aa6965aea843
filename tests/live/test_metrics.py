"""LIVE figures: time-weighted viewers and effective live time from presence reports, views and unique viewers,
impressions and clicks, orders and GMV from paid deal orders, the roll-up to the host's day once, and the live
report by session, host and day — the rates as TikTok Shop defines them."""

from datetime import timedelta

import pytest

from marketcast.core import clock
from marketcast.live import metrics, presence, reports
from marketcast.live.metric_models import HostDay, SessionFigures


def _report(db, session_id, process, viewers, joined=()):
    with db() as s:
        metrics.record_presence(s, session_id=session_id, process_id=process, viewers=viewers, joined=list(joined))


def test_viewers_and_effective_time_are_accounted_from_presence(steps, shop, product, db, at, client):
    t0 = at(2030, 1, 1, 12)
    clock.set_now(t0)
    pid, _ = product()
    live = steps.live_with(shop, pid)
    sid = live["id"]
    clock.set_now(t0 + timedelta(minutes=5))  # five minutes live with nobody watching: not effective
    _report(db, sid, "p1", 2, ["u1", "u2"])
    clock.set_now(t0 + timedelta(minutes=6))
    _report(db, sid, "p1", 2)  # each process keeps reporting (an unchanged room every few seconds)
    _report(db, sid, "p2", 1, ["u1"])  # u1 again, through another process: a view, not a new viewer
    clock.set_now(t0 + timedelta(minutes=10))
    steps.move(shop, sid, "end")
    with db(write=False) as s:
        f = metrics.figures_of(s.get(SessionFigures, sid))
    assert (f.views, f.unique_viewers, f.peak_viewers) == (3, 2, 3)
    assert f.live_ms == 10 * 60_000
    assert f.effective_ms == 5 * 60_000  # from the first viewer to the end
    assert f.viewer_ms == (2 * 1 + 3 * 4) * 60_000
    assert f.average_viewers == 1.4 and f.average_watch_seconds == 420.0
    r = client.get(f"/api/v1/live/sessions/{sid}/metrics", headers=shop["headers"]).json()
    assert r["effective_live_minutes"] == 5.0 and r["viewers_now"] == 0 and r["peak_concurrent_viewers"] == 3


def test_a_session_not_yet_live_has_no_metrics_yet(steps, shop, client):
    sid = steps.session(shop)["id"]
    r = client.get(f"/api/v1/live/sessions/{sid}/metrics", headers=shop["headers"])
    assert (r.status_code, r.json()["code"]) == (404, "live_metrics_not_started")
    assert r.json()["detail"] == f"session {sid} has not gone live: it has no figures yet"


def test_a_silent_process_stops_counting_and_an_empty_bag_is_not_effective(steps, shop, product, db, at):
    t0 = at(2030, 1, 1, 12)
    clock.set_now(t0)
    pid, _ = product()
    sid = steps.live_with(shop, pid)["id"]
    _report(db, sid, "killed", 4, ["a", "b", "c", "d"])
    clock.set_now(t0 + metrics.PRESENCE_TTL + timedelta(seconds=1))
    _report(db, sid, "alive", 1, ["e"])  # the killed process's 4 are no longer fresh
    with db(write=False) as s:
        assert s.get(SessionFigures, sid).viewers == 1
    steps.call("DELETE", f"/live/sessions/{sid}/bag/{pid}", shop["headers"])
    clock.set_now(t0 + timedelta(minutes=2))
    _report(db, sid, "alive", 1)
    with db(write=False) as s:
        row = s.get(SessionFigures, sid)
    # Effective only while the bag held a product: up to the removal, not the minute and a half after it.
    assert row.effective_ms == (metrics.PRESENCE_TTL + timedelta(seconds=1)).total_seconds() * 1000
    assert row.bag_size == 0


def test_impressions_clicks_orders_and_the_rates(steps, open_deal, make_buyer, shop, db, client):
    deal, sku, live = open_deal(allotment=5)
    sid = live["id"]
    _report(db, sid, "p1", 3, ["v1", "v2", "v3"])
    steps.pin(shop, sid, deal["product_id"])  # three viewers see the pinned product
    _report(db, sid, "p1", 4, ["v4"])  # one more joins while it is pinned
    for _ in range(4):
        assert client.post(f"/api/v1/live/sessions/{sid}/clicks", json={"product_id": deal["product_id"]}
                           ).status_code == 204
    r = client.post(f"/api/v1/live/sessions/{sid}/clicks", json={"product_id": "prd_nope"})
    assert r.status_code == 422 and r.json()["field"] == "product_id"
    for _ in range(2):
        buyer = make_buyer()
        order = steps.buy(buyer, sku, deal["id"])
        steps.pay(buyer, order["id"])
    steps.buy(make_buyer(), sku, deal["id"])  # unpaid: not an order in the figures
    m = client.get(f"/api/v1/live/sessions/{sid}/metrics", headers=shop["headers"]).json()
    assert (m["views"], m["product_impressions"], m["product_clicks"], m["orders"]) == (4, 4, 4, 2)
    assert m["gmv"] == {"amount": 1000, "currency": "USD"}
    assert m["ctr"] == 1.0 and m["click_to_order_rate"] == 0.5 and m["gpm"]["amount"] == 250_000
    outsider = make_buyer()
    assert client.get(f"/api/v1/live/sessions/{sid}/metrics", headers=outsider["headers"]).status_code == 403


def test_an_order_paid_after_the_end_counts_once_in_the_day(steps, open_deal, make_buyer, shop, db, client):
    deal, sku, live = open_deal(allotment=5)
    sid = live["id"]
    buyer = make_buyer()
    early = make_buyer()
    steps.pay(early, steps.buy(early, sku, deal["id"])["id"])
    order = steps.buy(buyer, sku, deal["id"])
    steps.move(shop, sid, "end")
    steps.pay(buyer, order["id"])  # paid within its expiry, after the session ended
    with db(write=False) as s:
        day = s.query(HostDay).filter_by(host_kind="shop", host_id=shop["id"]).one()
        assert (day.sessions, day.orders, day.gmv) == (1, 2, 1000)
        assert s.get(SessionFigures, sid).orders == 2
        figures = reports.host_period_figures(s, shop_ids=[shop["id"], "shp_other"], start=day.day,
                                              end=day.day + timedelta(days=1))
    assert list(figures) == [shop["id"]] and figures[shop["id"]].sessions == 1
    assert figures[shop["id"]].gmv == 1000
    with db() as s:
        metrics.close(s, sid)  # closing again adds nothing
    with db(write=False) as s:
        assert s.query(HostDay).filter_by(host_id=shop["id"]).one().sessions == 1


def test_the_live_report_by_session_host_and_day(steps, shop, product, db, at, client, make_user):
    clock.set_now(at(2030, 1, 1, 12))
    pid, _ = product()
    first = steps.live_with(shop, pid)["id"]
    _report(db, first, "p", 2, ["a", "b"])
    clock.set_now(at(2030, 1, 1, 13))
    steps.move(shop, first, "end")
    clock.set_now(at(2030, 1, 2, 12))
    second = steps.live_with(shop, pid)["id"]
    clock.set_now(at(2030, 1, 2, 12, 30))
    steps.move(shop, second, "end")

    def rows(group_by, headers=shop["headers"], **q):
        r = client.get("/api/v1/reports/live", headers=headers,
                       params={"group_by": group_by, "host": shop["id"], **q})
        assert r.status_code == 200, r.text
        return {i["key"]: i["figures"] for i in r.json()["items"]}

    assert set(rows("session")) == {first, second}
    by_day = rows("day")
    assert by_day["2030-01-01"]["live_minutes"] == 60.0 and by_day["2030-01-02"]["live_minutes"] == 30.0
    assert by_day["2030-01-01"]["effective_live_minutes"] == 60.0 and by_day["2030-01-02"]["views"] == 0
    assert rows("host")[f"shop:{shop['id']}"]["sessions"] == 2
    assert set(rows("day", **{"from": "2030-01-02", "to": "2030-01-03"})) == {"2030-01-02"}
    r = client.get("/api/v1/reports/live", headers=shop["headers"], params={"from": "2030-01-02", "to": "2030-01-01",
                                                                             "host": shop["id"]})
    assert r.status_code == 422 and r.json()["field"] == "to"
    assert client.get("/api/v1/reports/live", headers=shop["headers"]).json()["field"] == "host"
    _, other_seller = make_user("seller")
    r = client.get("/api/v1/reports/live", headers=other_seller, params={"host": shop["id"]})
    assert r.status_code == 403
    _, ops = make_user("operator", markets=["US"])
    assert set(rows("session", headers=ops)) == {first, second}


@pytest.mark.parametrize("viewers", [0, 3])
def test_the_process_reports_its_rooms_once_a_second(steps, shop, product, db, at, viewers):
    clock.set_now(at(2030, 1, 1, 12))
    pid, _ = product()
    sid = steps.live_with(shop, pid)["id"]
    for i in range(viewers):
        presence.joined(sid, f"viewer-{i}")
    if viewers:
        presence.left(sid)
    reported = presence.report_due()
    assert reported.get(sid, 0) == max(0, viewers - 1)
    assert presence.report_due() == {}  # unchanged: nothing to say until the keep-alive
    with db(write=False) as s:
        row = s.get(SessionFigures, sid)
    assert row.views == viewers and row.unique_viewers == viewers


def test_a_room_whose_session_is_gone_is_dropped_not_retried_for_ever():
    presence.joined("lvs_no_such_session", "viewer-1")
    assert presence.report_due() == {}
    assert presence.viewers("lvs_no_such_session") == 0  # forgotten: the next report does not try it again


def test_the_cli_prints_a_sessions_metrics_and_the_report(steps, shop, product, db, at):
    import json

    from typer.testing import CliRunner

    from marketcast.cli import app

    clock.set_now(at(2030, 1, 1, 12))
    pid, _ = product()
    sid = steps.live_with(shop, pid)["id"]
    _report(db, sid, "p", 2, ["a", "b"])
    clock.set_now(at(2030, 1, 1, 12, 30))
    runner = CliRunner()
    shown = runner.invoke(app, ["live", "metrics", sid])
    assert shown.exit_code == 0 and "2 views" in shown.output and "effective 30.0 min" in shown.output
    steps.move(shop, sid, "end")
    report = runner.invoke(app, ["live", "report", "--group-by", "day", "--json"])
    assert report.exit_code == 0, report.output
    assert [(r["key"], r["figures"]["views"]) for r in json.loads(report.output)] == [("2030-01-01", 2)]
    bad = runner.invoke(app, ["live", "report", "--from", "2030-01-02", "--to", "2030-01-01"])
    assert bad.exit_code != 0 and "to" in bad.output
