#!/usr/bin/env bash
# Starts the django-q2 cluster in the background and the web server in the foreground; Ctrl-C
# (or the web server exiting) stops both.
set -u
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export CLASSPOINT_REQUIRE_2FA=${CLASSPOINT_REQUIRE_2FA:-false}
# Links we hand out, and the demo checkout's webhook back to us, must name the port we serve on.
if [ -z "${SITE_URL:-}" ]; then
  case "$HOST" in
    0.0.0.0 | :: | "[::]") site_host=127.0.0.1 ;;  # listening everywhere: this machine answers locally
    *:*) site_host="[$HOST]" ;;
    *) site_host=$HOST ;;
  esac
  SITE_URL="http://$site_host:$PORT"
fi
export SITE_URL

"$PY" manage.py qcluster &
cluster=$!
cleanup() {
  trap - INT TERM EXIT
  # The cluster forks its workers; stop them with it so nothing outlives Ctrl-C.
  pkill -TERM -P "$cluster" 2>/dev/null
  kill -TERM "$cluster" 2>/dev/null
  wait "$cluster" 2>/dev/null
}
trap cleanup INT TERM EXIT

cat <<MSG

  Classpoint is running:  http://$HOST:$PORT/
  Greenfield workspace:   http://$HOST:$PORT/s/greenfield/
  Platform admin:         http://$HOST:$PORT/admin/
  API docs:               http://$HOST:$PORT/api/docs/
  Health:                 http://$HOST:$PORT/api/health
  Links handed out use:   $SITE_URL  (set SITE_URL to change)

  Demo logins (password: classpoint-demo): admin@greenfield.demo, registrar@greenfield.demo,
  bursar@greenfield.demo, teacher@greenfield.demo, viewer@greenfield.demo, admin@riverside.demo,
  platform@classpoint.demo (platform admin). Ctrl-C stops the web server and the task cluster.

MSG
"$PY" manage.py runserver "$HOST:$PORT"
