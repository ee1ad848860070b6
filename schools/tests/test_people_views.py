"""The People pages: a school admin invites, changes roles, suspends and removes, edits roles and makes
API tokens; the invited person accepts from the link without an account. Access taken away works on
the member's very next request, pages and API alike; another school's ids are 404."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from classpoint.api.auth import key_hash
from classpoint.models import ApiToken, AuditLog
from schools.models import Membership, Role, StaffInvite
from schools.services import staff
from schools.services.roles import role_copy
from schools.services.schools import api_token_create
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
P = "/s/greenfield/people/"


def _role(school, key):
    return Role.objects.for_school(school).get(key=key)


def _invite(school, alice, email="tola@example.ng", key="teacher"):
    invite, link = staff.staff_invite(school=school, email=email, role=_role(school, key), actor=alice, send=False)
    return invite, link[link.index("/s/") :]


@pytest.fixture
def admin_client(school, alice, verified_client):
    return verified_client(alice)


def _own_client(user):
    """A second browser, for the member whose access the admin (on `admin_client`) changes."""
    other = Client()
    other.force_login(user)
    return other


# --- The area ------------------------------------------------------------------------------------


def test_members_page_lists_people_not_token_users_with_their_last_sign_in(school, alice, teacher, admin_client):
    api_token_create(school=school, name="ERP sync", role_key="bursar")
    Membership.objects.filter(user=teacher).update(is_active=False)
    page = admin_client.get(P).content.decode()
    assert teacher.email in page and "Suspended" in page and alice.email in page
    assert "ERP sync" not in page and "api-greenfield" not in page
    rows = {row.split("</th>")[0]: row for row in page.split("<tr>")[1:]}
    alice_row = next(row for row in rows.values() if alice.email in row)
    teacher_row = next(row for row in rows.values() if teacher.email in row)
    # the teacher never signed in; alice just did, and her row shows when
    assert "Never" in teacher_row and "Never" not in alice_row and "<time datetime=" in alice_row


def test_members_page_query_count_does_not_grow_with_members(
    school, alice, admin_client, django_assert_max_num_queries
):
    _invite(school, alice)
    admin_client.get(P)  # warm: the session and the school are read the same way each time
    with django_assert_max_num_queries(12) as few:
        admin_client.get(P)
    for n in range(15):
        f.member(school, "teacher", email=f"t{n}@greenfield.test")
        _invite(school, alice, email=f"new{n}@example.ng")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert admin_client.get(P).status_code == 200


def test_a_teacher_is_kept_out_of_the_area(school, teacher, verified_client):
    client = verified_client(teacher)
    for url in (P, P + "invite/", P + "roles/", P + "tokens/"):
        assert client.get(url).status_code == 403
    # and the school's nav offers them nothing of it
    assert 'href="/s/greenfield/people/' not in client.get("/s/greenfield/").content.decode()


def test_another_schools_member_invite_role_and_token_are_404(school, other_school, alice, charlie, admin_client):
    theirs = Membership.objects.get(school=other_school, user=charlie)
    invite, _ = staff.staff_invite(
        school=other_school, email="x@example.ng", role=_role(other_school, "teacher"), actor=charlie, send=False
    )
    role = role_copy(role=_role(other_school, "teacher"), actor=charlie)
    token = api_token_create(school=other_school, name="Theirs", role_key="viewer").token
    service = Membership.objects.get(school=other_school, user=token.user)
    mine_service = Membership.objects.get(
        user=api_token_create(school=school, name="Ours", role_key="viewer").token.user
    )
    urls = [
        f"{P}members/{theirs.pk}/",
        f"{P}members/{theirs.pk}/suspend/",
        f"{P}members/{theirs.pk}/remove/",
        f"{P}members/{service.pk}/",
        f"{P}members/{mine_service.pk}/",  # a token's service user is no member to manage here
        f"{P}invites/{invite.pk}/revoke/",
        f"{P}roles/{role.pk}/",
        f"{P}roles/{role.pk}/delete/",
        f"{P}tokens/{token.pk}/revoke/",
    ]
    for url in urls:
        assert admin_client.get(url).status_code == 404, url
        assert admin_client.post(url).status_code == 404, url
    for url in (
        f"{P}members/{theirs.pk}/reactivate/",
        f"{P}invites/{invite.pk}/resend/",
        f"{P}roles/{role.pk}/copy/",
    ):
        assert admin_client.post(url).status_code == 404, url
    assert Membership.objects.get(pk=theirs.pk).is_active
    invite.refresh_from_db()
    assert invite.revoked_at is None and ApiToken.objects.get(pk=token.pk).revoked_at is None


# --- Inviting and accepting ----------------------------------------------------------------------


def test_inviting_from_the_page_mails_a_link(school, alice, admin_client, django_capture_on_commit_callbacks):
    bad = admin_client.post(P + "invite/", {"email": "not-an-email", "role": _role(school, "teacher").pk})
    assert bad.status_code == 400 and "Enter a valid email address" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            P + "invite/", {"email": "tola@example.ng", "role": _role(school, "teacher").pk, "first_name": "Tola"}
        )
    assert response.status_code == 302
    assert StaffInvite.objects.get(school=school).email == "tola@example.ng"
    assert "/s/greenfield/people/invite/" in mail.outbox[0].body
    assert "tola@example.ng" in admin_client.get(P).content.decode()


def test_inviting_a_member_shows_the_error_beside_the_email(school, alice, teacher, admin_client):
    response = admin_client.post(P + "invite/", {"email": teacher.email, "role": _role(school, "viewer").pk})
    assert response.status_code == 400
    assert 'id="id_email_error"' in response.content.decode() and "already a member" in response.content.decode()


def test_a_new_teacher_sets_a_password_from_the_link_and_lands_in_the_school(school, alice, client):
    _, link = _invite(school, alice)
    # given the link opened by someone signed out
    page = client.get(link)
    assert page.status_code == 200 and "Set password and join" in page.content.decode()
    # when the two passwords differ, it says so beside the second, and nothing is made
    differ = client.post(
        link, {"first_name": "Tola", "last_name": "Ade", "password1": "a-long-pass-phrase", "password2": "x"}
    )
    assert differ.status_code == 400 and 'id="id_password2_error"' in differ.content.decode()
    weak = client.post(link, {"first_name": "Tola", "last_name": "Ade", "password1": "123", "password2": "123"})
    assert weak.status_code == 400 and 'id="id_password1_error"' in weak.content.decode()
    assert not Membership.objects.filter(user__email="tola@example.ng").exists()
    # then with a good password they are signed in at the school
    done = client.post(
        link,
        {
            "first_name": "Tola",
            "last_name": "Ade",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )
    assert done.status_code == 302 and done["Location"] == "/s/greenfield/"
    home = client.get("/s/greenfield/")
    assert home.status_code == 200 and "Tola Ade" in home.content.decode()
    # and the link is spent
    assert client.get(link).status_code == 410


def test_an_admin_invitee_is_sent_to_enrol_an_authenticator(school, alice, client):
    _, link = _invite(school, alice, email="deputy@example.ng", key="school_admin")
    done = client.post(
        link,
        {
            "first_name": "Dee",
            "last_name": "Puty",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )
    assert done.status_code == 302 and done["Location"].startswith("/account/two-factor/?next=")
    # the school stays closed until the second step is done
    assert client.get("/s/greenfield/")["Location"].startswith("/account/two-factor/")


def test_someone_with_an_account_only_adds_the_school(school, other_school, alice, charlie, client):
    # charlie (Riverside's admin) is invited to Greenfield
    _, link = _invite(school, alice, email="charlie@riverside.test", key="viewer")
    page = client.get(link)
    assert page.status_code == 200 and "already have a Classpoint account" in page.content.decode()
    response = client.post(link)
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")
    assert Membership.objects.get(school=school, user=charlie).role.key == "viewer"


def test_the_link_is_not_given_to_whoever_is_signed_in(school, alice, teacher):
    _, link = _invite(school, alice)
    response = _own_client(teacher).post(link)
    assert response.status_code == 409 and "for someone else" in response.content.decode()
    assert not Membership.objects.filter(user__email="tola@example.ng").exists()


def test_expired_revoked_and_unknown_links(school, other_school, alice, client):
    invite, link = _invite(school, alice)
    # another school's address with a valid token is no invitation
    assert client.get(link.replace("/greenfield/", "/riverside/")).status_code == 404
    assert client.get(P + "invite/not-a-token/").status_code == 404
    StaffInvite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    expired = client.get(link)
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert client.post(link, {"password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"}).status_code == 410
    _, link2 = _invite(school, alice)  # replaces the expired one
    staff.staff_invite_revoke(invite=StaffInvite.objects.get(school=school, revoked_at__isnull=True), actor=alice)
    assert "withdrawn" in client.get(link2).content.decode()


# --- Members: role, suspension, removal ----------------------------------------------------------


def test_changing_a_role_on_the_page_takes_effect_at_once(school, alice, teacher, admin_client):
    membership = Membership.objects.get(school=school, user=teacher)
    teacher_client = _own_client(teacher)
    assert teacher_client.get("/s/greenfield/fees/invoices/").status_code == 403
    response = admin_client.post(f"{P}members/{membership.pk}/", {"role": _role(school, "viewer").pk})
    assert response.status_code == 302
    assert teacher_client.get("/s/greenfield/fees/invoices/").status_code == 200
    assert AuditLog.objects.filter(action="membership.role_changed", actor=alice).exists()


def test_the_last_admin_demoting_herself_is_told_why_on_the_field(school, alice, admin_client):
    mine = Membership.objects.get(school=school, user=alice)
    response = admin_client.post(f"{P}members/{mine.pk}/", {"role": _role(school, "teacher").pk})
    assert response.status_code == 400 and "at least one active member who can manage it" in response.content.decode()
    mine.refresh_from_db()
    assert mine.role.key == "school_admin"


def test_suspending_asks_first_then_locks_the_member_out_of_pages_and_api(school, alice, teacher, admin_client, api):
    membership = Membership.objects.get(school=school, user=teacher)
    client = _own_client(teacher)
    api.force_login(teacher)
    assert client.get("/s/greenfield/students/").status_code == 200
    assert api.get("/api/v1/schools/greenfield/students/").status_code == 200
    # the GET asks
    question = admin_client.get(f"{P}members/{membership.pk}/suspend/")
    assert question.status_code == 200 and "Suspend access" in question.content.decode()
    membership.refresh_from_db()
    assert membership.is_active
    # the POST acts
    assert admin_client.post(f"{P}members/{membership.pk}/suspend/").status_code == 302
    # their next requests: signed out (Greenfield was their only school)
    assert client.get("/s/greenfield/students/")["Location"].startswith("/account/login/")
    assert api.get("/api/v1/schools/greenfield/students/").status_code == 401


def test_a_suspended_member_of_two_schools_gets_404_here_and_keeps_the_other(
    school, other_school, alice, teacher, admin_client
):
    Membership.objects.create(user=teacher, school=other_school, role=_role(other_school, "teacher"))
    client = _own_client(teacher)
    membership = Membership.objects.get(school=school, user=teacher)
    admin_client.post(f"{P}members/{membership.pk}/suspend/")
    assert client.get("/s/greenfield/students/").status_code == 404
    assert client.get("/s/riverside/students/").status_code == 200


def test_removing_from_the_page(school, alice, teacher, admin_client):
    membership = Membership.objects.get(school=school, user=teacher)
    assert "Remove from the school" in admin_client.get(f"{P}members/{membership.pk}/remove/").content.decode()
    assert admin_client.post(f"{P}members/{membership.pk}/remove/")["Location"] == P
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert f"members/{membership.pk}/" not in admin_client.get(P).content.decode()


def test_reactivating_from_the_page(school, alice, teacher, admin_client):
    membership = Membership.objects.get(school=school, user=teacher)
    staff.membership_suspend(membership=membership, actor=alice)
    admin_client.post(f"{P}members/{membership.pk}/reactivate/")
    assert _own_client(teacher).get("/s/greenfield/students/").status_code == 200


# --- Roles ---------------------------------------------------------------------------------------


def test_roles_page_and_a_custom_role_edited_by_ticking(school, alice, teacher, admin_client):
    listing = admin_client.get(P + "roles/").content.decode()
    assert "School admin" in listing and "Attendance officer" in listing
    # copy the teacher's role
    response = admin_client.post(f"{P}roles/{_role(school, 'teacher').pk}/copy/")
    copy = Role.objects.for_school(school).get(is_custom=True)
    assert response["Location"] == f"{P}roles/{copy.pk}/"
    editor = admin_client.get(response["Location"]).content.decode()
    assert 'value="academics.enter_scores" id="perm-' in editor and "checked" in editor
    assert "<legend>Fees</legend>" in editor  # grouped by the app that declares them
    # tick fees.view only, and give the teacher the role
    saved = admin_client.post(
        response["Location"], {"name": "Fees clerk", "permissions": ["fees.view", "students.view"]}
    )
    assert saved.status_code == 302
    Membership.objects.filter(school=school, user=teacher).update(role=copy)
    # then what they may do follows the ticks: the invoices, not the attendance
    client = _own_client(teacher)
    nav = client.get("/s/greenfield/").content.decode()
    assert 'href="/s/greenfield/fees/invoices/"' in nav and "/attendance/" not in nav
    assert client.get("/s/greenfield/fees/invoices/").status_code == 200


def test_a_role_editor_error_keeps_the_ticks(school, alice, admin_client):
    copy = role_copy(role=_role(school, "teacher"), actor=alice)
    response = admin_client.post(f"{P}roles/{copy.pk}/", {"name": "", "permissions": ["fees.view"]})
    body = response.content.decode()
    assert response.status_code == 400 and 'id="id_name_error"' in body
    assert 'value="fees.view" id="perm-' in body and body.count("checked") == 1


def test_a_default_role_is_shown_not_edited(school, alice, admin_client):
    teacher_role = _role(school, "teacher")
    page = admin_client.get(f"{P}roles/{teacher_role.pk}/").content.decode()
    assert "Copy this role" in page and 'name="permissions"' not in page
    admin_client.post(f"{P}roles/{teacher_role.pk}/", {"name": "Hacked", "permissions": ["fees.view"]})
    teacher_role.refresh_from_db()
    assert teacher_role.name == "Teacher" and "fees.view" not in teacher_role.permissions


def test_deleting_a_role_asks_first(school, alice, admin_client):
    copy = role_copy(role=_role(school, "teacher"), actor=alice)
    assert "Delete role" in admin_client.get(f"{P}roles/{copy.pk}/delete/").content.decode()
    assert Role.objects.filter(pk=copy.pk).exists()
    admin_client.post(f"{P}roles/{copy.pk}/delete/")
    assert not Role.objects.filter(pk=copy.pk).exists()


# --- API tokens ----------------------------------------------------------------------------------


def test_a_token_is_shown_once_stored_hashed_and_revoked_from_the_page(school, alice, admin_client, api):
    bad = admin_client.post(P + "tokens/", {"name": "", "role": _role(school, "viewer").pk})
    assert bad.status_code == 400 and 'id="id_name_error"' in bad.content.decode()
    response = admin_client.post(P + "tokens/", {"name": "Finance sync", "role": _role(school, "viewer").pk})
    body = response.content.decode()
    token = ApiToken.objects.get(school=school)
    start = body.index('id="new-key" value="') + len('id="new-key" value="')
    key = body[start : body.index('"', start)]
    assert key.startswith(token.prefix) and token.key_hash == key_hash(key)
    assert "no-store" in response["Cache-Control"]
    # the list never shows it again
    listing = admin_client.get(P + "tokens/").content.decode()
    assert key not in listing and token.prefix in listing and "Viewer" in listing and "Never" in listing
    # it works, and the list shows its last use
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/schools/greenfield/students/").status_code == 200
    assert "Never" not in admin_client.get(P + "tokens/").content.decode()
    # revoked: asked first, then 401 at once
    assert "Revoke token" in admin_client.get(f"{P}tokens/{token.pk}/revoke/").content.decode()
    admin_client.post(f"{P}tokens/{token.pk}/revoke/")
    assert api.get("/api/v1/schools/greenfield/students/").status_code == 401
    assert AuditLog.objects.filter(action="api_token.revoked", actor=alice, target_id=str(token.pk)).exists()
