"""An application's detail panel: tabs with their ARIA, moves with what is missing, duplicates side
by side, documents (signed link, review, staff upload, request what is missing), placement with the
inline conflict preview, approval with an invoice, enrolment, one history, and another school's 404."""

import re
from collections import Counter
from html.parser import HTMLParser

import pytest

from academics.models import SlotSeat
from academics.tests import factories as timetable
from classpoint.models import AuditLog, OutboxEvent
from registrar.models import Application, ApplicationDocument, DocumentRequirement, DuplicateFlag
from registrar.tests import factories as rf

pytestmark = pytest.mark.django_db

S = Application.Status
HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "panel"}


def url(app, rest=""):
    return f"/s/greenfield/registrar/{app.pk}/{rest}"


@pytest.fixture
def reg(registrar, verified_client):
    return verified_client(registrar)


@pytest.fixture
def needs_birth_certificate(school):
    return DocumentRequirement.objects.create(school=school, level="", kind="birth_certificate")


# --- Tabs ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tab", ["overview", "docs", "class", "fees", "history"])
def test_every_tab_renders_as_a_page_and_as_the_panel(school, reg, registrar, tab):
    app = rf.in_status(school, S.IN_REVIEW, registrar)
    page = reg.get(url(app), {"tab": tab})
    assert page.status_code == 200
    body = page.content.decode()
    assert "<html" in body and 'role="tablist"' in body
    assert f'id="tab-{tab}" href="/s/greenfield/registrar/{app.pk}/?tab={tab}"' in body
    assert re.search(rf'id="tab-{tab}"[^>]*aria-selected="true"', body)
    assert len(re.findall(r'aria-selected="true"', body)) == 1
    assert f'role="tabpanel" id="tabpanel" class="tabpanel" aria-labelledby="tab-{tab}"' in body
    panel = reg.get(url(app), {"tab": tab}, **HX)
    assert panel.status_code == 200 and b"<html" not in panel.content and b'role="tabpanel"' in panel.content
    assert "HX-Request" in panel["Vary"]


def test_the_panel_is_the_pages_main_content_when_asked_from_its_own_page(school, reg, registrar):
    app = rf.in_status(school, S.PENDING, registrar)
    aside = reg.get(url(app), **HX).content.decode()
    assert '<h2 id="panel-title"' in aside and "<h1" not in aside
    own_page = reg.get(url(app), HTTP_X_REGISTRAR_STANDALONE="1", **HX).content.decode()
    assert '<h1 id="panel-title"' in own_page and "<html" not in own_page
    assert '<h2 class="visually-hidden">Overview</h2>' in own_page


def test_an_unknown_tab_is_the_overview(school, reg, registrar):
    app = rf.in_status(school, S.PENDING, registrar)
    assert re.search(r'id="tab-overview"[^>]*aria-selected="true"', reg.get(url(app), {"tab": "x"}).content.decode())


def test_overview_shows_the_applicant_guardians_with_consent_and_the_allowed_moves(school, reg, registrar):
    app = rf.submit(school, guardians=[rf.guardian(first_name="Ngozi", consent_whatsapp=True, consent_email=False)])
    body = reg.get(url(app)).content.decode()
    assert "Chinedu Bello" in body and "Bright Stars Primary" in body
    assert "Ngozi Bello" in body and "Agreed to: SMS WhatsApp" in body
    assert 'value="in_review"' in body and 'value="rejected"' in body and 'value="approved"' not in body


# --- Moves from the panel -----------------------------------------------------------------------------


