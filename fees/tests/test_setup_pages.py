import datetime
from decimal import Decimal

import pytest

from classpoint.models import AuditLog
from fees import services, setup
from fees.errors import FeesError
from fees.models import FeeItem, FeeSchedule, Invoice, SiblingDiscount
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
BASE = "/s/greenfield/fees/setup"


@pytest.fixture
def items(school, bursar):
    tuition = services.fee_item_create(
        school=school, actor=bursar, code="tuition", name="Tuition", default_amount_minor=4_500_000
    )
    books = services.fee_item_create(
        school=school, actor=bursar, code="books", name="Books", category=FeeItem.Category.BOOKS
    )
    return tuition, books


def _schedule_post(school, items, **overrides):
    tuition, books = items
    data = {
        "term": school.current_term().pk,
        "name": "JSS 1 first term",
        "level": "",
        "class_group": school.class_groups.order_by("id").first().pk,
        "lines-0-fee_item": tuition.pk,
        "lines-0-amount": "45,000.00",
        "lines-0-due_date": "2026-09-30",
        "lines-1-fee_item": books.pk,
        "lines-1-amount": "5000",
        "lines-1-optional": "1",
        "lines-1-due_date": "",
        "lines-2-fee_item": "",
        "lines-2-amount": "",
        "lines-2-due_date": "",
    }
    data.update(overrides)
    return data


# --- Fee items ------------------------------------------------------------------------------


def test_bursar_adds_a_fee_item_with_an_amount_typed_in_naira(school, bursar, verified_client):
    client = verified_client(bursar)
    assert client.get(f"{BASE}/items/new/").status_code == 200
    response = client.post(
        f"{BASE}/items/new/",
        {"code": "uniform", "name": "Uniform", "category": "uniform", "default_amount": "12,500.50"},
    )
    assert response.status_code == 302
    item = FeeItem.objects.for_school(school).get(code="uniform")
    assert item.default_amount_minor == 1_250_050 and item.category == "uniform"
    listing = client.get(response["Location"]).content.decode()
    assert "Uniform" in listing and "₦12,500.50" in listing and "Active" in listing


@pytest.mark.parametrize("typed", ["12.345", "abc", "-50", "1,00,000", "1e5"])
def test_a_bad_amount_is_a_field_error_and_nothing_is_saved(school, bursar, verified_client, typed):
    client = verified_client(bursar)
    response = client.post(
        f"{BASE}/items/new/", {"code": "uniform", "name": "Uniform", "category": "uniform", "default_amount": typed}
    )
    assert response.status_code == 400
    assert "Enter an amount like 45,000.00" in response.context["form"].errors["default_amount"][0]
    assert 'id="id_default_amount_error"' in response.content.decode()
    assert not FeeItem.objects.for_school(school).exists()


def test_a_duplicate_code_is_a_field_error(school, bursar, verified_client, items):
    response = verified_client(bursar).post(
        f"{BASE}/items/new/", {"code": "tuition", "name": "Again", "category": "tuition"}
    )
    assert response.status_code == 400 and "code" in response.context["form"].errors
    assert FeeItem.objects.for_school(school).count() == 2


def test_bursar_edits_a_fee_item_and_the_edit_is_audited(school, bursar, verified_client, items):
    tuition, _ = items
    client = verified_client(bursar)
    data = {"code": "tuition-jss", "name": "Tuition (JSS)", "category": "tuition", "default_amount": "50000"}
    response = client.post(f"{BASE}/items/{tuition.pk}/", data)
    assert response.status_code == 302
    tuition.refresh_from_db()
    assert (tuition.code, tuition.name, tuition.default_amount_minor) == ("tuition-jss", "Tuition (JSS)", 5_000_000)
    entry = AuditLog.objects.get(action="fee_item.updated")
    assert entry.changes["default_amount_minor"] == [4_500_000, 5_000_000] and entry.actor == bursar


def test_the_code_is_fixed_once_the_fee_is_on_a_schedule(school, bursar, verified_client, items):
    tuition, _ = items
    services.fee_schedule_create(
        school=school,
        actor=bursar,
        term=school.current_term(),
        name="S",
        class_group=school.class_groups.get(),
        lines=[{"fee_item": tuition, "amount_minor": 100}],
    )
    client = verified_client(bursar)
    page = client.get(f"{BASE}/items/{tuition.pk}/").content.decode()
    assert "its code stays" in page and 'name="code"' in page and "disabled" in page
    client.post(
        f"{BASE}/items/{tuition.pk}/",
        {"code": "renamed", "name": "Tuition fee", "category": "tuition", "default_amount": "45,000"},
    )
    tuition.refresh_from_db()
    assert (tuition.code, tuition.name) == ("tuition", "Tuition fee")
    with pytest.raises(FeesError) as exc:
        setup.fee_item_update(
            school=school,
            actor=bursar,
            item=tuition,
            code="renamed",
            name="Tuition",
            category="tuition",
            default_amount_minor=0,
        )
    assert "code" in exc.value.fields


def test_retired_fee_is_not_offered_for_new_lines_until_reactivated(school, bursar, verified_client, items):
    _, books = items
    client = verified_client(bursar)
    assert client.post(f"{BASE}/items/{books.pk}/active/", {"is_active": "0"}).status_code == 302
    books.refresh_from_db()
    assert not books.is_active and AuditLog.objects.filter(action="fee_item.deactivated").count() == 1
    assert f'value="{books.pk}"' not in client.get(f"{BASE}/schedules/new/").content.decode()
    response = client.post(f"{BASE}/schedules/new/", _schedule_post(school, items))
    assert response.status_code == 400 and "lines.1.fee_item" in response.context["errors"]
    client.post(f"{BASE}/items/{books.pk}/active/", {"is_active": "1"})
    assert f'value="{books.pk}"' in client.get(f"{BASE}/schedules/new/").content.decode()


# --- Fee schedules --------------------------------------------------------------------------


def test_bursar_creates_a_schedule_with_lines_typed_in_major_units(school, bursar, verified_client, items):
    client = verified_client(bursar)
    page = client.get(f"{BASE}/schedules/new/").content.decode()
    assert page.count('name="lines-') >= 4 * 4  # blank rows: works without JavaScript
    response = client.post(f"{BASE}/schedules/new/", _schedule_post(school, items))
    assert response.status_code == 302
    schedule = FeeSchedule.objects.for_school(school).get()
    lines = [(line.fee_item.code, line.amount_minor, line.optional, line.due_date) for line in schedule.lines.all()]
    assert lines == [("tuition", 4_500_000, False, datetime.date(2026, 9, 30)), ("books", 500_000, True, None)]
    listing = client.get(response["Location"]).content.decode()
    assert "JSS 1 first term" in listing and "₦45,000.00" in listing and "+ ₦5,000.00 optional" in listing
    assert str(school.current_term()) in listing


def test_an_empty_amount_takes_the_fees_default(school, bursar, verified_client, items):
    response = verified_client(bursar).post(
        f"{BASE}/schedules/new/", _schedule_post(school, items, **{"lines-0-amount": ""})
    )
    assert response.status_code == 302
    assert FeeSchedule.objects.for_school(school).get().lines.first().amount_minor == 4_500_000


def test_a_bad_line_amount_is_an_error_on_that_line_and_nothing_is_saved(school, bursar, verified_client, items):
    tuition, _ = items
    client = verified_client(bursar)
    data = _schedule_post(
        school, items, **{"lines-2-fee_item": tuition.pk, "lines-2-amount": "4,50.00", "lines-1-due_date": "31/02/2026"}
    )
    response = client.post(f"{BASE}/schedules/new/", data)
    assert response.status_code == 400
    errors = response.context["errors"]
    assert set(errors) == {"lines.2.amount", "lines.2.fee_item", "lines.1.due_date"}
    assert errors["lines.2.fee_item"] == ["This fee is already listed."]
    body = response.content.decode()
    assert 'id="lines-2-amount_error"' in body and 'aria-invalid="true"' in body
    assert 'value="45,000.00"' in body  # what was typed stays
    assert "Nothing was saved" in body
    assert not FeeSchedule.objects.for_school(school).exists()


