"""Local fake SIS servers for the sync's tests and the bench: Aeries API v5 and OneRoster 1.2, each a
stdlib HTTP server on 127.0.0.1 in a thread, speaking enough of the protocol to be synced against.

Both serve the same school (`generated(n)`: n pupils with a guardian each, in homerooms of 25), page
as their protocol does (Aeries students by StartingRecord/EndingRecord, OneRoster by limit/offset
with X-Total-Count, capped at `max_limit` whatever the client asks), check credentials (AERIES-CERT;
an OAuth2 client-credentials token), and can be told to fail: `fail("/users", times=5, status=503,
when=lambda q: q.get("offset") == "100")` answers 503 to the matching requests. Records are plain
dicts a test edits (`change`, `remove`) between runs.
"""

import base64
import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

CLASS_SIZE = 25


def pupil_facts(i):
    """The i-th pupil of the generated school, the same whichever protocol serves it."""
    return {
        "id": str(99400000 + i),
        "first": f"Pupil{i}",
        "last": f"Family{i}",
        "dob": datetime.date(2013, 1, 1) + datetime.timedelta(days=i % 900),
        "sex": "F" if i % 2 else "M",
        "grade": 7 + (i // CLASS_SIZE) % 3,
        "room": str(100 + i // CLASS_SIZE),
        "parent_first": "Ada",
        "parent_last": f"Family{i}",
        "email": f"family{i}@example.ng",
        "phone": f"+234805{1000000 + i:07d}",
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.fake.respond(self, "GET")

    def do_POST(self):
        self.server.fake.respond(self, "POST")

    def log_message(self, *args):
        pass


class FakeServer:
    def __init__(self):
        self.requests = []
        self.failures = []
        self._lock = threading.Lock()
        self._server = None

    def __enter__(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self):
        host, port = self._server.server_address
        return f"http://{host}:{port}"

    def fail(self, path_contains, *, times=1, status=503, when=None):
        self.failures.append({"path": path_contains, "times": times, "status": status, "when": when})

    def _failure(self, path, query):
        with self._lock:
            for rule in self.failures:
                if rule["times"] and rule["path"] in path and (rule["when"] is None or rule["when"](query)):
                    rule["times"] -= 1
                    return rule["status"]
        return None

    def respond(self, handler, method):
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query))
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        with self._lock:
            self.requests.append((method, parts.path, query))
        status = self._failure(parts.path, query)
        headers = {}
        if status is not None:
            body = {"error": "the fake is failing on purpose"}
        else:
            status, body, headers = self.route(method, parts.path, query, raw, handler.headers)
        data = json.dumps(body, default=str).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def route(self, method, path, query, raw, headers):
        raise NotImplementedError

    def count(self, path_contains, method="GET"):
        return sum(1 for m, p, _ in self.requests if m == method and path_contains in p)


class FakeAeries(FakeServer):
    CERT = "477abe9e7d27439681d62f4e0de1f5e1"

    def __init__(self, *, school_code="994", years=(2025, 2026)):
        super().__init__()
        self.school_code, self.years = school_code, list(years)
        self.students, self.contacts, self.attendance, self.pushed = [], [], {}, []
        self.absence_codes = [
            {"Code": "A", "Description": "Absent unexcused", "ValidExcuse": "N"},
            {"Code": "I", "Description": "Illness", "ValidExcuse": "Y"},
            {"Code": "T", "Description": "Tardy", "ValidExcuse": "N"},
        ]

    @classmethod
    def generated(cls, n, **kwargs):
        fake = cls(**kwargs)
        for i in range(n):
            fake.add_pupil(pupil_facts(i))
        return fake

    def add_pupil(self, facts):
        self.students.append(
            {
                "StudentID": int(facts["id"]),
                "SchoolCode": int(self.school_code),
                "StudentNumber": int(facts["id"]) % 100000,
                "FirstName": facts["first"],
                "LastName": facts["last"],
                "MiddleName": "",
                "Birthdate": f"{facts['dob']:%Y-%m-%d}T00:00:00",
                "Sex": facts["sex"],
                "Grade": facts["grade"],
                "HomeRoom": facts["room"],
                "InactiveStatusCode": "",
            }
        )
        self.contacts.append(
            {
                "StudentID": int(facts["id"]),
                "SequenceNumber": 1,
                "FirstName": facts["parent_first"],
                "LastName": facts["parent_last"],
                "RelationshipToStudentCode": "Mother",
                "CellPhone": facts["phone"],
                "HomePhone": "",
                "EmailAddress": facts["email"],
            }
        )

    def student(self, student_id):
        return next(s for s in self.students if str(s["StudentID"]) == str(student_id))

    def route(self, method, path, query, raw, headers):
        if path == "/api/v5/systeminfo":  # no certificate needed, as in Aeries
            return (
                200,
                {"AeriesVersion": "10.25", "DatabaseYear": self.years[-1], "AvailableDatabaseYears": self.years},
                {},
            )
        if headers.get("AERIES-CERT") != self.CERT:
            return 401, {"Message": "Authorization has been denied for this request."}, {}
        prefix = f"/api/v5/schools/{self.school_code}"
        if not path.startswith(prefix):
            return 404, {"Message": "No school"}, {}
        rest = path[len(prefix) :].strip("/")
        if method == "POST" and rest.startswith("attendance/"):
            self.pushed.append({"StudentID": rest.split("/", 1)[1], **json.loads(raw or b"{}")})
            return 200, {}, {}
        if rest == "":
            return 200, {"SchoolCode": int(self.school_code), "Name": "Screaming Eagle High"}, {}
        if rest == "students":
            first = int(query.get("StartingRecord", 1))
            last = int(query.get("EndingRecord", len(self.students)))
            return 200, self.students[first - 1 : last], {}
        if rest == "contacts":
            return 200, self.contacts, {}
        if rest.lower() == "absencecodes":
            return 200, self.absence_codes, {}
        if rest == "attendance":
            start = datetime.datetime.strptime(query["StartDate"], "%Y%m%d").date()
            end = datetime.datetime.strptime(query["EndDate"], "%Y%m%d").date()
            body = []
            for student_id, days in self.attendance.items():
                kept = [
                    {"CalendarDate": f"{day:%Y-%m-%d}T00:00:00", "AllDayAttendanceCode": code}
                    for day, code in days
                    if start <= day <= end
                ]
                if kept:
                    body.append({"StudentID": int(student_id), "AttendanceDays": kept})
            return 200, body, {}
        return 404, {"Message": f"No {path}"}, {}


class FakeOneRoster(FakeServer):
    CLIENT_ID, CLIENT_SECRET = "classpoint", "s3cret"
    ROOT = "/ims/oneroster/rostering/v1p2"

    def __init__(self, *, org="org-1", max_limit=100, token_lifetime=3600):
        super().__init__()
        self.org, self.max_limit, self.token_lifetime = org, max_limit, token_lifetime
        self.tokens = set()
        self.users, self.demographics, self.classes, self.enrollments = [], [], [], []
        self.sessions = [{"sourcedId": "term-1", "status": "active", "type": "term"}]
        self.sessions[0] |= {"startDate": "2026-09-01", "endDate": "2027-07-31", "dateLastModified": "2026-08-01"}

    @classmethod
    def generated(cls, n, **kwargs):
        fake = cls(**kwargs)
        for i in range(n):
            fake.add_pupil(pupil_facts(i))
        return fake

    def add_pupil(self, facts):
        stamp = "2026-08-01T00:00:00Z"
        pupil, parent = f"stu-{facts['id']}", f"par-{facts['id']}"
        self.users.append(
            {
                "sourcedId": pupil,
                "status": "active",
                "dateLastModified": stamp,
                "enabledUser": True,
                "givenName": facts["first"],
                "familyName": facts["last"],
                "middleName": "",
                "identifier": facts["id"],
                "roles": [{"roleType": "primary", "role": "student", "org": {"sourcedId": self.org}}],
                "agents": [{"sourcedId": parent, "type": "user"}],
            }
        )
        self.users.append(
            {
                "sourcedId": parent,
                "status": "active",
                "dateLastModified": stamp,
                "enabledUser": True,
                "givenName": facts["parent_first"],
                "familyName": facts["parent_last"],
                "email": facts["email"],
                "phone": facts["phone"],
                "roles": [{"roleType": "primary", "role": "parent", "org": {"sourcedId": self.org}}],
                "agents": [{"sourcedId": pupil, "type": "user"}],
            }
        )
        birth = {"birthDate": f"{facts['dob']:%Y-%m-%d}", "sex": "female" if facts["sex"] == "F" else "male"}
        self.demographics.append({"sourcedId": pupil, "status": "active", "dateLastModified": stamp, **birth})
        klass = f"hr-{facts['room']}"
        if not any(c["sourcedId"] == klass for c in self.classes):
            self.classes.append(
                {
                    "sourcedId": klass,
                    "status": "active",
                    "dateLastModified": stamp,
                    "title": f"Homeroom {facts['room']}",
                    "classType": "homeroom",
                    "grades": [f"{facts['grade']:02d}"],
                    "school": {"sourcedId": self.org},
                    "terms": [{"sourcedId": "term-1"}],
                }
            )
        self.enrollments.append(
            {
                "sourcedId": f"enr-{facts['id']}",
                "status": "active",
                "dateLastModified": stamp,
                "role": "student",
                "primary": True,
                "user": {"sourcedId": pupil},
                "class": {"sourcedId": klass},
                "school": {"sourcedId": self.org},
            }
        )

    def user(self, sourced_id):
        return next(u for u in self.users if u["sourcedId"] == sourced_id)

    def route(self, method, path, query, raw, headers):
        if path == "/token" and method == "POST":
            expected = base64.b64encode(f"{self.CLIENT_ID}:{self.CLIENT_SECRET}".encode()).decode()
            form = dict(parse_qsl(raw.decode()))
            if headers.get("Authorization") != f"Basic {expected}" or form.get("grant_type") != "client_credentials":
                return 401, {"error": "invalid_client"}, {}
            token = f"tok-{len(self.tokens) + 1}"
            self.tokens.add(token)
            return 200, {"access_token": token, "token_type": "bearer", "expires_in": self.token_lifetime}, {}
        if (headers.get("Authorization") or "").removeprefix("Bearer ") not in self.tokens:
            return 401, {"imsx_codeMajor": "failure", "imsx_description": "unauthorised"}, {}
        if not path.startswith(self.ROOT):
            return 404, {}, {}
        rest = path[len(self.ROOT) :].strip("/")
        school = f"schools/{self.org}/"
        if rest == f"orgs/{self.org}":
            return 200, {"org": {"sourcedId": self.org, "name": "Eagle High", "type": "school"}}, {}
        students = [u for u in self.users if u["roles"][0]["role"] == "student"]
        collections = {
            "academicSessions": ("academicSessions", self.sessions),
            "demographics": ("demographics", self.demographics),
            "users": ("users", self.users),
            f"{school}students": ("users", students),
            f"{school}classes": ("classes", self.classes),
            f"{school}enrollments": ("enrollments", self.enrollments),
        }
        if rest not in collections:
            return 404, {"imsx_codeMajor": "failure"}, {}
        key, rows = collections[rest]
        changed = query.get("filter", "")
        if changed.startswith("dateLastModified>"):
            since = changed.split("'")[1][:10]
            rows = [r for r in rows if r["dateLastModified"][:10] > since]
        limit = min(int(query.get("limit", 100)), self.max_limit)
        offset = int(query.get("offset", 0))
        return 200, {key: rows[offset : offset + limit]}, {"X-Total-Count": str(len(rows))}
