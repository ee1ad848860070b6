"""Without DATABASE_REPLICA_URL there is no replica alias and every read goes to the primary; with it,
the alias is set up like the primary; and the views whose reads may lag are the ones marked
(classpoint/replica.py; the routing itself: test_replica_router.py)."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connections
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from classpoint.replica import REPLICA, ReplicaRouter, reads_may_lag
from classpoint.testing import in_a_fresh_process, last_line
from classpoint.tests.test_replica_router import serve
from schools.models import Student


@pytest.mark.django_db
def test_without_a_replica_every_read_goes_to_the_primary(school, alice, verified_client):
    assert REPLICA not in connections
    seen = []

    @reads_may_lag
    def view(request):
        seen.append(ReplicaRouter().db_for_read(Student))
        return HttpResponse()

    serve(view, RequestFactory().get("/"))
    assert seen == ["default"]
    response = verified_client(alice).get("/s/greenfield/students/")
    assert response.status_code == 200 and "GFAPupil" in response.content.decode()


@pytest.mark.django_db
def test_health_and_metrics_say_nothing_of_a_replica_that_is_not_configured(client):
    assert "database:replica" not in client.get("/api/health").json()["checks"]
    assert "classpoint_replica" not in client.get("/metrics").content.decode()


# --- configuration and the marked views -------------------------------------------------------------


def _databases(**env):
    script = "import json; from classpoint import settings as s; print(json.dumps(s.DATABASES, default=str))"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REPLICA_"))}
    environment.update(env, DATABASE_URL="postgres://app@db.internal:5432/classpoint")
    done = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_database_replica_url_adds_the_replica_alias_and_nothing_is_added_without_it():
    assert set(_databases()) == {"default"}
    databases = _databases(
        DATABASE_REPLICA_URL="postgres://app@replica.internal:5432/classpoint", DATABASE_POOLER="pgbouncer"
    )
    replica = databases["replica"]
    assert replica["HOST"] == "replica.internal"
    assert replica["ENGINE"] == databases["default"]["ENGINE"] == "django_prometheus.db.backends.postgresql"
    assert replica["TEST"]["MIRROR"] == "default"
    assert replica["CONN_HEALTH_CHECKS"] is True and replica["OPTIONS"]["connect_timeout"] == 2
    # the pooler's settings apply to the replica as to the primary
    assert replica["DISABLE_SERVER_SIDE_CURSORS"] is True and replica["OPTIONS"]["prepare_threshold"] is None


MARKED = [
    "/s/greenfield/",  # the dashboard
    "/s/greenfield/students/",
    "/s/greenfield/registrar/",
    "/s/greenfield/registrar/column/pending/",
    "/s/greenfield/fees/invoices/",
    "/s/greenfield/fees/defaulters/",
    "/s/greenfield/payments/",
    "/s/greenfield/payments/receipts/",
    "/s/greenfield/messages/",
    "/s/greenfield/attendance/marks/",
    "/s/greenfield/results/cards/1/1/broadsheet/",
    "/api/v1/schools/greenfield/kpi/summary/",
    "/api/v1/schools/greenfield/attendance/summary/",
]
UNMARKED = ["/s/greenfield/students/1/", "/s/greenfield/students/1/edit/", "/s/greenfield/audit/"]


def _marked(path):
    view = resolve(path).func
    return bool(getattr(getattr(view, "view_class", view), "reads_may_lag", False))


@pytest.mark.parametrize("path", MARKED)
def test_the_lists_exports_dashboard_and_kpi_api_are_marked(path):
    assert _marked(path)


@pytest.mark.parametrize("path", UNMARKED)
def test_records_and_forms_are_not_marked(path):
    assert not _marked(path)


def test_the_pin_is_listening_before_a_process_serves_its_first_request():
    # The request signals are connected when classpoint.replica is imported; were that left to the
    # first marked view, a fresh gunicorn worker's first request (a POST, say) would not pin its user.
    probe = (
        "import django; django.setup(); from django.core.signals import request_started; "
        "print(any('classpoint-replica' in str(r[0]) for r in request_started.receivers))"
    )
    run = in_a_fresh_process(probe)
    assert run.returncode == 0, run.stderr
    assert last_line(run) == "True"
