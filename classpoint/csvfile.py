"""Every CSV file Classpoint writes goes through here, so none can run a formula when opened.

A cell a spreadsheet reads as a formula (`=HYPERLINK(...)`, `+234...`, `@SUM(...)`) can fetch URLs or
run commands on the reader's machine, and what we export often echoes what someone else typed (a
guardian's name, an uploaded row). Reading uploaded CSVs is import-specific and stays in
`schools.imports.csvfile`.
"""

import csv
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby
from operator import itemgetter

from django.http import StreamingHttpResponse

# Excel reads a CSV file as UTF-8 only when it starts with the byte order mark.
BOM = "\ufeff"
CONTENT_TYPE = "text/csv; charset=utf-8"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ROWS_PER_CHUNK = 500
# Records an export reads from its cursor per round trip: few round trips, and one chunk of plain
# tuples stays well under a megabyte.
EXPORT_CHUNK = 2000


def neutralise(value) -> str:
    """A cell for a CSV we write: a leading quote stops spreadsheets from running it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class SafeWriter:
    """`csv.writer` whose every cell goes through `neutralise`."""

    def __init__(self, text_file, **fmtparams):
        self._writer = csv.writer(text_file, **fmtparams)

    def writerow(self, row: Iterable) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def write_csv(text_file, header: list[str], rows: Iterable[Iterable]) -> None:
    """Write a whole file (header, then rows) to an open text file or HttpResponse."""
    writer = SafeWriter(text_file)
    writer.writerow(header)
    writer.writerows(rows)


class _Pending:
    """A file whose writes are kept until taken, so rows written by the CSV writer can be streamed."""

    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def take(self):
        text, self.parts = "".join(self.parts), []
        return text


def stream_csv(header: list[str], rows: Iterable[Iterable], *, bom: bool = True) -> Iterator[str]:
    """The file as text chunks (the header first, then a few hundred rows at a time), so a long export
    never sits in memory whole. `rows` may be a generator: it is consumed as the chunks are."""
    out = _Pending()
    if bom:
        out.write(BOM)
    writer = SafeWriter(out)
    writer.writerow(header)
    yield out.take()
    for number, row in enumerate(rows, 1):
        writer.writerow(row)
        if number % _ROWS_PER_CHUNK == 0:
            yield out.take()
    yield out.take()


def csv_download(filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """A streamed attachment named `filename` (ASCII, no quotes), opening as UTF-8 in Excel."""
    response = StreamingHttpResponse(stream_csv(header, rows), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Exports hold pupils' and families' details: no shared cache keeps a copy, no browser cache either.
    response["Cache-Control"] = "private, no-store"
    return response


def export_records(queryset, row: Callable[[tuple], Iterable], *, chunk_size: int = EXPORT_CHUNK) -> Iterator:
    """A list too long to hold, as CSV rows: `queryset` (plain values, with what each row needs of
    other tables joined in, so no row costs a query) read through a cursor `chunk_size` records at a
    time (server-side on PostgreSQL), each record made a row by `row`. Memory holds one chunk."""
    return (row(record) for record in queryset.iterator(chunk_size=chunk_size))


def with_children(records: Iterable[tuple], *, parent_width: int) -> Iterator[tuple[tuple, list[tuple]]]:
    """(parent, children) from the records of a parent LEFT JOINed to its children (a pupil and their
    guardians): one record per child, the parent's `parent_width` values first, its id the very first,
    a parent's records adjacent (its id in the ordering before the children's). A parent without
    children comes as one record whose child values are all NULL: it gets no child.

    One query streams the lot, where fetching each chunk's children by id would cost a query per
    chunk and a long IN list; a pupil's few guardians repeat the pupil's columns only in transit."""
    for _, records_of_one in groupby(records, key=itemgetter(0)):
        records_of_one = list(records_of_one)
        children = [record[parent_width:] for record in records_of_one]
        if all(value is None for value in children[0]):
            children = []
        yield records_of_one[0][:parent_width], children
