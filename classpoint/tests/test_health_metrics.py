import pytest
from django.utils import timezone

from classpoint.models import OutboxEvent, WorkerHeartbeat
from classpoint.outbox import emit, worker

pytestmark = pytest.mark.django_db


def test_health_is_degraded_without_a_live_worker(client):
    body = client.get("/api/health").json()
    assert body["status"] == "degraded"
    assert set(body["checks"]) == {"database", "cache", "task_queue", "storage", "sis"}
    assert body["checks"]["task_queue"]["active_workers"] == 0
    assert all("latency_ms" in c for c in body["checks"].values())


def test_health_is_healthy_after_a_drain(client):
    worker.drain()
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy", body
    assert {"version", "environment", "timestamp"} <= set(body)


def test_health_is_unhealthy_and_503_when_outbox_lags_badly(client, school):
    WorkerHeartbeat.objects.create(name="w", last_seen=timezone.now())
    event = emit(school=school, event_type="nothing.handles.this")
    OutboxEvent.objects.filter(pk=event.pk).update(available_at=timezone.now() - timezone.timedelta(hours=1))
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["checks"]["task_queue"]["status"] == "unhealthy"


def test_health_reveals_no_personal_data(client, school):
    body = client.get("/api/health").content.decode()
    assert "greenfield" not in body.lower() and "@" not in body


def test_metrics_exposes_outbox_figures(client, school):
    emit(school=school, event_type="test.metric")
    worker.drain()
    emit(school=school, event_type="test.metric")
    text = client.get("/metrics").content.decode()
    assert "classpoint_outbox_pending 1.0" in text
    assert 'classpoint_outbox_processed_total{event_type="test.metric"} 1.0' in text
    for name in (
        "classpoint_outbox_oldest_pending_age_seconds",
        "classpoint_outbox_dead",
        "classpoint_login_failures_total",
        "classpoint_tenant_access_denied_total",
        "django_http_requests_total_by_method_total",
        "django_db_execute_total",
    ):
        assert name in text, name


def test_metrics_requires_token_when_configured(client, settings):
    settings.METRICS_REQUIRE_AUTH = True
    settings.METRICS_TOKEN = "s3cret"
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200
