"""Staff and roles, as the services keep them: invitations (single use, expiring, hashed), one account
per person across schools, role changes, suspending and removing access at once, the last admin,
and custom roles from the catalogue. Every change is audited."""

import datetime
import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.utils import timezone

from classpoint.models import ApiToken, AuditLog, UserSession
from classpoint.permissions import all_permissions
from classpoint.testing import run_concurrently
from schools.errors import SchoolsError, SchoolsErrorCode
from schools.models import Membership, Role, StaffInvite, StaffProfile
from schools.roles import default_role_permissions
from schools.services import staff
from schools.services.roles import role_copy, role_delete, role_update
from schools.services.schools import api_token_create
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
User = get_user_model()


def _role(school, key):
    return Role.objects.for_school(school).get(key=key)


def _invite(school, alice, email="tola@example.ng", key="teacher", **kwargs):
    return staff.staff_invite(school=school, email=email, role=_role(school, key), actor=alice, **kwargs)


def _token(link):
    return link.rstrip("/").rsplit("/", 1)[-1]


# --- Invitations ---------------------------------------------------------------------------------


def test_an_invitation_keeps_only_the_hash_of_its_link_and_mails_it_after_commit(
    school, alice, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        invite, link = _invite(school, alice, email=" Tola@Example.NG ", first_name="Tola")
    # then
    token = _token(link)
    assert link.endswith(f"/s/greenfield/people/invite/{token}/")
    assert invite.email == "tola@example.ng" and invite.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not StaffInvite.objects.filter(token_hash=token).exists()
    assert invite.expires_at - invite.created_at == datetime.timedelta(days=7)
    assert len(mail.outbox) == 1 and link in mail.outbox[0].body and mail.outbox[0].to == ["tola@example.ng"]
    assert AuditLog.objects.filter(school=school, action="staff.invited", target_id=str(invite.pk)).exists()


def test_inviting_again_replaces_the_open_invitation(school, alice):
    first, first_link = _invite(school, alice)
    second, _ = _invite(school, alice, key="bursar")
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    with pytest.raises(SchoolsError) as exc:
        staff.staff_invite_accept(invite=first, password="a-long-pass-phrase")
    assert exc.value.code == SchoolsErrorCode.INVITE_REVOKED
    assert not User.objects.filter(email="tola@example.ng").exists()


def test_an_existing_member_is_not_invited(school, alice, teacher):
    with pytest.raises(SchoolsError) as exc:
        _invite(school, alice, email=teacher.email.upper())
    assert exc.value.code == SchoolsErrorCode.ALREADY_MEMBER and "email" in exc.value.fields
    assert not StaffInvite.objects.exists()


def test_a_role_of_another_school_is_refused(school, other_school, alice):
    with pytest.raises(SchoolsError) as exc:
        staff.staff_invite(school=school, email="x@example.ng", role=_role(other_school, "teacher"), actor=alice)
    assert exc.value.code == SchoolsErrorCode.UNKNOWN_ROLE
    assert not StaffInvite.objects.exists()


def test_a_new_person_accepts_once_sets_a_password_and_gets_a_staff_record(school, alice):
    invite, _ = _invite(school, alice, first_name="Tola", last_name="Ade")
    # when
    membership = staff.staff_invite_accept(invite=invite, password="a-long-pass-phrase")
    # then
    user = membership.user
    assert user.email == user.username == "tola@example.ng" and user.check_password("a-long-pass-phrase")
    assert membership.school == school and membership.role.key == "teacher" and membership.is_active
    profile = StaffProfile.objects.get(school=school, user=user)
    assert (profile.first_name, profile.last_name, profile.is_teacher) == ("Tola", "Ade", True)
    invite.refresh_from_db()
    assert invite.accepted_by == user and invite.accepted_at is not None
    entry = AuditLog.objects.get(action="staff.invite_accepted")
    assert entry.actor == user and entry.changes["new_account"] is True
    # and the link does not work twice
    with pytest.raises(SchoolsError) as exc:
        staff.staff_invite_accept(invite=invite, password="another-long-phrase")
    assert exc.value.code == SchoolsErrorCode.INVITE_USED
    assert Membership.objects.filter(user=user).count() == 1


def test_an_expired_invitation_is_refused(school, alice):
    invite, _ = _invite(school, alice)
    StaffInvite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    invite.refresh_from_db()
    with pytest.raises(SchoolsError) as exc:
        staff.staff_invite_accept(invite=invite, password="a-long-pass-phrase")
    assert exc.value.code == SchoolsErrorCode.INVITE_EXPIRED
    assert not User.objects.filter(email="tola@example.ng").exists()


def test_a_weak_password_is_refused_on_the_password_field_and_nothing_is_made(school, alice):
    invite, _ = _invite(school, alice)
    with pytest.raises(SchoolsError) as exc:
        staff.staff_invite_accept(invite=invite, password="12345")
    assert exc.value.code == SchoolsErrorCode.INVALID_PASSWORD and exc.value.fields["password"]
    invite.refresh_from_db()
    assert invite.accepted_at is None and not User.objects.filter(email="tola@example.ng").exists()


def test_one_account_for_two_schools(school, other_school, alice, charlie):
    # given a teacher of Greenfield
    first, _ = _invite(school, alice)
    person = staff.staff_invite_accept(invite=first, password="a-long-pass-phrase").user
    # when Riverside invites the same address (another case) and it is accepted
    second, _ = staff.staff_invite(
        school=other_school, email="TOLA@example.ng", role=_role(other_school, "bursar"), actor=charlie
    )
    membership = staff.staff_invite_accept(invite=second)
    # then the one account holds both memberships and kept its password
    assert membership.user == person
    assert User.objects.filter(email__iexact="tola@example.ng").count() == 1
    assert set(Membership.objects.filter(user=person).values_list("school__slug", "role__key")) == {
        ("greenfield", "teacher"),
        ("riverside", "bursar"),
    }
    person.refresh_from_db()
    assert person.check_password("a-long-pass-phrase")


def test_a_provisioned_admin_without_a_password_sets_one_from_an_invitation(school, other_school, charlie):
    # Greenfield's admin was provisioned and never set a password
    admin = Membership.objects.get(school=school, role__key="school_admin").user
    assert not admin.has_usable_password()
    invite, _ = staff.staff_invite(
        school=other_school, email=admin.email, role=_role(other_school, "viewer"), actor=charlie
    )
    staff.staff_invite_accept(invite=invite, password="a-long-pass-phrase")
    admin.refresh_from_db()
    assert admin.check_password("a-long-pass-phrase")


def test_an_earlier_staff_record_of_the_address_is_linked_not_duplicated(school, alice):
    profile = StaffProfile.objects.create(school=school, first_name="Tola", last_name="Ade", email="tola@example.ng")
    invite, _ = _invite(school, alice)
    user = staff.staff_invite_accept(invite=invite, password="a-long-pass-phrase").user
    profile.refresh_from_db()
    assert profile.user == user and StaffProfile.objects.filter(school=school, email="tola@example.ng").count() == 1


def test_revoking_an_invitation_is_audited_and_final(school, alice):
    invite, _ = _invite(school, alice)
    staff.staff_invite_revoke(invite=invite, actor=alice)
    assert AuditLog.objects.filter(action="staff.invite_revoked", target_id=str(invite.pk), actor=alice).exists()
    with pytest.raises(SchoolsError):
        staff.staff_invite_revoke(invite=invite, actor=alice)
    with pytest.raises(SchoolsError) as exc:
        staff.staff_invite_accept(invite=invite, password="a-long-pass-phrase")
    assert exc.value.code == SchoolsErrorCode.INVITE_REVOKED


def test_resending_an_expired_invitation_gives_a_new_link(school, alice):
    invite, old_link = _invite(school, alice)
    StaffInvite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    invite.refresh_from_db()
    new, new_link = staff.staff_invite_resend(invite=invite, actor=alice)
    assert new_link != old_link and new.pk != invite.pk and new.role_id == invite.role_id
    staff.staff_invite_accept(invite=new, password="a-long-pass-phrase")


# --- Members -------------------------------------------------------------------------------------


def test_role_change_is_audited(school, alice, teacher):
    membership = Membership.objects.get(school=school, user=teacher)
    staff.membership_role_change(membership=membership, role=_role(school, "bursar"), actor=alice)
    membership.refresh_from_db()
    assert membership.role.key == "bursar"
    entry = AuditLog.objects.get(action="membership.role_changed")
    assert entry.changes["role"] == ["teacher", "bursar"] and entry.actor == alice


def _signed_in(client, user):
    client.force_login(user)
    return client.session.session_key


def test_suspending_ends_the_sessions_and_tokens_of_someone_with_no_other_school(school, alice, teacher, client):
    # given a signed-in teacher who also holds a (pre-hashing) token of her own
    key = _signed_in(client, teacher)
    legacy = ApiToken.objects.create(
        school=school, user=teacher, service_account=False, name="x", prefix="x", key_hash="h"
    )
    membership = Membership.objects.get(school=school, user=teacher)
    # when
    staff.membership_suspend(membership=membership, actor=alice)
    # then
    membership.refresh_from_db()
    legacy.refresh_from_db()
    assert not membership.is_active and legacy.revoked_at is not None
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user=teacher).exists()
    entry = AuditLog.objects.get(action="membership.suspended")
    assert entry.changes["sessions_ended"] == 1 and entry.changes["tokens_revoked"] == 1
    # and reactivating gives the access back
    staff.membership_reactivate(membership=membership, actor=alice)
    membership.refresh_from_db()
    assert membership.is_active and AuditLog.objects.filter(action="membership.reactivated").exists()


