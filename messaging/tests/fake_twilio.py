"""A small local stand-in for Twilio's Messages API, so the real SDK (auth, form encoding, error
parsing) runs end to end. Answers are scripted: each call takes the next one from `script`, then
falls back to a 201 with a new message SID."""

import base64
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeTwilio:
    def __init__(self, account_sid="ACtest", auth_token="token"):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.script = []  # [(status, error_code_or_None, delay_seconds)]
        self.calls = []  # the form fields of each create request that reached us
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def answer(self, status, code=None, delay=0.0):
        self.script.append((status, code, delay))
        return self

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _reply(self, status, body):
                raw = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                expected = "Basic " + base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
                match = re.fullmatch(r"/2010-04-01/Accounts/(\w+)/Messages\.json", self.path)
                if not match or match.group(1) != fake.account_sid:
                    return self._reply(404, {"code": 20404, "message": "Not found", "status": 404})
                form = {
                    k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()
                }
                fake.calls.append(form)
                status, code, delay = fake.script.pop(0) if fake.script else (201, None, 0.0)
                if delay:
                    time.sleep(delay)
                if status >= 400:
                    error = {"code": code, "message": f"Scripted error {code or status}", "status": status}
                    return self._reply(status, {**error, "more_info": "https://www.twilio.com/docs/errors"})
                self._reply(
                    201,
                    {
                        "sid": "SM" + uuid.uuid4().hex,
                        "status": "queued",
                        "to": form.get("To"),
                        "from": form.get("From"),
                        "body": form.get("Body"),
                        "account_sid": fake.account_sid,
                        "messaging_service_sid": form.get("MessagingServiceSid"),
                        "num_segments": "1",
                        "error_code": None,
                        "error_message": None,
                        "uri": self.path,
                    },
                )

        return Handler
