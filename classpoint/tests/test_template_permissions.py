"""Pages ask "may this member do X?" one way: `{% if membership|can:"fees.view" %}`, which defers to
`Membership.has_perm`, so the rule for what a role allows lives in one place and a page cannot drift
from the view that guards the same action."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template

from schools.models import Membership, Role

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ("classpoint", "schools", "fees", "payments", "registrar", "messaging", "academics")


def render(source, **context):
    return Template("{% load access %}" + source).render(Context(context))


def asks(membership, code):
    return render("{% if membership|can:code %}yes{% else %}no{% endif %}", membership=membership, code=code)


def membership_of(user, school):
    return Membership.objects.select_related("role").get(user=user, school=school)


# The filter


def test_can_answers_yes_for_a_permission_the_members_role_has(school, bursar):
    membership = membership_of(bursar, school)
    assert membership.has_perm("fees.view")
    assert asks(membership, "fees.view") == "yes"


def test_can_answers_no_for_a_permission_the_members_role_lacks(school, teacher):
    membership = membership_of(teacher, school)
    assert not membership.has_perm("fees.view")
    assert asks(membership, "fees.view") == "no"


def test_can_follows_an_edited_role_like_has_perm(school, bursar):
    # Schools edit their roles; the page must change with the role, as the view's guard does.
    role = Role.objects.for_school(school).get(key="bursar")
    role.permissions = [code for code in role.permissions if code != "fees.view"]
    role.save()
    membership = membership_of(bursar, school)
    assert (asks(membership, "fees.view"), asks(membership, "fees.manage")) == ("no", "yes")
    assert (membership.has_perm("fees.view"), membership.has_perm("fees.manage")) == (False, True)


def test_can_answers_no_when_there_is_no_membership():
    # Pages outside a school (the workspace chooser, sign-in) render base.html with no membership.
    assert asks(None, "fees.view") == "no"
    assert render('{% if membership|can:"fees.view" %}yes{% else %}no{% endif %}') == "no"


# The pages


def test_nav_shows_a_section_only_to_roles_allowed_into_it(school, bursar, teacher, verified_client):
    invoices = f'href="/s/{school.slug}/fees/invoices/"'
    bursar_page = verified_client(bursar).get(f"/s/{school.slug}/").content.decode()
    teacher_page = verified_client(teacher).get(f"/s/{school.slug}/").content.decode()
    assert invoices in bursar_page and invoices not in teacher_page


def test_nav_drops_a_section_when_the_school_takes_the_permission_from_the_role(school, bursar, verified_client):
    role = Role.objects.for_school(school).get(key="bursar")
    role.permissions = [code for code in role.permissions if code != "payments.review_proofs"]
    role.save()
    page = verified_client(bursar).get(f"/s/{school.slug}/").content.decode()
    assert f'href="/s/{school.slug}/payments/proofs/"' not in page
    assert f'href="/s/{school.slug}/fees/invoices/"' in page


# The convention

ROLE_PERMISSIONS = re.compile(r"\brole\.permissions\b")
# Django's `perms` is the site-wide auth system, which knows nothing of a member's role at a school.
DJANGO_PERMS = re.compile(r"\bperms\.")


def template_files():
    yield from (ROOT / "templates").rglob("*.html")
    for app in APPS:
        yield from (ROOT / app / "templates").rglob("*.html")


def test_no_template_reads_role_permissions_directly():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}"
        for path in template_files()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ROLE_PERMISSIONS.search(line) or DJANGO_PERMS.search(line)
    ]
    assert not offenders, 'ask with {% load access %}{% if membership|can:"code" %}:\n' + "\n".join(offenders)


def test_no_application_code_reads_role_permissions_outside_has_perm():
    home = ROOT / "schools" / "models" / "tenancy.py"
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts and path != home
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ROLE_PERMISSIONS.search(line)
    ]
    assert not offenders, "ask with membership.has_perm(code):\n" + "\n".join(offenders)
