"""The local stack's paths, app environment, helpers and the preparation of each component.

Used by scripts/stack (the driver) and deploy/stack/stack_components.py (what runs). Standard
library only. The nginx and PgBouncer configs are the production files under deploy/ with their
`stack:` lines applied (render_marked): one source of truth for both.
"""

import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STACK = os.path.join(ROOT, "var", "stack")
CONF, LOG, RUN = (os.path.join(STACK, d) for d in ("conf", "log", "run"))
PG_SOCKETS = os.path.join(RUN, "pg")
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
VENV = os.path.join(ROOT, ".venv", "bin")
SEEDED_MARKER = os.path.join(STACK, "seeded")
SEED_STUDENTS = os.environ.get("STACK_SEED_STUDENTS", "200")
SERVICE_USER = os.environ.get("STACK_SERVICE_USER", "postgres") if os.geteuid() == 0 else None

PRIMARY_URL = "postgres://postgres@127.0.0.1:5433/classpoint"


def app_env(node=None):
    """The environment of web nodes, workers and `env`: the interface's variables, then the ones a
    production-shaped run needs (DEBUG off, so a fixed secret key and the manifest static files)."""
    values = {
        "DATABASE_URL": "postgres://postgres@127.0.0.1:6432/classpoint",
        "DATABASE_REPLICA_URL": "postgres://postgres@127.0.0.1:6432/classpoint_replica",
        "DATABASE_POOLER": "pgbouncer",
        "REDIS_URL": "redis://127.0.0.1:6380/0",
        "CLASSPOINT_ENV": "dev",
        "SITE_URL": "http://127.0.0.1:8080",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,[::1]",
        "CLASSPOINT_REQUIRE_2FA": "false",
        "LOG_FORMAT": "json",
        "DEBUG": "false",
        "SECRET_KEY": secret_key(),
        # nginx on this host is the only proxy whose X-Forwarded-For is believed.
        "TRUSTED_PROXIES": "127.0.0.1",
        "STATIC_ROOT": os.path.join(STACK, "static"),
        "MEDIA_ROOT": os.path.join(STACK, "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "PAYMENTS_DEFAULT_GATEWAY": "demo",
    }
    if node:
        values["PROMETHEUS_MULTIPROC_DIR"] = os.path.join(RUN, f"prom-{node}")
    return values


def secret_key():
    path = os.path.join(STACK, "secret_key")
    if not os.path.exists(path):
        os.makedirs(STACK, exist_ok=True)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    with open(path) as handle:
        return handle.read().strip()


# --- helpers --------------------------------------------------------------------------------


def say(message):
    print(message, flush=True)


def run_quiet(command, **kwargs):
    # Commands here are this file's own lists, never shell strings or outside input.
    return subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs).returncode  # noqa: S603


