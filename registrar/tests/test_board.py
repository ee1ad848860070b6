"""The registrar board: columns with counts, 25 cards and "load more", filters and search, moves by
the card's buttons and in bulk, a constant number of queries, and another school's 404."""

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registrar.models import Application, ApplicationEvent, ApplicationGuardian
from schools.tests import factories as f

pytestmark = pytest.mark.django_db

S = Application.Status
BOARD = "/s/greenfield/registrar/"
HX = {"HTTP_HX_REQUEST": "true"}
HX_BOARD = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "board"}
_seq = iter(range(1, 100_000))


def make_application(
    school,
    *,
    status=S.PENDING,
    first_name=None,
    last_name="Okafor",
    level="JSS 1",
    age_hours=1,
    changed_hours=None,
    phone="",
    email="",
    duplicates=0,
    missing=0,
):
    """An application as the board sees it (the intake service has its own tests): a row, a
    guardian and the search text the service would write."""
    n = next(_seq)
    first_name = first_name or f"Child{n}"
    now = timezone.now()
    reference = f"APP-{n:06d}"
    guardian = f.GuardianFactory(
        school=school, phone=phone or f"+23480{40000000 + n}", email=email or f"g{n}@example.ng"
    )
    application = Application.objects.create(
        school=school,
        reference=reference,
        status=status,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=datetime.date(2014, 1, 1),
        gender="female",
        class_level=level,
        submitted_at=now - datetime.timedelta(hours=age_hours),
        status_changed_at=now - datetime.timedelta(hours=age_hours if changed_hours is None else changed_hours),
        open_duplicates=duplicates,
        missing_documents=missing,
        search_text=" ".join(
            [first_name, last_name, reference, guardian.phone, "0" + guardian.phone[4:], guardian.email]
        ).lower(),
    )
    ApplicationGuardian.objects.create(
        school=school,
        application=application,
        guardian=guardian,
        is_primary=True,
        first_name=guardian.first_name,
        last_name=guardian.last_name,
        phone=guardian.phone,
        email=guardian.email,
    )
    return application


@pytest.fixture
def reg(registrar, verified_client):
    return verified_client(registrar)


def counts(response):
    return {m[0]: int(m[1]) for m in re.findall(r'data-count="(\w+)">(\d+)', response.content.decode())}


def card_ids(response, status=None):
    body = response.content.decode()
    if status is not None:
        start = body.index(f'data-column="{status}"')
        end = body.find("</ol>", start)
        body = body[start:end]
    return [int(pk) for pk in re.findall(r'data-card="(\d+)"', body)]


# --- Columns, counts, paging ----------------------------------------------------------------------


def test_board_has_a_column_per_status_with_counts(school, reg):
    # given applications in four statuses
    for status, n in ((S.PENDING, 3), (S.IN_REVIEW, 2), (S.NEEDS_INFO, 1), (S.CONVERTED, 1)):
        for _ in range(n):
            make_application(school, status=status)
    # when the registrar opens the board
    response = reg.get(BOARD)
    # then every status has its column and its count
    assert response.status_code == 200
    assert counts(response) == {
        "pending": 3,
        "in_review": 2,
        "needs_info": 1,
        "approved": 0,
        "converted": 1,
        "rejected": 0,
        "withdrawn": 0,
    }
    assert len(card_ids(response, "pending")) == 3
    body = response.content.decode()
    for label in ("Pending", "In review", "Needs info", "Approved", "Enrolled", "Rejected", "Withdrawn"):
        assert f"<span>{label}</span>" in body
    assert 'class="column column-collapsed"' in body  # closed columns drawn narrow


def test_a_column_shows_the_25_newest_and_loads_the_rest(school, reg):
    apps = [make_application(school, age_hours=hours) for hours in range(1, 31)]  # apps[0] is the newest
    response = reg.get(BOARD)
    shown = card_ids(response, "pending")
    assert shown == [a.pk for a in apps[:25]]
    assert counts(response)["pending"] == 30
    more = re.search(r'href="(/s/greenfield/registrar/column/pending/\?before=[^"]+)"', response.content.decode())
    assert more, "a load-more link"
    # the fragment brings the next five, and no further link
    fragment = reg.get(more.group(1).replace("&amp;", "&"), **HX)
    assert fragment.status_code == 200
    assert card_ids(fragment) == [a.pk for a in apps[25:]]
    assert b"Load more" not in fragment.content and b"<html" not in fragment.content


def test_load_more_orders_ties_by_id_and_keeps_the_filters(school, reg):
    moment = timezone.now() - datetime.timedelta(hours=2)
    apps = [make_application(school, level="JSS 1") for _ in range(27)]
    make_application(school, level="JSS 2")
    Application.objects.filter(pk__in=[a.pk for a in apps]).update(submitted_at=moment)
    response = reg.get(BOARD, {"class_level": "JSS 1"})
    newest_first = sorted((a.pk for a in apps), reverse=True)
    assert card_ids(response, "pending") == newest_first[:25]
    link = re.search(r'href="(/s/greenfield/registrar/column/pending/\?[^"]+)"', response.content.decode()).group(1)
    assert "class_level=JSS+1" in link
    fragment = reg.get(link.replace("&amp;", "&"), **HX)
    assert card_ids(fragment) == newest_first[25:]


def test_load_more_without_javascript_is_a_page_of_its_own(school, reg):
    apps = [make_application(school, age_hours=h) for h in range(1, 28)]
    response = reg.get(BOARD)
    link = re.search(r'href="(/s/greenfield/registrar/column/pending/\?before=[^"]+)"', response.content.decode())
    page = reg.get(link.group(1).replace("&amp;", "&"))
    assert page.status_code == 200 and b"<html" in page.content
    assert card_ids(page) == [a.pk for a in apps[25:]]
    assert b'aria-current="page">Pending' in page.content


def test_a_bad_cursor_or_column_is_refused(school, reg):
    assert reg.get(BOARD + "column/pending/?before=yesterday", **HX).status_code == 400
    assert reg.get(BOARD + "column/archived/", **HX).status_code == 404


def test_the_column_fragment_stays_a_query_or_two(school, reg):
    for hours in range(1, 40):
        make_application(school, age_hours=hours)
    reg.get(BOARD + "column/pending/", **HX)  # session and membership warmed up the same way each time
    with CaptureQueriesContext(connection) as captured:
        response = reg.get(BOARD + "column/pending/", **HX)
    assert response.status_code == 200 and len(card_ids(response)) == 25
    ours = [q["sql"] for q in captured.captured_queries if "registrar_application" in q["sql"]]
    assert len(ours) == 1, ours
    # The lead queue's order (named, or by position in the select list): newest first, then id.
    order = r'ORDER BY ("registrar_application"\."submitted_at"|\d+) DESC, ("registrar_application"\."id"|1) DESC'
    assert re.search(order + " LIMIT 26", ours[0]), ours[0]


