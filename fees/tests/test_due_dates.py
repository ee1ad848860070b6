"""An invoice is never born overdue: it is due on its fee schedule's date, or `invoice_due_days`
after it is issued when that date has already passed, whichever way it was made."""

import datetime

import pytest

from classpoint.outbox import worker
from fees import batches, services
from fees.collections import defaulters, overdue_scan
from fees.errors import FeesError
from fees.models import Invoice
from registrar.models import Application
from registrar.services import application_approve
from registrar.tests import factories as rf
from schools.models import SchoolProfile

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _schedule(school, due):
    term, group = school.current_term(), school.class_groups.order_by("id").first()
    item = services.fee_item_create(school=school, actor=None, code="tuition", name="Tuition")
    services.fee_schedule_create(
        school=school,
        actor=None,
        term=term,
        class_group=group,
        name="Fees",
        lines=[{"fee_item": item, "amount_minor": 5_000_000, "due_date": due}],
    )
    return term


def _days_to_pay(school, days):
    SchoolProfile.objects.filter(school=school).update(invoice_due_days=days)
    school.refresh_from_db()
    if hasattr(school, "profile"):
        school.profile.refresh_from_db()


def _issue_one(school, bursar, term):
    student = school.students.order_by("id").first()
    return services.invoice_issue(
        invoice=services.invoice_create(school=school, actor=bursar, student=student, term=term), actor=bursar
    )


def test_invoice_issued_after_the_schedule_date_is_due_the_schools_days_after_issue(school, bursar):
    # given a schedule due in the term's first week, long past, and a school giving 10 days to pay
    today = school.local_today()
    term = _schedule(school, due=today - 87 * DAY)
    _days_to_pay(school, 10)
    # when
    invoice = _issue_one(school, bursar, term)
    # then
    assert (invoice.issue_date, invoice.due_date) == (today, today + 10 * DAY)
    assert Invoice.objects.get(pk=invoice.pk).due_date == today + 10 * DAY


def test_invoice_issued_before_the_schedule_date_is_due_on_the_schedule_date(school, bursar):
    today = school.local_today()
    term = _schedule(school, due=today + 20 * DAY)
    invoice = _issue_one(school, bursar, term)
    assert (invoice.issue_date, invoice.due_date) == (today, today + 20 * DAY)


def test_days_to_pay_default_to_fourteen(school, bursar):
    today = school.local_today()
    term = _schedule(school, due=today - DAY)
    assert _issue_one(school, bursar, term).due_date == today + 14 * DAY


def test_draft_issued_after_its_due_date_passed_gets_a_fresh_due_date(school, bursar):
    # given a draft made while the schedule's date was ahead
    today = school.local_today()
    term = _schedule(school, due=today + 5 * DAY)
    student = school.students.order_by("id").first()
    draft = services.invoice_create(school=school, actor=bursar, student=student, term=term)
    assert draft.due_date == today + 5 * DAY
    # when it is issued a month later
    issued = services.invoice_issue(invoice=draft, actor=bursar, issued_on=today + 30 * DAY)
    # then it is due 14 days after that day, not on the date that passed while it was a draft
    assert (issued.issue_date, issued.due_date) == (today + 30 * DAY, today + 44 * DAY)


def test_bulk_batch_follows_the_due_date_rule(school, bursar):
    today = school.local_today()
    term = _schedule(school, due=today - 30 * DAY)
    _days_to_pay(school, 21)
    batches.invoice_batch_create(school=school, actor=bursar, term=term)
    worker.drain()
    invoice = Invoice.objects.for_school(school).get()
    assert (invoice.status, invoice.issue_date, invoice.due_date) == ("issued", today, today + 21 * DAY)


def test_registrar_approval_issues_an_invoice_that_is_not_yet_due(school, registrar):
    # given the term's fee date has passed (the schedule's due date defaults to the term's start)
    today = school.local_today()
    group = school.class_groups.order_by("id").first()
    rf.fee_schedule(school, group)
    assert school.current_term().start_date < today
    application = rf.in_status(school, Application.Status.IN_REVIEW, registrar)
    # when
    approved = application_approve(application=application, actor=registrar, send_invoice=True)
    # then
    invoice = Invoice.objects.get(pk=approved.invoice_id)
    assert (invoice.issue_date, invoice.due_date) == (today, today + 14 * DAY)
    assert invoice not in defaulters(school=school, today=today)


