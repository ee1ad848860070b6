"""The guardian's invoice link keeps its salt, payload and lifetime: links already sent keep working."""

import datetime

import pytest
from django.core import signing

from payments import proofs
from schools.models import Guardian

from .test_payments import invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
SALT = "classpoint.payments.guardian-link"


def test_a_link_signed_before_the_kernel_helper_still_opens(client, invoice):  # noqa: F811
    guardian = Guardian.objects.get(student_links__student=invoice.student)
    ids = {"s": invoice.school_id, "i": invoice.pk, "g": guardian.pk}
    legacy = signing.dumps(ids, salt=SALT, compress=True)
    assert proofs.guardian_link_open(legacy) == (invoice.school_id, invoice.pk, guardian.pk)
    assert client.get(f"/payments/pay/{legacy}/").status_code == 200


def test_new_links_carry_the_same_payload_and_last_the_configured_days(invoice, settings, monkeypatch):  # noqa: F811
    guardian = Guardian.objects.get(student_links__student=invoice.student)
    link = proofs.guardian_link(invoice=invoice, guardian=guardian)
    assert link.startswith(settings.SITE_URL.rstrip("/") + "/payments/pay/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert signing.loads(token, salt=SALT) == {"s": invoice.school_id, "i": invoice.pk, "g": guardian.pk}
    lifetime = settings.GUARDIAN_LINK_MAX_AGE_DAYS * 86400
    now = datetime.datetime.now().timestamp()
    monkeypatch.setattr(signing.time, "time", lambda: now + lifetime - 60)
    assert proofs.guardian_link_open(token) == (invoice.school_id, invoice.pk, guardian.pk)
    monkeypatch.setattr(signing.time, "time", lambda: now + lifetime + 60)
    assert proofs.guardian_link_open(token) is None
