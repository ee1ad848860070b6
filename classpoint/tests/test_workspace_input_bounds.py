"""No workspace page answers bad input with a 500.

Signed in as Greenfield's school admin on a database with the demo loaded, the walker visits every
server-rendered route with hostile values: in its integer path arguments, in common query
parameters, and in every field of every form the page shows (each field alone, the others left as
the page filled them, so the hostile value reaches the code behind the form). A route or form added
later is covered without anyone remembering; a new path argument name must be added to ARG_MODELS.
"""

import datetime
import io
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.management import call_command

from classpoint.tests.test_tenancy import all_routes
from payments.tests.test_payments import invoice  # noqa: F401  (fixture)

SKIP_PREFIXES = ("admin/", "static/", "media/", "api/", "__", "account/logout/")
HUGE_ID = "99999999999999999999"  # past BIGINT: PostgreSQL refuses it in a query
# Values that once reached int(), a query or date arithmetic unguarded somewhere.
FIELD_VALUES = (
    "²",  # "²".isdigit() is True, int("²") raises
    HUGE_ID,
    "0001-01-01",  # before datetime.min once shifted into UTC; a day earlier is no date
    "9999-12-31",  # a day later is no date
    "1e400",
    "nul\x00byte",  # PostgreSQL refuses NUL in text
)
QUERY_PARAMS = ("page", "id", "date", "from", "to", "since", "until", "term", "class_group", "days", "status", "q")
QUERY_VALUES = ("²", HUGE_ID, "0001-01-01", "9999-12-31", "9999-12-31T23:59", "nul\x00byte")
# The model each integer path argument names; a document or a duplicate flag brings its application.
ARG_MODELS = {
    "academic_session_id": "schools.AcademicSession",
    "announcement_id": "messaging.Announcement",
    "application_id": "registrar.Application",
    "award_id": "fees.StudentAward",
    "batch_id": "fees.InvoiceBatch",
    "class_group_id": "schools.ClassGroup",
    "document_id": "registrar.ApplicationDocument",
    "flag_id": "registrar.DuplicateFlag",
    "guardian_id": "schools.Guardian",
    "intervention_id": "academics.Intervention",
    "invite_id": "schools.StaffInvite",
    "invoice_id": "fees.Invoice",
    "item_id": "fees.FeeItem",
    "job_id": "schools.ImportJob",
    "list_id": "messaging.GuardianList",
    "mark_id": "academics.AttendanceMark",
    "membership_id": "schools.Membership",
    "message_id": "messaging.Message",
    "proof_id": "payments.PaymentProof",
    "receipt_id": "payments.Receipt",
    "role_id": "schools.Role",
    "schedule_id": "fees.FeeSchedule",
    "session_id": "academics.RecoverySession",
    "slot_id": "academics.ScheduleSlot",
    "student_id": "schools.Student",
    "subject_id": "academics.Subject",
    "term_id": "schools.Term",
    "token_id": "classpoint.ApiToken",
    "transaction_id": "payments.PaymentTransaction",
}
# Plausible values for the other path arguments, so the walker reaches the view behind them.
STR_ARGS = {
    "action": "issue",
    "decision": "approve",
    "status": "pending",
    "template_type": "INVOICE_ISSUED",
    "channel": "sms",
    # A register's day: today's, whose register the demo leaves to take (a page with a form to walk).
    "date": datetime.date.today().isoformat(),
}