def test_api_issue_follows_the_rule_and_refuses_a_due_date_in_the_past(school, alice, api):
    today = school.local_today()
    term = _schedule(school, due=today - 60 * DAY)
    student = school.students.order_by("id").first()
    api.force_authenticate(alice)
    url = "/api/v1/schools/greenfield/invoices/"
    past = api.post(
        url,
        {"student_id": student.pk, "term_id": term.pk, "due_date": (today - DAY).isoformat(), "issue": True},
        format="json",
    )
    assert past.status_code == 400 and "due_date" in past.json()["error"]["fields"]
    assert not Invoice.objects.for_school(school).exists()
    created = api.post(url, {"student_id": student.pk, "term_id": term.pk, "issue": True}, format="json")
    assert created.status_code == 201
    assert created.json()["due_date"] == (today + 14 * DAY).isoformat()


def test_overdue_scan_does_not_flag_a_just_issued_invoice(school, bursar):
    # given an invoice issued today for a term whose fee date is long past
    today = school.local_today()
    term = _schedule(school, due=today - 87 * DAY)
    invoice = _issue_one(school, bursar, term)
    # when the daily scan runs today
    overdue_scan(school=school, today=today)
    # then the invoice is neither overdue nor a defaulter
    invoice.refresh_from_db()
    assert invoice.is_overdue is False and invoice.overdue_reminded_on is None
    assert not defaulters(school=school, today=today).exists()


def test_no_invoice_is_issued_after_its_due_date(school, bursar):
    today = school.local_today()
    term = _schedule(school, due=today - 87 * DAY)
    _issue_one(school, bursar, term)
    batches.invoice_batch_create(school=school, actor=bursar, term=term)
    worker.drain()
    for issue_date, due_date in Invoice.objects.for_school(school).values_list("issue_date", "due_date"):
        assert due_date >= issue_date


def test_days_to_pay_are_set_on_the_fee_setup_page(school, bursar, verified_client):
    client = verified_client(bursar)
    page = client.get("/s/greenfield/fees/setup/due-dates/")
    assert page.status_code == 200 and 'name="invoice_due_days"' in page.content.decode()
    bad = client.post("/s/greenfield/fees/setup/due-dates/", {"invoice_due_days": "-3"})
    assert bad.status_code == 400 and SchoolProfile.objects.get(school=school).invoice_due_days == 14
    saved = client.post("/s/greenfield/fees/setup/due-dates/", {"invoice_due_days": "30"})
    assert saved.status_code == 302 and SchoolProfile.objects.get(school=school).invoice_due_days == 30


def test_days_to_pay_are_read_only_without_fees_manage(school, teacher, verified_client):
    client = verified_client(teacher)
    response = client.post("/s/greenfield/fees/setup/due-dates/", {"invoice_due_days": "30"})
    assert response.status_code in (403, 404)
    assert SchoolProfile.objects.get(school=school).invoice_due_days == 14


def test_days_to_pay_are_in_the_platform_admin(school, verified_client, django_user_model):
    operator = django_user_model.objects.create_superuser("ops@classpoint.ng", "ops@classpoint.ng", "pw-0123456789")
    page = verified_client(operator).get(f"/admin/schools/school/{school.pk}/change/")
    assert page.status_code == 200 and "invoice_due_days" in page.content.decode()


def test_an_explicit_due_date_in_the_past_is_refused(school, bursar):
    today = school.local_today()
    term = _schedule(school, due=today + 5 * DAY)
    student = school.students.order_by("id").first()
    with pytest.raises(FeesError) as refused:
        services.invoice_create(school=school, actor=bursar, student=student, term=term, due_date=today - DAY)
    assert "due_date" in refused.value.fields


def test_draft_made_after_the_schedule_date_and_backdated_at_issue_follows_the_schedule(school, bursar):
    # given a draft made today for a schedule due long ago (provisionally due in 14 days)
    today = school.local_today()
    term = _schedule(school, due=today - 87 * DAY)
    student = school.students.order_by("id").first()
    draft = services.invoice_create(school=school, actor=bursar, student=student, term=term)
    assert draft.due_date == today + 14 * DAY
    # when it is recorded as issued three weeks ago
    issued = services.invoice_issue(invoice=draft, actor=bursar, issued_on=today - 21 * DAY)
    # then it fell due 14 days after that day, and is overdue now
    assert (issued.issue_date, issued.due_date) == (today - 21 * DAY, today - 7 * DAY)


def test_a_chosen_due_date_still_ahead_stands_at_issue(school, alice, api):
    today = school.local_today()
    term = _schedule(school, due=today - 87 * DAY)
    student = school.students.order_by("id").first()
    api.force_authenticate(alice)
    chosen = (today + 40 * DAY).isoformat()
    draft = api.post(
        "/api/v1/schools/greenfield/invoices/",
        {"student_id": student.pk, "term_id": term.pk, "due_date": chosen},
        format="json",
    ).json()
    issued = api.post(f"/api/v1/schools/greenfield/invoices/{draft['id']}/issue/")
    assert issued.status_code == 200 and issued.json()["due_date"] == chosen
