"""The kernel's export helpers: records read through a cursor, a parent's joined children folded into
one row, and the one access entry an export of pupils' records writes."""

import pytest

from classpoint.audit import record_export
from classpoint.csv_testing import read_download
from classpoint.csvfile import EXPORT_CHUNK, export_records, with_children
from classpoint.models import AuditLog


class _Records:
    """Stands in for a queryset: remembers how it was asked to iterate."""

    def __init__(self, records):
        self.records, self.chunk_size = records, None

    def iterator(self, chunk_size):
        self.chunk_size = chunk_size
        yield from self.records


def test_export_records_reads_through_a_cursor_in_chunks_and_makes_each_row():
    records = _Records([(1, "a"), (2, "b")])
    rows = export_records(records, lambda record: [record[1].upper(), record[0]])
    assert records.chunk_size is None  # nothing is read until the response streams
    assert list(rows) == [["A", 1], ["B", 2]]
    assert records.chunk_size == EXPORT_CHUNK


def test_with_children_folds_each_parents_adjacent_records_and_keeps_the_order():
    records = [
        (7, "Zainab", "Ngozi", "+234801"),
        (7, "Zainab", "Emeka", "+234802"),
        (3, "Ade", None, None),  # LEFT JOIN found no guardian
        (5, "Bisi", "Tolu", None),
    ]
    assert list(with_children(iter(records), parent_width=2)) == [
        ((7, "Zainab"), [("Ngozi", "+234801"), ("Emeka", "+234802")]),
        ((3, "Ade"), []),
        ((5, "Bisi"), [("Tolu", None)]),
    ]


@pytest.mark.django_db
def test_record_export_writes_one_entry_with_the_filters_set_and_the_count(school, alice):
    entry = record_export(
        school=school,
        actor=alice,
        export="students",
        filters={"q": "okafor", "status": "", "class_group": None},
        rows=12,
    )
    assert entry.action == "students.exported" and entry.actor == alice and entry.school == school
    assert entry.changes == {"via": "export", "filters": {"q": "okafor"}, "rows": 12}
    unknown = record_export(school=school, actor=alice, export="broadsheet", filters={"term": 4})
    assert unknown.changes == {"via": "export", "filters": {"term": "4"}}
    assert AuditLog.objects.for_school(school).filter(action__endswith=".exported").count() == 2


EXPORTS = [
    "/s/greenfield/students/",
    "/s/greenfield/registrar/",
    "/s/greenfield/fees/invoices/",
    "/s/greenfield/fees/defaulters/",
    "/s/greenfield/payments/",
    "/s/greenfield/payments/receipts/",
    "/s/greenfield/messages/",
    "/s/greenfield/attendance/marks/",
]
HOSTILE = ("²", "99999999999999999999", "0001-01-01", "9999-12-31", "nul\x00byte")
FILTERS = ("q", "status", "class_group", "term", "kind", "state", "from", "to", "date_from", "date_to", "overdue")


@pytest.mark.django_db
@pytest.mark.parametrize("url", EXPORTS)
def test_no_export_answers_hostile_filters_with_a_500(school, alice, verified_client, url):
    client = verified_client(alice)
    for value in HOSTILE:
        response = client.get(url, {**dict.fromkeys(FILTERS, value), "format": "csv"})
        # A NUL anywhere in a query string is refused before any view (400); anything else is a file.
        if "\x00" in value:
            assert response.status_code == 400, (url, response.status_code)
        else:
            assert read_download(response)[0], (url, value)