def _board_queries(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(BOARD)
    assert response.status_code == 200
    return len(captured)


def test_the_board_runs_the_same_number_of_queries_for_5_or_60_applications(school, reg):
    statuses = [S.PENDING, S.IN_REVIEW, S.NEEDS_INFO, S.APPROVED, S.CONVERTED, S.REJECTED, S.WITHDRAWN]
    for status in statuses[:5]:
        make_application(school, status=status, duplicates=1, missing=2)
    make_application(school, status=S.REJECTED)
    make_application(school, status=S.WITHDRAWN)
    reg.get(BOARD)  # session, membership and the hostname lookup warmed up the same way each time
    small = _board_queries(reg)
    for i in range(60):
        make_application(school, status=statuses[i % 7], missing=i % 3, changed_hours=100)
    large = _board_queries(reg)
    assert small == large
    assert large <= 16


# --- Filters and search -----------------------------------------------------------------------------


def test_filter_by_class_sought(school, reg):
    f.ClassGroupFactory(school=school, name="GFA JSS 2A", level="JSS 2")
    jss1, jss2 = make_application(school, level="JSS 1"), make_application(school, level="JSS 2")
    response = reg.get(BOARD, {"class_level": "JSS 2"})
    assert card_ids(response) == [jss2.pk]
    assert counts(response)["pending"] == 1
    assert b'<option value="JSS 2" selected>' in response.content
    assert jss1.pk not in card_ids(response)


def test_filter_by_submitted_dates_is_the_schools_days(school, reg):
    # Lagos is UTC+1: 23:30 local on the 20th is 22:30 UTC the same day, 00:30 local on the 21st is 23:30 UTC.
    late = make_application(school)
    early = make_application(school)
    tz = school.tzinfo
    Application.objects.filter(pk=late.pk).update(submitted_at=datetime.datetime(2026, 11, 20, 23, 30, tzinfo=tz))
    Application.objects.filter(pk=early.pk).update(submitted_at=datetime.datetime(2026, 11, 21, 0, 30, tzinfo=tz))
    assert card_ids(reg.get(BOARD, {"to": "2026-11-20"})) == [late.pk]
    assert card_ids(reg.get(BOARD, {"from": "2026-11-21"})) == [early.pk]
    assert sorted(card_ids(reg.get(BOARD, {"from": "2026-11-20", "to": "2026-11-21"}))) == sorted([late.pk, early.pk])


def test_a_bad_date_filter_says_why_and_is_ignored(school, reg):
    app = make_application(school)
    response = reg.get(BOARD, {"from": "2026-11-22", "to": "2026-11-01"})
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()
    response = reg.get(BOARD, {"from": "someday"})
    assert b"Enter a valid date." in response.content
    assert card_ids(response) == [app.pk]


def test_filter_duplicates_missing_and_stale(school, reg):
    dup = make_application(school, duplicates=1)
    missing = make_application(school, missing=2)
    stale = make_application(school, status=S.IN_REVIEW, changed_hours=24 * 4)
    closed_long_ago = make_application(school, status=S.REJECTED, changed_hours=24 * 30)
    fresh = make_application(school)
    assert card_ids(reg.get(BOARD, {"duplicates": "1"})) == [dup.pk]
    assert card_ids(reg.get(BOARD, {"missing": "1"})) == [missing.pk]
    assert card_ids(reg.get(BOARD, {"stale": "1"})) == [stale.pk]  # closed ones are never stale
    everything = set(card_ids(reg.get(BOARD)))
    assert {dup.pk, missing.pk, stale.pk, closed_long_ago.pk, fresh.pk} == everything


def test_cards_show_their_badges(school, reg):
    make_application(school, duplicates=1, missing=2, status=S.NEEDS_INFO, changed_hours=24 * 5)
    body = reg.get(BOARD).content.decode()
    assert "Possible duplicate" in body and "Missing docs 2" in body and ">Stale</span>" in body


def test_cards_escape_what_families_typed_and_say_how_old_they_are(school, reg):
    make_application(school, first_name='<img src=x onerror="alert(1)">', age_hours=49)
    make_application(school, first_name="Ada", age_hours=1)
    body = reg.get(BOARD).content.decode()
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; Okafor</a>" in body
    assert ">2 days ago</time>" in body and ">1 hour ago</time>" in body


def test_filter_by_status_shows_that_column_alone(school, reg):
    make_application(school, status=S.PENDING)
    review = make_application(school, status=S.IN_REVIEW)
    response = reg.get(BOARD, {"status": "in_review"})
    assert card_ids(response) == [review.pk]
    assert list(counts(response)) == ["in_review"]


@pytest.mark.parametrize(
    "query", ["Zainab", "zainab okafor", "APP-", "+2348099990001", "0809 999 0001", "zainab.mum@example.ng"]
)
def test_search_by_name_reference_phone_or_email(school, reg, query):
    wanted = make_application(school, first_name="Zainab", phone="+2348099990001", email="zainab.mum@example.ng")
    other = make_application(school, first_name="Tunde")
    found = card_ids(reg.get(BOARD, {"q": query}))
    assert wanted.pk in found
    if query != "APP-":
        assert other.pk not in found
    reference_found = card_ids(reg.get(BOARD, {"q": wanted.reference.lower()}))
    assert reference_found == [wanted.pk]


def test_the_filter_form_swaps_the_columns_for_htmx(school, reg):
    make_application(school)
    response = reg.get(BOARD, {"q": "child"}, **HX_BOARD)
    assert response.status_code == 200
    assert b"<html" not in response.content and b"data-columns" in response.content
    assert "HX-Request" in response["Vary"]


# --- Moves ----------------------------------------------------------------------------------------


def test_a_card_offers_only_the_allowed_moves(school, reg):
    pending = make_application(school, status=S.PENDING)
    body = reg.get(BOARD).content.decode()
    card = body[body.index(f'id="app-{pending.pk}"') :]
    card = card[: card.index("</li>")]
    assert 'value="in_review"' in card and 'value="rejected"' in card and 'value="withdrawn"' in card
    assert 'value="approved"' not in card and 'value="converted"' not in card


def test_a_move_from_a_card_moves_it_and_refreshes_the_board(school, reg, registrar):
    app = make_application(school)
    response = reg.post(BOARD + f"{app.pk}/move/", {"to_status": "in_review", "origin": "board"}, **HX)
    assert response.status_code == 200
    assert f"{app.reference}" in response.content.decode() and "moved to In review" in response.content.decode()
    assert json.loads(response["HX-Trigger"]) == {"registrar-changed": {"id": app.pk}}
    app.refresh_from_db()
    assert app.status == S.IN_REVIEW
    event = ApplicationEvent.objects.get(application=app, to_status=S.IN_REVIEW)
    assert (event.from_status, event.actor) == (S.PENDING, registrar)


def test_a_refused_move_says_why_and_changes_nothing(school, reg):
    app = make_application(school)
    response = reg.post(BOARD + f"{app.pk}/move/", {"to_status": "approved", "origin": "board"}, **HX)
    assert response.status_code == 400
    assert "cannot move from Pending to Approved" in response.content.decode()
    assert "HX-Trigger" not in response
    app.refresh_from_db()
    assert app.status == S.PENDING
    assert not ApplicationEvent.objects.filter(application=app).exists()


def test_a_move_without_javascript_comes_back_to_the_filtered_board(school, reg):
    app = make_application(school)
    response = reg.post(
        BOARD + f"{app.pk}/move/", {"to_status": "in_review", "origin": "board", "back": "q=child&stale=&evil=1"}
    )
    assert response.status_code == 302 and response["Location"] == BOARD + "?q=child"
    page = reg.get(response["Location"])
    assert "moved to In review" in page.content.decode()


def test_needs_info_from_a_card_asks_what_is_missing(school, reg):
    app = make_application(school, status=S.IN_REVIEW)
    body = reg.get(BOARD).content.decode()
    assert f'href="/s/greenfield/registrar/{app.pk}/?tab=overview&amp;move=needs_info"' in body
    response = reg.post(BOARD + f"{app.pk}/move/", {"to_status": "needs_info", "origin": "board"}, **HX)
    assert response.status_code == 400 and "Say what is missing" in response.content.decode()
    app.refresh_from_db()
    assert app.status == S.IN_REVIEW


def test_bulk_move_moves_each_and_lists_the_refused_with_the_reason(school, reg):
    movable = [make_application(school) for _ in range(3)]
    closed = make_application(school, status=S.CONVERTED)
    ids = [a.pk for a in movable] + [closed.pk]
    response = reg.post(BOARD + "bulk/", {"ids": ids, "to_status": "in_review"}, **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Moved to In review (3)" in body
    assert f"{closed.reference}" in body and "cannot move from Enrolled to In review" in body
    assert set(Application.objects.filter(pk__in=ids).values_list("status", flat=True)) == {S.IN_REVIEW, S.CONVERTED}
    assert response["HX-Trigger"] == "registrar-changed"


def test_bulk_needs_info_requires_what_is_missing_and_moves_nothing_without_it(school, reg):
    apps = [make_application(school, status=S.IN_REVIEW) for _ in range(2)]
    response = reg.post(BOARD + "bulk/", {"ids": [a.pk for a in apps], "to_status": "needs_info"}, **HX)
    assert response.status_code == 400 and "Say what is missing" in response.content.decode()
    assert set(Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("status", flat=True)) == {
        S.IN_REVIEW
    }
    response = reg.post(
        BOARD + "bulk/",
        {"ids": [a.pk for a in apps], "to_status": "needs_info", "other_items": "Birth certificate"},
        **HX,
    )
    assert response.status_code == 200
    for app in apps:
        app.refresh_from_db()
        assert (app.status, app.needs_info_items) == (S.NEEDS_INFO, ["Birth certificate"])


def test_bulk_without_a_selection_or_a_status_is_a_field_error(school, reg):
    response = reg.post(BOARD + "bulk/", {"to_status": "in_review"}, **HX)
    assert response.status_code == 400 and "Select at least one application." in response.content.decode()
    response = reg.post(BOARD + "bulk/", {"ids": ["1", "x"], "to_status": ""}, **HX)
    assert response.status_code == 400


def test_bulk_never_touches_another_schools_application(school, other_school, reg):
    theirs = make_application(other_school)
    mine = make_application(school)
    response = reg.post(BOARD + "bulk/", {"ids": [theirs.pk, mine.pk], "to_status": "in_review"}, **HX)
    assert f"#{theirs.pk}" in response.content.decode() and "No such application." in response.content.decode()
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert (theirs.status, mine.status) == (S.PENDING, S.IN_REVIEW)


def test_bulk_without_javascript_reports_through_messages(school, reg):
    app = make_application(school)
    closed = make_application(school, status=S.REJECTED)
    response = reg.post(BOARD + "bulk/", {"ids": [app.pk, closed.pk], "to_status": "in_review", "back": "missing=1"})
    assert response.status_code == 302 and response["Location"] == BOARD + "?missing=1"
    page = reg.get(BOARD).content.decode()
    assert f"Moved to In review: {app.reference}" in page and f"Not moved — {closed.reference}" in page


# --- Access ---------------------------------------------------------------------------------------------


def test_another_schools_member_gets_404_everywhere(school, other_school, charlie, verified_client):
    app = make_application(school)
    client = verified_client(charlie)
    assert client.get(BOARD).status_code == 404
    assert client.get(BOARD + "column/pending/", **HX).status_code == 404
    assert client.post(BOARD + f"{app.pk}/move/", {"to_status": "in_review"}).status_code == 404
    assert client.post(BOARD + "bulk/", {"ids": [app.pk], "to_status": "in_review"}).status_code == 404
    app.refresh_from_db()
    assert app.status == S.PENDING


def test_an_application_of_another_school_is_404_on_ours(school, other_school, reg):
    theirs = make_application(other_school)
    assert reg.post(BOARD + f"{theirs.pk}/move/", {"to_status": "in_review"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == S.PENDING


def test_a_member_without_the_permission_gets_403(school, teacher, verified_client):
    client = verified_client(teacher)
    assert client.get(BOARD).status_code == 403
    assert b"Applications</a>" not in client.get("/s/greenfield/students/").content


def test_the_workspace_navigation_links_the_board(school, reg):
    body = reg.get("/s/greenfield/students/").content.decode()
    assert f'href="{BOARD}"' in body
    assert 'aria-current="page">Applications' in reg.get(BOARD).content.decode()