def as_service_user():
    """Popen keyword arguments that drop to the service user when we are root."""
    if not SERVICE_USER:
        return {}
    entry = pwd.getpwnam(SERVICE_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def own(path):
    if SERVICE_USER:
        entry = pwd.getpwnam(SERVICE_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def run_step(title, command, *, env=None, service_user=False, log="setup"):
    """Run a one-off command, its output appended to log/<log>.log; fail loudly with its tail."""
    say(f"  .. {title}")
    logfile = os.path.join(LOG, f"{log}.log")
    with open(logfile, "a") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        result = subprocess.run(  # noqa: S603 - our own argument lists
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            **(as_service_user() if service_user else {}),
        )
    if result.returncode != 0:
        fail(f"{title} failed (exit {result.returncode})", logfile)


def tail(path, lines=25):
    try:
        with open(path, errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return ""


def fail(message, logfile=None):
    say(f"\nstack: {message}")
    if logfile:
        say(f"--- last lines of {logfile} ---\n{tail(logfile)}")
    sys.exit(1)


def render_marked(source, target, marker):
    """Write `source` to `target` with its stack lines applied: a `<marker> stack: LINE` comment
    replaces the line after it with LINE; a `<marker> stack-only: LINE` comment becomes LINE.
    {STACK} and {REPO} in LINE name var/stack and the repository."""
    with open(source) as handle:
        lines = handle.read().split("\n")
    out, replace_next = [], None
    pattern = re.compile(rf"^(\s*){re.escape(marker)} stack(-only)?: (.*)$")
    for line in lines:
        if replace_next is not None:
            if not line.strip():
                fail(f"{source}: a `stack:` line is followed by a blank line")
            out.append(replace_next)
            replace_next = None
            continue
        match = pattern.match(line)
        if match:
            indent, only, value = match.groups()
            value = indent + value.replace("{STACK}", STACK).replace("{REPO}", ROOT)
            if only:
                out.append(value)
            else:
                replace_next = value
            continue
        out.append(line)
    with open(target, "w") as handle:
        handle.write("\n".join(out))


# --- preparing each component ---------------------------------------------------------------

PRIMARY_CONF = """
# --- classpoint stack (scripts/stack): port, sockets and listen address come on the command line
wal_level = replica
max_wal_senders = 10
# The replica may be stopped for a while (chaos tests): keep enough WAL for it to catch up.
wal_keep_size = 512MB
hot_standby = on
max_connections = 100
# Django behind PgBouncer's transaction pooling cannot keep a per-session SET TIME ZONE.
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
"""


def _new_data_dir(name):
    """The cluster's empty data directory, owned by the service user; None if it already holds one."""
    data = os.path.join(STACK, name)
    if os.path.exists(os.path.join(data, "PG_VERSION")):
        return None
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data, mode=0o700)
    own(data)
    return data


def prepare_primary():
    data = _new_data_dir("pg-primary")
    if data is None:
        return
    run_step(
        "initdb pg-primary",
        [f"{PG_BIN}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
        service_user=True,
        log="pg-primary",
    )
    with open(os.path.join(data, "postgresql.conf"), "a") as handle:
        handle.write(PRIMARY_CONF)


def prepare_replica():
    data = _new_data_dir("pg-replica")
    if data is None:
        return
    # -R writes standby.signal and primary_conninfo: the copy starts as a streaming replica.
    run_step(
        "pg_basebackup pg-replica",
        [
            f"{PG_BIN}/pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            "5433",
            "-U",
            "postgres",
            "-D",
            data,
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        ],
        service_user=True,
        log="pg-replica",
    )


def prepare_pgbouncer():
    render_marked(os.path.join(ROOT, "deploy", "pgbouncer", "pgbouncer.ini"), os.path.join(CONF, "pgbouncer.ini"), ";")
    with open(os.path.join(CONF, "userlist.txt"), "w") as handle:
        handle.write('"postgres" ""\n')


def prepare_redis():
    os.makedirs(os.path.join(STACK, "redis"), exist_ok=True)
    with open(os.path.join(CONF, "redis.conf"), "w") as handle:
        # A cache only (REDIS_URL backs Django's cache): nothing is saved, the oldest keys go first.
        handle.write(
            f'bind 127.0.0.1\nport 6380\ndir {STACK}/redis\nsave ""\nappendonly no\n'
            "daemonize no\nmaxmemory 256mb\nmaxmemory-policy allkeys-lru\n"
        )


NGINX_MAIN = """# Generated by scripts/stack: the main context around deploy/nginx/classpoint.conf.
{user}worker_processes 2;
pid {stack}/run/nginx.master.pid;
daemon off;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    server_tokens off;
    client_body_temp_path {stack}/nginx/client_body;
    proxy_temp_path {stack}/nginx/proxy;
    fastcgi_temp_path {stack}/nginx/fastcgi;
    uwsgi_temp_path {stack}/nginx/uwsgi;
    scgi_temp_path {stack}/nginx/scgi;
    include {conf}/classpoint.conf;
}}
"""


def prepare_nginx():
    os.makedirs(os.path.join(STACK, "nginx", "logs"), exist_ok=True)
    render_marked(os.path.join(ROOT, "deploy", "nginx", "classpoint.conf"), os.path.join(CONF, "classpoint.conf"), "#")
    # As root nginx would run its workers as `nobody`; they only read var/stack/static.
    user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
    with open(os.path.join(CONF, "nginx.conf"), "w") as handle:
        handle.write(NGINX_MAIN.format(user=user, stack=STACK, conf=CONF))
    with open(os.path.join(LOG, "nginx.log"), "a") as out:
        result = subprocess.run(nginx_command() + ["-t"], stdout=out, stderr=subprocess.STDOUT)  # noqa: S603 - our own command
    if result.returncode:
        fail("nginx -t refused the generated config", os.path.join(LOG, "nginx.log"))


def prepare_prometheus():
    with open(os.path.join(ROOT, "deploy", "stack", "prometheus.yml")) as handle:
        text = handle.read().replace("{REPO}", ROOT)
    with open(os.path.join(CONF, "prometheus.yml"), "w") as handle:
        handle.write(text)


def app_step():
    """Database `classpoint`, migrations (against the primary directly: DDL and its locks need a
    session, not a pooled transaction), the demo once, and the static files the nodes serve."""
    psql = [f"{PG_BIN}/psql", "-h", "127.0.0.1", "-p", "5433", "-U", "postgres", "-d", "postgres", "-tAc"]
    exists = subprocess.run(  # noqa: S603 - a fixed query
        psql + ["SELECT 1 FROM pg_database WHERE datname = 'classpoint'"], capture_output=True, text=True
    ).stdout.strip()
    if exists != "1":
        run_step(
            "createdb classpoint",
            [f"{PG_BIN}/createdb", "-h", "127.0.0.1", "-p", "5433", "-U", "postgres", "classpoint"],
        )
    direct = {**os.environ, **app_env(), "DATABASE_URL": PRIMARY_URL, "DATABASE_POOLER": ""}
    direct.pop("DATABASE_REPLICA_URL", None)
    run_step("manage.py migrate (primary, direct)", [f"{VENV}/python", "manage.py", "migrate", "--noinput"], env=direct)
    if not os.path.exists(SEEDED_MARKER):
        run_step(
            f"manage.py seed_demo --students {SEED_STUDENTS}",
            [f"{VENV}/python", "manage.py", "seed_demo", "--students", SEED_STUDENTS],
            env=direct,
        )
        with open(SEEDED_MARKER, "w") as handle:
            handle.write(time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))
    run_step("manage.py collectstatic", [f"{VENV}/python", "manage.py", "collectstatic", "--noinput"], env=direct)


def nginx_command():
    return [
        "/usr/sbin/nginx",
        "-p",
        os.path.join(STACK, "nginx"),
        "-e",
        os.path.join(LOG, "nginx.error.log"),
        "-c",
        os.path.join(CONF, "nginx.conf"),
    ]


def ensure_dirs():
    for path in (STACK, CONF, LOG, RUN, os.path.join(STACK, "media"), os.path.join(STACK, "static")):
        os.makedirs(path, exist_ok=True)
    os.makedirs(PG_SOCKETS, exist_ok=True)
    own(PG_SOCKETS)
