"""A task cluster serves /metrics with what its forked workers counted (classpoint/worker_metrics.py):
without it, counters only the workers move (provider errors: the ClasspointMessageProviderErrors
alert) would never reach Prometheus."""

import socket

from classpoint.testing import in_a_fresh_process
from classpoint.worker_metrics import serving_cluster

CLUSTER = """
import multiprocessing, sys, urllib.request
sys.argv = ["manage.py", "qcluster"]
import django
django.setup()  # as `manage.py qcluster` does: the master starts serving before it forks

def worker():
    from classpoint import metrics
    metrics.TENANT_ACCESS_DENIED.inc(3)

if __name__ == "__main__":
    child = multiprocessing.get_context("fork").Process(target=worker)
    child.start()
    child.join()
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cluster(tmp_path, **env):
    port = free_port()
    script = CLUSTER + (
        f"    body = urllib.request.urlopen('http://127.0.0.1:{port}/metrics', timeout=5).read().decode()\n"
        "    print([x for x in body.splitlines() if x.startswith('classpoint_tenant_access_denied_total')])\n"
    )
    worker_env = {"WORKER_METRICS_PORT": str(port), "WORKER_METRICS_ADDR": "127.0.0.1"}
    return in_a_fresh_process(script, {"PROMETHEUS_MULTIPROC_DIR": None, **worker_env, **env})


def test_the_cluster_serves_what_its_forked_workers_counted(tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "counter_99999.db").write_bytes(b"stale")  # a previous run's file: cleared at start
    run = run_cluster(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(folder))
    assert run.returncode == 0, run.stderr
    assert "classpoint_tenant_access_denied_total 3.0" in run.stdout


def test_serving_without_a_folder_for_the_workers_is_refused_at_start(tmp_path):
    run = run_cluster(tmp_path)
    assert run.returncode != 0
    assert "WORKER_METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR" in run.stderr


def test_only_a_clusters_master_serves(settings):
    settings.WORKER_METRICS_PORT = 9101
    assert serving_cluster(["manage.py", "qcluster"])
    assert not serving_cluster(["manage.py", "runserver"])
    assert not serving_cluster(["gunicorn", "classpoint.wsgi"])
    settings.WORKER_METRICS_PORT = 0
    assert not serving_cluster(["manage.py", "qcluster"])