def test_a_second_schedule_for_the_same_class_is_a_field_error(school, bursar, verified_client, items):
    client = verified_client(bursar)
    client.post(f"{BASE}/schedules/new/", _schedule_post(school, items))
    response = client.post(f"{BASE}/schedules/new/", _schedule_post(school, items, name="Again"))
    assert response.status_code == 400 and "class_group" in response.context["form"].errors
    assert FeeSchedule.objects.for_school(school).count() == 1


def test_a_schedule_needs_a_class_or_a_level_not_both(school, bursar, verified_client, items):
    response = verified_client(bursar).post(f"{BASE}/schedules/new/", _schedule_post(school, items, level="JSS 1"))
    assert response.status_code == 400 and "class_group" in response.context["form"].errors
    assert not FeeSchedule.objects.for_school(school).exists()


def test_a_level_schedule_lists_for_every_class_of_the_level(school, bursar, verified_client, items):
    client = verified_client(bursar)
    response = client.post(f"{BASE}/schedules/new/", _schedule_post(school, items, class_group="", level="JSS 1"))
    assert response.status_code == 302
    assert "Every class of JSS 1" in client.get(f"{BASE}/schedules/").content.decode()


def test_editing_a_schedule_replaces_its_lines_and_leaves_issued_invoices_alone(school, bursar, verified_client, items):
    client = verified_client(bursar)
    client.post(f"{BASE}/schedules/new/", _schedule_post(school, items))
    schedule = FeeSchedule.objects.for_school(school).get()
    pupil = school.students.get(admission_number="GFA/0001")
    invoice = services.invoice_issue(
        invoice=services.invoice_create(school=school, actor=bursar, student=pupil, term=school.current_term()),
        actor=bursar,
    )
    page = client.get(f"{BASE}/schedules/{schedule.pk}/").content.decode()
    assert 'value="45,000.00"' in page and "invoices already issued keep what they say" in page
    tuition, _ = items
    response = client.post(
        f"{BASE}/schedules/{schedule.pk}/",
        {
            "name": "JSS 1 (revised)",
            "class_group": school.class_groups.get().pk,
            "level": "",
            "lines-0-fee_item": tuition.pk,
            "lines-0-amount": "60,000",
            "lines-0-due_date": "",
            "lines-1-fee_item": "",
            "lines-1-amount": "",
            "lines-1-due_date": "",
        },
    )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.name == "JSS 1 (revised)"
    assert [(line.fee_item_id, line.amount_minor) for line in schedule.lines.all()] == [(tuition.pk, 6_000_000)]
    invoice.refresh_from_db()
    assert invoice.total_minor == 4_500_000 and invoice.lines.count() == 1
    assert AuditLog.objects.get(action="fee_schedule.updated").changes["lines_after"] == [["tuition", 6_000_000]]


def test_a_bad_edit_changes_nothing(school, bursar, verified_client, items):
    client = verified_client(bursar)
    client.post(f"{BASE}/schedules/new/", _schedule_post(school, items))
    schedule = FeeSchedule.objects.for_school(school).get()
    data = _schedule_post(school, items, name="Changed", **{"lines-1-amount": "five"})
    response = client.post(f"{BASE}/schedules/{schedule.pk}/", data)
    assert response.status_code == 400 and "lines.1.amount" in response.context["errors"]
    schedule.refresh_from_db()
    assert schedule.name == "JSS 1 first term" and schedule.lines.count() == 2


