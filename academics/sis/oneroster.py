"""OneRoster 1.2 rostering over REST (1EdTech, "OneRoster Rostering Service REST/JSON Binding 1.2"):
OAuth 2 client credentials (the client id and secret as HTTP Basic on the token request, the bearer
token on every call, kept until shortly before it expires), collections read by `limit`/`offset` until
`X-Total-Count` is reached (or a page comes back empty where the server does not send it), and
`filter=dateLastModified>'…'` for a delta.

What maps to what (under {base}/ims/oneroster/rostering/v1p2):
- the school: /orgs/{sourcedId}; its current terms: /academicSessions (start <= today <= end).
- pupils: /schools/{org}/students, with /demographics for birth date and sex. The `identifier` (the
  SIS's student number) is the admission number matched against pupils imported before the first run.
- class groups: /schools/{org}/classes of classType "homeroom" in a current term (a Classpoint class
  group holds one active enrollment per pupil and term, as a homeroom does; scheduled classes are
  lessons, not class groups). Enrollments: /schools/{org}/enrollments of role "student" in them.
- guardians: /users with a guardian, parent or relativeOf role, tied to pupils by `agents` (either
  side may list the other). OneRoster rostering carries no attendance: pull and push are refused.
"""

import datetime
import threading
import time

from django.utils import timezone

from .base import (
    SisAdapter,
    SisClassGroup,
    SisContact,
    SisEnrollment,
    SisError,
    SisStudent,
    SisUnsupported,
    grade_label,
    parse_date,
)

ROOT = "/ims/oneroster/rostering/v1p2"
SCOPE = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly"
PAGE_SIZE = 500
MAX_PAGES = 2000
TOKEN_MARGIN_SECONDS = 60  # a token this close to its expiry is renewed, not used
GUARDIAN_ROLES = {"guardian": "Guardian", "parent": "Parent", "relativeof": "Relative"}
GENDERS = {"female": "female", "male": "male", "f": "female", "m": "male"}

_tokens = {}  # (token_url, client_id) -> (monotonic deadline, token, expires_at)
_tokens_lock = threading.Lock()


def clear_token_cache():
    with _tokens_lock:
        _tokens.clear()


