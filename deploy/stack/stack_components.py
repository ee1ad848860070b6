"""What the local stack runs: each component's command, address, health check and preparation.

The order of COMPONENTS is the start order (`down` stops in reverse); the app step (migrate, the
demo, collectstatic) runs just before APP_STEP_BEFORE.
"""

import os
import shutil
import signal
import socket
import sys
import urllib.error
import urllib.request

from stack_base import (
    CONF,
    LOG,
    PG_BIN,
    PG_SOCKETS,
    ROOT,
    RUN,
    STACK,
    VENV,
    app_env,
    nginx_command,
    prepare_nginx,
    prepare_pgbouncer,
    prepare_primary,
    prepare_prometheus,
    prepare_redis,
    prepare_replica,
    run_quiet,
)


class Component:
    def __init__(
        self,
        name,
        address,
        command,
        health,
        *,
        env=None,
        service_user=False,
        stop_signal=signal.SIGTERM,
        prepare=None,
        wait=60,
        stop_wait=40,
    ):
        self.name, self.address, self.command, self.health = name, address, command, health
        self.env, self.service_user, self.stop_signal = env, service_user, stop_signal
        self.prepare, self.wait, self.stop_wait = prepare, wait, stop_wait
        # The TCP port it serves, if any ("127.0.0.1:5433", "http://127.0.0.1:8080").
        tail = address.rsplit(":", 1)[-1]
        self.port = int(tail) if tail.isdigit() else None

    @property
    def pidfile(self):
        return os.path.join(RUN, f"{self.name}.pid")

    @property
    def logfile(self):
        return os.path.join(LOG, f"{self.name}.log")

    def pid(self):
        """The running process' id, or None. A pid file whose process is gone, a zombie, or a
        reused pid that is not our program counts as not running."""
        try:
            with open(self.pidfile) as handle:
                pid = int(handle.read().strip())
            with open(f"/proc/{pid}/stat") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                cmdline = handle.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            return None
        program = os.path.basename(self.command()[0]).encode()
        if state in ("Z", "X") or not any(program in part for part in cmdline[:3]):
            return None
        return pid


def pg_health(port):
    def check():
        return (
            run_quiet(
                [f"{PG_BIN}/pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres"]
            )
            == 0
        )

    return check


def http_health(url, statuses=(200,)):
    def check():
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own http:// addresses
                return response.status in statuses
        except urllib.error.HTTPError as exc:
            return exc.code in statuses
        except (OSError, ValueError):
            return False

    return check


def tcp_health(port):
    def check():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return True
        except OSError:
            return False

    return check


def alive_for(name, seconds):
    """Health for a process that serves no port (the task cluster): running for a while already."""

    def check():
        try:
            with open(os.path.join(RUN, f"{name}.pid")) as handle:
                pid = int(handle.read().strip())
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            if fields[0] in ("Z", "X"):
                return False
            started_ticks = int(fields[19])
            with open("/proc/uptime") as handle:
                uptime = float(handle.read().split()[0])
        except (OSError, ValueError, IndexError):
            return False
        return uptime - started_ticks / os.sysconf("SC_CLK_TCK") >= seconds

    return check


def pg_command(data_dir, port):
    return lambda: [
        f"{PG_BIN}/postgres",
        "-D",
        data_dir,
        "-p",
        str(port),
        "-k",
        PG_SOCKETS,
        "-c",
        "listen_addresses=127.0.0.1",
    ]


def web(n):
    name = f"web-{n}"
    return Component(
        name,
        f"http://127.0.0.1:800{n}",
        lambda: [f"{VENV}/gunicorn", "-c", "deploy/gunicorn/gunicorn.conf.py", "classpoint.wsgi"],
        http_health(f"http://127.0.0.1:800{n}/api/health"),
        env=lambda: {**app_env(name), "GUNICORN_BIND": f"127.0.0.1:800{n}", "GUNICORN_WORKERS": "2"},
    )


