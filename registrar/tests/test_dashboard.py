"""The school home's dashboard (/s/<slug>/) and its API (/api/v1/schools/<slug>/kpi/summary/)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from classpoint.models import OutboxEvent
from classpoint.outbox import worker
from messaging.models import Message
from payments import services as payments_services
from payments.tests.test_payments import (
    charge,
    deliver,
    invoice,  # noqa: F401  (fixture)
)
from registrar.models import Application, RegistrationKpiDaily, RevenueDaily
from registrar.tests.test_kpi import application, move

pytestmark = pytest.mark.django_db

DAY1 = datetime.timedelta(days=1)


def tile(body, key):
    """The text of one tile, tags stripped, spaces squeezed."""
    match = re.search(rf'<li class="tile kpi-tile kpi-\w+" data-kpi="{key}">(.*?)</li>', body, re.S)
    assert match, f"no {key} tile"
    # <wbr> (a figure's break opportunity) joins its neighbours; other tags separate words.
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1).replace("<wbr>", "")).split())


def tile_link(body, key):
    match = re.search(rf'data-kpi="{key}">\s*<a href="([^"]+)"', body)
    return match.group(1).replace("&amp;", "&") if match else None


def rail(body, key):
    match = re.search(rf'data-rail="{key}">(.*?)</li>', body, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def sink(school, day, **figures):
    registration = {k: v for k, v in figures.items() if k in ("leads", "converted", "in_review")}
    revenue = {k: v for k, v in figures.items() if k in ("collected_minor", "payments")}
    RegistrationKpiDaily.objects.update_or_create(school=school, day=day, defaults=registration)
    RevenueDaily.objects.update_or_create(school=school, day=day, defaults={"currency": "NGN", **revenue})


def test_dashboard_shows_tiles_charts_and_the_rail(school, alice, verified_client):
    # given a week-old sink row and an application submitted now
    today = school.local_today()
    sink(school, today - 3 * DAY1, leads=7, converted=2, collected_minor=1_234_500, payments=3)
    application(school, timezone.now())
    # when the admin opens the school home
    response = verified_client(alice).get("/s/greenfield/")
    body = response.content.decode()
    # then every tile is there with a label, a value and its period
    assert response.status_code == 200 and response["Vary"].count("HX-Request") == 1
    assert tile(body, "leads") == "Leads 8 last 30 days"
    assert tile(body, "new_this_week") == "New this week 8 last 7 days"
    assert tile(body, "conversion_rate") == "Conversion rate 25.0% last 30 days · 2 enrolled of 8 leads"
    assert tile(body, "enrollments") == "Enrollments 2 last 30 days"
    assert tile(body, "revenue") == "Revenue collected ₦12,345.00 last 30 days"
    for key in ("in_review", "needs_info", "approved", "outstanding", "overdue", "failed_messages"):
        assert tile(body, key)
    # and two charts as inline SVG with a title, a description and the figures as a table
    assert body.count('<svg viewBox="0 0 720 220" role="img"') == 2
    assert '<title id="chart-leads-title">Leads per day, last 30 days</title>' in body
    assert "Total 8 from" in body and "busiest day" in body and "today so far 1." in body
    assert '<path class="chart-bars" d="M' in body
    assert "Show the daily figures as a table" in body and body.count('<tr><th scope="row">') == 30
    today_row = r'<tr><th scope="row">\w{3} \d+ \w{3} \d{4}</th><td>1</td><td>₦0.00</td></tr>'
    assert re.search(today_row, body)  # newest first: today's live lead
    # and the action rail, and what the plain home showed (the current term)
    assert 'aria-labelledby="rail-heading"' in body and "First term, 2026/2027" in body
    assert "<script" not in body.split('id="dashboard-body"')[1]  # charts need no script


def test_each_tile_links_to_the_filtered_list_behind_it(school, alice, verified_client):
    today = school.local_today()
    start = today - 29 * DAY1
    body = verified_client(alice).get("/s/greenfield/").content.decode()
    assert tile_link(body, "leads") == f"/s/greenfield/registrar/?from={start}&to={today}"
    assert tile_link(body, "new_this_week") == f"/s/greenfield/registrar/?from={today - 6 * DAY1}&to={today}"
    assert tile_link(body, "in_review") == "/s/greenfield/registrar/?status=in_review"
    assert tile_link(body, "needs_info") == "/s/greenfield/registrar/?status=needs_info"
    assert tile_link(body, "approved") == "/s/greenfield/registrar/?status=approved"
    assert tile_link(body, "enrollments") == "/s/greenfield/registrar/?status=converted"
    assert tile_link(body, "revenue") == (
        f"/s/greenfield/audit/?action_prefix=payment.&date_from={start}&date_to={today}"
    )
    assert tile_link(body, "outstanding") == "/s/greenfield/fees/invoices/"
    assert tile_link(body, "overdue") == "/s/greenfield/fees/defaulters/"
    assert tile_link(body, "failed_messages") == f"/s/greenfield/messages/?status=failed&date_from={start}"
    for key in ("leads", "outstanding", "overdue", "failed_messages", "revenue"):
        assert verified_client(alice).get(tile_link(body, key)).status_code == 200, key


def test_links_follow_the_members_role(school, registrar, bursar, verified_client):
    as_registrar = verified_client(registrar).get("/s/greenfield/").content.decode()
    assert tile_link(as_registrar, "leads") and tile_link(as_registrar, "outstanding") is None
    assert tile(as_registrar, "outstanding") == "Outstanding balance ₦0.00 now"  # the figure, without a dead link
    as_bursar = verified_client(bursar).get("/s/greenfield/").content.decode()
    assert tile_link(as_bursar, "leads") is None
    # a bursar cannot read the audit log: revenue falls back to the invoices
    assert tile_link(as_bursar, "revenue") == "/s/greenfield/fees/invoices/"


def test_member_without_dashboard_permission_gets_the_plain_home(school, teacher, verified_client):
    response = verified_client(teacher).get("/s/greenfield/")
    body = response.content.decode()
    assert response.status_code == 200 and "kpi-tiles" not in body and "<svg" not in body
    assert "First term, 2026/2027" in body and "active students" in body


def test_past_days_are_read_from_the_sinks(school, alice, verified_client):
    # given a sink row three days ago (and no source rows behind it at all)
    day = school.local_today() - 3 * DAY1
    sink(school, day, leads=7, collected_minor=500_000)
    client = verified_client(alice)
    assert tile(client.get("/s/greenfield/").content.decode(), "leads") == "Leads 7 last 30 days"
    # when the sink row changes, the page follows it
    RegistrationKpiDaily.objects.for_school(school).filter(day=day).update(leads=11)
    RevenueDaily.objects.for_school(school).filter(day=day).update(collected_minor=900_000)
    body = client.get("/s/greenfield/").content.decode()
    assert tile(body, "leads") == "Leads 11 last 30 days"
    assert tile(body, "revenue") == "Revenue collected ₦9,000.00 last 30 days"
    # and a row outside the period is not counted
    sink(school, school.local_today() - 30 * DAY1, leads=100)
    assert tile(client.get("/s/greenfield/").content.decode(), "leads") == "Leads 11 last 30 days"
    assert tile(client.get("/s/greenfield/?period=90").content.decode(), "leads") == "Leads 111 last 90 days"


def test_today_is_computed_live_not_read_from_a_sink(school, alice, bursar, verified_client, invoice):
    from payments import services as payments

    # a stale sink row for today (say, an operator ran the command at noon) is ignored
    sink(school, school.local_today(), leads=50, collected_minor=99_999_900)
    app = application(school, timezone.now())
    move(app, "in_review", timezone.now())
    Application.objects.for_school(school).filter(pk=app.pk).update(status="in_review")
    payments.transaction_record(invoice=invoice, kind="cash", amount_minor=2_500_000, currency="NGN", actor=bursar)
    body = verified_client(alice).get("/s/greenfield/").content.decode()
    assert tile(body, "leads") == "Leads 1 last 30 days"
    assert tile(body, "in_review") == "In review 1 now"
    assert tile(body, "revenue") == "Revenue collected ₦25,000.00 last 30 days"
    # the invoice was issued today; the payment is confirmed but not yet applied (outbox not drained)
    assert tile(body, "outstanding") == "Outstanding balance ₦100,000.00 now"


def test_now_figures_and_rail_count_the_queues(school, alice, verified_client):
    now = timezone.now()
    old = now - datetime.timedelta(days=5)
    stale = application(school, old, status="in_review")
    Application.objects.for_school(school).filter(pk=stale.pk).update(status_changed_at=old)
    application(school, now, status="needs_info")
    application(school, old, status="approved")  # stale too: approved is still open
    application(school, old, status="converted")  # closed: never stale
    Message.objects.create(
        school=school,
        channel="sms",
        template_type="INVOICE_ISSUED",
        to_address="+2348030000000",
        status="failed",
        idempotency_key="k1",
    )
    OutboxEvent.objects.create(school=school, event_type="invoice.issued", dead_at=now, last_error="boom")
    body = verified_client(alice).get("/s/greenfield/").content.decode()
    assert tile(body, "in_review") == "In review 1 now" and tile(body, "needs_info") == "Needs info 1 now"
    assert tile(body, "approved") == "Approved, not yet enrolled 1 now"
    assert tile(body, "failed_messages") == "Failed messages 1 last 30 days"
    assert rail(body, "stale") == "2 Applications with no move for over 3 days"
    assert rail(body, "failed_messages").startswith("1 Failed messages")
    assert rail(body, "dead_events").startswith("1 Dead background events")
    assert rail(body, "proofs").startswith("0 Transfer proofs")
    assert "/s/greenfield/registrar/?stale=1" in body and "/s/greenfield/payments/proofs/?status=pending" in body


def test_flagged_payments_are_on_the_rail_of_those_who_can_resolve_them(
    client, school, alice, bursar, registrar, verified_client, api, invoice
):
    # given a pay link paid with the wrong amount, held back as flagged
    intent = payments_services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    deliver(client, charge(intent, amount=100))
    worker.drain()
    # then the admin and the bursar see it counted, linked to the queue
    for member in (alice, bursar):
        body = verified_client(member).get("/s/greenfield/").content.decode()
        assert rail(body, "flagged") == "1 Flagged payments to resolve"
        assert re.search(r'data-rail="flagged">\s*<a href="/s/greenfield/payments/flagged/"', body)
    # and a registrar, who cannot resolve it, does not see the item at all
    as_registrar = verified_client(registrar).get("/s/greenfield/").content.decode()
    assert 'data-rail="flagged"' not in as_registrar and 'data-rail="proofs"' in as_registrar
    api.force_authenticate(registrar)
    keys = {item["key"] for item in api.get("/api/v1/schools/greenfield/kpi/summary/").json()["rail"]}
    assert "flagged" not in keys and "proofs" in keys


def test_period_switch_swaps_the_body_for_htmx_and_works_without(school, alice, verified_client):
    client = verified_client(alice)
    full = client.get("/s/greenfield/?period=90").content.decode()
    assert "<html" in full and "Key figures, last 90 days" in full
    assert 'id="period-90" href="?period=90"' in full and 'hx-push-url="true" aria-current="true">90 days' in full
    partial = client.get("/s/greenfield/?period=365", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and partial.lstrip().startswith('<div id="dashboard-body"')
    assert "Leads per day, last 365 days" in partial and partial.count('<tr><th scope="row">') == 365
    # a history restore wants the whole page back
    restore = client.get("/s/greenfield/?period=365", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restore.content.decode()
    # an unknown period falls back to 30 days
    assert "Key figures, last 30 days" in client.get("/s/greenfield/?period=7").content.decode()


def test_query_count_does_not_grow_with_the_data(school, alice, verified_client):
    client = verified_client(alice)
    client.get("/s/greenfield/?period=365")  # warm the session and caches

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/s/greenfield/?period=365").status_code == 200
        return len(captured)

    little = count()
    today = school.local_today()
    RegistrationKpiDaily.objects.bulk_create(
        [RegistrationKpiDaily(school=school, day=today - i * DAY1, leads=i % 5) for i in range(1, 730)]
    )
    RevenueDaily.objects.bulk_create(
        [RevenueDaily(school=school, day=today - i * DAY1, currency="NGN", collected_minor=i) for i in range(1, 730)]
    )
    for i in range(40):
        app = application(school, timezone.now() - datetime.timedelta(hours=i), status="in_review")
        move(app, "in_review", timezone.now())
    # The attendance tile and rail read the day's registers, the sink and the interventions: a fixed
    # handful more, whatever the data; the maintenance switch (one row by id, for the staff banner) one.
    assert count() == little <= 27


def test_another_schools_data_is_never_counted(school, other_school, alice, charlie, verified_client):
    sink(other_school, other_school.local_today() - DAY1, leads=40, collected_minor=7_000_000)
    application(other_school, timezone.now(), status="in_review")
    body = verified_client(alice).get("/s/greenfield/").content.decode()
    assert tile(body, "leads") == "Leads 0 last 30 days" and tile(body, "in_review") == "In review 0 now"
    assert tile(body, "revenue") == "Revenue collected ₦0.00 last 30 days"
    assert verified_client(charlie).get("/s/greenfield/").status_code == 404


# --- API ------------------------------------------------------------------------------------------


def test_api_returns_the_same_summary(school, alice, api):
    sink(school, school.local_today() - 2 * DAY1, leads=4, converted=1, collected_minor=300_000)
    api.force_authenticate(alice)
    response = api.get("/api/v1/schools/greenfield/kpi/summary/?period=90")
    assert response.status_code == 200
    data = response.json()
    assert data["period_days"] == 90 and len(data["series"]) == 90 and data["currency"] == "NGN"
    assert data["today"] == school.local_today().isoformat() and data["series"][-1]["day"] == data["today"]
    tiles = {t["key"]: t for t in data["tiles"]}
    assert tiles["leads"]["value"] == 4 and tiles["leads"]["url"].startswith("/s/greenfield/registrar/?from=")
    assert tiles["conversion_rate"] == {
        **tiles["conversion_rate"],
        "value": 25.0,
        "unit": "percent",
        "display": "25.0%",
    }
    assert tiles["revenue"]["value"] == 300_000 and tiles["revenue"]["display"] == "₦3,000.00"
    assert {item["key"] for item in data["rail"]} == {
        "stale",
        "proofs",
        "flagged",
        "registers_missing",
        "interventions",
        "failed_messages",
        "dead_events",
    }
    assert next(i for i in data["rail"] if i["key"] == "dead_events")["url"] is None
    assert "links" not in data
    assert api.get("/api/v1/schools/greenfield/kpi/summary/").json()["period_days"] == 30


def test_api_refuses_an_unknown_period_with_a_field_error(school, alice, api):
    api.force_authenticate(alice)
    response = api.get("/api/v1/schools/greenfield/kpi/summary/?period=12")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["period"]


def test_api_needs_dashboard_view_and_hides_other_schools(school, other_school, teacher, charlie, api):
    api.force_authenticate(teacher)
    assert api.get("/api/v1/schools/greenfield/kpi/summary/").status_code == 403
    api.force_authenticate(charlie)
    assert api.get("/api/v1/schools/greenfield/kpi/summary/").status_code == 404
    assert api.get("/api/v1/schools/riverside/kpi/summary/").status_code == 200


def test_api_is_in_the_schema(api, school):
    from django.contrib.auth import get_user_model

    api.force_authenticate(get_user_model().objects.create_user("reader"))
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/schools/{school_slug}/kpi/summary/"]["get"]
    assert operation["operationId"] == "kpi_summary" and {"200", "400", "403", "404"} <= set(operation["responses"])
    assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == ["period"]


def axis_labels(body, chart):
    """The value labels on a chart's vertical axis, top to bottom."""
    figure = re.search(rf'<figure class="chart" id="chart-{chart}">(.*?)</figure>', body, re.S).group(1)
    grid = re.search(r'<g class="chart-grid".*?</g>', figure, re.S).group(0)
    return re.findall(r"<text[^>]*>([^<]*)</text>", grid)


def test_a_chart_with_nothing_to_show_labels_its_axis_once(school, alice, verified_client):
    # given a school that has collected nothing and had no leads
    # when the admin opens the dashboard
    body = verified_client(alice).get("/s/greenfield/").content.decode()
    # then each chart's axis says zero once, at its base line, not three times
    assert axis_labels(body, "revenue") == ["₦0"]
    assert axis_labels(body, "leads") == ["0"]


def test_axis_labels_stay_distinct_for_small_amounts(school, alice, verified_client):
    # given a month whose busiest day took 90 kobo (the axis tops out at ₦1)
    sink(school, school.local_today() - 3 * DAY1, collected_minor=90, payments=1)
    body = verified_client(alice).get("/s/greenfield/").content.decode()
    # then no two gridlines carry the same amount
    labels = axis_labels(body, "revenue")
    assert len(labels) == 3 and len(set(labels)) == 3, labels