def test_needs_info_from_the_panel_needs_the_missing_items_and_tells_the_family(
    school, reg, registrar, needs_birth_certificate
):
    app = rf.in_status(school, S.IN_REVIEW, registrar)
    # the form comes pre-ticked with what is missing
    body = reg.get(url(app), {"move": "needs_info"}).content.decode()
    assert re.search(r'id="ni-birth_certificate" name="items" value="birth_certificate" checked', body)
    assert "data-autofocus" in body
    # nothing ticked: a field error, nothing changed
    response = reg.post(url(app, "move/"), {"origin": "panel", "to_status": "needs_info"}, **HX)
    assert response.status_code == 400
    assert "Say what is missing" in response.content.decode() and 'class="field-error"' in response.content.decode()
    app.refresh_from_db()
    assert app.status == S.IN_REVIEW
    # with the items: moved, and the family asked
    data = {
        "origin": "panel",
        "to_status": "needs_info",
        "items": ["birth_certificate"],
        "other_items": "Immunisation card",
    }
    response = reg.post(url(app, "move/"), data, **HX)
    assert response.status_code == 200 and response["HX-Trigger"] == "registrar-changed"
    assert "Moved to Needs info." in response.content.decode()
    app.refresh_from_db()
    assert (app.status, app.needs_info_items) == (S.NEEDS_INFO, ["Birth certificate", "Immunisation card"])
    assert OutboxEvent.objects.filter(school=school, payload__template="APPLICATION_NEEDS_INFO").count() == 1


def test_a_panel_move_without_javascript_redirects_to_the_tab(school, reg, registrar):
    app = rf.in_status(school, S.PENDING, registrar)
    response = reg.post(url(app, "move/"), {"origin": "panel", "to_status": "in_review", "tab": "overview"})
    assert response.status_code == 302 and response["Location"] == url(app) + "?tab=overview"
    assert "Moved to In review." in reg.get(response["Location"]).content.decode()


def test_a_refused_panel_move_is_shown_on_the_page(school, reg, registrar):
    app = rf.in_status(school, S.REJECTED, registrar)
    response = reg.post(url(app, "move/"), {"origin": "panel", "to_status": "in_review"})
    assert response.status_code == 400
    assert "cannot move from Rejected to In review" in response.content.decode()


# --- Duplicates ------------------------------------------------------------------------------------------


def test_duplicates_are_shown_side_by_side_and_can_be_dismissed(school, reg, registrar):
    family = rf.guardian()
    first = rf.submit(school, guardians=[family])
    second = rf.submit(school, guardians=[family])
    flag = DuplicateFlag.objects.get(application=second)
    body = reg.get(url(second)).content.decode()
    assert 'class="side-by-side"' in body and f"Application {first.reference}" in body
    assert f"This application ({second.reference})" in body
    response = reg.post(url(second, f"duplicates/{flag.pk}/resolve/"), {"action": "dismiss"}, **HX)
    assert response.status_code == 200 and "Duplicate dismissed." in response.content.decode()
    flag.refresh_from_db()
    second.refresh_from_db()
    assert (flag.status, second.open_duplicates) == ("dismissed", 0)
    assert 'class="side-by-side"' not in response.content.decode()


def test_merging_a_duplicate_withdraws_it_into_the_first(school, reg, registrar):
    family = rf.guardian()
    first = rf.submit(school, guardians=[family])
    second = rf.submit(school, guardians=[family])
    flag = DuplicateFlag.objects.get(application=second)
    response = reg.post(url(second, f"duplicates/{flag.pk}/resolve/"), {"action": "merge"})
    assert response.status_code == 302
    flag.refresh_from_db()
    second.refresh_from_db()
    assert (flag.status, second.status) == ("merged", S.WITHDRAWN)
    first.refresh_from_db()
    assert first.status == S.PENDING


def test_another_applications_duplicate_flag_is_404(school, reg, registrar):
    family = rf.guardian()
    rf.submit(school, guardians=[family])
    second = rf.submit(school, guardians=[family])
    unrelated = rf.submit(school)
    flag = DuplicateFlag.objects.get(application=second)
    assert reg.post(url(unrelated, f"duplicates/{flag.pk}/resolve/"), {"action": "dismiss"}).status_code == 404


# --- Documents -----------------------------------------------------------------------------------------


