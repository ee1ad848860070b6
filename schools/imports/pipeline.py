"""Run one ImportJob: stream the file, validate each row, apply valid rows whole, report the rest.

Rows are applied in chunks: one query per chunk fetches the students, guardians, links and
enrollments the chunk touches, then each row runs in its own savepoint, so a row that fails at the
database is rolled back alone and never half-applied. A dry run applies the same way inside a
transaction that is rolled back, so its counts are the ones a real import would give.
"""

import csv
import io
import logging
import tempfile
from dataclasses import asdict

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from classpoint.audit import audit
from classpoint.csvfile import SafeWriter
from classpoint.files import new_key

from ..models import Enrollment, Guardian, ImportJob, Student, StudentGuardian
from .csvfile import CsvFileError, open_csv
from .rows import RowProblem, RowValidator

log = logging.getLogger(__name__)
CHUNK_ROWS = 500
FIRST_ERRORS_KEPT = 20
ERRORS_HEADER = ["Row", "Column", "Value", "Problem", "Severity"]
STUDENT_FIELDS = ("first_name", "last_name", "other_names", "date_of_birth", "gender")
GUARDIAN_FIELDS = (
    "first_name",
    "last_name",
    "relationship",
    "phone",
    "email",
    "preferred_channel",
    "consent_sms",
    "consent_whatsapp",
    "consent_email",
)


class _Rollback(Exception):
    """Raised at the end of a dry-run chunk to undo it."""


def claim(job_id):
    """pending -> running, atomically: a second delivery of the same job finds nothing to claim."""
    return ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )


def run(job_id):
    """Process a claimed (or pending) job to the end. Safe to call twice: the claim decides."""
    if not claim(job_id):
        return None
    job = ImportJob.objects.select_related("school", "created_by").get(pk=job_id)
    try:
        with default_storage.open(job.file_key, "rb") as handle:
            _process(job, handle)
    except CsvFileError as exc:
        _fail(job, exc.message)
    except FileNotFoundError:
        _fail(job, "The uploaded file is missing; upload it again.")
    except Exception:
        log.exception("import %s crashed", job.pk)
        _fail(
            job, "The import stopped because of an error on our side. Nothing after the last counted row was applied."
        )
        raise
    job.refresh_from_db()
    return job


def _fail(job, message):
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED, message=message, finished_at=timezone.now()
    )
    audit(school=job.school, actor=job.created_by, action="import.failed", target=job, changes={"message": message})


def _estimate_rows(handle):
    """Rows in the file, counted by newlines in one streaming pass (for the progress bar only)."""
    count = 0
    while chunk := handle.read(1 << 20):
        count += chunk.count(b"\n")
    handle.seek(0)
    return max(count, 1)


