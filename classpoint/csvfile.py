"""Every CSV file Classpoint writes goes through here, so none can run a formula when opened.

A cell a spreadsheet reads as a formula (`=HYPERLINK(...)`, `+234...`, `@SUM(...)`) can fetch URLs or
run commands on the reader's machine, and what we export often echoes what someone else typed (a
guardian's name, an uploaded row). Reading uploaded CSVs is import-specific and stays in
`schools.imports.csvfile`.
"""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

# Excel reads a CSV file as UTF-8 only when it starts with the byte order mark.
BOM = "\ufeff"
CONTENT_TYPE = "text/csv; charset=utf-8"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ROWS_PER_CHUNK = 500


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
    return response
