"""A small local stand-in for Paystack's HTTP API, so the real client code (requests, headers,
JSON shapes, error handling) runs end to end. Only what Classpoint calls: initialize and verify."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakePaystack:
    def __init__(self, secret="sk_test_fake"):
        self.secret = secret
        self.transactions = {}  # reference -> {"amount", "currency", "status", "email"}
        self.calls = []
        self.fail_verify = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def pay(self, reference, *, amount=None):
        """The payer completes checkout (optionally for another amount than initialised)."""
        tx = self.transactions[reference]
        tx["status"] = "success"
        if amount is not None:
            tx["amount"] = amount

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _reply(self, status, body):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _authorised(self):
                if self.headers.get("Authorization") != f"Bearer {fake.secret}":
                    self._reply(401, {"status": False, "message": "Invalid key"})
                    return False
                return True

            def do_POST(self):  # noqa: N802 - http.server's naming
                fake.calls.append(("POST", self.path))
                if not self._authorised():
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path != "/transaction/initialize":
                    return self._reply(404, {"status": False, "message": "Not found"})
                if not body.get("email") or int(body.get("amount", 0)) <= 0:
                    return self._reply(400, {"status": False, "message": "Invalid email or amount"})
                fake.transactions[body["reference"]] = {
                    "amount": int(body["amount"]),
                    "status": "abandoned",
                    "currency": body.get("currency", "NGN"),
                    "email": body["email"],
                }
                self._reply(
                    200,
                    {
                        "status": True,
                        "message": "Authorization URL created",
                        "data": {
                            "authorization_url": f"{fake.base_url}/checkout/{body['reference']}",
                            "access_code": "ac_" + body["reference"],
                            "reference": body["reference"],
                        },
                    },
                )

            def do_GET(self):  # noqa: N802
                fake.calls.append(("GET", self.path))
                if not self._authorised():
                    return
                match = re.fullmatch(r"/transaction/verify/([\w-]+)", self.path)
                if not match:
                    return self._reply(404, {"status": False, "message": "Not found"})
                if fake.fail_verify:
                    return self._reply(503, {"status": False, "message": "Service unavailable"})
                tx = fake.transactions.get(match.group(1))
                if tx is None:
                    return self._reply(400, {"status": False, "message": "Transaction reference not found"})
                self._reply(
                    200,
                    {
                        "status": True,
                        "message": "Verification successful",
                        "data": {
                            "reference": match.group(1),
                            "status": tx["status"],
                            "amount": tx["amount"],
                            "currency": tx["currency"],
                        },
                    },
                )

        return Handler
