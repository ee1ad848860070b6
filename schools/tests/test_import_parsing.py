"""Reading and checking student import files: no database involved."""

import csv
import datetime
import gc
import io
import tracemalloc

import pytest

from schools.imports import csvfile
from schools.imports.csvfile import COLUMNS, SAMPLE_BYTES, CsvFileError, open_csv
from schools.imports.rows import RowValidator

TODAY = datetime.date(2025, 6, 15)
CLASSES = ["JSS 1A", "JSS 1B", "SS 2 Science"]
HEADER = [
    "Admission number",
    "First name",
    "Last name",
    "Class",
    "Guardian 1 first name",
    "Guardian 1 last name",
    "Guardian 1 phone",
]


def csv_bytes(rows, *, delimiter=",", encoding="utf-8", bom=False):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode(encoding)


def read_all(data, max_rows=1000):
    reader = open_csv(io.BytesIO(data), max_rows=max_rows)
    return reader, list(reader)


class OneWayStream:
    """A pipe-like upload: no seek, short reads."""

    def __init__(self, data):
        self._data = io.BytesIO(data)

    def read(self, size=-1):
        return self._data.read(min(size, 1000) if size and size > 0 else size)

    def seekable(self):
        return False


def validator():
    return RowValidator(country="NG", class_names=CLASSES, today=TODAY)


def row(**overrides):
    values = {c.key: "" for c in COLUMNS}
    values.update(admission_number="ADM/001", first_name="Chiamaka", last_name="Okafor", class_group="JSS 1A")
    values.update(overrides)
    return values


def problems_of(values, v=None):
    clean, problems = (v or validator()).validate(2, values)
    return clean, {(p.column, p.message, p.severity) for p in problems}


# --- reading files -----------------------------------------------------------------------------------------------


def test_utf8_with_bom_reads_rows_numbered_from_two():
    data = csv_bytes(
        [HEADER, ["ADM/001", "Adébáyò", "Fágbénlé", "JSS 1A", "Ngozi", "Okafor", "0803 123 4567"]], bom=True
    )
    reader, rows = read_all(data)
    assert (reader.encoding, reader.delimiter, reader.extra_headers, reader.missing_required) == ("utf-8", ",", [], [])
    number, values = rows[0]
    assert number == 2 and values["admission_number"] == "ADM/001" and values["first_name"] == "Adébáyò"
    assert values["guardian1_phone"] == "0803 123 4567"
    assert set(values) == {c.key for c in COLUMNS} and values["guardian2_email"] == ""


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_files_with_renamed_headers(delimiter):
    header = ["Adm No.", "first_name", "SURNAME", "  class  ", "DOB (DD/MM/YYYY)", "Parent phone", "Sex"]
    data = csv_bytes(
        [header, ["A1", " Chloé ", "Obi", "JSS 1B", "03/04/2014", "08031234567", "F"]], delimiter=delimiter
    )
    reader, rows = read_all(data)
    assert reader.delimiter == delimiter
    values = rows[0][1]
    assert values["admission_number"] == "A1" and values["first_name"] == "Chloé" and values["last_name"] == "Obi"
    assert values["class_group"] == "JSS 1B" and values["date_of_birth"] == "03/04/2014"
    assert values["guardian1_phone"] == "08031234567" and values["gender"] == "F"


def test_windows_1252_file_is_decoded():
    rows = [HEADER, ["A1", "Adébáyò", "Fágbénlé", "JSS 1A"], ["A2", "Chloé", "Müller", "JSS 1B"]]
    reader, read = read_all(csv_bytes(rows, encoding="cp1252"))
    assert reader.encoding == "windows-1252"
    assert [(v["first_name"], v["last_name"]) for _, v in read] == [("Adébáyò", "Fágbénlé"), ("Chloé", "Müller")]


