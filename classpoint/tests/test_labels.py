"""Codes people read as words: audit actions and message types are labelled in one place each, and
the pages that show them (audit log, invoice, student) use those labels, keeping the code at hand."""

import csv
import io
import re

import pytest

from classpoint.labels import action_label, code_label
from classpoint.messages import TemplateType, template_label
from classpoint.models import AuditLog
from payments.tests.test_payments import invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def visible_text(html):
    """What a person reads: the page without its tags (and so without attribute values)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def log(school, action, *, actor=None, target=None):
    return AuditLog.objects.create(
        school=school,
        actor=actor,
        actor_label=actor.get_username() if actor else "system",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target or ""),
    )


# The labels


def test_an_action_without_its_own_label_reads_as_words():
    assert action_label("invoice.payment_applied") == "Invoice payment applied"
    assert action_label("application.duplicate_dismissed") == "Application duplicate dismissed"


def test_an_action_whose_words_would_mislead_has_its_own_label():
    assert action_label("payment_intent.created") == "Pay link created"
    assert action_label("api_token.created") == "API token created"


def test_no_label_shows_the_code_it_stands_for():
    for code in ("invoice.payment_applied", "receipt.pdf_rendered", "selfreg.needs_info", "", "x", "a..b__c"):
        label = action_label(code)
        assert "_" not in label and "." not in label
        assert label == "" or label[0].isupper()


def test_every_message_type_has_its_choice_label_and_an_unknown_one_reads_as_words():
    assert template_label("PAYMENT_RECEIPT") == "Payment receipt"
    assert template_label("PAYMENT_PROOF_REJECTED") == TemplateType.PAYMENT_PROOF_REJECTED.label
    assert template_label("FEES_SUMMARY") == "Fees summary"
    assert code_label("collections.reminders_requested") == "Collections reminders requested"


# The pages


def test_audit_log_shows_actions_as_words_and_keeps_the_code_for_whoever_filters(school, alice, verified_client):
    # given an entry recorded under a code
    log(school, "invoice.payment_applied", actor=alice)
    # when the admin reads the log
    body = verified_client(alice).get("/s/greenfield/audit/").content.decode()
    # then the row says it in words, the code is still shown beside it, and the filter offers words too
    assert "Invoice payment applied" in visible_text(body)
    assert '<code class="code-hint">invoice.payment_applied</code>' in body
    assert '<option value="invoice.payment_applied">Invoice payment applied</option>' in body


def test_audit_csv_has_the_action_in_words_and_its_code(school, alice, verified_client):
    log(school, "invoice.payment_applied", actor=alice)
    response = verified_client(alice).get("/s/greenfield/audit/?action=invoice.payment_applied&format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header = rows[0]
    row = dict(zip(header, rows[1], strict=True))
    assert row["Action"] == "Invoice payment applied" and row["Action code"] == "invoice.payment_applied"


def test_invoice_page_names_messages_and_history_in_words(school, bursar, verified_client, invoice):
    # given an issued invoice (its INVOICE_ISSUED request and invoice.issued entry) and an applied payment
    log(school, "invoice.payment_applied", actor=bursar, target=invoice)
    # when the bursar opens it
    text = visible_text(verified_client(bursar).get(f"/s/greenfield/fees/invoices/{invoice.pk}/").content.decode())
    # then no code shows where a person reads
    assert "Invoice issued" in text and "Invoice payment applied" in text
    for code in ("INVOICE_ISSUED", "invoice.issued", "invoice.payment_applied", "invoice.created"):
        assert code not in text


def test_student_page_history_reads_as_words(school, alice, verified_client):
    student = school.students.get(admission_number="GFA/0001")
    log(school, "student.updated", actor=alice, target=student)
    text = visible_text(verified_client(alice).get(f"/s/greenfield/students/{student.pk}/").content.decode())
    assert "Student updated" in text and "student.updated" not in text and "student.viewed" not in text