def _process(job, handle):
    school = job.school
    size = getattr(handle, "size", None)
    if size is not None and size > settings.IMPORT_MAX_BYTES:
        raise CsvFileError(f"The file is larger than {settings.IMPORT_MAX_BYTES // (1024 * 1024)} MB.")
    total = _estimate_rows(handle)
    if total - 1 > settings.IMPORT_MAX_ROWS:
        # Refuse before anything is applied, rather than fail part-way through.
        raise CsvFileError(f"The file has more than {settings.IMPORT_MAX_ROWS:,} rows; split it into smaller files.")
    reader = open_csv(handle, max_rows=settings.IMPORT_MAX_ROWS)
    term = school.current_term()
    if term is None:
        raise CsvFileError("The school has no current term: set one before importing enrollments.")
    groups = {g.name: g for g in school.class_groups.all()}
    validator = RowValidator(country=school.country, class_names=list(groups))
    ImportJob.objects.filter(pk=job.pk).update(total_rows=max(total - 1, 1), extra_headers=reader.extra_headers)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0, "warnings": 0}
    first_errors = []
    with tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", newline="", encoding="utf-8") as report:
        problems_written = 0
        chunk = []
        # Cells echo what the uploader typed: SafeWriter neutralises them so a spreadsheet never runs a formula.
        writer = SafeWriter(report)

        def report_problems(problems):
            nonlocal problems_written
            if not problems_written:
                writer.writerow(ERRORS_HEADER)
            for p in problems:
                writer.writerow([p.row, p.column, p.value, p.message, p.severity])
            problems_written += len(problems)
            for p in problems:
                # Errors (rows not applied) are what people must fix: warnings only fill spare places.
                if len(first_errors) < FIRST_ERRORS_KEPT and (p.severity == "error" or len(first_errors) < 5):
                    first_errors.append(asdict(p))

        def flush():
            if not chunk:
                return
            outcomes, db_problems = _apply_chunk(job, term, groups, chunk, touched_guardians)
            for outcome in outcomes:
                counts[outcome] += 1
            if db_problems:
                report_problems(db_problems)
            chunk.clear()
            ImportJob.objects.filter(pk=job.pk).update(
                processed_rows=F("processed_rows") + len(outcomes) + pending_failed[0],
                created_count=counts["created"],
                updated_count=counts["updated"],
                unchanged_count=counts["unchanged"],
                failed_count=counts["failed"],
                warning_count=counts["warnings"],
                first_errors=first_errors,
            )
            pending_failed[0] = 0

        pending_failed = [0]
        touched_guardians = set()
        held_back = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", newline="", encoding="utf-8")
        held_writer = csv.writer(held_back)  # a scratch file read back below: cells are neutralised when reported
        for row_number, values in reader:
            clean, problems = validator.validate(row_number, values)
            if not validator.day_first_confirmed:
                # Ambiguous dates (03/04/2014) wait: if the file turns out to write day first, they
                # were never ambiguous and the report stays about real problems.
                for p in [p for p in problems if p.kind == "ambiguous_date"]:
                    held_writer.writerow([p.row, p.column, p.value, p.message])
                    problems.remove(p)
            else:
                problems = [p for p in problems if p.kind != "ambiguous_date"]
            if problems:
                counts["warnings"] += sum(1 for p in problems if p.severity == "warning")
                report_problems(problems)
            if clean is None:
                counts["failed"] += 1
                pending_failed[0] += 1
                continue
            chunk.append(clean)
            if len(chunk) >= CHUNK_ROWS:
                flush()
        flush()
        if not validator.day_first_confirmed:
            held_back.seek(0)
            held = [RowProblem(int(r[0]), r[1], r[2], r[3], "warning") for r in csv.reader(held_back)]
            counts["warnings"] += len(held)
            if held:
                report_problems(held)
                ImportJob.objects.filter(pk=job.pk).update(warning_count=counts["warnings"], first_errors=first_errors)
        held_back.close()
        if pending_failed[0]:
            ImportJob.objects.filter(pk=job.pk).update(
                processed_rows=F("processed_rows") + pending_failed[0],
                failed_count=counts["failed"],
                warning_count=counts["warnings"],
                first_errors=first_errors,
            )
        errors_key = ""
        if problems_written:
            report.seek(0)
            data = io.BytesIO(report.read().encode("utf-8-sig"))  # BOM: Excel opens UTF-8 correctly
            errors_key = default_storage.save(
                new_key(f"imports/{school.pk}/errors", f"errors-{job.pk}.csv"), File(data)
            )
    job.refresh_from_db()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.SUCCEEDED,
        finished_at=timezone.now(),
        errors_key=errors_key,
        total_rows=job.processed_rows,
    )
    audit(
        school=school,
        actor=job.created_by,
        action="import.finished",
        target=job,
        changes={"mode": job.mode, "file": job.file_name, **counts},
    )


def _apply_chunk(job, term, groups, rows, touched):
    """Apply valid rows; returns (outcome per row, problems from the database).

    Fast path: the whole chunk in a handful of bulk statements. If the database refuses any of it
    (a concurrent edit broke a unique constraint), the chunk is rolled back and replayed row by
    row, each in its own savepoint, so only the offending rows fail.
    """
    dry_run = job.mode == ImportJob.Mode.DRY_RUN
    snapshot = set(touched)
    try:
        with transaction.atomic():
            outcomes = _apply_chunk_bulk(job.school, term, groups, rows, touched)
            if dry_run:
                raise _Rollback
        return outcomes, []
    except _Rollback:
        return outcomes, []
    except IntegrityError:
        touched.clear()
        touched.update(snapshot)
    return _apply_chunk_row_by_row(job, term, groups, rows, touched)


def _apply_chunk_row_by_row(job, term, groups, rows, touched):
    """The fallback: each row as a chunk of one, in its own savepoint."""
    outcomes, problems = [], []
    try:
        with transaction.atomic():
            for row in rows:
                snapshot = set(touched)
                try:
                    with transaction.atomic():
                        outcomes += _apply_chunk_bulk(job.school, term, groups, [row], touched)
                except IntegrityError as exc:
                    touched.clear()
                    touched.update(snapshot)
                    outcomes.append("failed")
                    problems.append(
                        RowProblem(row.row, "", "", f"The row conflicts with existing data ({exc.__class__.__name__}).")
                    )
            if job.mode == ImportJob.Mode.DRY_RUN:
                raise _Rollback
    except _Rollback:
        pass
    return outcomes, problems