def test_windows_1252_bytes_after_an_ascii_sample_still_decode():
    rows = [HEADER] + [[f"A{i}", "Tunde", "Bello", "JSS 1A"] for i in range(4000)] + [["Z1", "Chloé", "Ñ", "JSS 1A"]]
    data = csv_bytes(rows, encoding="cp1252")
    assert len(data) > SAMPLE_BYTES
    reader, read = read_all(data, max_rows=10_000)
    assert reader.encoding == "utf-8"  # all the sample showed
    assert read[-1][1]["first_name"] == "Chloé" and read[-1][1]["last_name"] == "Ñ"


def test_multibyte_character_cut_by_the_sample_boundary_is_still_utf8():
    prefix = "Admission number,First name,Last name,Class\r\nA1,"
    filler = "x" * (SAMPLE_BYTES - len(prefix) - 1)  # "é" (2 bytes) straddles the 64 KiB boundary
    data = (prefix + filler + "é,Obi,JSS 1A\r\n").encode()
    assert data[SAMPLE_BYTES - 1 : SAMPLE_BYTES + 1] == "é".encode()
    reader, rows = read_all(data)
    assert reader.encoding == "utf-8" and rows[0][1]["first_name"].endswith("xé")


def test_blank_lines_are_skipped_but_counted_and_quoted_cells_keep_commas_and_newlines():
    data = b'\r\nAdmission number,First name,Last name,Class\r\n,,,\r\nA1,"Ada, Jr","Obi\nNwosu",JSS 1A\r\n'
    data += b"  \t \r\nA2,B\r\n"
    _, rows = read_all(data)
    assert [n for n, _ in rows] == [4, 6]  # as a spreadsheet numbers them: the header is on row 2
    assert rows[0][1]["first_name"] == "Ada, Jr" and rows[0][1]["last_name"] == "Obi\nNwosu"
    assert rows[1][1]["admission_number"] == "A2" and rows[1][1]["last_name"] == "" and rows[1][1]["class_group"] == ""


def test_excel_sep_hint_line_sets_the_delimiter():
    reader, rows = read_all(b"sep=;\r\nAdmission number;First name;Last name;Class\r\nA1;Ada;Obi;JSS 1A\r\n")
    assert reader.delimiter == ";" and [n for n, _ in rows] == [3] and rows[0][1]["class_group"] == "JSS 1A"


def test_extra_and_duplicate_headers_are_reported_and_the_first_duplicate_wins():
    data = csv_bytes([HEADER + ["House", "Surname", ""], ["A1", "Ada", "Obi", "JSS 1A", "", "", "", "Blue", "X", "y"]])
    reader, rows = read_all(data)
    assert reader.extra_headers == ["House", "Surname"]
    assert rows[0][1]["last_name"] == "Obi"


def test_missing_required_column_is_named():
    with pytest.raises(CsvFileError) as exc:
        open_csv(
            io.BytesIO(csv_bytes([["Admission number", "First name", "Surname"], ["A1", "Ada", "Obi"]])), max_rows=9
        )
    assert exc.value.message == "The file is missing required columns: Class."


def test_header_row_without_any_required_column_is_rejected():
    with pytest.raises(CsvFileError, match="not the template's header row"):
        open_csv(io.BytesIO(b"A1,Ada,Obi,JSS 1A\r\nA2,Ben,Obi,JSS 1A\r\n"), max_rows=9)


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel"),
        (b"%PDF-1.7\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n", "image"),
        (b"\xff\xd8\xff\xe0", "image"),
        ("Admission number\tClass\r\n".encode("utf-16"), "UTF-16"),
        (b"Admission number,Class\r\nA1\x00\x00,JSS 1A\r\n", "binary data"),
        (b"", "empty"),
        (b" \r\n\r\n\t\r\n", "no header row"),
    ],
)
def test_files_that_are_not_csv_are_rejected(data, expected):
    with pytest.raises(CsvFileError) as exc:
        open_csv(io.BytesIO(data), max_rows=9)
    assert expected in exc.value.message
    if expected == "Excel workbook":
        assert "Save as CSV" in exc.value.message


