"""Flagged payments: money a gateway took that was not credited (the amount disagreed with the pay
link, the invoice was voided since, ...) is accepted (credited once, receipted) or closed with a
reason, decided once even under concurrent clicks, from the workspace queue or the API."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classpoint.models import AuditLog, OutboxEvent
from classpoint.outbox import worker
from classpoint.scoping import for_school
from classpoint.testing import run_concurrently
from fees import services as fees
from payments import flagged, services
from payments.errors import PaymentsError
from payments.models import PaymentIntent, PaymentTransaction, Receipt
from schools.tests import factories as f

from .test_counter_payments import issued_invoice
from .test_payments import charge, deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(school, bursar):
    return issued_invoice(school, bursar, "GFA/0001")  # ₦100,000


def flag(client, invoice, actor, amount=6_000_000, event_id="1", currency=None):
    """A pay link for `invoice` and a charge of `amount` reported for it: held back as flagged."""
    intent = services.intent_create(invoice=invoice, actor=actor, gateway_name="demo", email="p@x.ng")
    deliver(client, charge(intent, amount=amount, event_id=event_id, currency=currency))
    worker.drain()
    tx = PaymentTransaction.objects.get(intent=intent, provider_reference=event_id)
    assert tx.status == PaymentTransaction.Status.FLAGGED
    return tx


def accept(tx, actor, school=None, note=""):
    return flagged.transaction_flagged_accept(school=school or tx.school, transaction_id=tx.pk, actor=actor, note=note)


def close(tx, actor, reason="Refunded to the payer", school=None):
    return flagged.transaction_flagged_close(
        school=school or tx.school, transaction_id=tx.pk, actor=actor, reason=reason
    )


def confirmed_events():
    return OutboxEvent.objects.filter(event_type="payment.confirmed").count()


# --- Services ---------------------------------------------------------------------------------


def test_accepting_credits_what_was_received_once_and_issues_a_receipt(client, school, bursar, alice, invoice):
    # given a charge of ₦60,000 reported for a ₦100,000 pay link, held back as flagged
    tx = flag(client, invoice, bursar)
    assert "the gateway reported ₦60,000.00 but the pay link was for ₦100,000.00" in tx.note and confirmed_events() == 0
    # when the bursar accepts it
    accept(tx, bursar, note="Parent paid part; agreed by phone")
    worker.drain()
    # then the invoice is credited with what the gateway took, once, and receipted
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == ("partially_paid", 6_000_000)
    tx.refresh_from_db()
    assert tx.status == "confirmed" and tx.confirmed_at and tx.resolved_by == bursar
    assert tx.resolution_note == "Parent paid part; agreed by phone" and "the gateway reported" in tx.note
    assert tx.receipt.number.startswith("RCT-") and tx.receipt.amount_minor == 6_000_000
    assert PaymentIntent.objects.get(pk=tx.intent_id).status == "succeeded"
    entry = AuditLog.objects.get(school=school, action="payment.flagged_accepted")
    assert entry.actor == bursar and entry.target_id == str(tx.pk)
    assert entry.changes["amount_minor"] == 6_000_000 and entry.changes["expected_minor"] == 10_000_000
    # and a second decision, of either kind, changes nothing
    for decide in (accept, close):
        with pytest.raises(PaymentsError) as error:
            decide(tx, alice)
        assert error.value.code == "already_resolved" and error.value.status_code == 409
        assert "already accepted by" in error.value.fields["transaction"][0]
    worker.drain()
    invoice.refresh_from_db()
    assert invoice.paid_minor == 6_000_000 and Receipt.objects.for_school(school).count() == 1
    assert confirmed_events() == 1


def test_accepting_more_than_the_balance_keeps_the_excess_as_family_credit(client, school, bursar, invoice):
    # given a charge of ₦120,000 for a ₦100,000 pay link
    tx = flag(client, invoice, bursar, amount=12_000_000)
    # when it is accepted
    accept(tx, bursar)
    worker.drain()
    # then the invoice is paid and the ₦20,000 beyond it is the family's credit, as for any overpayment
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == ("paid", 10_000_000)
    assert invoice.allocations.get().credit_minor == 2_000_000
    assert Receipt.objects.get(transaction=tx).amount_minor == 12_000_000


def test_closing_keeps_the_reason_and_credits_nothing(client, school, bursar, alice, invoice):
    tx = flag(client, invoice, bursar)
    # when the bursar closes it, the payer having been refunded
    close(tx, bursar, reason="  Refunded through the gateway on 3 May  ")
    worker.drain()
    # then nothing is credited and the payment says who closed it and why
    tx.refresh_from_db()
    assert (tx.status, tx.resolved_by) == ("closed", bursar)
    assert tx.resolution_note == "Refunded through the gateway on 3 May"
    assert "the gateway reported" in tx.note  # why it was flagged is kept
    invoice.refresh_from_db()
    assert invoice.paid_minor == 0 and confirmed_events() == 0 and not Receipt.objects.exists()
    entry = AuditLog.objects.get(school=school, action="payment.flagged_closed")
    assert entry.actor == bursar and entry.changes["reason"] == "Refunded through the gateway on 3 May"
    # and it cannot be accepted afterwards
    with pytest.raises(PaymentsError) as error:
        accept(tx, alice)
    assert error.value.code == "already_resolved" and "already closed by" in error.value.fields["transaction"][0]


def test_closing_needs_a_reason(client, bursar, invoice):
    tx = flag(client, invoice, bursar)
    with pytest.raises(PaymentsError) as error:
        close(tx, bursar, reason="   ")
    assert error.value.fields["reason"]
    tx.refresh_from_db()
    assert tx.status == "flagged" and not AuditLog.objects.filter(action="payment.flagged_closed").exists()


def test_a_payment_on_a_void_invoice_is_refused_and_must_be_closed(client, school, bursar):
    # given a pay link paid in full after its invoice was voided
    invoice = issued_invoice(school, bursar, "GFA/0001")
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    fees.invoice_void(invoice=invoice, actor=bursar, reason="billed twice")
    deliver(client, charge(intent))
    worker.drain()
    tx = PaymentTransaction.objects.get(intent=intent)
    assert tx.status == "flagged"
    # when the bursar tries to accept it
    with pytest.raises(PaymentsError) as error:
        accept(tx, bursar)
    # then it is refused, saying to close and refund instead, and nothing changes
    assert error.value.code == "not_payable"
    assert "void" in error.value.fields["transaction"][0] and "refund" in error.value.fields["transaction"][0]
    tx.refresh_from_db()
    assert tx.status == "flagged" and confirmed_events() == 0
    assert not AuditLog.objects.filter(action="payment.flagged_accepted").exists()
    close(tx, bursar)  # the way out
    assert PaymentTransaction.objects.get(pk=tx.pk).status == "closed"


def test_a_payment_in_another_currency_is_refused(client, bursar, invoice):
    tx = flag(client, invoice, bursar, amount=10_000_000, currency="USD")
    with pytest.raises(PaymentsError) as error:
        accept(tx, bursar)
    assert error.value.code == "currency_mismatch"
    assert PaymentTransaction.objects.get(pk=tx.pk).status == "flagged"


def test_a_pay_link_credited_by_another_charge_is_not_credited_twice(client, school, bursar, invoice):
    # given a flagged charge, then another charge of the right amount that credited the pay link
    tx = flag(client, invoice, bursar, event_id="1")
    deliver(client, charge(tx.intent, event_id="2"))
    worker.drain()
    assert PaymentTransaction.objects.get(provider_reference="2").status == "confirmed"
    # when the flagged one is accepted
    with pytest.raises(PaymentsError) as error:
        accept(tx, bursar)
    # then it is refused: the pay link is credited once
    assert error.value.code == "already_credited" and "payment #" in error.value.fields["transaction"][0]
    assert PaymentTransaction.objects.get(pk=tx.pk).status == "flagged"


def test_only_flagged_payments_are_resolved(school, bursar, invoice):
    cash = services.transaction_record(invoice=invoice, kind="cash", amount_minor=100, currency="NGN", actor=bursar)
    with pytest.raises(PaymentsError) as error:
        accept(cash, bursar)
    assert error.value.code == "not_flagged"


def test_another_schools_payment_is_not_found(client, school, other_school, bursar, charlie, invoice):
    tx = flag(client, invoice, bursar)
    for decide in (accept, close):
        with pytest.raises(PaymentsError) as error:
            decide(tx, charlie, school=other_school)
        assert error.value.code == "not_found"
    assert PaymentTransaction.objects.get(pk=tx.pk).status == "flagged"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_accept_and_close_clicked_at_once_give_one_outcome(school, bursar, alice):
    # given a flagged payment (recorded as the webhook records one)
    invoice = issued_invoice(school, bursar, "GFA/0001")
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    tx = services.transaction_record(
        invoice=invoice,
        intent=intent,
        kind="gateway",
        gateway="demo",
        provider_reference="CHG-1",
        amount_minor=6_000_000,
        currency="NGN",
        flag_reason="the gateway reported ₦60,000.00 but the pay link was for ₦100,000.00",
        actor=None,
    )

    # when two reviewers each accept and close it at the same moment (each in the school's scope,
    # as their requests would be)
    def click(decision):
        decide, actor = decision
        with for_school(school):
            decide(tx, actor, school=school)

    errors = run_concurrently(click, [(accept, alice), (close, bursar), (accept, bursar), (close, alice)])
    # then one decision is taken and the other three are told it was already resolved
    assert sorted(getattr(e, "code", repr(e)) for e in errors) == ["already_resolved"] * 3
    tx.refresh_from_db()
    decisions = AuditLog.objects.filter(school=school, action__startswith="payment.flagged_")
    assert decisions.count() == 1
    worker.drain()
    invoice.refresh_from_db()
    if tx.status == "confirmed":
        assert decisions.get().action == "payment.flagged_accepted"
        assert invoice.paid_minor == 6_000_000 and Receipt.objects.filter(transaction=tx).count() == 1
    else:
        assert tx.status == "closed" and decisions.get().action == "payment.flagged_closed"
        assert invoice.paid_minor == 0 and not Receipt.objects.exists()
    assert confirmed_events() == (1 if tx.status == "confirmed" else 0)


# --- Workspace --------------------------------------------------------------------------------


QUEUE = "/s/greenfield/payments/flagged/"


def test_the_queue_shows_what_was_expected_and_received_and_why(client, school, bursar, verified_client, invoice):
    tx = flag(client, invoice, bursar)
    page = verified_client(bursar).get(QUEUE)
    body = page.content.decode()
    assert page.status_code == 200
    assert "₦60,000.00" in body and "₦100,000.00" in body  # received, and the pay link's amount
    assert invoice.number in body and school.students.get().full_name in body and tx.intent.reference in body
    assert "the gateway reported ₦60,000.00" in body
    assert f'action="/s/greenfield/payments/flagged/{tx.pk}/accept/"' in body
    assert f'action="/s/greenfield/payments/flagged/{tx.pk}/close/"' in body
    assert re.search(r'id="flagged-open-count">1<', body)
    # the school's nav leads there
    assert f'href="{QUEUE}"' in body


def test_accepting_from_the_queue_credits_and_lands_back_on_it(client, school, bursar, verified_client, invoice):
    tx = flag(client, invoice, bursar)
    response = verified_client(bursar).post(f"{QUEUE}{tx.pk}/accept/", {"note": ""})
    assert response.status_code == 302 and response.url == QUEUE
    assert PaymentTransaction.objects.get(pk=tx.pk).status == "confirmed"
    follow = verified_client(bursar).get(QUEUE).content.decode()
    assert "Accepted: ₦60,000.00 is credited to" in follow and "Nothing to resolve" in follow
    accepted = verified_client(bursar).get(f"{QUEUE}?state=accepted").content.decode()
    assert f'id="flagged-{tx.pk}"' in accepted and "Accepted and credited by" in accepted


def test_htmx_decisions_swap_the_card_and_the_count(client, school, bursar, alice, verified_client, invoice):
    first = flag(client, invoice, bursar, event_id="1")
    second = flag(client, invoice, bursar, event_id="2", amount=5_000)
    htmx = {"HTTP_HX_REQUEST": "true"}
    c = verified_client(bursar)
    response = c.post(f"{QUEUE}{first.pk}/close/", {"reason": "Refunded"}, **htmx)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith(f'<article id="flagged-{first.pk}"') and "Closed without crediting by" in body
    assert '<span id="flagged-open-count" hx-swap-oob="true">1</span>' in body
    # a second click on the decided card answers 409 with what happened, not a second outcome
    again = c.post(f"{QUEUE}{first.pk}/accept/", {}, **htmx)
    assert again.status_code == 409 and "already closed by" in again.content.decode()
    assert PaymentTransaction.objects.get(pk=first.pk).status == "closed"
    assert c.post(f"{QUEUE}{second.pk}/accept/", {}, **htmx).status_code == 200
    assert PaymentTransaction.objects.get(pk=second.pk).status == "confirmed"


def test_closing_without_a_reason_is_a_field_error(client, school, bursar, verified_client, invoice):
    tx = flag(client, invoice, bursar)
    c = verified_client(bursar)
    for headers in ({"HTTP_HX_REQUEST": "true"}, {}):
        response = c.post(f"{QUEUE}{tx.pk}/close/", {"reason": "  "}, **headers)
        body = response.content.decode()
        assert response.status_code == 400
        assert f'id="flagged-{tx.pk}-reason_error">Say why the payment is closed' in body
        assert re.search(rf'<input[^>]*aria-invalid="true"[^>]*id="flagged-{tx.pk}-reason"', body)
    assert PaymentTransaction.objects.get(pk=tx.pk).status == "flagged"


def test_a_void_invoice_offers_only_closing(client, school, bursar, verified_client):
    invoice = issued_invoice(school, bursar, "GFA/0001")
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    fees.invoice_void(invoice=invoice, actor=bursar, reason="billed twice")
    deliver(client, charge(intent))
    worker.drain()
    tx = PaymentTransaction.objects.get(intent=intent)
    body = verified_client(bursar).get(QUEUE).content.decode()
    assert "The invoice is void, so it takes no payment" in body and f"{tx.pk}/accept/" not in body
    # a forged accept is refused by the service, beside the card
    response = verified_client(bursar).post(f"{QUEUE}{tx.pk}/accept/", {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "refund the payer" in response.content.decode()
    assert PaymentTransaction.objects.get(pk=tx.pk).status == "flagged"


@pytest.mark.parametrize("role", ["teacher", "viewer", "registrar"])
def test_members_who_cannot_review_payments_get_403(client, school, bursar, verified_client, invoice, role):
    tx = flag(client, invoice, bursar)
    member = f.member(school, role)
    c = verified_client(member)
    assert c.get(QUEUE).status_code == 403
    assert c.get(f"{QUEUE}{tx.pk}/").status_code == 403
    assert c.post(f"{QUEUE}{tx.pk}/accept/").status_code == 403
    assert c.post(f"{QUEUE}{tx.pk}/close/", {"reason": "x"}).status_code == 403
    assert PaymentTransaction.objects.get(pk=tx.pk).status == "flagged"
    assert f'href="{QUEUE}"' not in c.get("/s/greenfield/").content.decode()


def test_another_schools_flagged_payment_is_404(client, school, other_school, bursar, alice, charlie, verified_client):
    theirs = flag(client, issued_invoice(other_school, f.member(other_school, "bursar"), "RVC/0001"), charlie)
    c = verified_client(alice)
    assert c.get(f"{QUEUE}{theirs.pk}/").status_code == 404
    assert c.post(f"{QUEUE}{theirs.pk}/accept/").status_code == 404
    assert c.post(f"{QUEUE}{theirs.pk}/close/", {"reason": "x"}).status_code == 404
    assert f'id="flagged-{theirs.pk}"' not in c.get(QUEUE).content.decode()
    assert PaymentTransaction.objects.get(pk=theirs.pk).status == "flagged"
    # and Greenfield's queue is not Riverside's to see
    assert verified_client(charlie).get(QUEUE).status_code == 404


def test_the_queue_costs_the_same_queries_however_many_payments_wait(client, school, bursar, verified_client, invoice):
    c = verified_client(bursar)
    flag(client, invoice, bursar, event_id="1")
    c.get(QUEUE)  # warm the session

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert c.get(QUEUE).status_code == 200
        return len(captured)

    one = count()
    for n in range(2, 7):
        flag(client, invoice, bursar, event_id=str(n), amount=n * 1_000)
    assert count() == one


def test_a_payment_that_was_never_flagged_has_no_card(school, bursar, verified_client, invoice):
    cash = services.transaction_record(invoice=invoice, kind="cash", amount_minor=100, currency="NGN", actor=bursar)
    c = verified_client(bursar)
    assert c.get(f"{QUEUE}{cash.pk}/").status_code == 404
    assert c.post(f"{QUEUE}{cash.pk}/accept/").status_code == 404


def test_the_invoice_page_links_a_flagged_payment_to_its_card(client, school, bursar, verified_client, invoice):
    tx = flag(client, invoice, bursar)
    body = verified_client(bursar).get(f"/s/greenfield/fees/invoices/{invoice.pk}/").content.decode()
    assert f'href="{QUEUE}{tx.pk}/">resolve it</a>' in body


# --- API --------------------------------------------------------------------------------------


API = "/api/v1/schools/greenfield/flagged-payments/"


def test_api_lists_accepts_and_closes(client, school, bursar, api, invoice):
    first = flag(client, invoice, bursar, event_id="1")
    second = flag(client, invoice, bursar, event_id="2", amount=5_000)
    api.force_authenticate(bursar)
    listed = api.get(API).json()
    assert [row["id"] for row in listed["results"]] == [first.pk, second.pk]
    row = listed["results"][0]
    assert (row["amount_minor"], row["expected_minor"], row["status"]) == (6_000_000, 10_000_000, "flagged")
    assert "the gateway reported" in row["flag_reason"] and row["invoice_number"] == invoice.number
    accepted = api.post(f"{API}{first.pk}/accept/", {"note": "ok"}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "confirmed"
    closing = api.post(f"{API}{second.pk}/close/", {"reason": ""}, format="json")
    assert closing.status_code == 400 and "reason" in closing.json()["error"]["fields"]
    closed = api.post(f"{API}{second.pk}/close/", {"reason": "Refunded"}, format="json")
    assert closed.status_code == 200 and closed.json()["resolution_note"] == "Refunded"
    again = api.post(f"{API}{second.pk}/accept/", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_resolved"
    assert api.get(API).json()["count"] == 0
    assert [r["id"] for r in api.get(f"{API}?state=closed").json()["results"]] == [second.pk]
    assert api.get(f"{API}?state=nope").status_code == 400


def test_api_needs_review_permission_to_decide_and_hides_other_schools(
    client, school, other_school, bursar, charlie, api, invoice
):
    tx = flag(client, invoice, bursar)
    api.force_authenticate(f.member(school, "viewer"))
    assert api.get(API).status_code == 200
    assert api.post(f"{API}{tx.pk}/accept/", {}, format="json").status_code == 403
    api.force_authenticate(charlie)
    theirs = "/api/v1/schools/riverside/flagged-payments/"
    assert api.post(f"{theirs}{tx.pk}/accept/", {}, format="json").status_code == 404
    assert api.post(f"{theirs}{tx.pk}/close/", {"reason": "x"}, format="json").status_code == 404
    assert api.get(theirs).json()["count"] == 0
    assert PaymentTransaction.objects.get(pk=tx.pk).status == "flagged"
