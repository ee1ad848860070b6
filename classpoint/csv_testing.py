"""What the export tests share: reading a streamed CSV download the way a server sends it.

A test body runs unscoped (conftest), but in production a streamed file is read after the view has
returned and the request's school scope has closed. `read_download` reads it in a scope with no
school, so an export whose streaming code queries a school's rows without entering that school's
scope fails here as it would in production, instead of quietly reading every school.
"""

import csv
import io

from django_scopes import scope

from .csvfile import BOM, CONTENT_TYPE


def read_download(response):
    """The rows (header first) of a streamed CSV attachment with the BOM Excel needs."""
    assert response.status_code == 200, response.status_code
    assert response.streaming, "an export is streamed, never built whole in memory"
    assert response["Content-Type"] == CONTENT_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="')
    assert response["Cache-Control"] == "private, no-store"
    with scope():
        text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith(BOM), "Excel opens a CSV as UTF-8 only when it starts with the BOM"
    return list(csv.reader(io.StringIO(text[len(BOM) :])))


def as_dicts(rows):
    """The data rows as {header: cell}."""
    header, *data = rows
    return [dict(zip(header, row, strict=True)) for row in data]
