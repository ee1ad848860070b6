"""Read an uploaded students CSV as a stream of (row number, values), and write its template.

Spreadsheets export CSV in many shapes: Excel on Windows writes Windows-1252 unless told "CSV UTF-8",
European locales separate with semicolons, "Unicode text" is tab separated, and people rename headers.
Everything is streamed so a 50,000-row file never sits in memory whole.
"""

import codecs
import csv
import io
import re
from dataclasses import dataclass

from classpoint.csvfile import write_csv

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t")  # in order of preference when the header line has as many of each
_FALLBACK_ERRORS = "classpoint-cp1252-fallback"


class CsvFileError(Exception):
    """The file as a whole cannot be read; .message is user-safe, one sentence."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    description: str
    example: str
    aliases: tuple[str, ...] = ()


def _guardian_columns(n):
    # Guardian 1 also answers to unnumbered headers ("Parent phone", "Email"): files with one parent use those.
    prefixes = [f"Guardian {n}", f"Parent {n}"] + (["Guardian", "Parent"] if n == 1 else [])
    bare = {"phone": ("Phone", "Phone number", "GSM"), "email": ("Email", "Email address")} if n == 1 else {}
    fields = [
        # key, header suffix, description, example, other suffixes
        (
            "first_name",
            "first name",
            "First name of the parent or guardian.",
            ("Ngozi", "Emeka"),
            ("given name", "forename"),
        ),
        (
            "last_name",
            "last name",
            "Surname of the parent or guardian.",
            ("Okafor", "Okafor"),
            ("surname", "family name"),
        ),
        (
            "relationship",
            "relationship",
            "How they are related to the student, e.g. Mother, Father or Uncle.",
            ("Mother", "Father"),
            ("relation", "relationship to student"),
        ),
        (
            "phone",
            "phone",
            "Mobile number; numbers without a country code are read as local numbers.",
            ("08031234567", "08051234567"),
            ("phone number", "mobile", "mobile number", "telephone", "GSM"),
        ),
        ("email", "email", "Email address.", ("ngozi.okafor@example.com", ""), ("email address",)),
        (
            "channel",
            "preferred channel",
            "SMS, WhatsApp or Email; leave blank for SMS (or Email if there is no phone).",
            ("WhatsApp", ""),
            ("channel", "contact channel", "preferred contact"),
        ),
        (
            "consent_sms",
            "consents to SMS",
            "Yes if they agreed to receive school messages by SMS; blank means No.",
            ("Yes", "Yes"),
            ("SMS consent", "consent to SMS"),
        ),
        (
            "consent_whatsapp",
            "consents to WhatsApp",
            "Yes if they agreed to receive school messages on WhatsApp.",
            ("Yes", "No"),
            ("WhatsApp consent", "consent to WhatsApp"),
        ),
        (
            "consent_email",
            "consents to email",
            "Yes if they agreed to receive school messages by email.",
            ("No", "No"),
            ("email consent", "consent to email"),
        ),
    ]
    columns = []
    for key, suffix, description, examples, others in fields:
        header = f"Guardian {n} {suffix}"
        aliases = [f"{p} {s}" for p in prefixes for s in (suffix, *others)]
        aliases = tuple(a for a in aliases if a != header) + bare.get(key, ())
        columns.append(Column(f"guardian{n}_{key}", header, False, description, examples[n - 1], aliases))
    return columns


COLUMNS = [
    Column(
        "admission_number",
        "Admission number",
        True,
        "The student's admission number; it must be unique in the "
        "school and is how a later import finds the same student.",
        "ADM/2024/001",
        (
            "Admission no",
            "Adm no",
            "Adm number",
            "Admission",
            "Reg number",
            "Reg no",
            "Registration number",
            "Student number",
        ),
    ),
    Column("first_name", "First name", True, "The student's first name.", "Chiamaka", ("Given name", "Forename")),
    Column("last_name", "Last name", True, "The student's surname.", "Okafor", ("Surname", "Family name")),
    Column("other_names", "Other names", False, "Middle names, if any.", "Adaeze", ("Middle name", "Middle names")),
    Column(
        "date_of_birth",
        "Date of birth",
        False,
        "Day first, e.g. 14/03/2014, or 2014-03-14.",
        "14/03/2014",
        ("DOB", "Birth date", "Birthday"),
    ),
    Column("gender", "Gender", False, "Female or Male (F or M also work); may be left blank.", "Female", ("Sex",)),
    Column(
        "class_group",
        "Class",
        True,
        "The class for the current term, written as it is named in Classpoint.",
        "JSS 1A",
        ("Class name", "Arm", "Class arm", "Class group", "Form"),
    ),
    *_guardian_columns(1),
    *_guardian_columns(2),
]


def _normalise_header(text):
    # "Admission No.", "admission_number", "ADMISSION  NUMBER" and "Date of birth (DD/MM/YYYY)" compare equal.
    text = re.sub(r"\(.*?\)", "", text.replace("\ufeff", "").casefold())
    return re.sub(r"[\s_\-.*:#'’]+", "", text)


def _header_lookup():
    lookup = {}
    for column in COLUMNS:
        for name in (column.header, column.key, *column.aliases):
            lookup.setdefault(_normalise_header(name), column.key)
    return lookup


HEADER_LOOKUP = _header_lookup()


def _fallback_decode(exc):
    # Decode what is not UTF-8 as Windows-1252, byte by byte. A file whose first 64 KiB are plain ASCII
    # may still hold "Chloé" saved by Excel further down; this keeps such a file readable instead of
    # failing half-way. Bytes undefined in Windows-1252 map to Latin-1, as browsers do.
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    chars = []
    for byte in exc.object[exc.start : exc.end]:
        try:
            chars.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(chr(byte))
    return "".join(chars), exc.end


codecs.register_error(_FALLBACK_ERRORS, _fallback_decode)

_NOT_CSV = (
    (
        b"PK\x03\x04",
        "This looks like an Excel workbook, not a CSV file: open it in Excel, use Save as CSV "
        "(choose “CSV UTF-8” if offered) and upload the new file.",
    ),
    (
        b"\xd0\xcf\x11\xe0",
        "This looks like an old Excel workbook (.xls), not a CSV file: open it in Excel, "
        "use Save as CSV and upload the new file.",
    ),
    (b"%PDF", "This is a PDF document, not a CSV file: upload the student list saved as CSV from your spreadsheet."),
    (b"\x89PNG", "This is an image, not a CSV file: upload the student list saved as CSV from your spreadsheet."),
    (b"\xff\xd8", "This is an image, not a CSV file: upload the student list saved as CSV from your spreadsheet."),
    (b"\xff\xfe", "This file is saved as Unicode text (UTF-16): save it from your spreadsheet as CSV UTF-8 instead."),
    (b"\xfe\xff", "This file is saved as Unicode text (UTF-16): save it from your spreadsheet as CSV UTF-8 instead."),
)
_BINARY = "This does not look like a CSV file (it contains binary data): save your spreadsheet as CSV and upload that."


class _Chain(io.RawIOBase):
    """The sample already read, then the rest of the caller's stream: no seek needed, and closing the
    text wrapper around it never closes the caller's file."""

    def __init__(self, head, rest):
        self._head = memoryview(head)
        self._rest = rest

    def readable(self):
        return True

    def readinto(self, buffer):
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer)) or b""
        buffer[: len(data)] = data
        return len(data)


