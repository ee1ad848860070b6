"""The SIS sync against local fake Aeries and OneRoster servers: first run, nothing changed, a changed
record, a removed one, a pupil imported before the first run, a SIS failing half-way, a dry run."""

import datetime
import json
import re

import pytest

from academics.models import SisConnection, SisLink, SyncRun
from academics.sis import http, oneroster
from academics.sis.sync import sis_sync
from academics.tests.sis_fakes import FakeAeries, FakeOneRoster, pupil_facts
from classpoint import secrets
from classpoint.models import AuditLog
from classpoint.scoping import for_school
from schools.models import Enrollment, Guardian, Student, StudentGuardian
from schools.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch):
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0)
    oneroster.clear_token_cache()
    secrets.clear_cache()
    yield
    oneroster.clear_token_cache()
    secrets.clear_cache()


def set_secret(monkeypatch, key, value):
    name = secrets.secret_name("sis", key)
    monkeypatch.setenv(re.sub(r"[^A-Za-z0-9]+", "_", name).upper(), json.dumps(value))


def connect(school, monkeypatch, fake, **extra):
    if isinstance(fake, FakeAeries):
        set_secret(monkeypatch, f"{school.slug}-aeries", {"certificate": FakeAeries.CERT})
        values = {"adapter": "aeries", "school_code": fake.school_code, "database_year": 2026}
    else:
        set_secret(monkeypatch, f"{school.slug}-oneroster", {"client_id": fake.CLIENT_ID, "client_secret": "s3cret"})
        values = {"adapter": "oneroster", "school_code": fake.org, "token_url": f"{fake.url}/token"}
    values |= {"credentials_ref": f"{school.slug}-{values['adapter']}", "base_url": fake.url, **extra}
    return SisConnection.objects.create(school=school, **values)


@pytest.fixture
def aeries(school, monkeypatch):
    with FakeAeries.generated(30) as fake:
        connect(school, monkeypatch, fake)
        yield fake


@pytest.fixture
def roster(school, monkeypatch):
    with FakeOneRoster.generated(30, max_limit=20) as fake:
        connect(school, monkeypatch, fake)
        yield fake


def run(school, **kwargs):
    with for_school(school):
        return sis_sync(school=school, **kwargs)


def synced(school, facts):
    return Student.objects.get(school=school, admission_number=facts["id"])


def counts(result, kind):
    return {k: v for k, v in result.counts[kind].items() if v}


@pytest.mark.parametrize("protocol", ["aeries", "roster"])
def test_first_run_creates_pupils_guardians_classes_and_enrollments(school, protocol, request):
    request.getfixturevalue(protocol)
    result = run(school)
    assert result.status == SyncRun.Status.SUCCEEDED, result.message
    assert counts(result, "student") == {"created": 30}
    assert counts(result, "guardian") == {"created": 30}
    assert counts(result, "class_group") == {"created": 2}
    assert counts(result, "enrollment") == {"created": 30}
    pupil = synced(school, pupil_facts(3))
    assert (pupil.first_name, pupil.last_name, pupil.gender) == ("Pupil3", "Family3", "female")
    assert pupil.date_of_birth == pupil_facts(3)["dob"]
    link = StudentGuardian.objects.get(student=pupil)
    assert link.is_primary and link.guardian.email == "family3@example.ng" and link.guardian.phone == "+2348051000003"
    enrollment = Enrollment.objects.get(student=pupil)
    assert enrollment.term == school.current_term() and enrollment.status == Enrollment.Status.ACTIVE
    assert enrollment.class_group.level == "Grade 7" and "100" in enrollment.class_group.name
    assert SisLink.objects.filter(school=school, kind="student").count() == 30
    assert SisConnection.objects.get(school=school).last_run == result
    assert result.finished_at and result.duration_ms is not None and result.error_count == 0


@pytest.mark.parametrize("protocol", ["aeries", "roster"])
def test_second_run_with_nothing_changed_writes_nothing(school, protocol, request, django_assert_max_num_queries):
    request.getfixturevalue(protocol)
    run(school)
    audit_before = AuditLog.objects.count()
    with django_assert_max_num_queries(40):  # a fixed number of reads, none per pupil
        result = run(school)
    assert result.status == SyncRun.Status.SUCCEEDED
    for kind, n in (("student", 30), ("guardian", 30), ("class_group", 2), ("enrollment", 30)):
        assert counts(result, kind) == {"unchanged": n}, kind
    assert AuditLog.objects.count() == audit_before


