"""Tenancy that cannot be forgotten (classpoint/scoping.py): every school-scoped model's default
manager refuses a query made without a school, answers only for the school in scope, and the code
that spans schools (sweeps, tasks, commands) says so. Tests run their bodies unscoped (conftest);
each test here re-enters the scope production code runs in."""

import io

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.test import RequestFactory
from django.utils import timezone
from django.utils.module_loading import import_string
from django_scopes import scope

from classpoint.schedules import all_schedules
from classpoint.scoping import RequestScopeMiddleware, ScopeError, enter_school, for_school, school_of, unscoped
from schools.models import School, SchoolScoped, Student

# Models that hold a school but are not one school's data to hide: each says why.
NOT_SCOPED = {
    "classpoint.OutboxEvent": "the worker claims events of every school; handlers run in the event's school",
    "classpoint.AuditLog": "append-only; read through AuditLog.objects.for_school, which refuses no school",
    "classpoint.FeatureFlag": "global rows (no school) and per-school overrides are read together",
    "classpoint.ApiToken": "a key is found by its hash before any school is known (the token names its school)",
    "classpoint.Counter": "gapless numbers are taken by (school, key) under a row lock",
    "schools.SchoolProfile": "one row per school, reached only through the school",
    "schools.SchoolDomain": "a hostname is resolved to its school before any school is known",
    "schools.Membership": "a user's memberships span schools: they decide which school a request is",
}


def _school_models():
    for model in apps.get_models():
        field = next((f for f in model._meta.fields if f.name == "school"), None)
        if isinstance(field, models.ForeignKey) and field.related_model is School:
            yield model


def test_every_model_holding_a_school_is_scoped_or_says_why():
    unexplained = [
        m._meta.label for m in _school_models() if not issubclass(m, SchoolScoped) and m._meta.label not in NOT_SCOPED
    ]
    assert not unexplained, f"school-holding models neither SchoolScoped nor listed with a reason: {unexplained}"


@pytest.mark.parametrize("model", [m for m in apps.get_models() if issubclass(m, SchoolScoped)], ids=str)
def test_the_default_manager_refuses_a_query_without_a_school(db, model):
    with scope():
        with pytest.raises(ScopeError):
            model.objects.count()
        with pytest.raises(ScopeError):
            list(model.objects.filter(pk=1))
    with scope(school=0):
        assert model.objects.count() == 0


def test_a_scope_answers_for_its_school_only(school, other_school):
    theirs = Student.objects.filter(school=other_school).first()
    ours = Student.objects.filter(school=school).count()
    with for_school(school):
        assert Student.objects.count() == ours
        assert not Student.objects.filter(pk=theirs.pk).exists()
        with pytest.raises(Student.DoesNotExist):
            Student.objects.get(pk=theirs.pk)


def test_no_school_never_widens_a_scope():
    with pytest.raises(ValueError):
        for_school(None)


def test_unscoped_needs_a_reason():
    with pytest.raises(ValueError):
        unscoped(reason="")
    with pytest.raises(TypeError):
        unscoped()


def test_school_of_names_the_row_owner_from_any_scope(school, other_school):
    theirs = Student.objects.filter(school=other_school).first()
    with for_school(school):
        assert school_of(Student, theirs.pk) == other_school.pk
        assert school_of(Student, 10**12) is None


def test_every_scheduled_job_runs_in_the_scope_a_worker_has(school, other_school):
    """A django-q2 worker has no request and no school: each job states its scope itself. Run in
    the default (enabled, empty) scope, none may hit a school-scoped manager unscoped."""
    ran = []
    with scope():
        for name, func, _minutes in all_schedules():
            import_string(func)()
            ran.append(name)
    assert {"overdue-scan", "kpi-daily-aggregate", "messaging-release-deferred", "abandon-stale-intents"} <= set(ran)


@pytest.mark.parametrize(
    "command, args",
    [
        ("backfill_invoice_classgroup", ["--dry-run"]),
        ("compact_owing_totals", []),
        ("overdue_scan", []),
        ("overdue_scan", ["--school", "greenfield"]),
        ("send_deferred_messages", []),
        ("abandon_stale_intents", []),
        ("kpi_daily_aggregate", ["--school", "greenfield"]),
        ("seed_message_templates", ["--school", "greenfield"]),
        ("send_defaulter_reminders", ["--school", "greenfield"]),
        ("outbox_worker", ["--once"]),
    ],
)
def test_operator_commands_state_their_scope(school, other_school, command, args):
    assert school.slug == "greenfield"
    with scope():
        call_command(command, *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_the_demo_seeds_in_the_scope_a_fresh_process_has(db):
    with scope():
        call_command("seed_demo", "--students", "12", stdout=io.StringIO())
    assert Student.objects.filter(school__slug="greenfield").exists()


def test_the_urlconf_loads_in_a_fresh_process_with_scopes_on():
    """Class-level querysets (a filter's placeholder) are built at import, outside any request: in
    a fresh process, where nothing is unscoped, they must not touch a scoped manager's rows."""
    import subprocess
    import sys

    from django.conf import settings

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_entering_a_school_shows_times_in_its_timezone_until_the_request_ends(school):
    # A public page reached by a signed link (a guardian's invoice, a report-card link) has no staff
    # member's school to set the clock: entering the school must, and the next request starts clean.
    school.timezone = "Asia/Tokyo"
    school.save()
    seen = {}

    def view(request):
        enter_school(school)
        seen["inside"] = timezone.get_current_timezone_name()
        return None

    RequestScopeMiddleware(view)(RequestFactory().get("/"))
    assert seen["inside"] == "Asia/Tokyo"
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE
