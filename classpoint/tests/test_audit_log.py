"""The school's audit log: the workspace page /s/<slug>/audit/ and GET /api/v1/schools/<slug>/audit-log/."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from classpoint.models import AuditLog
from payments.tests.test_payments import invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
URL = "/s/greenfield/audit/"
API = "/api/v1/schools/greenfield/audit-log/"


def entry(school, action, *, at=None, actor=None, target_type="", target_id="", label="", changes=None):
    return AuditLog.objects.create(
        school=school,
        actor=actor,
        actor_label=actor.get_username() if actor else "system",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        target_label=label,
        changes=changes or {},
        **({"created_at": at} if at else {}),
    )


def labels(response):
    return {row["target_label"] for row in response.json()["results"]}


@pytest.fixture
def mixed_log(school, other_school, alice, bursar):
    """Greenfield's own entries, a Riverside entry and a platform-level one (no school)."""
    return {
        "paid": entry(
            school,
            "payment.confirmed",
            actor=bursar,
            target_type="payments.paymenttransaction",
            target_id=1,
            label="GF payment",
            changes={"amount_minor": 1_250_000},
        ),
        "proof": entry(
            school, "payment_proof.submitted", target_type="payments.paymentproof", target_id=7, label="GF proof"
        ),
        "issued": entry(
            school, "invoice.issued", actor=alice, target_type="fees.invoice", target_id=42, label="GF invoice"
        ),
        "viewed": entry(
            school, "student.viewed", actor=alice, target_type="schools.student", target_id=3, label="GF student look"
        ),
        "riverside": entry(other_school, "invoice.issued", label="Riverside secret"),
        "platform": entry(None, "school.provisioned", label="Platform secret"),
    }


# The workspace page


def test_school_admin_sees_own_school_entries_only(school, alice, verified_client, mixed_log):
    response = verified_client(alice).get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "GF payment" in body and "GF invoice" in body and "GF proof" in body
    assert "Riverside secret" not in body and "Platform secret" not in body


def test_entries_are_newest_first(school, alice, verified_client):
    now = datetime.datetime(2026, 11, 20, 12, tzinfo=UTC)
    entry(school, "invoice.created", at=now - datetime.timedelta(hours=2), label="older one")
    entry(school, "invoice.issued", at=now, label="newer one")
    body = verified_client(alice).get(URL).content.decode()
    assert body.index("newer one") < body.index("older one")


def test_page_shows_fifty_entries_and_a_next_page(school, alice, verified_client):
    AuditLog.objects.bulk_create(
        AuditLog(school=school, action="invoice.created", target_label=f"inv-{n:03d}") for n in range(55)
    )
    client = verified_client(alice)
    first = client.get(URL).content.decode()
    assert (
        first.count('<code class="code-hint">invoice.created</code>') == 50
        and "Page 1 of 2" in first
        and 'rel="next"' in first
    )
    assert client.get(URL + "?page=2").content.decode().count('<code class="code-hint">invoice.created</code>') == 5


def test_bursar_without_audit_view_gets_403(school, bursar, verified_client, mixed_log):
    response = verified_client(bursar).get(URL)
    assert response.status_code == 403
    assert "GF payment" not in response.content.decode()


def test_other_school_admin_gets_404(school, other_school, charlie, verified_client, mixed_log):
    assert verified_client(charlie).get(URL).status_code == 404
    assert verified_client(charlie).get(URL + "?format=csv").status_code == 404


def test_nav_links_the_audit_log_only_for_roles_with_audit_view(school, alice, bursar, verified_client):
    link = f'href="{reverse("audit-log", args=["greenfield"])}"'
    assert link in verified_client(alice).get("/s/greenfield/").content.decode()
    assert link not in verified_client(bursar).get("/s/greenfield/").content.decode()


def test_action_prefix_filter(school, alice, verified_client, mixed_log):
    body = verified_client(alice).get(URL + "?action_prefix=payment").content.decode()
    assert "GF payment" in body and "GF proof" in body and "GF invoice" not in body


def test_exact_action_filter_offers_the_actions_present(school, alice, verified_client, mixed_log):
    client = verified_client(alice)
    page = client.get(URL).content.decode()
    assert '<option value="payment.confirmed">' in page and '<option value="invoice.issued">' in page
    body = client.get(URL + "?action=payment.confirmed").content.decode()
    assert "GF payment" in body and "GF proof" not in body and "GF invoice" not in body


def test_actor_filter_by_person_and_system(school, alice, bursar, verified_client, mixed_log):
    client = verified_client(alice)
    by_bursar = client.get(URL + f"?actor={bursar.pk}").content.decode()
    assert "GF payment" in by_bursar and "GF invoice" not in by_bursar and "GF proof" not in by_bursar
    by_system = client.get(URL + "?actor=system").content.decode()
    assert "GF proof" in by_system and "GF payment" not in by_system and "GF invoice" not in by_system


def test_target_type_and_label_filters(school, alice, verified_client, mixed_log):
    client = verified_client(alice)
    by_type = client.get(URL + "?target_type=fees.invoice").content.decode()
    assert "GF invoice" in by_type and "GF payment" not in by_type
    by_label = client.get(URL + "?q=proof").content.decode()
    assert "GF proof" in by_label and "GF invoice" not in by_label


def test_dates_are_whole_days_in_the_school_time_zone(school, alice, verified_client):
    # 23:30 UTC on the 10th is 00:30 on the 11th in Lagos (UTC+1).
    entry(school, "invoice.issued", at=datetime.datetime(2026, 11, 10, 23, 30, tzinfo=UTC), label="just after midnight")
    entry(school, "invoice.issued", at=datetime.datetime(2026, 11, 10, 22, 30, tzinfo=UTC), label="late evening")
    client = verified_client(alice)
    on_11th = client.get(URL + "?date_from=2026-11-11&date_to=2026-11-11").content.decode()
    assert "just after midnight" in on_11th and "late evening" not in on_11th
    on_10th = client.get(URL + "?date_from=2026-11-10&date_to=2026-11-10").content.decode()
    assert "late evening" in on_10th and "just after midnight" not in on_10th
    assert "11 Nov 2026, 00:30" in on_11th  # shown in school time too


def test_a_bad_date_is_a_field_error_and_the_other_filters_still_apply(school, alice, verified_client, mixed_log):
    response = verified_client(alice).get(URL + "?date_from=2026-13-45&action_prefix=invoice")
    body = response.content.decode()
    assert response.status_code == 200 and "Enter a valid date" in body
    assert "GF invoice" in body and "GF payment" not in body


def test_to_before_from_is_refused(school, alice, verified_client, mixed_log):
    body = verified_client(alice).get(URL + "?date_from=2026-11-12&date_to=2026-11-01").content.decode()
    assert "“To” is before “From”." in body


def test_record_views_are_hidden_by_default_and_shown_when_unticked(school, alice, verified_client, mixed_log):
    client = verified_client(alice)
    default = client.get(URL).content.decode()
    assert "GF student look" not in default and "GF invoice" in default
    assert 'name="hide_views" value="true" checked>' in default
    # The form sends hide_views=false, then hide_views=true from the box when it is ticked: the last one counts.
    assert "GF student look" in client.get(URL + "?hide_views=false").content.decode()
    assert "GF student look" not in client.get(URL + "?hide_views=false&hide_views=true").content.decode()


def test_record_views_written_by_the_student_page_appear(school, alice, verified_client):
    client = verified_client(alice)
    student = school.students.get(admission_number="GFA/0001")
    client.get(f"/s/greenfield/students/{student.pk}/")
    body = client.get(URL + "?hide_views=false&action=student.viewed").content.decode()
    assert '<code class="code-hint">student.viewed</code>' in body
    assert f'href="/s/greenfield/students/{student.pk}/"' in body


def test_rows_link_their_record_and_show_money_in_the_school_currency(school, alice, verified_client):
    entry(
        school,
        "invoice.payment_applied",
        target_type="fees.invoice",
        target_id=42,
        label="INV-0042",
        changes={"applied_minor": 1_250_050, "transaction_id": 9},
    )
    entry(
        school,
        "fee_item.updated",
        target_type="fees.feeitem",
        target_id=5,
        label="Tuition",
        changes={"default_amount_minor": [100_000, 150_000], "name": ["Fees", "Tuition"]},
    )
    entry(school, "payment.confirmed", target_type="payments.paymenttransaction", target_id=9, label="TX 9")
    body = verified_client(alice).get(URL).content.decode()
    assert f'<a href="{reverse("invoice-detail", args=["greenfield", 42])}">INV-0042</a>' in body
    assert f'<a href="{reverse("fee-setup-item", args=["greenfield", 5])}">Tuition</a>' in body
    assert "<strong>applied_minor</strong>: NGN 12,500.50" in body and "<strong>transaction_id</strong>: 9" in body
    assert "NGN 1,000.00 → NGN 1,500.00" in body and "Fees → Tuition" in body
    assert ">TX 9<" in body  # no page for a transaction: a label, not a link


def test_links_need_the_permission_of_the_page_they_open(school, verified_client):
    from schools.tests import factories as f

    auditor = f.member(school, "viewer", email="auditor@greenfield.test")
    role = school.memberships.get(user=auditor).role
    role.permissions = ["audit.view"]
    role.save()
    entry(school, "invoice.issued", target_type="fees.invoice", target_id=42, label="INV-0042")
    body = verified_client(auditor).get(URL).content.decode()
    assert "INV-0042" in body and reverse("invoice-detail", args=["greenfield", 42]) not in body


def test_a_real_payment_shows_in_the_log(school, bursar, alice, verified_client, invoice):
    from payments import services as payments

    payments.transaction_record(invoice=invoice, kind="cash", amount_minor=4_000_000, currency="NGN", actor=bursar)
    body = verified_client(alice).get(URL + "?action_prefix=payment").content.decode()
    assert (
        '<code class="code-hint">payment.confirmed</code>' in body
        and "NGN 40,000.00" in body
        and bursar.get_username() in body
    )


def test_htmx_request_gets_the_table_fragment(school, alice, verified_client, mixed_log):
    response = verified_client(alice).get(URL + "?action_prefix=invoice", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and "<form" not in body
    assert "GF invoice" in body and "GF payment" not in body
    assert "HX-Request" in response["Vary"]
    full = verified_client(alice).get(URL)
    assert "<html" in full.content.decode() and "HX-Request" in full["Vary"]


def test_query_count_does_not_grow_with_the_page(school, alice, verified_client):
    client = verified_client(alice)
    entry(school, "invoice.issued", target_type="fees.invoice", target_id=1, changes={"total_minor": 5})
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(30):
        entry(school, "invoice.issued", target_type="fees.invoice", target_id=n, changes={"total_minor": n})
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many) == len(few)


# CSV export


def _csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_neutralises_formulas_and_follows_the_filter(school, alice, verified_client, mixed_log):
    entry(
        school,
        "invoice.voided",
        actor=alice,
        target_type="fees.invoice",
        target_id=8,
        label='=HYPERLINK("http://evil.example","click")',
        changes={"reason": "+2 dup"},
    )
    response = verified_client(alice).get(URL + "?action_prefix=invoice&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-greenfield-')
    rows = _csv(response)
    assert rows[0][0] == "When (Africa/Lagos)" and rows[0][1:5] == ["Who", "Action", "Action code", "Record type"]
    records = {row[rows[0].index("Record")] for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil.example","click")' in records
    assert "GF invoice" in records
    assert "GF payment" not in records and "Riverside secret" not in records and "Platform secret" not in records
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_csv_export_is_recorded_in_the_log(school, alice, verified_client, mixed_log):
    b"".join(verified_client(alice).get(URL + "?action_prefix=invoice&format=csv").streaming_content)
    exported = AuditLog.objects.for_school(school).get(action="audit_log.exported")
    assert exported.actor == alice and exported.changes["action_prefix"] == "invoice"


def test_csv_export_stops_at_the_cap_and_says_so(school, alice, verified_client, monkeypatch):
    from classpoint import audit_views

    monkeypatch.setattr(audit_views, "CSV_MAX_ROWS", 3)
    for n in range(5):
        entry(school, "invoice.created", label=f"inv {n}")
    rows = _csv(verified_client(alice).get(URL + "?action=invoice.created&format=csv"))
    assert len(rows) == 1 + 3 + 1
    assert rows[-1][0].startswith("More entries match: the export stops at 3 rows")


def test_bursar_cannot_export(school, bursar, verified_client, mixed_log):
    assert verified_client(bursar).get(URL + "?format=csv").status_code == 403


# API


def test_api_lists_own_school_newest_first(school, alice, api, mixed_log):
    api.force_authenticate(alice)
    response = api.get(API)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == AuditLog.objects.filter(school=school).count()  # provisioning's entries too
    assert labels(response) >= {"GF payment", "GF proof", "GF invoice", "GF student look"}
    assert not labels(response) & {"Riverside secret", "Platform secret"}
    ids = [row["id"] for row in body["results"]]
    assert ids == sorted(ids, reverse=True)  # same created_at to the microsecond is ordered by id
    paid = next(row for row in body["results"] if row["target_label"] == "GF payment")
    assert paid["action"] == "payment.confirmed" and paid["changes"] == {"amount_minor": 1_250_000}
    assert paid["actor"] == mixed_log["paid"].actor_id and paid["created_at"].endswith("Z")


def test_api_filters(school, alice, bursar, api, mixed_log):
    api.force_authenticate(alice)
    assert labels(api.get(API, {"action": "payment.confirmed"})) == {"GF payment"}
    assert labels(api.get(API, {"action_prefix": "payment"})) == {"GF payment", "GF proof"}
    assert labels(api.get(API, {"actor": bursar.pk})) == {"GF payment"}
    assert labels(api.get(API, {"target_type": "fees.invoice", "target_id": "42"})) == {"GF invoice"}
    assert labels(api.get(API, {"target_type": "fees.invoice", "target_id": "43"})) == set()
    assert "GF student look" not in labels(api.get(API, {"hide_views": "true"}))


def test_api_since_and_until_read_bare_times_in_school_time(school, alice, api):
    entry(school, "invoice.issued", at=datetime.datetime(2026, 11, 10, 23, 30, tzinfo=UTC), label="00:30 Lagos")
    entry(school, "invoice.issued", at=datetime.datetime(2026, 11, 10, 22, 30, tzinfo=UTC), label="23:30 Lagos")
    api.force_authenticate(alice)
    day = {"action": "invoice.issued"}
    assert labels(api.get(API, {**day, "since": "2026-11-11T00:00:00", "until": "2026-11-12T00:00:00"})) == {
        "00:30 Lagos"
    }
    assert labels(api.get(API, {**day, "until": "2026-11-11T00:00:00"})) == {"23:30 Lagos"}
    assert labels(api.get(API, {**day, "since": "2026-11-10T23:00:00Z", "until": "2026-11-12"})) == {"00:30 Lagos"}


def test_api_bad_filter_is_a_field_error(school, alice, api):
    api.force_authenticate(alice)
    response = api.get(API, {"since": "yesterday", "actor": "bob"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"since", "actor"}


def test_api_bursar_gets_403_and_other_school_admin_404(school, other_school, bursar, charlie, api, mixed_log):
    api.force_authenticate(bursar)
    assert api.get(API).status_code == 403
    api.force_authenticate(charlie)
    response = api.get(API)
    assert response.status_code == 404 and "GF" not in response.content.decode()
    riverside = api.get("/api/v1/schools/riverside/audit-log/").json()
    assert {row["target_label"] for row in riverside["results"]} >= {"Riverside secret"}
    assert not {"GF payment", "Platform secret"} & {row["target_label"] for row in riverside["results"]}


def test_api_is_read_only(school, alice, api):
    api.force_authenticate(alice)
    assert api.post(API, {}, format="json").status_code == 405


def test_api_schema_describes_filters_and_pages(alice, api):
    api.force_authenticate(alice)
    operation = api.get("/api/schema/?format=json").json()["paths"]["/api/v1/schools/{school_slug}/audit-log/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"action", "action_prefix", "actor", "target_type", "target_id", "since", "until", "page"} <= names
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("PaginatedAuditEntryOutputList")
    assert {"403", "404"} <= set(operation["responses"])
