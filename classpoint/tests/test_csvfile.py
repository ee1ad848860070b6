"""The CSV writer every export goes through: no cell can run as a formula in a spreadsheet."""

import csv
import io

import pytest

from classpoint.csvfile import BOM, SafeWriter, csv_download, neutralise, stream_csv, write_csv


def _rows(text):
    return list(csv.reader(io.StringIO(text.removeprefix(BOM))))


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x.example","click")', '\'=HYPERLINK("http://x.example","click")'),
        ("+2348031234567", "'+2348031234567"),
        ("-1", "'-1"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ada = Obi", "Ada = Obi"),
        (42, "42"),
        (-5, "'-5"),
        (None, ""),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_write_csv_neutralises_every_cell():
    out = io.StringIO()
    write_csv(out, ["Row", "=Problem"], [[2, "=1+1"], [3, "fine"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["Row", "'=Problem"], ["2", "'=1+1"], ["3", "fine"]]


def test_safe_writer_neutralises_row_by_row_and_keeps_quoting():
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["@cmd", 'a "quoted", cell'])
    writer.writerows([["+1"], ["plain"]])
    assert _rows(out.getvalue()) == [["'@cmd", 'a "quoted", cell'], ["'+1"], ["plain"]]


def test_stream_csv_starts_with_the_bom_and_header_then_streams_rows_in_chunks():
    consumed = []

    def rows():
        for n in range(1201):
            consumed.append(n)
            yield [n, f"=cell{n}"]

    chunks = stream_csv(["Number", "Text"], rows())
    first = next(chunks)
    # The header goes out before a single row is read: a slow query does not hold back the download.
    assert first.startswith(BOM) and _rows(first) == [["Number", "Text"]] and consumed == []
    rest = list(chunks)
    parsed = _rows("".join(rest))
    assert len(parsed) == 1201 and parsed[0] == ["0", "'=cell0"] and parsed[-1] == ["1200", "'=cell1200"]
    assert len([c for c in rest if c]) == 3  # 500 + 500 + 201 rows


def test_stream_csv_without_bom():
    assert "".join(stream_csv(["a"], [["b"]], bom=False)) == "a\r\nb\r\n"


def test_csv_download_is_a_streamed_utf8_attachment():
    response = csv_download("report-2025-06-15.csv", ["Name"], [["=evil()"]])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report-2025-06-15.csv"'
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith(BOM) and _rows(body) == [["Name"], ["'=evil()"]]
