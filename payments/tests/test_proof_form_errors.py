"""A proof refused for a reason that names no input still says why, on the staff and guardian forms."""

import re

import pytest

from payments import proofs
from payments.errors import PaymentsError

from .test_payments import invoice  # noqa: F401  (fixture)
from .test_proofs import PDF, slip, yesterday

pytestmark = pytest.mark.django_db

REASON = "Transfer proofs are paused while the bank account changes."


@pytest.fixture
def refusing(monkeypatch):
    def refuse(**kwargs):
        raise PaymentsError(REASON)

    monkeypatch.setattr(proofs, "proof_submit_upload", refuse)


def test_staff_proof_form_shows_a_refusal_that_names_no_field(school, bursar, verified_client, invoice, refusing):
    # given a proof the service refuses without naming an input
    url = f"/s/greenfield/payments/invoices/{invoice.pk}/proof/"
    # when the bursar sends it
    response = verified_client(bursar).post(
        url, {"file": slip(PDF, "slip.pdf"), "amount": "40000", "paid_on": yesterday(school).isoformat()}
    )
    # then the form comes back with the reason
    assert response.status_code == 400 and REASON in response.content.decode()


def test_guardian_proof_form_shows_a_refusal_that_names_no_field(client, school, invoice, refusing):
    guardian = invoice.student.guardian_links.get().guardian
    path = re.sub(r"^https?://[^/]+", "", proofs.guardian_link(invoice=invoice, guardian=guardian))
    response = client.post(
        path, {"action": "proof", "file": slip(), "amount": "40000", "paid_on": yesterday(school).isoformat()}
    )
    assert response.status_code == 400 and REASON in response.content.decode()
