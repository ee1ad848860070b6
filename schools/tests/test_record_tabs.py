"""The registry of a pupil's record tabs (classpoint/record_tabs.py): each app's tabs in one bar, in
order, filtered by what the member's role allows, every one leading to a page that shows the
pupil's header and the same bar."""

import types

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from classpoint import record_tabs
from classpoint.record_tabs import RecordTab
from schools.models import Membership

pytestmark = pytest.mark.django_db

EXPECTED = ["profile", "guardians", "enrolment", "fees", "attendance", "results", "messages", "documents", "access"]


def membership(user, school):
    return Membership.objects.select_related("role").get(user=user, school=school)


def test_the_apps_tabs_come_together_in_order(school, alice):
    tabs = record_tabs.student_tabs(membership=membership(alice, school))
    assert [tab.key for tab in tabs] == EXPECTED
    for tab in tabs:
        assert reverse(tab.url_name, args=[school.slug, 7]).startswith(f"/s/{school.slug}/")


def test_a_member_sees_only_the_tabs_their_role_allows(school, teacher, bursar):
    assert [t.key for t in record_tabs.student_tabs(membership=membership(teacher, school))] == [
        "profile",
        "guardians",
        "enrolment",
        "results",  # a teacher enters scores: the tab, though only their form classes' cards open
        "access",
    ]
    bursar_tabs = [t.key for t in record_tabs.student_tabs(membership=membership(bursar, school))]
    assert "fees" in bursar_tabs and "messages" in bursar_tabs and "attendance" not in bursar_tabs
    assert record_tabs.student_tabs(membership=None) == []


def test_the_guardian_page_has_its_own_tabs(school, alice, teacher):
    assert [t.key for t in record_tabs.guardian_tabs(membership=membership(alice, school))] == [
        "details",
        "messages",
        "family-account",
    ]
    assert [t.key for t in record_tabs.guardian_tabs(membership=membership(teacher, school))] == ["details"]


def test_two_apps_declaring_one_tab_key_is_a_configuration_error(monkeypatch):
    tab = RecordTab(key="fees", label="Fees", order=1, permission="fees.view", url_name="student-fees")
    twice = [types.SimpleNamespace(STUDENT_TABS=[tab]), types.SimpleNamespace(STUDENT_TABS=[tab])]
    monkeypatch.setattr(record_tabs, "app_modules", lambda name: twice)
    record_tabs._student_tabs.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="fees"):
            record_tabs.student_tabs(membership=None)
    finally:
        monkeypatch.undo()
        record_tabs._student_tabs.cache_clear()


@pytest.mark.parametrize("key", EXPECTED)
def test_every_tab_page_shows_the_header_and_marks_itself_current(school, alice, verified_client, key):
    student = school.students.get(admission_number="GFA/0001")
    tab = record_tabs.student_tab(key)
    url = reverse(tab.url_name, args=[school.slug, student.pk])
    response = verified_client(alice).get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "GFA/0001" in body and "GFA JSS 1A" in body
    assert f'<a href="{url}" aria-current="page">{tab.label}</a>' in body
    for other in EXPECTED:
        assert reverse(record_tabs.student_tab(other).url_name, args=[school.slug, student.pk]) in body