class OneRosterAdapter(SisAdapter):
    name = "oneroster"
    delta_roster = True

    def __init__(self, connection, *, secret, http):
        super().__init__(connection, secret=secret, http=http)
        if not isinstance(secret, dict) or not secret.get("client_id") or not secret.get("client_secret"):
            raise SisError("The OneRoster secret needs a client_id and a client_secret.")
        self.token_url = secret.get("token_url") or connection.token_url
        if not self.token_url:
            raise SisError("The OneRoster connection has no token URL.")
        self.org = connection.school_code
        self.today = connection.school.local_today()
        self._expires_at = None
        self._users = None

    # --- auth and paging ------------------------------------------------------------------------

    def _token(self):
        key = (self.token_url, self.secret["client_id"])
        with _tokens_lock:
            hit = _tokens.get(key)
        if hit and hit[0] > time.monotonic():
            self._expires_at = hit[2]
            return hit[1]
        body, _ = self.http.post(
            self.token_url,
            data={"grant_type": "client_credentials", "scope": SCOPE},
            auth=(self.secret["client_id"], self.secret["client_secret"]),
            retry=True,
        )
        token = (body or {}).get("access_token")
        if not token:
            raise SisError("The OneRoster token endpoint answered without an access_token.")
        lifetime = int((body or {}).get("expires_in") or 3600)
        self._expires_at = timezone.now() + datetime.timedelta(seconds=lifetime)
        with _tokens_lock:
            _tokens[key] = (time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 0), token, self._expires_at)
        return token

    @property
    def credentials_expire_at(self):
        return self._expires_at

    def _get(self, path, **params):
        body, headers = self.http.get(
            f"{ROOT}/{path.lstrip('/')}", params=params, headers={"Authorization": f"Bearer {self._token()}"}
        )
        return body or {}, headers

    def _list(self, path, key, since=None):
        rows, offset = [], 0
        params = {"limit": PAGE_SIZE}
        if since:
            params["filter"] = f"dateLastModified>'{since:%Y-%m-%d}T00:00:00Z'"
        for _ in range(MAX_PAGES):
            body, headers = self._get(path, offset=offset, **params)
            page = body.get(key)
            if not isinstance(page, list):
                raise SisError(f"OneRoster {path} did not answer with a list of {key}.")
            rows += page
            offset += len(page)
            total = headers.get("X-Total-Count")
            if not page or (total is not None and str(total).isdigit() and offset >= int(total)):
                return rows
        raise SisError(f"OneRoster {path} went past {MAX_PAGES} pages.")

    # --- the interface --------------------------------------------------------------------------

    def ping(self):
        return self.school_info()

    def school_info(self):
        body, _ = self._get(f"orgs/{self.org}")
        org = body.get("org")
        if not isinstance(org, dict):
            raise SisError(f"OneRoster has no org {self.org}.")
        return {"code": org.get("sourcedId", self.org), "name": org.get("name", "")}

    def students(self, since=None):
        births = {row.get("sourcedId"): row for row in self._list("demographics", "demographics", since=since) if row}
        found = []
        for row in self._list(f"schools/{self.org}/students", "users", since=since):
            sourced_id = row.get("sourcedId")
            if not sourced_id:
                continue
            demo = births.get(sourced_id, {})
            found.append(
                SisStudent(
                    external_id=sourced_id,
                    admission_number=(row.get("identifier") or sourced_id).strip(),
                    first_name=(row.get("givenName") or "").strip(),
                    last_name=(row.get("familyName") or "").strip(),
                    other_names=(row.get("middleName") or "").strip(),
                    date_of_birth=parse_date(demo.get("birthDate")),
                    gender=GENDERS.get(str(demo.get("sex") or "").lower(), ""),
                    active=_active(row) and str(row.get("enabledUser", "true")).lower() != "false",
                )
            )
        return found

    def contacts(self, since=None):
        users = self._list("users", "users", since=since)
        pupils = {row.get("sourcedId"): row for row in users if _role(row) == "student"}
        children = {}
        for pupil_id, pupil in pupils.items():
            for index, agent in enumerate(pupil.get("agents") or []):
                children.setdefault(agent.get("sourcedId"), {})[pupil_id] = index == 0
        found = []
        for row in users:
            role = _role(row)
            if role not in GUARDIAN_ROLES or not _active(row):
                continue
            mine = dict(children.get(row.get("sourcedId"), {}))
            for agent in row.get("agents") or []:
                mine.setdefault(agent.get("sourcedId"), False)
            if not mine:
                continue
            found.append(
                SisContact(
                    external_id=row["sourcedId"],
                    student_ids=tuple(sorted(sid for sid in mine if sid)),
                    first_name=(row.get("givenName") or "").strip(),
                    last_name=(row.get("familyName") or "").strip(),
                    relationship=GUARDIAN_ROLES[role],
                    phone=(row.get("phone") or row.get("sms") or "").strip(),
                    email=(row.get("email") or "").strip().lower(),
                    primary_for=frozenset(sid for sid, first in mine.items() if first),
                )
            )
        return found

    def _current_terms(self):
        """The ids of the academic sessions today falls in, and whether the SIS listed any."""
        sessions = self._list("academicSessions", "academicSessions")
        current = set()
        for row in sessions:
            start, end = parse_date(row.get("startDate")), parse_date(row.get("endDate"))
            if (start is None or start <= self.today) and (end is None or self.today <= end):
                current.add(row.get("sourcedId"))
        return current, bool(sessions)

    def class_groups(self, since=None):
        current, known = self._current_terms()
        groups = []
        for row in self._list(f"schools/{self.org}/classes", "classes", since=since):
            if (row.get("classType") or "").lower() != "homeroom" or not row.get("sourcedId"):
                continue
            terms = {term.get("sourcedId") for term in row.get("terms") or []}
            in_term = not terms or not known or bool(terms & current)
            grades = row.get("grades") or []
            groups.append(
                SisClassGroup(
                    external_id=row["sourcedId"],
                    name=(row.get("title") or row.get("classCode") or row["sourcedId"]).strip()[:40],
                    level=grade_label(grades[0] if grades else "")[:40],
                    active=_active(row) and in_term,
                )
            )
        return groups

    def enrollments(self, since=None):
        found = []
        for row in self._list(f"schools/{self.org}/enrollments", "enrollments", since=since):
            if (row.get("role") or "").lower() != "student" or not row.get("sourcedId"):
                continue
            begins, ends = parse_date(row.get("beginDate")), parse_date(row.get("endDate"))
            current = (begins is None or begins <= self.today) and (ends is None or ends >= self.today)
            found.append(
                SisEnrollment(
                    external_id=row["sourcedId"],
                    student_id=(row.get("user") or {}).get("sourcedId", ""),
                    class_group_id=(row.get("class") or {}).get("sourcedId", ""),
                    active=_active(row) and current,
                )
            )
        return found

    def absence_codes(self):
        return []

    def attendance(self, since, until):
        raise SisUnsupported("OneRoster rostering carries no attendance: set the connection's attendance to none.")

    def push_attendance(self, marks):
        raise SisUnsupported("OneRoster rostering carries no attendance: set the connection's attendance to none.")


def _active(row):
    return (row.get("status") or "active").lower() == "active"


def _role(row):
    """The user's primary role: 1.2 lists `roles` (roleType primary first), 1.1 had one `role`."""
    roles = row.get("roles") or []
    primary = [r for r in roles if (r.get("roleType") or "primary") == "primary"] or roles
    role = primary[0].get("role") if primary else row.get("role")
    return (role or "").lower()
