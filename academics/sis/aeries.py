"""Aeries API v5 (https://support.aeries.com, "Aeries API"): a district URL and a certificate sent as
the `AERIES-CERT` header; `DatabaseYear=YYYY` on every call picks the school year's database (Aeries
silently answers from its default year when the one asked for is missing, so ping() checks it).

What maps to what:
- pupils: GET /api/v5/schools/{sc}/students, read in slices with StartingRecord/EndingRecord (most
  Aeries end points have no paging; this one does). StudentID (PermanentID before v5) is both the
  SIS id and the admission number matched against pupils imported before the first run. A pupil with
  an InactiveStatusCode has left.
- class groups: Aeries has no homeroom object; each pupil's Grade and HomeRoom make one ("Grade 9
  Room 12"), and the pupil's enrollment in it for the current term (one per pupil, like Classpoint's).
- guardians: GET /api/v5/schools/{sc}/contacts, one row per pupil and contact. A parent of two
  pupils is two rows; rows with the same name and email (or phone) are one guardian of both, known
  by their first row's "StudentID:SequenceNumber".
- absence codes: GET /api/v5/schools/{sc}/AbsenceCodes; attendance: GET .../attendance?StartDate=
  &EndDate= (YYYYMMDD; a day appears only when it has a code: no row is a present day). Pushing
  writes each day's all-day code with POST .../attendance/{StudentID}.
"""

from dataclasses import replace

from .base import (
    SisAbsenceCode,
    SisAdapter,
    SisClassGroup,
    SisContact,
    SisEnrollment,
    SisError,
    SisMark,
    SisStudent,
    grade_label,
    parse_date,
)

PAGE_SIZE = 1000  # StartingRecord/EndingRecord slice of the students end point
MAX_PAGES = 500
GENDERS = {"F": "female", "M": "male"}