def test_add_line_fragment_is_the_next_row_for_htmx(school, bursar, verified_client, items):
    client = verified_client(bursar)
    response = client.get(
        f"{BASE}/schedules/line/",
        {"lines-0-fee_item": "", "lines-4-fee_item": "", "add_line": 1},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith("<tr")
    assert 'name="lines-5-amount"' in body and 'for="lines-5-amount"' in body and "<html" not in body
    assert "Tuition (₦45,000.00)" in body


def test_add_line_without_javascript_shows_one_more_row_and_saves_nothing(school, bursar, verified_client, items):
    data = _schedule_post(school, items, add_line="1")
    response = verified_client(bursar).post(f"{BASE}/schedules/new/", data)
    body = response.content.decode()
    assert response.status_code == 200 and 'name="lines-3-amount"' in body and 'value="45,000.00"' in body
    assert "Nothing was saved" not in body
    assert not FeeSchedule.objects.for_school(school).exists()


def test_a_schedule_is_deleted_only_while_nothing_was_invoiced_from_it(school, bursar, verified_client, items):
    client = verified_client(bursar)
    client.post(f"{BASE}/schedules/new/", _schedule_post(school, items))
    schedule = FeeSchedule.objects.for_school(school).get()
    pupil = school.students.get(admission_number="GFA/0001")
    invoice = services.invoice_create(school=school, actor=bursar, student=pupil, term=school.current_term())
    refused = client.post(f"{BASE}/schedules/{schedule.pk}/delete/", follow=True).content.decode()
    assert "1 invoice for" in refused and FeeSchedule.objects.for_school(school).exists()
    Invoice.objects.filter(pk=invoice.pk).update(status="void", void_reason="test")
    client.post(f"{BASE}/schedules/{schedule.pk}/delete/")
    assert not FeeSchedule.objects.for_school(school).exists()
    assert AuditLog.objects.filter(action="fee_schedule.deleted").count() == 1


# --- Sibling discounts ----------------------------------------------------------------------


def test_bursar_sets_sibling_discount_rules(school, bursar, verified_client):
    client = verified_client(bursar)
    data = {
        "rules-0-child_position": "2",
        "rules-0-percent": "10",
        "rules-1-child_position": "3",
        "rules-1-percent": "12.5",
        "rules-2-child_position": "",
        "rules-2-percent": "",
    }
    assert client.post(f"{BASE}/discounts/", data).status_code == 302
    rules = [(r.child_position, r.percent) for r in SiblingDiscount.objects.for_school(school)]
    assert rules == [(2, Decimal("10.00")), (3, Decimal("12.50"))]
    page = client.get(f"{BASE}/discounts/").content.decode()
    assert "12.5%" in page and 'value="12.5"' in page
    # emptying a row removes its rule
    client.post(f"{BASE}/discounts/", {**data, "rules-1-child_position": "", "rules-1-percent": ""})
    assert list(SiblingDiscount.objects.for_school(school).values_list("child_position", flat=True)) == [2]


def test_bad_discount_rules_are_field_errors_and_change_nothing(school, bursar, verified_client):
    SiblingDiscount.objects.create(school=school, child_position=2, percent=10)
    data = {
        "rules-0-child_position": "1",
        "rules-0-percent": "10",
        "rules-1-child_position": "3",
        "rules-1-percent": "150",
    }
    response = verified_client(bursar).post(f"{BASE}/discounts/", data)
    assert response.status_code == 400
    assert set(response.context["errors"]) == {"rules.0.child_position", "rules.1.percent"}
    assert list(SiblingDiscount.objects.for_school(school).values_list("child_position", "percent")) == [
        (2, Decimal("10.00"))
    ]


# --- Who may do what ------------------------------------------------------------------------


def test_viewer_reads_the_set_up_but_cannot_change_it(school, verified_client, items):
    tuition, _ = items
    client = verified_client(f.member(school, "viewer"))
    listing = client.get(f"{BASE}/").content.decode()
    assert "Tuition" in listing and "Add a fee item" not in listing and "Retire" not in listing
    assert client.get(f"{BASE}/schedules/").status_code == 200
    assert client.get(f"{BASE}/discounts/").status_code == 200
    assert client.get(f"{BASE}/items/new/").status_code == 403
    assert client.get(f"{BASE}/schedules/new/").status_code == 403
    assert client.get(f"{BASE}/schedules/line/").status_code == 403
    assert client.post(f"{BASE}/items/{tuition.pk}/active/", {"is_active": "0"}).status_code == 403
    assert client.post(f"{BASE}/discounts/", {"rules-0-child_position": "2", "rules-0-percent": "5"}).status_code == 403
    tuition.refresh_from_db()
    assert tuition.is_active and not SiblingDiscount.objects.for_school(school).exists()


def test_teacher_cannot_see_the_set_up(school, teacher, verified_client):
    client = verified_client(teacher)
    assert client.get(f"{BASE}/").status_code == 403
    assert client.post(f"{BASE}/items/new/", {"code": "x", "name": "X", "category": "tuition"}).status_code == 403
    assert "Fee set-up" not in client.get("/s/greenfield/students/").content.decode()


def test_other_schools_admin_gets_404_for_pages_and_objects(
    school, other_school, bursar, charlie, verified_client, items
):
    tuition, _ = items
    verified_client(bursar).post(f"{BASE}/schedules/new/", _schedule_post(school, items))
    schedule = FeeSchedule.objects.for_school(school).get()
    client = verified_client(charlie)
    assert client.get(f"{BASE}/").status_code == 404
    assert client.get(f"{BASE}/items/{tuition.pk}/").status_code == 404
    # Greenfield's ids under Charlie's own school are not found either
    assert client.get(f"/s/riverside/fees/setup/items/{tuition.pk}/").status_code == 404
    assert client.post(f"/s/riverside/fees/setup/items/{tuition.pk}/active/", {"is_active": "0"}).status_code == 404
    assert client.get(f"/s/riverside/fees/setup/schedules/{schedule.pk}/").status_code == 404
    assert client.post(f"/s/riverside/fees/setup/schedules/{schedule.pk}/delete/").status_code == 404
    assert "Tuition" not in client.get("/s/riverside/fees/setup/").content.decode()
    tuition.refresh_from_db()
    assert tuition.is_active and FeeSchedule.objects.for_school(school).exists()


def test_a_schedule_line_cannot_use_another_schools_fee(school, other_school, bursar, charlie, verified_client, items):
    theirs = services.fee_item_create(school=other_school, actor=charlie, code="rv-tuition", name="RV Tuition")
    data = _schedule_post(school, items, **{"lines-1-fee_item": theirs.pk})
    response = verified_client(bursar).post(f"{BASE}/schedules/new/", data)
    assert response.status_code == 400 and "lines.1.fee_item" in response.context["errors"]
    assert not FeeSchedule.objects.for_school(school).exists()


def test_fee_set_up_is_linked_from_the_nav_and_the_invoices_page(school, bursar, verified_client):
    page = verified_client(bursar).get("/s/greenfield/fees/invoices/").content.decode()
    assert page.count(f'href="{BASE}/"') == 2


def test_amount_parsing():
    assert setup.parse_amount("45,000.00") == 4_500_000
    assert setup.parse_amount(" 45000 ") == 4_500_000
    assert setup.parse_amount("0.5") == 50
    assert setup.parse_amount("1,234,567.89") == 123_456_789
    for bad in ("", "4,5000", "45.001", "-1", "١٢", "1_000", "NaN"):
        with pytest.raises(ValueError):
            setup.parse_amount(bad)


def test_schedules_page_query_count_does_not_grow_with_schedules(school, bursar, verified_client, items):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from schools.models import ClassGroup

    client = verified_client(bursar)
    client.post(f"{BASE}/schedules/new/", _schedule_post(school, items))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{BASE}/schedules/").status_code == 200
        return len(queries)

    one = count()
    for i in range(3):
        group = ClassGroup.objects.create(school=school, name=f"JSS 2{'ABC'[i]}", level="JSS 2")
        client.post(f"{BASE}/schedules/new/", _schedule_post(school, items, class_group=group.pk, name=f"S{i}"))
    assert FeeSchedule.objects.for_school(school).count() == 4
    assert count() == one
