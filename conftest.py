"""Shared fixtures: two schools in every test that needs one, so tenancy is always in view.

`school` (Greenfield) has a current term, a class, a student with a guardian; `other_school`
(Riverside) has the same shape. `alice` administers Greenfield, `charlie` administers Riverside
and "should have no access to Alice's stuff".
"""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from schools.tests import factories as f

# The browser tests' Chromium fixture, shared by every app's test_browser_*.py; every /api/v1/
# response a test client gets checked against the OpenAPI schema.
pytest_plugins = ["classpoint.browser_testing", "classpoint.schema_testing"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: a hostname looked up (and cached for a minute) by an
    earlier test would otherwise expire in the middle of a later one and add a query to its count,
    and rate limits counted by one test would reach into the next."""
    from django.core.cache import cache

    cache.clear()
    # The test client's host is no school's own hostname; known up front (as a warm cache would know
    # it), so a query count never depends on whether this test's first request looked it up.
    cache.set("school-host:testserver", "", 24 * 3600)


@pytest.fixture(autouse=True)
def _media_root(tmp_path_factory):
    """Files a test stores (uploads, receipts, reports) go to a temporary folder of its own, not
    var/media: on SQLite a later test's school reuses an earlier one's id, and would otherwise find
    that school's files. Overriding MEDIA_ROOT signals `setting_changed`, which makes the
    filesystem storage behind `default_storage` forget the location it cached."""
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


@pytest.fixture(autouse=True)
def _unscoped_test_body():
    """A test's own body builds and inspects several schools' rows, so it runs unscoped; every
    request it makes, every outbox handler and every task opens its own scope as in production,
    so request code that forgets its school fails here (classpoint/scoping.py)."""
    from classpoint.scoping import unscoped

    with unscoped(reason="test setup and assertions span schools"):
        yield


@pytest.fixture(autouse=True)
def _tasks_start_scoped_as_in_a_worker():
    """django-q2's sync mode runs a task inline, inside the test body's unscoped context; a worker
    process starts with scopes on and no school. Each task gets that fresh state here, so a task
    that queries before opening its school's scope fails in tests as it fails in production."""
    from django_q.signals import post_execute_in_worker, pre_execute
    from django_scopes.state import state

    tokens = []

    def enter(sender, **kwargs):
        tokens.append(state.set({"_enabled": True}))

    def leave(sender, **kwargs):
        state.reset(tokens.pop())

    pre_execute.connect(enter, dispatch_uid="tests-task-scope")
    post_execute_in_worker.connect(leave, dispatch_uid="tests-task-scope")
    yield
    pre_execute.disconnect(dispatch_uid="tests-task-scope")
    post_execute_in_worker.disconnect(dispatch_uid="tests-task-scope")


@pytest.fixture
def school(db):
    school = f.provision("greenfield", "Greenfield Academy")
    _furnish(school, "GFA")
    return school


@pytest.fixture
def other_school(db):
    school = f.provision("riverside", "Riverside College")
    _furnish(school, "RVC")
    return school


def _furnish(school, prefix):
    term = f.TermFactory(school=school)
    group = f.ClassGroupFactory(school=school, name=f"{prefix} JSS 1A")
    student = f.StudentFactory(school=school, admission_number=f"{prefix}/0001", first_name=f"{prefix}Pupil")
    guardian = f.GuardianFactory(school=school)
    f.link(student, guardian)
    f.enroll(student, term, group)


@pytest.fixture
def alice(school):
    """Greenfield's school admin (the provisioned one, with a password)."""
    user = school.memberships.get(role__key="school_admin").user
    user.set_password("correct-horse-battery")
    user.save()
    return user


@pytest.fixture
def registrar(school):
    return f.member(school, "registrar")


@pytest.fixture
def teacher(school):
    return f.member(school, "teacher")


@pytest.fixture
def bursar(school):
    return f.member(school, "bursar")


@pytest.fixture
def charlie(other_school):
    """Riverside's school admin: a real user with a real membership, just not at Greenfield."""
    return f.member(other_school, "school_admin", email="charlie@riverside.test")


@pytest.fixture
def api(db):
    return APIClient()


@pytest.fixture
def verified_client(client):
    """A test client whose logins count as TOTP-verified (the TOTP flow has its own tests)."""

    def login(user):
        client.force_login(user)
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
        return client

    return login


def _is_postgres():
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); SQLite has no SKIP LOCKED / row locks")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)