def test_changed_records_are_updated(school, aeries):
    run(school)
    aeries.student(99400001)["LastName"] = "Okafor"
    aeries.student(99400002)["HomeRoom"] = "101"  # moves to the other homeroom
    aeries.contacts[5]["CellPhone"] = "+2348039999999"
    result = run(school)
    assert counts(result, "student") == {"updated": 1, "unchanged": 29}
    assert counts(result, "guardian") == {"updated": 1, "unchanged": 29}
    assert counts(result, "enrollment") == {"updated": 1, "unchanged": 29}
    assert synced(school, pupil_facts(1)).last_name == "Okafor"
    moved = Enrollment.objects.get(student=synced(school, pupil_facts(2)), status="active")
    assert "101" in moved.class_group.name
    assert Guardian.objects.get(school=school, email="family5@example.ng").phone == "+2348039999999"
    assert Student.objects.filter(school=school).count() == 31  # the fixture's pupil and the SIS's 30


def test_removed_pupil_has_enrollment_ended_not_deleted(school, aeries):
    run(school)
    gone = aeries.students.pop(4)
    aeries.student(99400005)["InactiveStatusCode"] = "I"
    result = run(school)
    assert counts(result, "enrollment") == {"unchanged": 28, "ended": 2}
    for facts in (pupil_facts(4), pupil_facts(5)):
        enrollment = Enrollment.objects.get(student=synced(school, facts))
        assert enrollment.status == Enrollment.Status.ENDED and enrollment.ended_on == school.local_today()
    assert gone["StudentID"] == 99400004
    assert run(school).counts["enrollment"]["ended"] == 0  # ended once


def test_oneroster_class_change_with_a_new_enrollment_record_moves_the_pupil(school, roster):
    run(school)
    old = next(e for e in roster.enrollments if e["user"]["sourcedId"] == "stu-99400001")
    old |= {"status": "tobedeleted", "dateLastModified": "2026-12-04T00:00:00Z"}
    roster.enrollments.append({**old, "sourcedId": "enr-new", "status": "active", "class": {"sourcedId": "hr-101"}})
    result = run(school)
    assert counts(result, "enrollment") == {"updated": 1, "unchanged": 29, "linked": 1}
    enrollments = Enrollment.objects.filter(student=synced(school, pupil_facts(1)))
    assert [(e.status, "101" in e.class_group.name) for e in enrollments] == [("active", True)]
    assert SisLink.objects.filter(school=school, kind="enrollment", external_id="enr-new").exists()


def test_oneroster_delta_reads_only_changes_and_ends_only_what_it_is_told(school, roster):
    run(school)
    roster.user("stu-99400002").update(familyName="Eze", dateLastModified="2026-12-04T00:00:00Z")
    roster.enrollments[3] |= {"status": "tobedeleted", "dateLastModified": "2026-12-04T00:00:00Z"}
    result = run(school, since=datetime.date(2026, 12, 1))
    assert counts(result, "student") == {"updated": 1}
    assert counts(result, "enrollment") == {"ended": 1}
    assert Enrollment.objects.filter(school=school, status="active").count() == 1 + 29


def test_pupil_imported_before_the_first_run_is_matched_not_duplicated(school, aeries):
    term, group = school.current_term(), school.class_groups.first()
    by_number = f.StudentFactory(school=school, admission_number="99400007", first_name="Pupil7", last_name="Family7")
    parent = f.GuardianFactory(school=school, last_name="Family7", email="family7@example.ng", phone="+2348051000007")
    f.link(by_number, parent)
    f.enroll(by_number, term, group)
    facts = pupil_facts(8)
    by_name = f.StudentFactory(
        school=school,
        admission_number="GFA/0008",
        first_name="pupil8 ",
        last_name="FAMILY8",
        date_of_birth=facts["dob"],
    )
    result = run(school)
    assert counts(result, "student") == {"created": 28, "updated": 2, "linked": 2}
    assert counts(result, "guardian") == {"created": 29, "unchanged": 1, "linked": 1}
    assert counts(result, "enrollment") == {"created": 29, "updated": 1, "linked": 1}
    assert Student.objects.filter(school=school, first_name__iexact="pupil7").count() == 1
    assert Student.objects.filter(school=school, last_name__iexact="family8").count() == 1
    by_name.refresh_from_db()
    assert (by_name.admission_number, by_name.first_name) == ("GFA/0008", "Pupil8")  # its number is the school's
    assert Guardian.objects.filter(school=school, email="family7@example.ng").count() == 1
    assert Enrollment.objects.get(student=by_number).class_group != group  # moved to the SIS's homeroom


def test_two_local_pupils_fitting_one_record_are_left_for_a_person(school, aeries):
    facts = pupil_facts(9)
    for _ in range(2):
        f.StudentFactory(school=school, first_name="Pupil9", last_name="Family9", date_of_birth=facts["dob"])
    result = run(school)
    assert result.status == SyncRun.Status.SUCCEEDED
    assert result.counts["student"]["failed"] == 1
    assert "Matches 2 pupils" in next(e["message"] for e in result.errors if e["external_id"] == facts["id"])
    assert Student.objects.filter(school=school, last_name="Family9").count() == 2


