"""A webhook receiver for the local stack's Alertmanager: each POST body becomes one line of JSON.

Stands in for the relay to the on-call chat that alertmanager.yml's `local-webhook` receiver names
(http://127.0.0.1:9099/), so a chaos test can read what would have paged someone:
    python3 deploy/stack/alert_sink.py --port 9099 --out var/stack/log/alerts.jsonl
Standard library only. GET answers 200 with the number of lines written (the stack's health check).
"""

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Alertmanager sends at most max_alerts (50) per notification: far below this.
MAX_BODY_BYTES = 10 * 1024 * 1024


class Sink:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.count = 0

    def append(self, record):
        line = json.dumps(record, separators=(",", ":"), sort_keys=True)
        # One writer at a time, so two notifications arriving together never interleave a line.
        with self.lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            self.count += 1


def make_handler(sink):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server naming
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._answer(413, {"error": "too large"})
                return
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                # Kept, not dropped: a malformed notification is exactly what someone wants to see.
                body = {"unparsed": raw.decode("utf-8", "replace")}
            if isinstance(body, dict):
                body.setdefault("_received_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
                body.setdefault("_path", self.path)
            sink.append(body)
            self._answer(200, {"ok": True})

        def do_GET(self):  # noqa: N802
            self._answer(200, {"ok": True, "written": sink.count, "file": sink.path})

        def _answer(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):
            print(f"{self.address_string()} {fmt % args}", flush=True)

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9099)
    parser.add_argument("--out", required=True, help="the JSON-lines file to append to")
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), make_handler(Sink(args.out)))
    print(f"alert-sink listening on http://{args.host}:{args.port}/ writing {args.out}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