def test_sessions_kept_in_the_cache_end_as_well(school, alice, teacher, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    browser = Client()
    browser.force_login(teacher)
    assert browser.get("/s/greenfield/students/").status_code == 200
    assert not Session.objects.exists()  # nothing in the database to delete
    staff.membership_suspend(membership=Membership.objects.get(school=school, user=teacher), actor=alice)
    assert browser.get("/s/greenfield/students/")["Location"].startswith("/account/login/")


def test_suspending_at_one_school_keeps_the_sessions_for_another(school, other_school, alice, teacher, client):
    Membership.objects.create(user=teacher, school=other_school, role=_role(other_school, "teacher"))
    key = _signed_in(client, teacher)
    staff.membership_suspend(membership=Membership.objects.get(school=school, user=teacher), actor=alice)
    assert Session.objects.filter(session_key=key).exists()


def test_removing_deletes_the_membership_and_keeps_the_account(school, alice, teacher):
    staff.membership_remove(membership=Membership.objects.get(school=school, user=teacher), actor=alice)
    assert not Membership.objects.filter(school=school, user=teacher).exists()
    assert User.objects.filter(pk=teacher.pk).exists()
    entry = AuditLog.objects.get(action="membership.removed")
    assert entry.changes["role"] == "teacher" and entry.actor == alice


def test_removing_withdraws_an_open_invitation_to_the_same_address(school, other_school, alice, teacher, charlie):
    # An invitation made before the removal must not let them back in.
    invite = StaffInvite.objects.create(
        school=school,
        email=teacher.email,
        role=_role(school, "viewer"),
        token_hash="t" * 64,
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    staff.membership_remove(membership=Membership.objects.get(school=school, user=teacher), actor=alice)
    invite.refresh_from_db()
    assert invite.revoked_at is not None


def test_nobody_suspends_or_removes_themselves(school, alice, bursar):
    mine = Membership.objects.get(school=school, user=alice)
    f.member(school, "school_admin", email="second-admin@greenfield.test")
    for action in (staff.membership_suspend, staff.membership_remove):
        with pytest.raises(SchoolsError) as exc:
            action(membership=mine, actor=alice)
        assert exc.value.code == SchoolsErrorCode.NOT_ALLOWED_ON_SELF


def test_the_last_admin_cannot_be_demoted_suspended_or_removed(school, alice, bursar):
    # given alice is Greenfield's only admin; the bursar acts (as if she had been given the power)
    mine = Membership.objects.get(school=school, user=alice)
    before = AuditLog.objects.count()
    for action, kwargs in (
        (staff.membership_role_change, {"role": _role(school, "teacher")}),
        (staff.membership_suspend, {}),
        (staff.membership_remove, {}),
    ):
        with pytest.raises(SchoolsError) as exc:
            action(membership=mine, actor=bursar, **kwargs)
        assert exc.value.code == SchoolsErrorCode.LAST_ADMIN
    mine.refresh_from_db()
    assert mine.is_active and mine.role.key == "school_admin" and AuditLog.objects.count() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin(school, alice):
    # given two admins, each about to make the other a teacher at the same moment
    bob = f.member(school, "school_admin", email="bob@greenfield.test")
    teacher_role = _role(school, "teacher")
    pairs = [
        (Membership.objects.get(user=alice, school=school), bob),
        (Membership.objects.get(user=bob, school=school), alice),
    ]
    refused = []

    def demote(pair):
        membership, actor = pair
        try:
            staff.membership_role_change(membership=membership, role=teacher_role, actor=actor)
        except SchoolsError as exc:
            refused.append(exc.code)

    # when both run at once
    assert run_concurrently(demote, pairs) == []
    # then one succeeded and the other was told the school would have no admin left
    assert refused == [SchoolsErrorCode.LAST_ADMIN]
    assert Membership.objects.filter(school=school, role__key="school_admin", is_active=True).count() == 1


def test_a_token_with_the_admin_role_does_not_count_as_an_admin(school, alice, bursar):
    api_token_create(school=school, name="ERP", role_key="school_admin")
    with pytest.raises(SchoolsError) as exc:
        staff.membership_suspend(membership=Membership.objects.get(school=school, user=alice), actor=bursar)
    assert exc.value.code == SchoolsErrorCode.LAST_ADMIN


def test_with_a_second_admin_the_first_may_step_down(school, alice):
    f.member(school, "school_admin", email="second-admin@greenfield.test")
    mine = Membership.objects.get(school=school, user=alice)
    staff.membership_role_change(membership=mine, role=_role(school, "viewer"), actor=alice)
    mine.refresh_from_db()
    assert mine.role.key == "viewer"


def test_a_custom_role_with_school_manage_counts_as_an_admin(school, alice):
    head = role_copy(role=_role(school, "school_admin"), actor=alice, name="Head teacher")
    other = f.member(school, "teacher", email="head@greenfield.test")
    staff.membership_role_change(membership=Membership.objects.get(user=other, school=school), role=head, actor=alice)
    staff.membership_role_change(
        membership=Membership.objects.get(user=alice, school=school), role=_role(school, "teacher"), actor=alice
    )
    # and the custom role cannot then lose school.manage: its holder is the last admin
    with pytest.raises(SchoolsError) as exc:
        role_update(
            role=head,
            actor=alice,
            name="Head teacher",
            permissions=["students.view"],
            requires_two_factor=True,
        )
    assert exc.value.code == SchoolsErrorCode.LAST_ADMIN


# --- Roles ---------------------------------------------------------------------------------------


def test_the_default_school_admin_holds_the_whole_catalogue_and_two_factor_roles_are_marked(school):
    assert set(_role(school, "school_admin").permissions) == set(all_permissions())
    assert {"school.manage", "fees.view", "audit.view", "dashboard.view"} <= set(all_permissions())
    marked = set(Role.objects.for_school(school).filter(requires_two_factor=True).values_list("key", flat=True))
    assert marked == {"school_admin", "bursar"}
    assert _role(school, "teacher").permissions == default_role_permissions("teacher")


def test_copying_and_editing_a_role_is_audited(school, alice):
    copy = role_copy(role=_role(school, "teacher"), actor=alice)
    assert copy.is_custom and copy.name == "Copy of Teacher" and copy.key.startswith("custom-")
    assert set(copy.permissions) == set(_role(school, "teacher").permissions)
    role_update(
        role=copy,
        actor=alice,
        name="Form tutor",
        permissions=["students.view", "academics.record_attendance", "messaging.send"],
        requires_two_factor=True,
    )
    copy.refresh_from_db()
    assert (copy.name, copy.requires_two_factor) == ("Form tutor", True)
    entry = AuditLog.objects.get(action="role.updated")
    assert entry.changes["added"] == ["messaging.send"] and entry.changes["removed"] == ["academics.enter_scores"]
    assert AuditLog.objects.filter(action="role.copied", target_id=str(copy.pk)).exists()


def test_a_second_copy_gets_a_name_of_its_own(school, alice):
    first = role_copy(role=_role(school, "teacher"), actor=alice)
    second = role_copy(role=_role(school, "teacher"), actor=alice)
    assert second.name == "Copy of Teacher (2)" and second.key != first.key


def test_an_unknown_permission_or_a_taken_name_is_refused_on_its_field(school, alice):
    copy = role_copy(role=_role(school, "teacher"), actor=alice)
    with pytest.raises(SchoolsError) as exc:
        role_update(role=copy, actor=alice, name="Tutor", permissions=["root.everything"], requires_two_factor=False)
    assert exc.value.code == SchoolsErrorCode.UNKNOWN_PERMISSION and "permissions" in exc.value.fields
    with pytest.raises(SchoolsError) as exc:
        role_update(role=copy, actor=alice, name="bursar", permissions=[], requires_two_factor=False)
    assert exc.value.code == SchoolsErrorCode.ROLE_NAME_TAKEN and "name" in exc.value.fields


def test_default_roles_are_not_edited_or_deleted(school, alice):
    teacher_role = _role(school, "teacher")
    with pytest.raises(SchoolsError) as exc:
        role_update(role=teacher_role, actor=alice, name="Teacher", permissions=[], requires_two_factor=False)
    assert exc.value.code == SchoolsErrorCode.ROLE_NOT_EDITABLE
    with pytest.raises(SchoolsError):
        role_delete(role=teacher_role, actor=alice)
    teacher_role.refresh_from_db()
    assert "academics.enter_scores" in teacher_role.permissions


def test_a_role_in_use_is_not_deleted_and_a_free_one_is(school, alice, teacher):
    copy = role_copy(role=_role(school, "teacher"), actor=alice)
    staff.membership_role_change(membership=Membership.objects.get(user=teacher, school=school), role=copy, actor=alice)
    with pytest.raises(SchoolsError) as exc:
        role_delete(role=copy, actor=alice)
    assert exc.value.code == SchoolsErrorCode.ROLE_IN_USE
    staff.membership_role_change(
        membership=Membership.objects.get(user=teacher, school=school), role=_role(school, "teacher"), actor=alice
    )
    # an invitation once made for it (now withdrawn) goes with it
    invite, _ = staff.staff_invite(school=school, email="x@example.ng", role=copy, actor=alice)
    with pytest.raises(SchoolsError):
        role_delete(role=copy, actor=alice)
    staff.staff_invite_revoke(invite=invite, actor=alice)
    role_delete(role=copy, actor=alice)
    assert not Role.objects.filter(pk=copy.pk).exists() and not StaffInvite.objects.filter(pk=invite.pk).exists()
    assert AuditLog.objects.filter(action="role.deleted", target_id=str(copy.pk)).exists()


def test_a_custom_roles_permissions_are_what_its_members_may_do(school, alice, teacher):
    copy = role_copy(role=_role(school, "teacher"), actor=alice)
    role_update(role=copy, actor=alice, name="Fees clerk", permissions=["fees.view"], requires_two_factor=False)
    membership = Membership.objects.get(user=teacher, school=school)
    staff.membership_role_change(membership=membership, role=copy, actor=alice)
    membership.refresh_from_db()
    assert membership.has_perm("fees.view") and not membership.has_perm("students.view")