def test_docs_checklist_shows_what_is_missing_and_offers_to_ask_for_it(school, reg, registrar, needs_birth_certificate):
    DocumentRequirement.objects.create(school=school, level="JSS 1", kind="photo")
    app = rf.in_status(school, S.IN_REVIEW, registrar, documents=[("photo", rf.upload(rf.PNG, "me.png", "image/png"))])
    body = reg.get(url(app), {"tab": "docs"}).content.decode()
    assert '<span>Birth certificate</span>: <strong class="text-bad">missing</strong>' in body
    assert '<span>Passport photo</span>: <span class="badge badge-received">Received</span>' in body
    assert re.search(r'id="rm-birth_certificate" name="items" value="birth_certificate" checked', body)
    assert not re.search(r'id="rm-photo" name="items" value="photo" checked', body)
    response = reg.post(
        url(app, "move/"),
        {"origin": "panel", "tab": "docs", "to_status": "needs_info", "items": ["birth_certificate"]},
        **HX,
    )
    assert response.status_code == 200
    assert re.search(r'id="tab-docs"[^>]*aria-selected="true"', response.content.decode())
    app.refresh_from_db()
    assert app.needs_info_items == ["Birth certificate"]


def test_staff_upload_keeps_a_good_file_and_refuses_a_bad_one(school, reg, registrar, needs_birth_certificate):
    app = rf.in_status(school, S.IN_REVIEW, registrar)
    bad = reg.post(url(app, "documents/"), {"kind": "birth_certificate", "file": rf.upload(rf.EXE, "cert.pdf")}, **HX)
    assert bad.status_code == 400 and 'id="upload-file-error"' in bad.content.decode()
    assert not ApplicationDocument.objects.filter(application=app).exists()
    missing_kind = reg.post(url(app, "documents/"), {"kind": "", "file": rf.upload()}, **HX)
    assert missing_kind.status_code == 400 and "Choose what the document is." in missing_kind.content.decode()
    good = reg.post(url(app, "documents/"), {"kind": "birth_certificate", "file": rf.upload()}, **HX)
    assert good.status_code == 200 and "Birth certificate uploaded." in good.content.decode()
    document = ApplicationDocument.objects.get(application=app)
    assert (document.uploaded_via, document.kind) == ("staff", "birth_certificate")
    app.refresh_from_db()
    assert app.missing_documents == 0


def test_a_document_opens_through_a_short_lived_signed_link(school, reg, registrar, settings):
    app = rf.submit(school, documents=[("birth_certificate", rf.upload())])
    document = ApplicationDocument.objects.get(application=app)
    response = reg.get(url(app, f"documents/{document.pk}/"))
    assert response.status_code == 302
    location = response["Location"]
    assert re.search(r"/files/[^/]+/$", location)
    file_response = reg.get(location[len(settings.SITE_URL.rstrip("/")) :])
    assert file_response.status_code == 200
    assert b"".join(file_response.streaming_content).startswith(b"%PDF-")
    assert AuditLog.objects.filter(
        school=school, action="application.document_viewed", actor=registrar, changes__document_id=document.pk
    ).exists()


def test_verify_and_reject_a_document(school, reg, registrar):
    app = rf.submit(school, documents=[("birth_certificate", rf.upload())])
    document = ApplicationDocument.objects.get(application=app)
    no_note = reg.post(url(app, f"documents/{document.pk}/review/"), {"status": "rejected"}, **HX)
    assert no_note.status_code == 400
    assert f'id="review-note-{document.pk}-error"' in no_note.content.decode()
    document.refresh_from_db()
    assert document.status == "received"
    rejected = reg.post(url(app, f"documents/{document.pk}/review/"), {"status": "rejected", "note": "Blurred"}, **HX)
    assert rejected.status_code == 200 and "Birth certificate rejected." in rejected.content.decode()
    verified = reg.post(url(app, f"documents/{document.pk}/review/"), {"status": "verified"}, **HX)
    assert verified.status_code == 200
    document.refresh_from_db()
    assert document.status == "verified"


# --- Class: placement with the conflict preview ------------------------------------------------------------


@pytest.fixture
def timetable_week(school):
    """Two JSS 1 classes whose Monday 09:00 lessons overlap, and a later one that does not."""
    from schools.tests import factories as f

    first = school.class_groups.get()
    parallel = f.ClassGroupFactory(school=school, name="GFA JSS 1B", level="JSS 1")
    maths = timetable.slot(school, class_group=first, subject="Mathematics", start="09:00", end="10:00")
    english = timetable.slot(school, class_group=parallel, subject="English", start="09:30", end="10:30")
    science = timetable.slot(school, class_group=first, subject="Basic Science", start="11:00", end="12:00")
    return first, maths, english, science


def test_class_tab_lists_the_levels_slots(school, reg, registrar, timetable_week):
    group, maths, english, science = timetable_week
    app = rf.submit(school)
    body = reg.get(url(app), {"tab": "class"}).content.decode()
    for slot in (maths, english, science):
        assert f'id="slot-{slot.pk}" name="slots" value="{slot.pk}"' in body
    assert "Monday 09:00–10:00 Mathematics, GFA JSS 1A" in body


def test_the_preview_shows_an_overlap_before_saving_and_saves_nothing(school, reg, registrar, timetable_week):
    group, maths, english, science = timetable_week
    app = rf.submit(school)
    data = {"class_group": group.pk, "slots": [maths.pk, english.pk]}
    preview = reg.post(url(app, "place/preview/"), data, **HX)
    assert preview.status_code == 200
    body = preview.content.decode()
    assert 'data-kind="time"' in body and "overlap on Monday" in body
    assert not SlotSeat.objects.filter(application=app).exists()
    fine = reg.post(url(app, "place/preview/"), {"class_group": group.pk, "slots": [maths.pk, science.pk]}, **HX)
    assert "No conflicts" in fine.content.decode()
    # changing the class redraws the slots too
    redraw = reg.post(url(app, "place/preview/"), {**data, "part": "slots"}, **HX)
    assert f'id="slot-{maths.pk}"' in redraw.content.decode() and "overlap on Monday" in redraw.content.decode()


def test_placing_with_a_conflict_is_refused_inline_and_without_one_is_saved(school, reg, registrar, timetable_week):
    group, maths, english, science = timetable_week
    app = rf.submit(school)
    refused = reg.post(url(app, "place/"), {"class_group": group.pk, "slots": [maths.pk, english.pk]}, **HX)
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "overlap on Monday" in body and 'data-kind="time"' in body
    assert re.search(rf'id="slot-{english.pk}" name="slots" value="{english.pk}" checked', body)  # kept as chosen
    app.refresh_from_db()
    assert app.placed_class_group is None and not SlotSeat.objects.filter(application=app).exists()
    placed = reg.post(url(app, "place/"), {"class_group": group.pk, "slots": [maths.pk, science.pk]}, **HX)
    assert placed.status_code == 200 and "Placed in GFA JSS 1A and 2 timetable slots." in placed.content.decode()
    app.refresh_from_db()
    assert app.placed_class_group == group
    assert set(SlotSeat.objects.filter(application=app).values_list("slot_id", flat=True)) == {maths.pk, science.pk}


def test_a_full_class_is_a_conflict(school, reg, registrar):
    group = school.class_groups.get()
    group.capacity = 1  # the furnished pupil takes the only seat
    group.save()
    app = rf.submit(school)
    preview = reg.post(url(app, "place/preview/"), {"class_group": group.pk}, **HX)
    assert "is full" in preview.content.decode()
    refused = reg.post(url(app, "place/"), {"class_group": group.pk})
    assert refused.status_code == 409 and "is full" in refused.content.decode()


def test_placement_input_errors_are_field_errors(school, reg, registrar, other_school):
    app = rf.submit(school)
    theirs = other_school.class_groups.get()
    response = reg.post(url(app, "place/"), {"class_group": theirs.pk}, **HX)
    assert response.status_code == 400 and 'id="place-group-error"' in response.content.decode()
    response = reg.post(url(app, "place/"), {"class_group": school.class_groups.get().pk, "slots": ["9x"]}, **HX)
    assert response.status_code == 400 and "Choose slots from the list." in response.content.decode()


# --- Fees and enrolment --------------------------------------------------------------------------------


def test_approve_needs_a_placement(school, reg, registrar):
    app = rf.submit(school)
    rf.services.application_transition(application=app, to_status=S.IN_REVIEW, actor=registrar)
    body = reg.get(url(app), {"tab": "fees"}).content.decode()
    assert "Place the applicant in a class first (the Class tab)." in body
    response = reg.post(url(app, "approve/"), {"send_invoice": "1"}, **HX)
    assert response.status_code == 400 and "Place the applicant in a class first." in response.content.decode()
    app.refresh_from_db()
    assert app.status == S.IN_REVIEW


def test_approve_with_invoice_then_enrol(school, reg, registrar):
    group = school.class_groups.get()
    rf.fee_schedule(school, group, amount_minor=15_000_000)
    app = rf.in_status(school, S.IN_REVIEW, registrar)
    # approve with the invoice
    response = reg.post(url(app, "approve/"), {"send_invoice": "1", "send_autopay_link": "1"}, **HX)
    assert response.status_code == 200, response.content.decode()[:2000]
    app.refresh_from_db()
    assert app.status == S.APPROVED and app.invoice is not None
    body = response.content.decode()
    assert f"Invoice {app.invoice.number} issued" in body
    assert app.invoice.number in body and "₦150,000.00" in body and "Pay-now links" in body
    assert re.search(r'readonly value="http://[^"]+/payments/pay/[^"]+/"', body)  # the family's pay-now link
    # enrol: the student exists and the panel links to them
    response = reg.post(url(app, "convert/"), {"send_welcome": "1", "tab": "fees"}, **HX)
    assert response.status_code == 200
    app.refresh_from_db()
    student = app.student
    assert app.status == S.CONVERTED and student.status == "active"
    assert f'href="/s/greenfield/students/{student.pk}/"' in response.content.decode()
    assert f"Enrolled as {student.full_name} ({student.admission_number})." in response.content.decode()
    # converting again makes no second student
    again = reg.post(url(app, "convert/"), {"tab": "fees"}, **HX)
    assert again.status_code == 200
    assert school.students.filter(first_name="Chinedu", last_name="Bello").count() == 1


def test_the_invoice_links_to_its_page_only_for_who_may_see_invoices(school, alice, registrar, verified_client):
    rf.fee_schedule(school, school.class_groups.get())
    app = rf.in_status(school, S.IN_REVIEW, registrar)
    rf.services.application_approve(application=app, actor=registrar, send_invoice=True)
    app.refresh_from_db()
    link = f'href="/s/greenfield/fees/invoices/{app.invoice_id}/"'
    assert link not in verified_client(registrar).get(url(app), {"tab": "fees"}).content.decode()
    assert link in verified_client(alice).get(url(app), {"tab": "fees"}).content.decode()


def test_approve_without_a_fee_schedule_is_a_field_error(school, reg, registrar):
    app = rf.in_status(school, S.IN_REVIEW, registrar)
    response = reg.post(url(app, "approve/"), {"send_invoice": "1"})
    assert response.status_code == 400
    assert 'id="approve-invoice-error"' in response.content.decode()
    app.refresh_from_db()
    assert (app.status, app.invoice_id) == (S.IN_REVIEW, None)


# --- History ---------------------------------------------------------------------------------------------