def test_nul_bytes_after_the_sample_are_rejected_while_iterating():
    data = csv_bytes([HEADER] + [["A", "B", "C", "JSS 1A"]] * 5000) + b"A9,B\x00,C,JSS 1A\r\n"
    reader = open_csv(io.BytesIO(data), max_rows=10_000)
    with pytest.raises(CsvFileError, match="binary data"):
        list(reader)


def test_row_limit_counts_data_rows_and_states_the_limit():
    rows = [HEADER] + [[f"A{i}", "Ada", "Obi", "JSS 1A"] for i in range(3)]
    assert len(read_all(csv_bytes(rows + [[""]]), max_rows=3)[1]) == 3  # blank lines don't count
    reader = open_csv(io.BytesIO(csv_bytes(rows + [["A9", "Ada", "Obi", "JSS 1A"]])), max_rows=3)
    with pytest.raises(CsvFileError, match="more than 3 student rows"):
        list(reader)


def test_unclosed_quote_is_a_file_error_naming_the_row():
    data = b'Admission number,First name,Last name,Class\r\nA1,"Ada,Obi,JSS 1A\r\n' + b"x" * 200_000
    with pytest.raises(CsvFileError, match="Row 2 could not be read"):
        read_all(data)


def test_streams_a_large_file_from_a_non_seekable_stream_without_closing_it():
    person = ["Ada", "Obi", "JSS 1A", "Ngozi", "Okafor", "0803 123 4567"]
    data = csv_bytes([HEADER] + [[f"ADM/{i}", *person] for i in range(50_000)], delimiter=";")
    stream = OneWayStream(data)
    tracemalloc.start()
    try:
        reader = open_csv(stream, max_rows=50_000)
        count = last = 0
        for number, _values in reader:
            count, last = count + 1, number
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (count, last, reader.delimiter) == (50_000, 50_001, ";")
    assert peak < len(data) / 4, (peak, len(data))  # streamed, never held whole
    del reader
    gc.collect()
    assert not stream._data.closed


def test_header_aliases_never_collide_between_columns():
    owners = {}
    for column in COLUMNS:
        for name in {column.header, column.key, *column.aliases}:
            assert owners.setdefault(csvfile._normalise_header(name), column.key) == column.key, name


# --- writing files -----------------------------------------------------------------------------------------------


def test_template_reads_back_and_its_example_row_is_valid():
    text = csvfile.template_csv()
    assert text.splitlines()[0].split(",") == [c.header for c in COLUMNS] and len(text.splitlines()) == 2
    reader, rows = read_all(text.encode())
    assert reader.extra_headers == [] and len(rows) == 1
    clean, problems = RowValidator(country="NG", class_names=["JSS 1A"]).validate(*rows[0])
    assert problems == [] and clean.date_of_birth == datetime.date(2014, 3, 14) and len(clean.guardians) == 2
    assert csvfile.template_descriptions()[0] == ("Admission number", True, COLUMNS[0].description)
    assert [h for h, required, _ in csvfile.template_descriptions() if required] == [
        "Admission number",
        "First name",
        "Last name",
        "Class",
    ]


# --- checking rows -----------------------------------------------------------------------------------------------


def test_valid_row_is_cleaned():
    values = row(
        other_names="Adaeze",
        date_of_birth="2014-03-14",
        gender="Girl",
        class_group="jss1a",
        guardian1_first_name="Ngozi",
        guardian1_last_name="Okafor",
        guardian1_phone="0803 123 4567",
        guardian1_email="Ngozi.Okafor@Example.COM",
        guardian1_consent_sms="Y",
        guardian1_consent_whatsapp="x",
        guardian2_first_name="Emeka",
        guardian2_last_name="Okafor",
        guardian2_email="emeka@example.com",
    )
    clean, problems = validator().validate(7, values)
    assert problems == []
    assert (clean.row, clean.class_group_name, clean.gender, clean.date_of_birth) == (
        7,
        "JSS 1A",
        "female",
        datetime.date(2014, 3, 14),
    )
    first, second = clean.guardians
    assert (first.phone, first.email, first.preferred_channel) == ("+2348031234567", "ngozi.okafor@example.com", "sms")
    assert (first.consent_sms, first.consent_whatsapp, first.consent_email) == (True, True, False)
    assert (second.phone, second.preferred_channel) == ("", "email")


