"""People in a real headless Chromium: a school admin invites a teacher; the teacher opens the emailed
link, sets a password, lands in the school, and the navigation offers only what a teacher may use."""

import re

from django.core import mail

from classpoint.browser_testing import BROWSER_MARKS, new_page, shot, sign_in_with_totp
from schools.models import Membership

pytestmark = BROWSER_MARKS


def _nav(page):
    return [name.strip() for name in page.locator("nav.mainnav a").all_inner_texts()]


def test_admin_invites_a_teacher_who_sets_a_password_and_sees_only_teacher_things(live_server, school, alice, chromium):
    base = live_server.url
    # given the school admin, signed in with her second step, on the People page
    admin = new_page(chromium, viewport={"width": 1366, "height": 900})
    sign_in_with_totp(admin, base, alice)
    admin.goto(f"{base}/s/greenfield/people/")
    shot(admin, "people-members")
    # when she invites a teacher
    admin.get_by_role("link", name="Invite someone").click()
    admin.get_by_label("Email address").fill("tola.teacher@example.ng")
    admin.get_by_label("Role").select_option(label="Teacher")
    admin.get_by_label("First name (optional)").fill("Tola")
    admin.get_by_label("Last name (optional)").fill("Adeyemi")
    admin.get_by_role("button", name="Send invitation").click()
    admin.wait_for_url(f"{base}/s/greenfield/people/")
    assert "Invitation sent to tola.teacher@example.ng" in admin.content()
    assert "tola.teacher@example.ng" in admin.locator("#invites-h + .table-wrap").inner_text()

    # then the teacher gets the link by email and opens it, signed out, on a phone
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/people/invite/\S+/", message.body).group(0)
    path = link[link.index("/s/") :]
    teacher = new_page(chromium, viewport={"width": 390, "height": 844}, is_mobile=True)
    teacher.goto(base + path)
    assert teacher.get_by_label("First name").input_value() == "Tola"
    teacher.get_by_label("Password", exact=True).fill("chalk-and-blackboard-42")
    teacher.get_by_label("Password again").fill("chalk-and-blackboard-42")
    shot(teacher, "people-accept-phone")
    teacher.get_by_role("button", name="Set password and join").click()

    # she lands in the school, signed in, and the nav shows only teacher things
    teacher.wait_for_url(f"{base}/s/greenfield/")
    assert "Welcome to Greenfield Academy" in teacher.content()
    nav = _nav(teacher)
    assert {"Home", "Students", "Timetable", "Attendance", "Results"} <= set(nav)
    assert not {"Invoices", "Fee set-up", "Applications", "Imports", "Audit log", "People"} & set(nav)
    assert Membership.objects.get(user__email="tola.teacher@example.ng", school=school).role.key == "teacher"
    # and a page outside her role is refused
    assert teacher.goto(f"{base}/s/greenfield/people/").status == 403
    # the link worked once
    assert teacher.goto(base + path).status == 410

    # back on the admin's page the teacher is a member, no longer an invitation
    admin.goto(f"{base}/s/greenfield/people/")
    assert "Tola Adeyemi" in admin.locator("#members-h + .table-wrap").inner_text()
    assert "No invitations are waiting." in admin.content()