def _apply_chunk_bulk(school, term, groups, rows, touched):
    """Upsert students with guardians and current-term enrollment: planned in memory, written with
    bulk statements. Outcome per row: created / updated / unchanged."""
    known = _prefetch(school, term, rows)
    now = timezone.now()
    new_students, dirty_students = [], {}
    new_guardians, dirty_guardians = [], {}
    plans = []  # (row, student, [(guardian, primary)], changed)
    for row in rows:
        changed = False
        student = known["students"].get(row.admission_number)
        data = {field: getattr(row, field) for field in STUDENT_FIELDS}
        if student is None:
            student = Student(school=school, admission_number=row.admission_number, **data)
            new_students.append(student)
            known["students"][row.admission_number] = student
        else:
            diff = {f: v for f, v in data.items() if getattr(student, f) != v}
            if diff:
                for field, value in diff.items():
                    setattr(student, field, value)
                student.updated_at = now
                dirty_students[id(student)] = student
                changed = True
        linked = []
        for index, clean in enumerate(row.guardians):
            guardian = known["by_phone"].get(clean.phone) if clean.phone else None
            if guardian is None and clean.email:
                guardian = known["by_email"].get(clean.email)
            values = {field: getattr(clean, field) for field in GUARDIAN_FIELDS}
            if guardian is None:
                guardian = Guardian(school=school, **values)
                new_guardians.append(guardian)
                changed = True
            elif id(guardian) not in touched and guardian.pk not in touched:
                diff = {f: v for f, v in values.items() if v not in ("", None) and getattr(guardian, f) != v}
                if diff:
                    for field, value in diff.items():
                        setattr(guardian, field, value)
                    if guardian.pk:
                        dirty_guardians[id(guardian)] = guardian
                    changed = True
            touched.add(guardian.pk or id(guardian))
            if guardian.phone:
                known["by_phone"][guardian.phone] = guardian
            if guardian.email:
                known["by_email"][guardian.email] = guardian
            if all(g is not guardian for g, _ in linked):
                linked.append((guardian, index == 0))
        plans.append([row, student, linked, changed])
    Student.objects.bulk_create(new_students)
    Guardian.objects.bulk_create(new_guardians)
    for guardian in new_guardians:  # ids are known now: later chunks see them by id
        touched.discard(id(guardian))
        touched.add(guardian.pk)
    if dirty_students:
        Student.objects.bulk_update(list(dirty_students.values()), [*STUDENT_FIELDS, "updated_at"])
    if dirty_guardians:
        Guardian.objects.bulk_update(list(dirty_guardians.values()), list(GUARDIAN_FIELDS))
    new_links, make_primary, unset_primary_for = [], [], set()
    new_enrollments, moved = [], []
    for plan in plans:
        row, student, linked, changed = plan
        for guardian, primary in linked:
            link = known["links"].get((student.pk, guardian.pk))
            if link is None:
                if primary:
                    unset_primary_for.add(student.pk)
                link = StudentGuardian(school=school, student=student, guardian=guardian, is_primary=primary)
                known["links"][(student.pk, guardian.pk)] = link
                new_links.append(link)
                changed = True
            elif primary and not link.is_primary:
                unset_primary_for.add(student.pk)
                make_primary.append(link.pk)
                link.is_primary = True
                changed = True
        group = groups[row.class_group_name]
        enrollment = known["enrollments"].get(student.pk)
        if enrollment is None:
            enrollment = Enrollment(school=school, student=student, term=term, class_group=group)
            known["enrollments"][student.pk] = enrollment
            new_enrollments.append(enrollment)
            changed = True
        elif enrollment.class_group_id != group.pk:
            enrollment.class_group = group
            moved.append(enrollment)
            changed = True
        plan[3] = changed
    if unset_primary_for:
        StudentGuardian.objects.filter(student_id__in=unset_primary_for, is_primary=True).update(is_primary=False)
    if make_primary:
        StudentGuardian.objects.filter(pk__in=make_primary).update(is_primary=True)
    StudentGuardian.objects.bulk_create(new_links)
    if moved:
        Enrollment.objects.bulk_update(moved, ["class_group"])
    Enrollment.objects.bulk_create(new_enrollments)
    outcomes = []
    created = {id(s) for s in new_students}
    for _row, student, _linked, changed in plans:
        outcomes.append("created" if id(student) in created else ("updated" if changed else "unchanged"))
    return outcomes


def _prefetch(school, term, rows):
    numbers = [r.admission_number for r in rows]
    phones = {g.phone for r in rows for g in r.guardians if g.phone}
    emails = {g.email for r in rows for g in r.guardians if g.email}
    students = {s.admission_number: s for s in school.students.filter(admission_number__in=numbers)}
    guardians = list(school.guardians.filter(Q(phone__in=phones) | Q(email__in=emails))) if phones or emails else []
    ids = [s.pk for s in students.values()]
    links = {
        (link.student_id, link.guardian_id): link
        for link in StudentGuardian.objects.for_school(school).filter(student_id__in=ids)
    }
    enrollments = {
        e.student_id: e
        for e in school.enrollments.filter(student_id__in=ids, term=term, status=Enrollment.Status.ACTIVE)
    }
    return {
        "students": students,
        "by_phone": {g.phone: g for g in guardians if g.phone},
        "by_email": {g.email: g for g in guardians if g.email},
        "links": links,
        "enrollments": enrollments,
    }