def worker(n):
    name = f"worker-{n}"
    multiproc = os.path.join(RUN, f"prom-{name}")

    def prepare():
        shutil.rmtree(multiproc, ignore_errors=True)
        os.makedirs(multiproc)

    # One cluster per deployment runs the schedule (settings.Q_CLUSTER["scheduler"]).
    return Component(
        name,
        f"qcluster; its workers' metrics http://127.0.0.1:{9100 + n}/metrics",
        lambda: [f"{VENV}/python", "manage.py", "qcluster"],
        alive_for(name, 3),
        env=lambda: {
            **app_env(name),
            "Q_SCHEDULER": "true" if n == 1 else "false",
            # The counters its forked workers keep (provider errors...), for Prometheus.
            "WORKER_METRICS_PORT": str(9100 + n),
            "WORKER_METRICS_ADDR": "127.0.0.1",
        },
        prepare=prepare,
    )


def postgres(name, port, prepare):
    # SIGINT is PostgreSQL's fast shutdown: sessions are ended, nothing waits for clients to leave.
    return Component(
        name,
        f"127.0.0.1:{port}",
        pg_command(os.path.join(STACK, name), port),
        pg_health(port),
        service_user=True,
        stop_signal=signal.SIGINT,
        prepare=prepare,
    )


COMPONENTS = [
    postgres("pg-primary", 5433, lambda: prepare_primary()),
    postgres("pg-replica", 5434, lambda: prepare_replica()),
    Component(
        "pgbouncer",
        "127.0.0.1:6432",
        lambda: ["/usr/sbin/pgbouncer", os.path.join(CONF, "pgbouncer.ini")],
        tcp_health(6432),
        service_user=True,
        prepare=lambda: prepare_pgbouncer(),
    ),
    Component(
        "redis",
        "127.0.0.1:6380",
        lambda: ["/usr/bin/redis-server", os.path.join(CONF, "redis.conf")],
        tcp_health(6380),
        prepare=lambda: prepare_redis(),
    ),
    web(1),
    web(2),
    worker(1),
    worker(2),
    Component(
        "nginx",
        "http://127.0.0.1:8080",
        nginx_command,
        http_health("http://127.0.0.1:8080/api/health"),
        prepare=lambda: prepare_nginx(),
    ),
    Component(
        "alert-sink",
        "http://127.0.0.1:9099",
        lambda: [
            sys.executable,
            os.path.join(ROOT, "deploy", "stack", "alert_sink.py"),
            "--port",
            "9099",
            "--out",
            os.path.join(LOG, "alerts.jsonl"),
        ],
        http_health("http://127.0.0.1:9099/"),
    ),
    Component(
        "alertmanager",
        "http://127.0.0.1:9093",
        lambda: [
            "/usr/bin/prometheus-alertmanager",
            "--config.file=" + os.path.join(ROOT, "deploy", "alertmanager", "alertmanager.yml"),
            "--storage.path=" + os.path.join(STACK, "alertmanager"),
            "--web.listen-address=127.0.0.1:9093",
            "--cluster.listen-address=",
        ],
        http_health("http://127.0.0.1:9093/-/ready"),
    ),
    Component(
        "prometheus",
        "http://127.0.0.1:9090",
        lambda: [
            "/usr/bin/prometheus",
            "--config.file=" + os.path.join(CONF, "prometheus.yml"),
            "--storage.tsdb.path=" + os.path.join(STACK, "prometheus"),
            "--storage.tsdb.retention.time=2d",
            "--web.listen-address=127.0.0.1:9090",
            "--web.enable-lifecycle",
        ],
        http_health("http://127.0.0.1:9090/-/ready"),
        prepare=lambda: prepare_prometheus(),
    ),
]
BY_NAME = {c.name: c for c in COMPONENTS}
# After PgBouncer and Redis are up and before the web nodes start.
APP_STEP_BEFORE = "web-1"
