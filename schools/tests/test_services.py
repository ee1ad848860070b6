import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from classpoint.models import AuditLog, OutboxEvent
from schools.errors import SchoolsError
from schools.models import Membership, Role, School, SchoolDomain, SchoolProfile
from schools.roles import DEFAULT_ROLES
from schools.services import school_provision

pytestmark = pytest.mark.django_db


def test_provisioning_creates_the_whole_school():
    # when
    school, link = school_provision(slug="hilltop", name="Hilltop High", admin_email="Head@Hilltop.ng")
    # then
    assert SchoolProfile.objects.get(school=school).quiet_hours_start.hour == 21
    assert SchoolDomain.objects.get(school=school, is_primary=True).hostname == "hilltop.classpoint.ng"
    assert set(Role.objects.for_school(school).values_list("key", flat=True)) == set(DEFAULT_ROLES)
    admin = Membership.objects.get(school=school).user
    assert admin.email == "head@hilltop.ng" and not admin.has_usable_password()
    assert "/account/reset/" in link
    assert AuditLog.objects.filter(school=school, action="school.provisioned").exists()
    assert OutboxEvent.objects.filter(school=school, event_type="school.provisioned").exists()


def test_invitation_email_is_sent_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        school_provision(slug="hilltop", name="Hilltop High", admin_email="head@hilltop.ng")
    assert len(mail.outbox) == 1 and "/account/reset/" in mail.outbox[0].body


@pytest.mark.parametrize(
    "slug, message",
    [("ab", "3 to 40"), ("Has Space", "3 to 40"), ("admin", "reserved"), ("-lead", "3 to 40"), ("a" * 41, "3 to 40")],
)
def test_bad_slugs_are_refused_and_nothing_is_created(slug, message):
    with pytest.raises(SchoolsError) as exc:
        school_provision(slug=slug, name="X", admin_email="a@b.ng")
    assert message in " ".join(exc.value.fields["slug"])
    assert School.objects.count() == 0


def test_duplicate_slug_is_a_clear_error_and_nothing_is_created(school):
    before = (School.objects.count(), Membership.objects.count(), AuditLog.objects.count())
    with pytest.raises(SchoolsError) as exc:
        school_provision(slug="greenfield", name="Copy", admin_email="new@x.ng")
    assert "already exists" in exc.value.fields["slug"][0]
    assert (School.objects.count(), Membership.objects.count(), AuditLog.objects.count()) == before


def test_several_bad_fields_reported_together():
    with pytest.raises(SchoolsError) as exc:
        school_provision(slug="okay-slug", name="", admin_email="nope", timezone="Mars/Base", currency="naira")
    assert {"name", "admin_email", "timezone", "currency"} <= set(exc.value.fields)


def test_provision_school_command(capsys):
    call_command("provision_school", "--slug", "hilltop", "--name", "Hilltop High", "--admin-email", "h@h.ng")
    out = capsys.readouterr().out
    assert "hilltop.classpoint.ng" in out and "invitation link" in out
    with pytest.raises(CommandError, match="already exists"):
        call_command("provision_school", "--slug", "hilltop", "--name", "Again", "--admin-email", "h@h.ng")


def test_a_user_may_belong_to_several_schools(school, other_school):
    from schools.services import membership_grant
    from schools.tests.factories import UserFactory

    user = UserFactory()
    membership_grant(school=school, user=user, role_key="teacher")
    membership_grant(school=other_school, user=user, role_key="bursar")
    assert set(user.memberships.values_list("role__key", flat=True)) == {"teacher", "bursar"}


def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo", "--students", "40")
    call_command("seed_demo", "--students", "40")
    greenfield = School.objects.get(slug="greenfield")
    # The demo's pupils, besides the applicants the demo admissions admitted or enrolled.
    assert greenfield.students.filter(applications__isnull=True).count() == 40
    assert greenfield.class_groups.count() == 12
    assert greenfield.current_term() is not None
    assert School.objects.filter(slug="riverside").exists()
    assert greenfield.enrollments.filter(status="active", student__applications__isnull=True).count() == 40
    assert greenfield.students.filter(applications__isnull=False).count() == 7  # 3 approved, 4 enrolled
    out = capsys.readouterr().out
    assert "(+0 new)" in out and "bursar@greenfield.demo" in out


def test_demo_admissions_number_pupils_like_the_seeded_ones():
    from django.db import transaction

    from schools.services import admission_number_allocate

    # given: the demo, whose admissions approve and enrol some applicants
    call_command("seed_demo", "--students", "40")
    greenfield = School.objects.get(slug="greenfield")
    year = greenfield.current_term().session.start_date.year
    seeded = sorted(greenfield.students.filter(applications__isnull=True).values_list("admission_number", flat=True))
    admitted = sorted(greenfield.students.filter(applications__isnull=False).values_list("admission_number", flat=True))
    # then: the applicants admitted by the demo carry on the pupils' numbering, in the same format
    assert seeded == [f"GFA/{year}/{n:05d}" for n in range(1, 41)]
    assert admitted == [f"GFA/{year}/{n:05d}" for n in range(41, 48)]
    # and the next approval continues the sequence; a re-run of the demo does not disturb it
    call_command("seed_demo", "--students", "40")
    with transaction.atomic():
        assert admission_number_allocate(school=greenfield) == f"GFA/{year}/00048"
    riverside = School.objects.get(slug="riverside")
    assert riverside.profile.admission_number_pattern == "RVC/{YEAR}/{SEQ:5}"
    with transaction.atomic():
        assert admission_number_allocate(school=riverside) == f"RVC/{year}/00011"


def test_audit_log_is_append_only(school):
    from django.core.exceptions import PermissionDenied

    entry = AuditLog.objects.filter(school=school).first()
    entry.action = "tampered"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditLog.objects.filter(school=school).delete()
    with pytest.raises(PermissionDenied):
        AuditLog.objects.filter(school=school).update(action="x")


def test_feature_flags_school_overrides_global(school, other_school):
    from classpoint.flags import flag_enabled
    from classpoint.models import FeatureFlag

    assert flag_enabled(school, "new-board") is False
    FeatureFlag.objects.create(key="new-board", enabled=True)
    FeatureFlag.objects.create(key="new-board", school=other_school, enabled=False)
    assert flag_enabled(school, "new-board") is True
    assert flag_enabled(other_school, "new-board") is False