def test_required_fields_and_lengths():
    clean, found = problems_of(row(admission_number="", first_name="", last_name="x" * 81, class_group=""))
    assert clean is None
    assert found == {
        ("Admission number", "Admission number is required.", "error"),
        ("First name", "First name is required.", "error"),
        ("Last name", "Last name must be at most 80 characters.", "error"),
        ("Class", "Class is required.", "error"),
    }


def test_overlong_cell_is_one_error_before_other_checks():
    _, problems = validator().validate(
        2, row(guardian1_phone="9" * 201, guardian1_first_name="N", guardian1_last_name="O")
    )
    assert [(p.column, p.message) for p in problems] == [("Guardian 1 phone", "Keep it under 200 characters.")]


def test_duplicate_admission_numbers_name_the_first_row():
    v = validator()
    assert v.validate(2, row())[0] is not None
    assert v.validate(3, row(admission_number="ADM/002"))[0] is not None
    clean, problems = v.validate(9, row(first_name="Other"))
    assert clean is None and problems[0].row == 9 and problems[0].value == "ADM/001"
    assert (
        problems[0].message == "Admission number “ADM/001” is already used on row 2; each student can appear only once."
    )


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2014-03-25", "2014-03-25"),
        ("2014/3/25", "2014-03-25"),
        ("25/3/2014", "2014-03-25"),
        ("25-03-2014", "2014-03-25"),
        ("25.03.2014", "2014-03-25"),
        ("05/05/2014", "2014-05-05"),
        ("25/03/14", "2014-03-25"),
        ("14/06/25", "2025-06-14"),
        ("16/06/25", "1925-06-16"),  # 2025-06-16 would be tomorrow
        ("12 Mar 2014", "2014-03-12"),
        ("12 March 2014", "2014-03-12"),
        ("Mar 12, 2014", "2014-03-12"),
        ("12-Mar-14", "2014-03-12"),
        ("1st sept 2014", "2014-09-01"),
        ("2014-03-25 00:00:00", "2014-03-25"),
    ],
)
def test_dates_people_type_are_accepted(raw, expected):
    clean, problems = validator().validate(2, row(date_of_birth=raw))
    assert problems == [] and clean.date_of_birth == datetime.date.fromisoformat(expected)


def test_ambiguous_day_first_date_is_accepted_with_a_warning():
    clean, found = problems_of(row(date_of_birth="03/04/2014"))
    assert clean.date_of_birth == datetime.date(2014, 4, 3)
    assert found == {("Date of birth", "Read as 3 April 2014 (day first); check it is not 4 March.", "warning")}
    # No warning when the month-first reading could not be a birth date anyway (6 December 2025 is in the future).
    clean, found = problems_of(row(date_of_birth="12/06/2025"))
    assert clean.date_of_birth == datetime.date(2025, 6, 12) and found == set()


@pytest.mark.parametrize(
    "raw, message",
    [
        ("31/02/2014", "There is no such date as “31/02/2014”: check the day and month."),
        ("12/25/2014", "“12/25/2014” has no month 25: write dates day first, e.g. 25/12/2014."),
        ("2030-01-01", "Date of birth “2030-01-01” is in the future."),
        ("1899-12-31", "Date of birth “1899-12-31” is before 1900."),
        ("last year", "“last year” is not a date we recognise. Use a date like 25/12/2014 or 2014-12-25."),
        ("12 Smarch 2014", "“12 Smarch 2014” is not a date we recognise. Use a date like 25/12/2014 or 2014-12-25."),
    ],
)
def test_bad_dates_are_errors(raw, message):
    clean, found = problems_of(row(date_of_birth=raw))
    assert clean is None and found == {("Date of birth", message, "error")}


