import pytest

from classpoint.models import AuditLog
from schools.models import School

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_client(verified_client, django_user_model):
    admin = django_user_model.objects.create_superuser("ops@classpoint.ng", "ops@classpoint.ng", "pw-0123456789")
    return verified_client(admin)


def test_provision_school_from_the_admin(platform_client):
    page = platform_client.get("/admin/schools/school/provision/")
    assert page.status_code == 200 and b"Provision" in page.content
    response = platform_client.post(
        "/admin/schools/school/provision/",
        {
            "name": "Hilltop High",
            "slug": "hilltop",
            "admin_email": "head@hilltop.ng",
            "timezone": "Africa/Lagos",
            "currency": "NGN",
            "country": "NG",
        },
    )
    assert response.status_code == 302
    assert School.objects.get(slug="hilltop").domains.get().hostname == "hilltop.classpoint.ng"


def test_admin_provision_shows_field_errors_and_creates_nothing(platform_client, school):
    response = platform_client.post(
        "/admin/schools/school/provision/",
        {
            "name": "Again",
            "slug": "greenfield",
            "admin_email": "x@y.ng",
            "timezone": "Africa/Lagos",
            "currency": "NGN",
            "country": "NG",
        },
    )
    assert response.status_code == 200 and "already exists" in response.content.decode()
    assert School.objects.count() == 1


def test_audit_log_admin_is_read_only(platform_client, school):
    entry = AuditLog.objects.filter(school=school).first()
    change = platform_client.get(f"/admin/classpoint/auditlog/{entry.pk}/change/")
    assert change.status_code == 200 and b'name="_save"' not in change.content
    assert platform_client.post(f"/admin/classpoint/auditlog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_platform_admin_needs_totp_for_the_admin(client, django_user_model):
    root = django_user_model.objects.create_superuser("root@classpoint.ng", "root@classpoint.ng", "pw-0123456789")
    client.force_login(root)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/")