class _Forms(HTMLParser):
    """The forms on a page: action, method and each named field with the value the page gave it."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {
                "action": attrs.get("action") or "",
                "method": (attrs.get("method") or "get").lower(),
                "fields": {},
            }
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea", "button") and attrs.get("name"):
            name = attrs["name"]
            if name == "csrfmiddlewaretoken" or attrs.get("type") == "file":
                return
            kind = attrs.get("type")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                self._form["fields"].setdefault(name, "")
                return
            self._form["fields"][name] = attrs.get("value") or self._form["fields"].get(name, "")
            self._select = name if tag == "select" else None
        elif tag == "option" and self._select and ("selected" in attrs or not self._form["fields"][self._select]):
            self._form["fields"][self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _ids(school):
    ids = {}
    for arg, label in ARG_MODELS.items():
        ids[arg] = (
            apps.get_model(label).objects.filter(school=school).order_by("pk").values_list("pk", flat=True).first()
        )
    document = apps.get_model(ARG_MODELS["document_id"]).objects.filter(school=school).order_by("pk").first()
    flag = apps.get_model(ARG_MODELS["flag_id"]).objects.filter(school=school).order_by("pk").first()
    return ids, {"document_id": document and document.application_id, "flag_id": flag and flag.application_id}


def _fill(route, ids, owners, override=None):
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"<slug:(slug|school_slug)>", "greenfield", path)
    for arg, owner in owners.items():
        if f"<int:{arg}>" in path and owner:
            ids = {**ids, "application_id": owner}

    def int_arg(match):
        name = match.group(1)
        assert name in ARG_MODELS, f"{route}: add {name!r} to ARG_MODELS"
        return override or str(ids[name] or 1)

    path = re.sub(r"<int:(\w+)>", int_arg, path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: STR_ARGS.get(m.group(1), "x"), path)
    return "/" + path


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--students", "12", stdout=io.StringIO())
    school = apps.get_model("schools.School").objects.get(slug="greenfield")
    return school


@pytest.mark.django_db
def test_no_workspace_route_answers_hostile_input_with_a_500(demo, verified_client):
    # given: Greenfield's school admin, signed in, on a school with data in every workspace
    admin = demo.memberships.get(role__key="school_admin").user
    client = verified_client(admin)
    client.raise_request_exception = False
    ids, owners = _ids(demo)
    routes = [route for route, _name in all_routes() if not route.startswith(SKIP_PREFIXES)]
    failures, seen = [], set()
    requests = 0

    def check(send, url, data, what):
        nonlocal requests
        requests += 1
        response = send(url, data)
        if response.status_code >= 500:
            failures.append(f"{send.__name__.upper()} {url} {what}: {response.status_code}")
        return response

    for route in routes:
        url = _fill(route, ids, owners)
        # when: an id in the path is past any id
        if "<int:" in route:
            huge = _fill(route, ids, owners, override=HUGE_ID)
            check(client.get, huge, {}, "")
            check(client.post, huge, {}, "")
        page = check(client.get, url, {}, "")
        if page.status_code != 200:
            continue
        # when: the common query parameters are hostile
        for value in QUERY_VALUES:
            check(client.get, url, dict.fromkeys(QUERY_PARAMS, value), f"?*={value!r}")
        if "html" not in page.get("Content-Type", ""):
            continue
        parser = _Forms()
        parser.feed(page.content.decode(errors="replace"))
        # when: any one field of any form on the page is hostile, the rest as the page filled them
        for form in parser.forms:
            target = form["action"] or url
            if form["method"] not in ("get", "post") or not target.startswith("/") or "logout" in target:
                continue
            # The same form on another page, or a row of fields like the row before it (line-0-amount,
            # line-1-amount), is handled by the same code.
            shapes = {re.sub(r"\d+", "N", field): field for field in reversed(form["fields"])}
            key = (form["method"], re.sub(r"\d+", "N", target), tuple(sorted(shapes)))
            if key in seen:
                continue
            seen.add(key)
            send = client.post if form["method"] == "post" else client.get
            for field in shapes.values():
                for value in FIELD_VALUES:
                    check(send, target, {**form["fields"], field: value}, f"{field}={value!r} (a form on {url})")
    # then
    assert not failures, f"{len(failures)} answers were 5xx:\n" + "\n".join(failures)
    # and the walk covered the workspaces (its speed is not a test's business: timing depends on
    # the machine's load)
    assert len(seen) > 30 and requests > 1000


# --- The examples the walker found, one by one ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/s/greenfield/students/", "/s/greenfield/fees/invoices/"])
@pytest.mark.parametrize("params", [{"class_group": "²"}, {"term": "²"}, {"class_group": HUGE_ID}])
def test_a_list_ignores_a_filter_that_names_no_id(school, alice, verified_client, path, params):
    response = verified_client(alice).get(path, params)
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/s/greenfield/students/", "/s/greenfield/fees/invoices/"])
def test_a_list_refuses_a_search_that_holds_a_nul(school, alice, verified_client, path):
    # refused at the edge (RefuseNulBytesMiddleware), before any query could reach PostgreSQL
    response = verified_client(alice).get(path, {"q": "nul\x00byte"})
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("teacher", ["²", HUGE_ID])
def test_a_teacher_week_for_an_id_that_is_no_id_is_a_404(school, alice, verified_client, teacher):
    response = verified_client(alice).get("/s/greenfield/timetable/teachers/", {"teacher": teacher})
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "field"),
    [("/s/greenfield/messages/", "date_to"), ("/s/greenfield/audit/", "date_to"), ("/s/greenfield/registrar/", "to")],
)
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_filter_date_past_any_school_day_is_a_field_error(school, alice, verified_client, path, field, day):
    response = verified_client(alice).get(path, {field: day})
    assert response.status_code == 200
    assert "Enter a date between 1900-01-01 and 2199-12-31." in response.content.decode()


@pytest.mark.django_db
def test_reversing_a_payment_that_names_no_id_is_a_404(school, alice, verified_client, invoice):
    response = verified_client(alice).post(
        f"/s/greenfield/payments/invoices/{invoice.pk}/reverse/", {"transaction": "²", "reason": "typo"}
    )
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", HUGE_ID])
def test_an_announcement_for_a_class_that_names_no_id_is_a_field_error(school, alice, verified_client, value):
    response = verified_client(alice).post(
        "/s/greenfield/messages/announcements/new/",
        {"title": "Sports day", "body": "Friday", "audience": "class_groups", "class_groups": [value]},
    )
    assert response.status_code in (200, 400)
    assert "is not a valid value" in response.content.decode()
