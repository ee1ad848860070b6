"""Observability: every metric the alert rules and the Grafana dashboards read is one /metrics
exposes; request metrics are labelled by route name, never by raw path; the figures read from the
database at scrape time count what their names say; counters from several gunicorn workers add up;
and the Prometheus files pass promtool (skipped where promtool is absent; CI installs it with
`apt-get install -y --no-install-recommends prometheus`)."""

import datetime
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.utils import timezone
from prometheus_client import REGISTRY

from academics.models import AttendancePolicy
from classpoint import metrics, replica_probe
from classpoint.models import WorkerHeartbeat
from fees.tests.factories import issued_invoice
from messaging.models import Message
from payments.models import PaymentProof, PaymentTransaction
from registrar.models import Application
from registrar.tests import factories as reg
from schools.tests import factories as f

pytestmark = pytest.mark.django_db

REPO = Path(settings.BASE_DIR)
PROMETHEUS = REPO / "deploy" / "prometheus"
DASHBOARDS = sorted((REPO / "deploy" / "grafana").glob("*.json"))
# Series that come from Prometheus itself (`up`) or node_exporter (the `node` job in prometheus.yml).
NOT_FROM_CLASSPOINT = re.compile(r"^(up|node_\w+)$")

# --- reading PromQL and the exposition format ----------------------------------------------------

_KEYWORDS = {"and", "or", "unless", "bool", "offset", "group_left", "group_right", "inf", "nan"}


def metric_names(expr):
    """The metric names a PromQL expression reads: identifiers that are neither a function or
    aggregation (followed by a parenthesis), a keyword, nor inside a string, a label matcher, a range
    or a by/without/on/ignoring label list."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        if expr[match.end() :].lstrip().startswith("(") or match.group().lower() in _KEYWORDS:
            continue
        names.add(match.group())
    return names


def exposed_names(text):
    """Every series name the exposition offers: each sample's name, and for each declared family the
    names its type implies (a labelled counter nobody has incremented yet has no sample)."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            names.add(name)
            if kind == "histogram":
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
            elif kind == "summary":
                names |= {f"{name}_sum", f"{name}_count"}
            elif kind == "counter" and not name.endswith("_total"):
                names.add(f"{name}_total")
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def samples(text, name):
    """[(labels dict, value)] of the samples called `name`."""
    found = []
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if match:
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(1) or ""))
            found.append((labels, float(match.group(2))))
    return found


def value(text, name, **labels):
    matching = [v for got, v in samples(text, name) if all(got.get(k) == v_ for k, v_ in labels.items())]
    return sum(matching) if matching else None


def alert_rules():
    return [
        rule for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"] for rule in group["rules"]
    ]


def dashboard_queries():
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                yield path.name, panel["title"], target["expr"]
        for variable in board["templating"]["list"]:
            query = variable.get("query")
            query = query.get("query", "") if isinstance(query, dict) else query or ""
            for metric in re.findall(r"label_values\(\s*([a-zA-Z_:][\w:]*)\s*,", query):
                yield path.name, f"variable {variable['name']}", metric


# --- every name used is exposed ------------------------------------------------------------------


def test_the_promql_reader_finds_names_and_skips_functions_labels_and_ranges():
    expr = (
        "topk(10, histogram_quantile(0.95, sum by (le, view) "
        '(rate(x_bucket{view=~"a|b", le!="1e3"}[$__rate_interval]))))'
        " / on (instance) group_left y_total offset 5m > bool 2e3 and max without (instance) (z)"
    )
    assert metric_names(expr) == {"x_bucket", "y_total", "z"}