class CsvReader:
    """Iterate to get (row_number, values): row_number is the file's row as a spreadsheet numbers it
    (header = 1, first data row = 2, blank lines and lines before the header counted; a quoted cell
    spanning lines is one row); values maps every key in COLUMNS to a stripped string ('' if absent).
    Fully blank rows are skipped. One pass only: the reader consumes the stream."""

    def __init__(self, records, indexes, *, max_rows, extra_headers, missing_required, delimiter, encoding):
        self._records = records
        self._indexes = indexes
        self._max_rows = max_rows
        self.extra_headers = extra_headers
        self.missing_required = missing_required
        self.delimiter = delimiter
        self.encoding = encoding

    def __iter__(self):
        data_rows = 0
        for row_number, record in self._records:
            if _blank(record):
                continue
            if any("\x00" in cell for cell in record):
                raise CsvFileError(_BINARY)
            data_rows += 1
            if data_rows > self._max_rows:
                raise CsvFileError(
                    f"The file has more than {self._max_rows:,} student rows; split it into files of at most "
                    f"{self._max_rows:,} rows and upload them one at a time."
                )
            width = len(record)
            yield row_number, {key: record[i].strip() if i < width else "" for key, i in self._indexes.items()}


def _blank(record):
    return not any(cell.strip() for cell in record)


