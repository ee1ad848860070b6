#!/usr/bin/env bash
# Lighthouse 12 on the registrar's pages with demo data: the board, an application's detail and the
# school dashboard, signed in as the demo registrar. The server is the production one (gunicorn,
# DEBUG off, WhiteNoise's compressed static files) on a throwaway SQLite database seeded by seed_demo.
#
#   bash bench/lighthouse.sh            # prints the scores and writes bench/out/lighthouse-results.json
#
# Needs: node + npm (Lighthouse is installed into var/lighthouse on first run), Debian's chromium
# (CHROME_PATH=/usr/bin/chromium). Targets: accessibility >= 95, performance >= 90, best practices >= 95.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PORT=${LIGHTHOUSE_PORT:-8765}
WORK=var/lighthouse
mkdir -p "$WORK"
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
if [ ! -x "$WORK/node_modules/.bin/lighthouse" ]; then
  (cd "$WORK" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --silent lighthouse@12 >/dev/null)
fi

export DATABASE_URL="sqlite:///$PWD/$WORK/lighthouse.sqlite3"
export CLASSPOINT_ENV=dev DEBUG=false CLASSPOINT_REQUIRE_2FA=false ALLOWED_HOSTS=127.0.0.1,localhost
export SECRET_KEY=${SECRET_KEY:-lighthouse-secret-key-not-for-production-0123456789}
export OUTBOX_NUDGE_ON_COMMIT=false
rm -f "$WORK/lighthouse.sqlite3"
"$PY" manage.py migrate --noinput >/dev/null
"$PY" manage.py seed_demo >/dev/null
"$PY" manage.py collectstatic --noinput >/dev/null

# A signed-in session for the demo registrar, and the pages to audit.
read -r COOKIE_NAME COOKIE APPLICATION <<<"$("$PY" manage.py shell --no-imports -c "
from importlib import import_module
from django.conf import settings
from django.contrib.auth import get_user_model, BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from registrar.models import Application
user = get_user_model().objects.get(email='registrar@greenfield.demo')
s = import_module(settings.SESSION_ENGINE).SessionStore()
s[SESSION_KEY] = str(user.pk); s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'
s[HASH_SESSION_KEY] = user.get_session_auth_hash()
s.create()
app = Application.objects.filter(school__slug='greenfield').order_by('-submitted_at').first()
print(settings.SESSION_COOKIE_NAME, s.session_key, app.pk)
")"

case "$APPLICATION" in ''|*[!0-9]*) echo "could not make a session (got: $COOKIE_NAME $COOKIE $APPLICATION)" >&2; exit 1;; esac

.venv/bin/gunicorn classpoint.wsgi -b "127.0.0.1:$PORT" -w 2 --access-logfile /dev/null --error-logfile "$WORK/gunicorn.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/api/health" >/dev/null 2>&1 && break; sleep 0.2; done

BASE="http://127.0.0.1:$PORT/s/greenfield"
declare -A PAGES=(
  [board]="$BASE/registrar/"
  [application]="$BASE/registrar/$APPLICATION/"
  [dashboard]="$BASE/"
)
for name in board application dashboard; do
  "$WORK/node_modules/.bin/lighthouse" "${PAGES[$name]}" --quiet --output=json --output-path="$WORK/$name.json" \
    --only-categories=performance,accessibility,best-practices \
    --extra-headers="{\"Cookie\": \"$COOKIE_NAME=$COOKIE\"}" \
    --chrome-flags="--headless --no-sandbox --disable-gpu" >/dev/null 2>>"$WORK/lighthouse.log"
done

"$PY" - "$WORK" <<'PY'
import datetime, json, os, sys
work = sys.argv[1]
targets = {"accessibility": 95, "performance": 90, "best-practices": 95}
results = {"date": datetime.date.today().isoformat(), "pages": {}}
failed = []
for name in ["board", "application", "dashboard"]:
    report = json.load(open(f"{work}/{name}.json"))
    if report.get("finalDisplayedUrl", "").endswith("/account/login/") or "/login" in report.get("finalDisplayedUrl", ""):
        sys.exit(f"{name}: Lighthouse was sent to the sign-in page; the session cookie did not work")
    scores = {k: round(report["categories"][k]["score"] * 100) for k in targets}
    results["pages"][name] = scores
    line = "  ".join(f"{k} {v:>3} (>= {targets[k]})" for k, v in scores.items())
    print(f"{name:<12} {line}")
    failed += [f"{name} {k} {v}" for k, v in scores.items() if v < targets[k]]
    for k in targets:
        for ref in report["categories"][k]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref.get("weight") and audit.get("score") is not None and audit["score"] < 0.9:
                print(f"    {k}: {ref['id']} {audit['score']}: {audit.get('title')}")
os.makedirs("bench/out", exist_ok=True)
json.dump(results, open("bench/out/lighthouse-results.json", "w"), indent=2)
print("below target: " + ", ".join(failed) if failed else "all targets met")
PY