def test_every_metric_in_the_alerts_and_dashboards_is_exposed(client, school, other_school, teacher, monkeypatch):
    # given some traffic: a page, an API call, a refused cross-tenant visit, a forged webhook
    client.force_login(teacher)
    client.get("/s/greenfield/")
    client.get("/api/health")
    client.force_login(f.member(other_school, "teacher"))
    client.get("/s/greenfield/")
    client.post("/payments/webhook/demo/", b"{}", content_type="application/json", HTTP_X_DEMO_SIGNATURE="forged")
    # when /metrics is rendered, and once more as a deployment with a read replica renders it
    exposed = exposed_names(client.get("/metrics").content.decode())
    monkeypatch.setattr(replica_probe, "configured", lambda: True)
    monkeypatch.setattr(replica_probe, "refresh", lambda: 0.0)
    exposed |= exposed_names(client.get("/metrics").content.decode())
    # then every series an alert or a panel reads is among its names
    used = {}
    for rule in alert_rules():
        for name in metric_names(rule["expr"]):
            used.setdefault(name, f"alert {rule['alert']}")
    for board, where, expr in dashboard_queries():
        for name in metric_names(expr):
            used.setdefault(name, f"{board}: {where}")
    # (the reader did read them: a vacuous pass is no pass)
    assert {
        "classpoint_outbox_oldest_pending_age_seconds",
        "classpoint_registers_missing_past_deadline",
        "django_http_requests_latency_seconds_by_view_method_bucket",
        "django_http_requests_total_by_view_transport_method_total",
        "classpoint_applications_submitted_24h",
    } <= set(used)
    missing = {
        name: where for name, where in used.items() if name not in exposed and not NOT_FROM_CLASSPOINT.match(name)
    }
    assert not missing, f"used but not exposed by /metrics: {missing}"


def test_every_alert_has_a_for_a_severity_a_summary_a_description_and_a_runbook_anchor():
    rules = alert_rules()
    assert len(rules) >= 15
    for rule in rules:
        assert rule.get("for"), rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        assert re.fullmatch(r"docs/operations\.md#[a-z0-9-]+", rule["annotations"]["runbook_url"]), rule["alert"]


def test_every_alert_is_covered_by_the_rule_tests():
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
    fired, quiet = set(), set()
    for case in tests:
        for check in case["alert_rule_test"]:
            (fired if check["exp_alerts"] else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in alert_rules()}
    assert names <= fired, f"never seen firing: {names - fired}"
    assert names <= quiet, f"never seen staying quiet: {names - quiet}"


def test_the_dashboards_are_grafana_dashboards():
    assert {p.name for p in DASHBOARDS} >= {"platform-overview.json", "school-operations.json"}
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        assert board["uid"] and board["title"] and board["schemaVersion"] >= 30, path.name
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for panel in board["panels"]:
            assert {"h", "w", "x", "y"} <= set(panel["gridPos"]), panel["title"]
            assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
            if panel["type"] != "row":
                assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]


# --- request metrics per view --------------------------------------------------------------------


def test_request_metrics_are_labelled_by_route_name_not_by_path(client, school, teacher):
    client.force_login(teacher)
    client.get("/s/greenfield/")
    client.get("/api/health")
    text = client.get("/metrics").content.decode()
    for name in (
        "django_http_requests_total_by_view_transport_method_total",
        "django_http_requests_latency_seconds_by_view_method_count",
    ):
        views = {labels["view"] for labels, _ in samples(text, name)}
        assert {"school-home", "health"} <= views, (name, views)
        assert not [v for v in views if "/" in v or "greenfield" in v], (name, views)


# --- the figures read at scrape time -------------------------------------------------------------


def scrape(client):
    return client.get("/metrics").content.decode()


def test_database_up_is_1_and_0_when_the_database_cannot_be_queried(client, monkeypatch):
    assert value(scrape(client), "classpoint_database_up") == 1

    def refuse(*args, **kwargs):
        raise RuntimeError("connection refused")

    monkeypatch.setattr(metrics.connection, "cursor", refuse)
    family = next(metrics.DatabaseCollector().collect())
    assert family.samples[0].value == 0


def test_worker_heartbeat_age_is_infinite_until_a_worker_beats(client):
    text = scrape(client)
    assert math.isinf(value(text, "classpoint_worker_heartbeat_age_seconds"))
    assert value(text, "classpoint_workers_active") == 0
    WorkerHeartbeat.objects.create(name="old", last_seen=timezone.now() - datetime.timedelta(minutes=10))
    WorkerHeartbeat.objects.create(name="w1", last_seen=timezone.now() - datetime.timedelta(seconds=30))
    text = scrape(client)
    assert 29 <= value(text, "classpoint_worker_heartbeat_age_seconds") < 90
    assert value(text, "classpoint_workers_active") == 1


