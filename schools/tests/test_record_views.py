"""A pupil's record in the workspace: the profile (and editing it), the guardians, the enrolment and
the access log tabs, and the guardian page. Every tab keeps the look in the access log, another
school's pupil or guardian is a 404, and a refused form changes nothing."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classpoint.models import AuditLog
from schools.models import Enrollment, Guardian, Role, StudentGuardian
from schools.tests import factories as f

pytestmark = pytest.mark.django_db

BASE = "/s/greenfield"
DAY = datetime.timedelta(days=1)


def pupil(school):
    return school.students.get(admission_number="GFA/0001")


def looks(student):
    return AuditLog.objects.filter(action="student.viewed", target_id=str(student.pk)).count()


def record(student, tab=""):
    return f"{BASE}/students/{student.pk}/{tab}"


# --- the tabs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tab", ["", "guardians/", "enrolment/", "access/", "edit/"])
def test_every_schools_tab_shows_the_pupil_and_records_the_look(school, alice, verified_client, tab):
    student = pupil(school)
    response = verified_client(alice).get(record(student, tab))
    body = response.content.decode()
    assert response.status_code == 200
    assert "GFAPupil" in body and "GFA/0001" in body and "GFA JSS 1A" in body  # the header
    assert f'href="{record(student, "guardians/")}"' in body and f'href="{record(student, "enrolment/")}"' in body
    assert looks(student) == 1


@pytest.mark.parametrize("tab", ["", "guardians/", "enrolment/", "access/", "edit/"])
def test_another_schools_pupil_is_a_404_on_every_tab(school, other_school, alice, verified_client, tab):
    foreign = other_school.students.get()
    response = verified_client(alice).get(record(foreign, tab))
    assert response.status_code == 404 and b"RVCPupil" not in response.content
    assert not AuditLog.objects.filter(target_id=str(foreign.pk), action="student.viewed").exists()


@pytest.mark.parametrize("action", ["guardians/add/", "guardians/link/", "guardians/primary/", "enrolment/move/"])
def test_another_schools_pupil_is_a_404_for_every_change(school, other_school, alice, verified_client, action):
    foreign = other_school.students.get()
    client = verified_client(alice)
    entries = AuditLog.objects.count()
    response = client.post(record(foreign, action), {"guardian": "1", "class_group": "1", "first_name": "X"})
    assert response.status_code == 404
    assert AuditLog.objects.count() == entries


def test_the_tab_bar_shows_only_what_the_role_may_open(school, teacher, bursar, verified_client):
    student = pupil(school)
    teacher_page = verified_client(teacher).get(record(student)).content.decode()
    bursar_page = verified_client(bursar).get(record(student)).content.decode()
    fees_tab = f'href="{record(student, "fees/")}"'
    assert fees_tab not in teacher_page and fees_tab in bursar_page
    # A teacher reads the record but changes nothing of it.
    assert "Edit the profile" not in teacher_page and f'href="{record(student, "edit/")}"' not in teacher_page
    assert verified_client(teacher).get(record(student, "edit/")).status_code == 403


def test_a_school_that_takes_a_permission_from_a_role_takes_the_tab_too(school, bursar, verified_client):
    role = Role.objects.for_school(school).get(key="bursar")
    role.permissions = [code for code in role.permissions if code != "fees.view"]
    role.save()
    student = pupil(school)
    assert f'href="{record(student, "fees/")}"' not in verified_client(bursar).get(record(student)).content.decode()


# --- the profile --------------------------------------------------------------------------------------------


def profile_data(**changes):
    data = {
        "first_name": "GFAPupil",
        "other_names": "",
        "last_name": "Okafor",
        "date_of_birth": "2013-05-01",
        "gender": "female",
        "admission_number": "GFA/0001",
    }
    return {**data, **changes}


def test_editing_the_name_keeps_the_old_one_on_the_profile(school, alice, verified_client):
    student = pupil(school)
    client = verified_client(alice)
    response = client.post(record(student, "edit/"), profile_data(first_name="Adaeze"))
    assert response.status_code == 302 and response["Location"] == record(student)
    page = client.get(record(student)).content.decode()
    assert "Earlier names and dates of birth" in page
    history = page.split("Earlier names and dates of birth", 1)[1].split("</table>", 1)[0]
    assert "GFAPupil" in history and "Adaeze" in history and alice.username in history
    entry = AuditLog.objects.get(action="student.updated", target_id=str(student.pk))
    assert entry.changes["first_name"] == ["GFAPupil", "Adaeze"]


def test_a_refused_profile_shows_errors_beside_the_fields_and_saves_nothing(school, alice, verified_client):
    student = pupil(school)
    taken = f.StudentFactory(school=school, admission_number="GFA/0099")
    tomorrow = (school.local_today() + DAY).isoformat()
    client = verified_client(alice)
    blank = client.post(record(student, "edit/"), profile_data(first_name="  ", date_of_birth="31/31/2013"))
    assert blank.status_code == 400
    assert set(blank.context["form"].errors) == {"first_name", "date_of_birth"}
    future = client.post(record(student, "edit/"), profile_data(first_name="Ada", date_of_birth=tomorrow))
    assert future.status_code == 400 and "cannot be after today" in future.content.decode()
    duplicate = client.post(record(student, "edit/"), profile_data(admission_number=taken.admission_number))
    assert duplicate.status_code == 400 and "admission_number" in duplicate.context["form"].errors
    student.refresh_from_db()
    assert (student.first_name, student.date_of_birth, student.admission_number) == (
        "GFAPupil",
        datetime.date(2013, 5, 1),
        "GFA/0001",
    )
    assert not AuditLog.objects.filter(action="student.updated").exists()


# --- guardians ------------------------------------------------------------------------------------------------


def test_adding_a_guardian_normalises_the_phone_and_links_them(school, registrar, verified_client):
    student = pupil(school)
    client = verified_client(registrar)
    data = {
        "first_name": "Bayo",
        "last_name": "Okafor",
        "relationship": "Father",
        "phone": "0803 555 0199",
        "email": "",
        "preferred_channel": "whatsapp",
        "preferred_language": "yo",
        "is_primary": "on",
    }
    response = client.post(record(student, "guardians/add/"), data)
    assert response.status_code == 302
    link = StudentGuardian.objects.get(student=student, guardian__first_name="Bayo")
    assert (link.is_primary, link.guardian.phone, link.guardian.preferred_language) == (True, "+2348035550199", "yo")
    assert StudentGuardian.objects.filter(student=student, is_primary=True).count() == 1
    page = client.get(record(student, "guardians/")).content.decode()
    assert "Bayo Okafor" in page and "Yorùbá" in page


def test_a_guardian_with_a_bad_phone_is_refused_beside_the_field(school, registrar, verified_client):
    student = pupil(school)
    data = {"first_name": "Bayo", "last_name": "Okafor", "phone": "12", "preferred_channel": "sms"}
    response = verified_client(registrar).post(record(student, "guardians/add/"), data)
    assert response.status_code == 400
    assert response.context["new_form"].errors["phone"]
    assert not Guardian.objects.filter(first_name="Bayo").exists()
    neither = verified_client(registrar).post(record(student, "guardians/add/"), {**data, "phone": ""})
    assert "Give a phone number or an email address." in neither.content.decode()


def test_linking_a_sibling_s_guardian_found_by_phone(school, other_school, registrar, verified_client):
    student = pupil(school)
    sibling = f.StudentFactory(school=school, first_name="Sib")
    parent = f.GuardianFactory(school=school, first_name="Ngozi", phone="+2348031112222")
    f.link(sibling, parent)
    f.GuardianFactory(school=other_school, first_name="Ngozi", phone="+2348031112222")
    client = verified_client(registrar)
    found = client.get(record(student, "guardians/"), {"find": "0803 111 2222"})
    assert found.context["found"] == [parent]
    response = client.post(record(student, "guardians/link/"), {"guardian": parent.pk})
    assert response.status_code == 302
    link = StudentGuardian.objects.get(student=student, guardian=parent)
    assert link.is_primary is False  # the pupil keeps their primary contact
    foreign = Guardian.objects.for_school(other_school).get(first_name="Ngozi")
    assert client.post(record(student, "guardians/link/"), {"guardian": foreign.pk}).status_code == 404


def test_making_a_guardian_the_primary_contact(school, registrar, verified_client):
    student = pupil(school)
    second = f.GuardianFactory(school=school, first_name="Bayo")
    f.link(student, second, primary=False)
    response = verified_client(registrar).post(record(student, "guardians/primary/"), {"guardian": second.pk})
    assert response.status_code == 302
    assert StudentGuardian.objects.get(student=student, is_primary=True).guardian == second
    assert AuditLog.objects.filter(action="student.primary_guardian_set", target_id=str(student.pk)).exists()


def test_a_teacher_sees_the_guardians_but_not_the_forms_and_cannot_post(school, teacher, verified_client):
    student = pupil(school)
    client = verified_client(teacher)
    page = client.get(record(student, "guardians/")).content.decode()
    assert "Primary contact" in page and "Add a new guardian" not in page and "Record consent" not in page
    response = client.post(
        record(student, "guardians/add/"), {"first_name": "X", "last_name": "Y", "phone": "08031234567"}
    )
    assert response.status_code == 403
    assert not Guardian.objects.filter(first_name="X").exists()


# --- enrolment ---------------------------------------------------------------------------------------------------


def test_moving_class_from_the_enrolment_tab(school, alice, verified_client):
    student = pupil(school)
    target = f.ClassGroupFactory(school=school, name="GFA JSS 1B")
    client = verified_client(alice)
    response = client.post(record(student, "enrolment/move/"), {"move-class_group": target.pk, "move-reason": ""})
    assert response.status_code == 302 and response["Location"] == record(student, "enrolment/")
    page = client.get(response["Location"]).content.decode()
    assert "Moved to GFA JSS 1B" in page
    assert Enrollment.objects.get(student=student, status="active").class_group == target


def test_a_move_to_a_full_class_shows_why_beside_the_class_and_changes_nothing(school, alice, verified_client):
    student = pupil(school)
    full = f.ClassGroupFactory(school=school, name="GFA JSS 1C", capacity=0)
    response = verified_client(alice).post(record(student, "enrolment/move/"), {"move-class_group": full.pk})
    assert response.status_code == 400
    assert "is full" in response.context["move_form"].errors["class_group"][0]
    assert Enrollment.objects.get(student=student).status == "active"


def test_withdrawing_from_the_enrolment_tab_checks_the_date(school, alice, verified_client):
    student = pupil(school)
    client = verified_client(alice)
    future = client.post(
        record(student, "enrolment/withdraw/"),
        {"withdraw-left_on": (school.local_today() + DAY).isoformat(), "withdraw-reason": "Relocated"},
    )
    assert future.status_code == 400 and "after today" in future.context["withdraw_form"].errors["left_on"][0]
    no_reason = client.post(
        record(student, "enrolment/withdraw/"), {"withdraw-left_on": school.local_today().isoformat()}
    )
    assert no_reason.status_code == 400 and no_reason.context["withdraw_form"].errors["reason"]
    student.refresh_from_db()
    assert student.status == "active"
    done = client.post(
        record(student, "enrolment/withdraw/"),
        {"withdraw-left_on": school.local_today().isoformat(), "withdraw-reason": "Relocated"},
    )
    assert done.status_code == 302
    student.refresh_from_db()
    assert (student.status, student.leaving_reason) == ("withdrawn", "Relocated")
    page = client.get(record(student, "enrolment/")).content.decode()
    assert "Withdrawn: Relocated" in page and "Re-admit" in page and "Move to another class" not in page


def test_readmitting_from_the_enrolment_tab(school, alice, verified_client):
    student = pupil(school)
    client = verified_client(alice)
    client.post(
        record(student, "enrolment/withdraw/"),
        {"withdraw-left_on": school.local_today().isoformat(), "withdraw-reason": "Relocated"},
    )
    group = school.class_groups.get(name="GFA JSS 1A")
    response = client.post(record(student, "enrolment/readmit/"), {"readmit-class_group": group.pk})
    assert response.status_code == 302
    student.refresh_from_db()
    assert (student.status, student.left_on) == ("active", None)
    assert Enrollment.objects.filter(student=student, status="active").count() == 1


def test_junk_in_the_enrolment_forms_is_a_field_error(school, alice, verified_client):
    student = pupil(school)
    client = verified_client(alice)
    for value in ("²", "99999999999999999999", "nul\x00"):
        response = client.post(record(student, "enrolment/move/"), {"move-class_group": value})
        assert response.status_code == 400
    response = client.post(
        record(student, "enrolment/withdraw/"), {"withdraw-left_on": "0001-01-01", "withdraw-reason": "x"}
    )
    assert response.status_code == 400
    assert Enrollment.objects.get(student=student).status == "active"


# --- the access log ------------------------------------------------------------------------------------------------


def test_the_access_log_lists_looks_and_changes_with_old_and_new(school, alice, verified_client):
    student = pupil(school)
    client = verified_client(alice)
    client.post(record(student, "edit/"), profile_data(last_name="Eze"))
    page = client.get(record(student, "access/")).content.decode()
    assert "Student updated" in page and f"last name: {student.last_name} → Eze" in page
    assert "Student viewed (workspace)" in page


# --- the guardian page ---------------------------------------------------------------------------------------------


def test_the_guardian_page_lists_the_children_and_edits_the_contact_details(school, registrar, verified_client):
    student = pupil(school)
    guardian = student.guardian_links.get().guardian
    sibling = f.StudentFactory(school=school, first_name="Sibling")
    f.link(sibling, guardian, primary=False)
    client = verified_client(registrar)
    page = client.get(f"{BASE}/guardians/{guardian.pk}/").content.decode()
    assert f'href="{record(student)}"' in page and f'href="{record(sibling)}"' in page
    assert f'href="{BASE}/messages/guardians/{guardian.pk}/consent/"' in page  # consent is messaging's
    data = {
        "first_name": guardian.first_name,
        "last_name": guardian.last_name,
        "relationship": "Aunt",
        "phone": "0803 999 0000",
        "email": guardian.email,
        "preferred_channel": "email",
        "preferred_language": "es",
    }
    assert client.post(f"{BASE}/guardians/{guardian.pk}/edit/", data).status_code == 302
    guardian.refresh_from_db()
    assert (guardian.relationship, guardian.phone, guardian.preferred_language) == ("Aunt", "+2348039990000", "es")
    entry = AuditLog.objects.get(action="guardian.updated", target_id=str(guardian.pk))
    assert entry.changes["relationship"] == ["Mother", "Aunt"]
    assert "Guardian updated" in client.get(f"{BASE}/guardians/{guardian.pk}/").content.decode()


def test_a_refused_guardian_edit_changes_nothing(school, registrar, verified_client):
    guardian = pupil(school).guardian_links.get().guardian
    data = {"first_name": "", "last_name": "X", "phone": "123", "preferred_channel": "pigeon"}
    response = verified_client(registrar).post(f"{BASE}/guardians/{guardian.pk}/edit/", data)
    assert response.status_code == 400
    assert {"first_name", "preferred_channel"} <= set(response.context["form"].errors)
    bad_phone = {**data, "first_name": "Ada", "preferred_channel": "sms"}
    response = verified_client(registrar).post(f"{BASE}/guardians/{guardian.pk}/edit/", bad_phone)
    assert response.status_code == 400 and response.context["form"].errors["phone"]
    before = guardian.phone
    guardian.refresh_from_db()
    assert guardian.phone == before and guardian.last_name != "X"


def test_another_schools_guardian_is_a_404(school, other_school, alice, verified_client):
    foreign = Guardian.objects.for_school(other_school).get()
    client = verified_client(alice)
    assert client.get(f"{BASE}/guardians/{foreign.pk}/").status_code == 404
    assert client.get(f"{BASE}/guardians/{foreign.pk}/edit/").status_code == 404


# --- query counts ----------------------------------------------------------------------------------------------------


def _grow(school, student, n):
    """More of everything a tab lists: guardians, enrolments, looks and changes."""
    term, groups = school.current_term(), list(school.class_groups.all())
    for i in range(n):
        guardian = f.GuardianFactory(school=school)
        f.link(student, guardian, primary=False)
        older = f.TermFactory(
            school=school,
            session=term.session,
            name=f"Old {student.pk}-{i}-{Enrollment.objects.count()}",
            start_date=datetime.date(2025, 1, 1) + datetime.timedelta(days=30 * i),
            end_date=datetime.date(2025, 1, 20) + datetime.timedelta(days=30 * i),
            is_current=False,
        )
        Enrollment.objects.create(school=school, student=student, term=older, class_group=groups[0], status="ended")
        AuditLog.objects.create(
            school=school,
            action="student.updated",
            target_type="schools.student",
            target_id=str(student.pk),
            changes={"first_name": [f"Old{i}", "GFAPupil"]},
        )


@pytest.mark.parametrize("tab", ["", "guardians/", "enrolment/", "access/"])
def test_each_tab_asks_the_same_number_of_queries_whatever_the_record_holds(school, alice, verified_client, tab):
    student = pupil(school)
    client = verified_client(alice)
    client.get(record(student, tab))  # a session's first request does one-off work

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(record(student, tab)).status_code == 200
        return len(queries)

    _grow(school, student, 2)
    few = count()
    _grow(school, student, 8)
    assert count() == few


def test_the_guardian_page_asks_the_same_number_of_queries_whatever_the_family(school, alice, verified_client):
    guardian = pupil(school).guardian_links.get().guardian
    client = verified_client(alice)
    url = f"{BASE}/guardians/{guardian.pk}/"
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    for _ in range(6):
        f.link(f.StudentFactory(school=school), guardian, primary=False)
    assert count() == few