class AeriesAdapter(SisAdapter):
    name = "aeries"

    def __init__(self, connection, *, secret, http):
        super().__init__(connection, secret=secret, http=http)
        certificate = secret.get("certificate") if isinstance(secret, dict) else secret
        if not certificate:
            raise SisError("The Aeries secret has no certificate.")
        http.headers["AERIES-CERT"] = str(certificate)
        self.school_code = connection.school_code
        self._students = None

    def _params(self, **extra):
        year = self.connection.database_year
        return {**({"DatabaseYear": str(year)} if year else {}), **extra}

    def _get(self, path, **params):
        body, _ = self.http.get(f"/api/v5/{path}", params=self._params(**params))
        return body

    def ping(self):
        info = self._get("systeminfo")
        if not isinstance(info, dict):
            raise SisError("Aeries /api/v5/systeminfo did not answer with the system's details.")
        year = self.connection.database_year
        available = [str(y) for y in info.get("AvailableDatabaseYears") or []]
        if year and available and str(year) not in available:
            raise SisError(f"Aeries has no DatabaseYear {year} (it has {', '.join(available)}).")
        return info

    def school_info(self):
        body = self._get(f"schools/{self.school_code}")
        row = body[0] if isinstance(body, list) and body else body
        if not isinstance(row, dict) or not row.get("SchoolCode") and not row.get("Name"):
            raise SisError(f"Aeries has no school {self.school_code}.")
        return {"code": str(row.get("SchoolCode", self.school_code)), "name": row.get("Name", "")}

    def _student_rows(self):
        if self._students is None:
            rows = []
            for page in range(MAX_PAGES):
                first = page * PAGE_SIZE + 1
                body = self._get(
                    f"schools/{self.school_code}/students", StartingRecord=first, EndingRecord=first + PAGE_SIZE - 1
                )
                if not isinstance(body, list):
                    raise SisError("Aeries students did not answer with a list.")
                rows += body
                if len(body) < PAGE_SIZE:
                    break
            else:
                raise SisError(f"Aeries students went past {MAX_PAGES * PAGE_SIZE} records.")
            self._students = [row for row in rows if _student_id(row)]
        return self._students

    def students(self, since=None):
        return [
            SisStudent(
                external_id=_student_id(row),
                admission_number=_student_id(row),
                first_name=(row.get("FirstName") or "").strip(),
                last_name=(row.get("LastName") or "").strip(),
                other_names=(row.get("MiddleName") or "").strip(),
                date_of_birth=parse_date(row.get("Birthdate")),
                gender=GENDERS.get((row.get("Sex") or "").upper(), ""),
                active=not (row.get("InactiveStatusCode") or "").strip(),
            )
            for row in self._student_rows()
        ]

    def class_groups(self, since=None):
        groups = {}
        for row in self._student_rows():
            key, name, level = _homeroom(row)
            groups.setdefault(key, SisClassGroup(external_id=key, name=name, level=level))
        return list(groups.values())

    def enrollments(self, since=None):
        return [
            SisEnrollment(
                external_id=_student_id(row),
                student_id=_student_id(row),
                class_group_id=_homeroom(row)[0],
                active=not (row.get("InactiveStatusCode") or "").strip(),
            )
            for row in self._student_rows()
        ]

    def contacts(self, since=None):
        body = self._get(f"schools/{self.school_code}/contacts")
        if not isinstance(body, list):
            raise SisError("Aeries contacts did not answer with a list.")
        people = {}
        for row in sorted(body, key=lambda r: (str(r.get("StudentID")), int(r.get("SequenceNumber") or 0))):
            student_id = str(row.get("StudentID") or "")
            email = (row.get("EmailAddress") or "").strip().lower()
            phone = (row.get("CellPhone") or row.get("HomePhone") or row.get("WorkPhone") or "").strip()
            first, last = (row.get("FirstName") or "").strip(), (row.get("LastName") or "").strip()
            if not student_id or not (first or last):
                continue
            # One person however many pupils they are a contact of; their SIS id is their first row's.
            row_id = f"{student_id}:{row.get('SequenceNumber')}"
            key = "|".join([last.casefold(), first.casefold(), email or _digits(phone)]) if (email or phone) else row_id
            known = people.get(key)
            primary = {student_id} if int(row.get("SequenceNumber") or 0) <= 1 else set()
            if known is None:
                people[key] = SisContact(
                    external_id=row_id,
                    student_ids=(student_id,),
                    first_name=first,
                    last_name=last,
                    relationship=(row.get("RelationshipToStudentCode") or "").strip()[:40],
                    phone=phone,
                    email=email,
                    primary_for=frozenset(primary),
                )
            elif student_id not in known.student_ids:
                people[key] = replace(
                    known, student_ids=(*known.student_ids, student_id), primary_for=known.primary_for | primary
                )
        return list(people.values())

    def absence_codes(self):
        body = self._get(f"schools/{self.school_code}/AbsenceCodes")
        rows = body if isinstance(body, list) else []
        return [
            SisAbsenceCode(code=str(row.get("Code")), label=row.get("Description") or "", kind=_kind_of(row))
            for row in rows
            if row.get("Code") not in (None, "")
        ]

    def attendance(self, since, until):
        body = self._get(
            f"schools/{self.school_code}/attendance", StartDate=f"{since:%Y%m%d}", EndDate=f"{until:%Y%m%d}"
        )
        marks = []
        for student in body if isinstance(body, list) else []:
            student_id = str(student.get("StudentID") or "")
            for day in student.get("AttendanceDays") or []:
                date = parse_date(day.get("CalendarDate"))
                code = (day.get("AllDayAttendanceCode") or "").strip()
                if student_id and date and code:
                    marks.append(SisMark(student_id=student_id, date=date, code=code))
        return marks

    def push_attendance(self, marks):
        results = []
        for mark in marks:
            try:
                self.http.post(
                    f"/api/v5/schools/{self.school_code}/attendance/{mark.student_id}",
                    json={"CalendarDate": f"{mark.date:%Y-%m-%d}T00:00:00", "AllDayAttendanceCode": mark.code},
                )
            except SisError as exc:
                results.append((mark, str(exc)))
            else:
                results.append((mark, None))
        return results


def _student_id(row):
    value = row.get("StudentID") or row.get("PermanentID")
    return str(value) if value not in (None, "", 0) else ""


def _homeroom(row):
    level = grade_label(row.get("Grade"))
    room = str(row.get("HomeRoom") or "").strip()
    key = f"{row.get('Grade')}:{room}" if room else f"{row.get('Grade')}"
    name = f"{level} Room {room}" if room else level
    return key, (name or "Unassigned")[:40], level[:40]


def _digits(phone):
    return "".join(ch for ch in phone if ch.isdigit())


def _kind_of(row):
    """Aeries codes are the district's own: a late code says tardy, an excused one is a valid excuse."""
    text = f"{row.get('Code', '')} {row.get('Description', '')}".lower()
    if "tard" in text or "late" in text:
        return "late"
    if str(row.get("ValidExcuse", row.get("IsValidExcuse", ""))).upper() in ("Y", "YES", "TRUE", "1"):
        return "excused"
    if "present" in text:
        return "present"
    return "absent"