def test_failed_messages_count_in_the_last_15_minutes_only(client, school, other_school):

    now = timezone.now()

    def message(school, n, status, *, channel="sms", created=now, updated=now):
        row = Message.objects.create(
            school=school,
            channel=channel,
            template_type="INVOICE_ISSUED",
            to_address="+2348030000000",
            idempotency_key=f"k{n}",
            status=status,
        )
        Message.objects.filter(pk=row.pk).update(created_at=created, updated_at=updated)

    message(school, 1, "failed")
    message(other_school, 2, "failed")
    message(school, 3, "failed", channel="email", created=now - datetime.timedelta(hours=3))
    message(school, 4, "failed", updated=now - datetime.timedelta(minutes=20))  # failed before the window
    message(school, 5, "delivered")
    text = scrape(client)
    assert value(text, "classpoint_messages_failed_15m", channel="sms") == 2
    assert value(text, "classpoint_messages_failed_15m", channel="email") == 1
    assert value(text, "classpoint_messages_created_1h", channel="sms", status="failed") == 3
    assert value(text, "classpoint_messages_created_1h", channel="sms", status="delivered") == 1
    assert value(text, "classpoint_messages_created_1h", channel="email") is None  # 3 hours old


def test_open_applications_and_todays_leads(client, school, other_school, registrar):

    reg.submit(school, source="form")
    reg.submit(other_school, source="api")
    old = reg.submit(school, source="staff")
    Application.objects.filter(pk=old.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=3), status=Application.Status.REJECTED
    )
    text = scrape(client)
    assert value(text, "classpoint_applications_open", status="pending") == 2
    assert value(text, "classpoint_applications_open", status="approved") == 0
    assert value(text, "classpoint_applications_open", status="rejected") is None
    assert value(text, "classpoint_applications_submitted_24h") == 2
    assert value(text, "classpoint_applications_submitted_24h", source="form") == 1


def test_payments_in_the_last_day_proofs_waiting_and_flagged(client, school, other_school, bursar):

    invoice = issued_invoice(school, bursar)
    theirs = issued_invoice(other_school, f.member(other_school, "bursar"))

    def payment(invoice, kind, status, amount, *, age=datetime.timedelta(0)):
        row = PaymentTransaction.objects.create(
            school=invoice.school, invoice=invoice, kind=kind, amount_minor=amount, currency="NGN", status=status
        )
        PaymentTransaction.objects.filter(pk=row.pk).update(created_at=timezone.now() - age)
        return row

    payment(invoice, "pos", "confirmed", 2_500_000)
    payment(theirs, "cash", "confirmed", 1_000_000)
    payment(invoice, "pos", "confirmed", 9_999_999, age=datetime.timedelta(days=2))  # outside the day
    payment(invoice, "gateway", "flagged", 500_000, age=datetime.timedelta(days=5))  # flagged counts whenever
    pending = payment(invoice, "bank_transfer", "pending", 700_000)
    PaymentProof.objects.create(
        school=school,
        invoice=invoice,
        transaction=pending,
        file_key="proofs/x.pdf",
        file_name="x.pdf",
        content_type="application/pdf",
        size_bytes=10,
        amount_minor=700_000,
        currency="NGN",
        paid_on=timezone.localdate(),
        source="staff",
    )
    text = scrape(client)
    assert value(text, "classpoint_payments_24h", kind="pos", status="confirmed") == 1
    assert value(text, "classpoint_payments_24h", status="confirmed") == 2
    assert value(text, "classpoint_payments_24h", kind="bank_transfer", status="pending") == 1
    assert value(text, "classpoint_payments_confirmed_minor_24h", currency="NGN") == 3_500_000
    assert value(text, "classpoint_payment_proofs_pending") == 1
    assert value(text, "classpoint_payments_flagged") == 1