@pytest.mark.parametrize("raw, expected", [("F", "female"), ("boy", "male"), ("MALE", "male"), ("", "")])
def test_gender(raw, expected):
    assert validator().validate(2, row(gender=raw))[0].gender == expected


def test_unknown_gender_is_an_error():
    assert problems_of(row(gender="other"))[1] == {
        ("Gender", "Use Female or Male (F or M also work), or leave it blank.", "error")
    }


@pytest.mark.parametrize(
    "raw, message",
    [
        ("JS 1A", "Unknown class “JS 1A”. Did you mean “JSS 1A”?"),
        ("Primary 4", "Unknown class “Primary 4”."),
        ("ss2 sciense", "Unknown class “ss2 sciense”. Did you mean “SS 2 Science”?"),
    ],
)
def test_unknown_class_suggests_a_close_one(raw, message):
    assert problems_of(row(class_group=raw))[1] == {("Class", message, "error")}


def test_class_matches_ignoring_case_and_spaces():
    assert validator().validate(2, row(class_group=" ss2SCIENCE "))[0].class_group_name == "SS 2 Science"


def guardian(**cells):
    base = {"first_name": "Ngozi", "last_name": "Okafor", "phone": "08031234567"}
    return row(**{f"guardian1_{k}": v for k, v in (base | cells).items()})


@pytest.mark.parametrize(
    "cells, column, message",
    [
        ({"first_name": ""}, "Guardian 1 first name", "Guardian 1 first name is required."),
        ({"phone": "12345"}, "Guardian 1 phone", "Enter a valid phone number, e.g. +2348031234567."),
        ({"phone": ""}, "Guardian 1 phone", "Give Guardian 1 a phone number or an email address."),
        ({"email": "ngozi@"}, "Guardian 1 email", "Enter a valid email address, e.g. ngozi.okafor@example.com."),
        ({"channel": "pigeon"}, "Guardian 1 preferred channel", "Use SMS, WhatsApp or Email, or leave it blank."),
        (
            {"channel": "Email"},
            "Guardian 1 preferred channel",
            "Email needs Guardian 1 email: add the address or choose SMS.",
        ),
        (
            {"phone": "", "email": "n@example.com", "channel": "WhatsApp"},
            "Guardian 1 preferred channel",
            "WhatsApp needs Guardian 1 phone: add the number or choose Email.",
        ),
        ({"consent_sms": "maybe"}, "Guardian 1 consents to SMS", "Use Yes or No; blank means No."),
    ],
)
def test_guardian_problems(cells, column, message):
    clean, found = problems_of(guardian(**cells))
    assert clean is None and found == {(column, message, "error")}


def test_guardian_problem_carries_the_raw_value():
    _, problems = validator().validate(5, guardian(phone=" 0803-BAD "))
    assert (problems[0].row, problems[0].value) == (5, "0803-BAD")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Yes", True),
        ("y", True),
        ("TRUE", True),
        ("1", True),
        ("X", True),
        ("no", False),
        ("N", False),
        ("false", False),
        ("0", False),
        ("", False),
    ],
)
def test_consent_values(raw, expected):
    clean, _ = validator().validate(2, guardian(consent_whatsapp=raw, channel="whats app"))
    assert clean.guardians[0].consent_whatsapp is expected and clean.guardians[0].preferred_channel == "whatsapp"


def test_blank_guardian_is_none_and_guardian_2_alone_is_kept():
    assert validator().validate(2, row())[0].guardians == []
    values = row(guardian2_first_name="Emeka", guardian2_last_name="Obi", guardian2_phone="+234 805 123 4567")
    (only,) = validator().validate(2, values)[0].guardians
    assert (only.first_name, only.phone, only.preferred_channel) == ("Emeka", "+2348051234567", "sms")