def test_history_is_one_timeline_of_events_messages_and_payments(school, reg, registrar, bursar):
    from classpoint.outbox import worker
    from payments import services as payments

    rf.fee_schedule(school, school.class_groups.get(), amount_minor=5_000_000)
    app = rf.in_status(school, S.IN_REVIEW, registrar)
    rf.services.application_approve(application=app, actor=registrar, send_invoice=True)
    app.refresh_from_db()
    payments.transaction_record(invoice=app.invoice, kind="cash", amount_minor=1_000_000, currency="NGN", actor=bursar)
    worker.drain()  # messaging sends what was asked for
    body = reg.get(url(app), {"tab": "history"}).content.decode()
    items = re.findall(r'<li class="timeline-(\w+)">', body)
    assert {"status", "invoice", "message", "payment"} <= set(items)
    assert "Pending → In review" in body and "In review → Approved" in body
    assert "Application received by" in body and "Payment ₦10,000.00 (Cash)" in body
    times = re.findall(r'<time datetime="([^"]+)"', body)
    assert times == sorted(times)


# --- Access -----------------------------------------------------------------------------------------------


def test_another_schools_application_is_404_on_every_panel_route(school, other_school, reg, registrar):
    theirs = rf.submit(other_school, documents=[("birth_certificate", rf.upload())])
    document = ApplicationDocument.objects.get(application=theirs)
    for method, rest in [
        ("get", ""),
        ("get", f"documents/{document.pk}/"),
        ("post", "move/"),
        ("post", "approve/"),
        ("post", "convert/"),
        ("post", "place/"),
        ("post", "place/preview/"),
        ("post", "documents/"),
        ("post", f"documents/{document.pk}/review/"),
        ("post", "duplicates/1/resolve/"),
    ]:
        response = getattr(reg, method)(url(theirs, rest), {"origin": "panel", "to_status": "rejected"})
        assert response.status_code == 404, (method, rest, response.status_code)
    theirs.refresh_from_db()
    assert theirs.status == S.PENDING


def test_a_document_of_another_application_is_404(school, reg, registrar):
    mine = rf.submit(school)
    other = rf.submit(school, documents=[("birth_certificate", rf.upload())])
    document = ApplicationDocument.objects.get(application=other)
    assert reg.get(url(mine, f"documents/{document.pk}/")).status_code == 404
    assert reg.post(url(mine, f"documents/{document.pk}/review/"), {"status": "verified"}).status_code == 404


def test_another_schools_member_gets_404_on_the_panel(school, other_school, charlie, verified_client):
    app = rf.submit(school)
    client = verified_client(charlie)
    assert client.get(url(app)).status_code == 404
    assert client.post(url(app, "move/"), {"to_status": "in_review", "origin": "panel"}).status_code == 404


# --- Markup ---------------------------------------------------------------------------------------------


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.refs = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        for name in ("aria-labelledby", "aria-describedby", "aria-controls", "for", "form"):
            self.refs += [(tag, name, ref) for ref in (attrs.get(name) or "").split()]


def test_every_id_is_unique_and_every_label_points_at_something(school, reg, registrar, needs_birth_certificate):
    # given an application with a document, a duplicate, a timetable and a fee schedule
    family = rf.guardian()
    rf.submit(school, guardians=[family])
    app = rf.in_status(
        school,
        S.IN_REVIEW,
        registrar,
        guardians=[family],
        documents=[("photo", rf.upload(rf.PNG, "p.png", "image/png"))],
    )
    timetable.slot(school)
    pages = [reg.get("/s/greenfield/registrar/"), reg.get("/s/greenfield/registrar/", {"from": "bad"})]
    pages += [
        reg.get(url(app), {"tab": tab, "move": "needs_info"})
        for tab in ("overview", "docs", "class", "fees", "history")
    ]
    pages.append(reg.post(url(app, "move/"), {"origin": "panel", "to_status": "needs_info"}))
    for response in pages:
        parsed = _Ids()
        parsed.feed(response.content.decode())
        assert [i for i, n in Counter(parsed.ids).items() if n > 1] == [], response.request["PATH_INFO"]
        assert [r for r in parsed.refs if r[2] not in set(parsed.ids)] == [], response.request["PATH_INFO"]
