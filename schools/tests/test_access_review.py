import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from classpoint.models import ApiToken
from schools.access_review import review_platform_admins, review_school
from schools.models import Membership, StaffInvite
from schools.services.schools import api_token_create
from schools.services.staff import staff_invite

from . import factories as f

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def access_review(*args):
    out = io.StringIO()
    call_command("access_review", *args, stdout=out)
    return out.getvalue()


def csv_rows(*args):
    return list(csv.DictReader(io.StringIO(access_review("--format", "csv", *args))))


def token(school, name, *, last_used_days_ago=None, created_days_ago=200):
    issued = api_token_create(school=school, name=name, role_key="viewer")
    now = timezone.now()
    last_used = now - last_used_days_ago * DAY if last_used_days_ago is not None else None
    ApiToken.objects.filter(pk=issued.token.pk).update(created_at=now - created_days_ago * DAY, last_used_at=last_used)
    return issued.token


def row(review, name):
    return next(r for r in review.rows if r.name.startswith(name))


def test_a_token_unused_for_100_days_is_flagged_and_one_used_last_week_is_not(school):
    token(school, "Old sync", last_used_days_ago=100)
    token(school, "Finance sync", last_used_days_ago=7)
    token(school, "Forgotten", last_used_days_ago=None)

    review = review_school(school=school, now=timezone.now())

    assert row(review, "Old sync").flags == ["unused for 100 days: revoke if nothing needs it"]
    assert row(review, "Finance sync").flags == []
    assert row(review, "Forgotten").flags == ["never used: revoke if nothing needs it"]
    out = access_review("--school", "greenfield")
    assert "unused for 100 days" in out


def test_stale_days_moves_the_line(school):
    token(school, "Old sync", last_used_days_ago=100)

    assert "unused for 100 days" in access_review("--school", "greenfield")
    assert "unused for 100 days" not in access_review("--school", "greenfield", "--stale-days", "120")


def test_revoked_tokens_and_their_service_users_are_not_listed(school):
    from schools.services.schools import api_token_revoke

    gone = token(school, "Retired sync", last_used_days_ago=1)
    api_token_revoke(token=gone)
    token(school, "Live sync", last_used_days_ago=1)

    review = review_school(school=school, now=timezone.now())

    assert [r.name.split(" (")[0] for r in review.tokens] == ["Live sync"]
    assert not [r for r in review.members if r.name in ("Retired sync", "Live sync")]


def test_another_schools_members_tokens_and_invites_never_appear_with_school(school, other_school, charlie, alice):
    token(other_school, "Riverside sync", last_used_days_ago=1)
    teacher_role = other_school.roles.get(key="teacher")
    invite, _ = staff_invite(
        school=other_school, email="late@riverside.test", role=teacher_role, actor=None, send=False
    )
    StaffInvite.objects.filter(pk=invite.pk).update(created_at=timezone.now() - 10 * DAY)

    out = access_review("--school", "greenfield")
    rows = csv_rows("--school", "greenfield")

    assert alice.email in out
    for leak in ("charlie@riverside.test", "Riverside sync", "late@riverside.test", "riverside"):
        assert leak not in out
    assert {r["school"] for r in rows} <= {"greenfield", ""}  # "" is the platform admins
    everyone = access_review()
    assert all(leak in everyone for leak in ("charlie@riverside.test", "Riverside sync", "late@riverside.test"))


def test_a_member_whose_role_requires_2fa_without_an_authenticator_is_flagged(school, bursar, teacher):
    now = timezone.now()
    type(bursar).objects.filter(pk__in=[bursar.pk, teacher.pk]).update(last_login=now - DAY)

    review = review_school(school=school, now=now)
    assert row(review, bursar.email).flags == ["2FA required, not enrolled"]
    assert row(review, bursar.email).two_factor_required
    assert row(review, teacher.email).flags == []  # teachers need no TOTP

    TOTPDevice.objects.create(user=bursar, name="phone", confirmed=True)
    assert row(review_school(school=school, now=now), bursar.email).flags == []


def test_sign_ins_older_than_stale_days_and_none_at_all_are_flagged(school, registrar, teacher):
    now = timezone.now()
    type(registrar).objects.filter(pk=registrar.pk).update(last_login=now - 120 * DAY)

    review = review_school(school=school, now=now, stale_days=90)

    assert row(review, registrar.email).flags == ["no sign-in for 120 days"]
    assert row(review, teacher.email).flags == ["never signed in"]
    assert row(review_school(school=school, now=now, stale_days=200), registrar.email).flags == []


def test_a_suspended_member_is_listed_as_suspended(school, registrar):
    Membership.objects.filter(school=school, user=registrar).update(is_active=False)

    member = row(review_school(school=school, now=timezone.now()), registrar.email)

    assert member.status == "suspended"
    assert member.flags == ["suspended: remove if they have left"]


def test_only_invitations_open_over_a_week_are_listed(school):
    role = school.roles.get(key="teacher")
    old, _ = staff_invite(school=school, email="old@greenfield.test", role=role, actor=None, send=False)
    staff_invite(school=school, email="new@greenfield.test", role=role, actor=None, send=False)
    StaffInvite.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - 10 * DAY, expires_at=timezone.now() - 3 * DAY
    )

    invites = review_school(school=school, now=timezone.now()).invites

    assert [i.email for i in invites] == ["old@greenfield.test"]
    assert invites[0].status == "expired"
    assert invites[0].flags == ["expired, pending 10 days: resend or withdraw"]


def test_platform_admins_are_listed_with_their_last_sign_in(school):
    admin = f.UserFactory(username="root@classpoint.test", is_staff=True, is_superuser=True)
    type(admin).objects.filter(pk=admin.pk).update(last_login=timezone.now() - 3 * DAY)
    f.UserFactory(username="gone@classpoint.test", is_staff=True, is_active=False)

    admins = review_platform_admins(now=timezone.now())

    assert [a.email for a in admins] == ["root@classpoint.test"]
    assert admins[0].role == "superuser" and admins[0].last_active is not None
    assert admins[0].flags == ["2FA required, not enrolled"]
    assert "root@classpoint.test" in access_review("--school", "greenfield")


def test_csv_cells_cannot_run_as_formulas(school):
    user = f.member(school, "teacher", email="sneaky@greenfield.test")
    user.first_name = '=HYPERLINK("http://evil.test","x")'
    user.save()

    rows = csv_rows("--school", "greenfield")

    sneaky = next(r for r in rows if r["email"] == "sneaky@greenfield.test")
    assert sneaky["name"].startswith("'=HYPERLINK")
    assert sneaky["kind"] == "member" and sneaky["two_factor_required"] == "no"
    assert sneaky["flags"] == "never signed in"


def test_an_unknown_school_is_an_error(school):
    with pytest.raises(CommandError, match="nowhere"):
        access_review("--school", "nowhere")