def test_registers_missing_count_only_once_the_schools_deadline_has_passed(client, school, other_school, monkeypatch):

    # given a Wednesday; Greenfield's deadline is 09:00 and Riverside's 11:00, both Lagos time (UTC+1)
    AttendancePolicy.objects.update_or_create(school=school, defaults={"reminder_at": datetime.time(9, 0)})
    AttendancePolicy.objects.update_or_create(school=other_school, defaults={"reminder_at": datetime.time(11, 0)})
    wednesday_10_lagos = datetime.datetime(2025, 1, 15, 9, 0, tzinfo=datetime.UTC)
    for term in (school.current_term(), other_school.current_term()):
        term.__class__.objects.filter(pk=term.pk).update(
            start_date=datetime.date(2025, 1, 6), end_date=datetime.date(2025, 4, 4)
        )
    monkeypatch.setattr(metrics.timezone, "now", lambda: wednesday_10_lagos)
    # when scraped at 10:00: each school's one class has not taken its register
    text = scrape(client)
    # then Greenfield's counts (past 09:00), Riverside's not yet (before 11:00)
    assert samples(text, "classpoint_registers_missing_past_deadline") == [({"school": "greenfield"}, 1.0)]


def test_login_lockouts_are_read_from_axes(client, school, teacher):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/account/login/", {"username": teacher.username, "password": "wrong"})
    assert value(scrape(client), "classpoint_login_lockouts_active") == 1


def test_the_security_counters_move_with_the_events_they_count(client, school, other_school):
    def reading(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0

    denied = reading("classpoint_tenant_access_denied_total")
    rejected = reading("classpoint_webhook_rejected_total", gateway="demo")
    client.force_login(f.member(other_school, "teacher"))  # Riverside's
    assert client.get("/s/greenfield/").status_code == 404
    assert (
        client.post(
            "/payments/webhook/demo/", b"{}", content_type="application/json", HTTP_X_DEMO_SIGNATURE="forged"
        ).status_code
        == 401
    )
    assert reading("classpoint_tenant_access_denied_total") == denied + 1
    assert reading("classpoint_webhook_rejected_total", gateway="demo") == rejected + 1


# --- several gunicorn workers --------------------------------------------------------------------

_WORKER = """
import sys, django
django.setup()
from prometheus_client.exposition import generate_latest
from classpoint import metrics, replica_probe
metrics.LOGIN_FAILURES.inc(int(sys.argv[1]))
if sys.argv[2] == "scrape":
    sys.stdout.write(generate_latest(metrics.registry()).decode())
"""


def test_counters_of_several_workers_add_up_when_prometheus_multiproc_dir_is_set(tmp_path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
        "DJANGO_SETTINGS_MODULE": "classpoint.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    }

    def worker(n, then):
        return subprocess.run(
            [sys.executable, "-c", _WORKER, str(n), then],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout

    worker(2, "exit")
    text = worker(3, "scrape")
    assert value(text, "classpoint_login_failures_total") == 5
    # the database reads come once, beside the added-up counters
    assert text.count("# TYPE classpoint_database_up gauge") == 1
    assert value(text, "classpoint_database_up") == 1


# --- promtool ------------------------------------------------------------------------------------

PROMTOOL = shutil.which("promtool")


@pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (apt-get install -y --no-install-recommends prometheus)"
)
@pytest.mark.parametrize(
    "args",
    [
        ["check", "rules", "deploy/prometheus/alerts.yml"],
        ["test", "rules", "deploy/prometheus/alerts_test.yml"],
        ["check", "config", "deploy/prometheus/prometheus.yml"],
    ],
    ids=["check-rules", "test-rules", "check-config"],
)
def test_promtool_accepts_the_prometheus_files(args):
    result = subprocess.run([PROMTOOL, *args], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def _anchor(heading):
    """The anchor GitHub gives a markdown heading: lower case, spaces to dashes, punctuation dropped."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_rules_runbook_link_lands_on_a_section_of_the_operations_guide():
    guide = (Path(settings.BASE_DIR) / "docs" / "operations.md").read_text(encoding="utf-8")
    anchors = {_anchor(line.lstrip("#")) for line in guide.splitlines() if line.startswith("#")}
    links = {rule["annotations"]["runbook_url"] for rule in alert_rules()}
    assert all(link.startswith("docs/operations.md#") for link in links)
    assert {link.split("#", 1)[1] for link in links} - anchors == set()
