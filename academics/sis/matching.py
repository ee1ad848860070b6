"""Which Classpoint row a SIS record is, when no SisLink says so yet: the first run against a school
that already has pupils (a CSV import, the admissions office) must find them, never add them twice.

Pupils, in this order; the first rule that finds exactly one pupil not yet linked to another SIS id
of the same adapter wins:
1. the SisLink of the record's SIS id (every run after the first);
2. the admission number: Aeries StudentID (PermanentID) or OneRoster `identifier`, compared without
   case or surrounding spaces;
3. first name, last name and date of birth, all three equal (case and spaces aside), and only when
   the SIS gives a date of birth.
A rule that finds two or more pupils matches none: the record fails with "matches several pupils"
for a person to settle, and nothing is created. A pupil no rule finds is created, with the SIS's
admission number.

Guardians, in this order: the SisLink; one of the record's pupils' guardians with the same email,
the same phone (E.164) or the same first and last name; any guardian of the school with the same
email or phone. Otherwise a guardian is created and linked to the record's pupils. Class groups: the
SisLink, then a class group of the same name. Enrollments: the SisLink, then the pupil's active
enrollment in the current term (moved to the SIS's class if it differs).
"""

from collections import defaultdict

from schools.phones import normalize_phone


def _key(text):
    return " ".join((text or "").split()).casefold()


class Ambiguous(Exception):
    """More than one row fits: a person decides, the sync does not guess."""


class StudentMatcher:
    def __init__(self, students, linked_ids):
        self.linked = set(linked_ids)
        self.by_number = defaultdict(list)
        self.by_name_dob = defaultdict(list)
        for student in students:
            self.by_number[_key(student.admission_number)].append(student)
            if student.date_of_birth:
                self.by_name_dob[(_key(student.first_name), _key(student.last_name), student.date_of_birth)].append(
                    student
                )

    def match(self, record):
        """The one unlinked pupil the record is, None when there is none; Ambiguous when several."""
        candidates = self.by_number.get(_key(record.admission_number), []) if record.admission_number else []
        found = self._one(candidates, "admission number")
        if found is None and record.date_of_birth:
            key = (_key(record.first_name), _key(record.last_name), record.date_of_birth)
            found = self._one(self.by_name_dob.get(key, []), "name and date of birth")
        return found

    def _one(self, candidates, rule):
        free = [s for s in candidates if s.pk not in self.linked]
        if len(free) > 1:
            raise Ambiguous(f"Matches {len(free)} pupils by {rule}: link the right one by hand.")
        return free[0] if free else None

    def taken(self, student):
        self.linked.add(student.pk)
        self.by_number[_key(student.admission_number)].append(student)


def normal_phone(phone, country):
    """E.164, or "" when the SIS's phone is not a valid number (ValueError bubbles to the caller)."""
    return normalize_phone(phone, country or "NG") if phone else ""


class GuardianMatcher:
    def __init__(self, guardians, pupil_guardians, linked_ids):
        """`guardians`: the school's, by id; `pupil_guardians`: student id -> set of guardian ids."""
        self.guardians = guardians
        self.pupil_guardians = pupil_guardians
        self.linked = set(linked_ids)
        self.by_email = defaultdict(list)
        self.by_phone = defaultdict(list)
        for guardian in guardians.values():
            self._index(guardian)

    def _index(self, guardian):
        if guardian.email:
            self.by_email[guardian.email.casefold()].append(guardian)
        if guardian.phone:
            self.by_phone[guardian.phone].append(guardian)

    def match(self, record, *, phone, student_ids, replaceable=()):
        """The guardian the record is. `replaceable`: guardians linked to an SIS id the SIS no longer
        sends (a contact re-keyed by a new email), who may take this record's id."""
        unavailable = self.linked - set(replaceable)
        email = (record.email or "").casefold()
        name = (_key(record.first_name), _key(record.last_name))
        theirs = [
            self.guardians[g] for sid in student_ids for g in self.pupil_guardians.get(sid, ()) if g in self.guardians
        ]
        for guardian in theirs:
            if guardian.pk in unavailable:
                continue
            if (email and guardian.email.casefold() == email) or (phone and guardian.phone == phone):
                return guardian
            if (_key(guardian.first_name), _key(guardian.last_name)) == name:
                return guardian
        for pool in (self.by_email.get(email, []) if email else [], self.by_phone.get(phone, []) if phone else []):
            unlinked = [g for g in pool if g.pk not in unavailable]
            if len({g.pk for g in unlinked}) == 1:
                return unlinked[0]
        return None

    def taken(self, guardian, student_ids):
        self.linked.add(guardian.pk)
        self.guardians[guardian.pk] = guardian
        self._index(guardian)
        for sid in student_ids:
            self.pupil_guardians.setdefault(sid, set()).add(guardian.pk)