def test_a_record_a_service_refuses_is_counted_and_the_run_goes_on(school, aeries):
    aeries.contacts[2] |= {"CellPhone": "12", "EmailAddress": ""}
    result = run(school)
    assert result.status == SyncRun.Status.SUCCEEDED
    assert counts(result, "guardian") == {"created": 29, "failed": 1}
    assert result.errors[0]["kind"] == "guardian" and "not valid" in result.errors[0]["message"]


@pytest.mark.parametrize("protocol", ["aeries", "roster"])
def test_5xx_in_the_middle_fails_the_run_cleanly_with_nothing_written(school, protocol, request):
    fake = request.getfixturevalue(protocol)
    if protocol == "aeries":
        fake.fail("/contacts", times=10, status=503)
    else:  # the students' second page, after the first was read
        fake.fail("/students", times=10, status=502, when=lambda q: q.get("offset") == "20")
    before = (Student.objects.count(), Guardian.objects.count(), SisLink.objects.count(), AuditLog.objects.count())
    result = run(school)
    assert result.status == SyncRun.Status.FAILED
    assert "answered 50" in result.message and result.counts == {}
    assert (Student.objects.count(), Guardian.objects.count(), SisLink.objects.count(), AuditLog.objects.count()) == (
        before
    )
    assert fake.count("/contacts" if protocol == "aeries" else "/students") >= 3  # retried before giving up
    assert SisConnection.objects.get(school=school).last_run == result


def test_a_transient_5xx_is_retried_and_the_run_succeeds(school, roster):
    roster.fail("/enrollments", times=1, status=503)
    result = run(school)
    assert result.status == SyncRun.Status.SUCCEEDED and counts(result, "enrollment") == {"created": 30}


def test_an_error_half_way_through_the_writing_rolls_all_of_it_back(school, aeries, monkeypatch):
    def broken(ctx, records, complete):
        raise RuntimeError("disk full")

    monkeypatch.setattr("academics.sis.sync.sync_enrollments", broken)
    result = run(school)
    assert result.status == SyncRun.Status.FAILED and "disk full" in result.message
    assert not Student.objects.filter(school=school, admission_number__startswith="994").exists()
    assert not SisLink.objects.exists()


def test_dry_run_writes_nothing_but_its_log(school, aeries):
    audit_before = AuditLog.objects.count()
    result = run(school, dry_run=True)
    assert result.status == SyncRun.Status.DRY_RUN and result.dry_run
    assert counts(result, "student") == {"created": 30}
    assert not Student.objects.filter(school=school, admission_number__startswith="994").exists()
    assert not SisLink.objects.exists() and AuditLog.objects.count() == audit_before
    assert SisConnection.objects.get(school=school).last_run is None


def test_refused_certificate_and_missing_secret_fail_with_a_clear_reason(school, aeries, monkeypatch):
    set_secret(monkeypatch, "greenfield-aeries", {"certificate": "wrong"})
    assert "refused the credentials (401)" in run(school).message
    secrets.clear_cache()
    SisConnection.objects.filter(school=school).update(credentials_ref="nobody")
    assert "credentials are missing" in run(school).message


def test_a_database_year_aeries_does_not_have_fails_the_run(school, aeries):
    SisConnection.objects.filter(school=school).update(database_year=2019)
    result = run(school)
    assert result.status == SyncRun.Status.FAILED and "no DatabaseYear 2019" in result.message
    assert all(q.get("DatabaseYear") in (None, "2019") for _, _, q in aeries.requests)


def test_oneroster_pages_by_limit_and_offset_and_keeps_its_token(school, monkeypatch):
    with FakeOneRoster.generated(120, max_limit=50) as fake:
        connect(school, monkeypatch, fake)
        assert counts(run(school), "student") == {"created": 120}
        assert counts(run(school), "student") == {"unchanged": 120}
    # students: 3 pages of 50 per run; one token for both runs, until it expires
    assert fake.count("/schools/org-1/students") == 6 and len(fake.tokens) == 1
    assert SisConnection.objects.get(school=school).token_expires_at > school.local_now()


def test_a_token_about_to_expire_is_renewed_not_used(school, monkeypatch):
    with FakeOneRoster.generated(3, token_lifetime=30) as fake:  # inside the renewal margin from the start
        connect(school, monkeypatch, fake)
        run(school)
        requests_per_run = fake.count("/token", method="POST")
    assert requests_per_run > 1 and len(fake.tokens) == requests_per_run