def _read_sample(binary_file):
    # Loop: a pipe or network stream may return short reads before its end.
    chunks, size = [], 0
    while size < SAMPLE_BYTES:
        chunk = binary_file.read(SAMPLE_BYTES - size)
        if isinstance(chunk, str):
            raise TypeError("open_csv needs a file opened in binary mode")
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False


def _detect_encoding(sample, at_eof):
    """(encoding, bytes of BOM to skip)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8", len(codecs.BOM_UTF8)
    try:
        # Not final unless the whole file is in the sample: the 64 KiB cut may split a multi-byte character.
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=at_eof)
    except UnicodeDecodeError:
        return "windows-1252", 0
    return "utf-8", 0


def _sniff(text):
    """(delimiter, whether the file starts with Excel's "sep=;" hint line)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return ",", False
    hint = re.fullmatch(r"\s*sep=(.)\s*", lines[0], re.IGNORECASE)
    if hint and hint[1] in DELIMITERS:
        return hint[1], True
    # Quoted headers may hold a comma or semicolon of their own: count only what is outside quotes.
    bare = re.sub(r'"[^"]*"', "", lines[0])
    counts = [bare.count(d) for d in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))] if max(counts) else ",", False


def _records(reader):
    row_number = 0
    while True:
        row_number += 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CsvFileError(
                f'Row {row_number} could not be read: it may have a quote mark (") that is never closed.'
            ) from exc
        yield row_number, record


def refuse_non_csv(head: bytes) -> None:
    """Raise CsvFileError if the first bytes of a file show it is empty or not text at all."""
    if not head:
        raise CsvFileError("The file is empty.")
    for signature, message in _NOT_CSV:
        if head.startswith(signature):
            raise CsvFileError(message)
    if b"\x00" in head:
        raise CsvFileError(_BINARY)


def open_csv(binary_file, *, max_rows: int) -> CsvReader:
    """Check the file and its header row, and return a reader over its data rows (see CsvReader)."""
    sample, at_eof = _read_sample(binary_file)
    refuse_non_csv(sample)
    encoding, skip = _detect_encoding(sample, at_eof)
    delimiter, has_hint = _sniff(sample[skip:].decode(encoding, _FALLBACK_ERRORS))
    stream = io.TextIOWrapper(
        io.BufferedReader(_Chain(sample[skip:], binary_file)), encoding=encoding, errors=_FALLBACK_ERRORS, newline=""
    )
    records = _records(csv.reader(stream, delimiter=delimiter))
    header = None
    for _row_number, record in records:
        if _blank(record):
            continue
        if has_hint:
            has_hint = False
            continue
        header = record
        break
    if header is None:
        raise CsvFileError("The file has no header row: the first row must hold the column names from the template.")

    indexes = dict.fromkeys((c.key for c in COLUMNS), len(header))  # out of range reads as ''
    extra_headers = []
    for i, name in enumerate(header):
        key = HEADER_LOOKUP.get(_normalise_header(name))
        if key is not None and indexes[key] == len(header):
            indexes[key] = i
        elif name.strip():
            # Unknown, or a second column for a field already matched (the first wins): ignored either way.
            extra_headers.append(name.strip())
    required = [c for c in COLUMNS if c.required]
    missing = [c.header for c in required if indexes[c.key] == len(header)]
    if len(missing) == len(required):
        raise CsvFileError(
            "The first row is not the template's header row: none of "
            f"{', '.join(missing)} was found; download the template to see the expected headers."
        )
    if missing:
        raise CsvFileError(f"The file is missing required columns: {', '.join(missing)}.")
    return CsvReader(
        records,
        indexes,
        max_rows=max_rows,
        extra_headers=extra_headers,
        missing_required=missing,
        delimiter=delimiter,
        encoding=encoding,
    )


def template_csv() -> str:
    """The downloadable template: canonical headers, then one example row."""
    out = io.StringIO()
    write_csv(out, [c.header for c in COLUMNS], [[c.example for c in COLUMNS]])
    return out.getvalue()


def template_descriptions() -> list[tuple[str, bool, str]]:
    """(header, required, description) for each column, in template order."""
    return [(c.header, c.required, c.description) for c in COLUMNS]
