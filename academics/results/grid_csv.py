"""A grid as a CSV file, for teachers who work offline: exported with one line a pupil (admission
number, name, one column a component), filled in a spreadsheet, imported back.

An import changes nothing unless the whole file is right: every problem is listed with its line and
column. A pupil is found by admission number (the name column is only for the reader); columns of
components the file leaves out, and pupils it leaves out, stay as they are; a blank cell in the file
means a blank cell (not yet scored). What the file brings is saved like a grid posted from the page,
so a cell someone changed while the file was being read is reported, not overwritten.
"""

import codecs
import csv
import io
import re

from schools.imports.csvfile import CsvFileError, refuse_non_csv

from ..errors import AcademicsError, AcademicsErrorCode
from . import compute
from .grids import grid as grid_of
from .scores import scores_grid_save

MAX_BYTES = 512 * 1024
MAX_LINES = 2000
ADMISSION = "admission_number"
NAME = "pupil_name"
DELIMITERS = (",", ";", "\t")
_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@\t\r])")  # the quote classpoint.csvfile puts before a formula


def export_table(grid):
    """(header, rows) of a grid's CSV file; classpoint.csvfile writes it formula-safe."""
    header = [ADMISSION, NAME, *[c.name for c in grid.components]]
    rows = [
        [row.student.admission_number, row.student.full_name, *[row.cells[c.pk] for c in grid.components]]
        for row in grid.rows
    ]
    return header, rows


def export_filename(grid):
    words = f"{grid.subject.name} {grid.class_group.name} {grid.term.name}"
    return re.sub(r"[^A-Za-z0-9]+", "-", words).strip("-").lower() + ".csv"


def _refuse(problems):
    raise AcademicsError(
        "The file was not imported: nothing changed.", code=AcademicsErrorCode.SCORE_INVALID, fields={"file": problems}
    )


def _text(upload):
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        _refuse([f"The file is larger than {MAX_BYTES // 1024} KB: export the grid again and fill that in."])
    try:
        refuse_non_csv(data)
    except CsvFileError as exc:
        _refuse([exc.message])
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # Excel on Windows saves "CSV" in its own code page unless told otherwise
        return data.decode("windows-1252", errors="replace")


def _records(text):
    """[(line number, cells)] of the file, delimiter as the header line uses it (comma, semicolon, tab)."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    hint = re.fullmatch(r"\s*sep=(.)\s*", first, re.IGNORECASE)
    bare = re.sub(r'"[^"]*"', "", first)
    counts = [bare.count(d) for d in DELIMITERS]
    delimiter = (
        hint[1] if hint and hint[1] in DELIMITERS else (DELIMITERS[counts.index(max(counts))] if max(counts) else ",")
    )
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    records = []
    try:
        for cells in reader:
            if hint and not records and len(cells) == 1 and cells[0].strip().lower().startswith("sep="):
                hint = None
                continue
            if len(records) > MAX_LINES:
                _refuse([f"The file has more than {MAX_LINES} lines: is it the right file?"])
            records.append((reader.line_num, cells))
    except csv.Error:
        _refuse([f'Line {reader.line_num + 1} could not be read: a quote mark (") may never be closed.'])
    return records


def _key(text):
    """A header as compared: case, spaces, underscores and a trailing "(/10)" set aside."""
    text = re.sub(r"\(\s*/?\s*[0-9.]+\s*%?\s*\)\s*$", "", text or "")
    return " ".join(text.replace("_", " ").lower().split())


HEADER_ALIASES = {
    ADMISSION: {"admission number", "admission no", "admission no.", "adm no", "admission"},
    NAME: {"pupil name", "pupil", "name", "student", "student name"},
}


def _columns(header, grid, line):
    """{column index: component or ADMISSION}, or the header's problems."""
    by_name = {_key(c.name): c for c in grid.components}
    known = ", ".join(c.name for c in grid.components)
    columns, problems, seen = {}, [], {}
    for index, title in enumerate(header):
        key = _key(title)
        if not key or key in HEADER_ALIASES[NAME]:
            continue
        if key in HEADER_ALIASES[ADMISSION]:
            target = ADMISSION
        elif key in by_name:
            target = by_name[key]
        else:
            problems.append(f"Line {line}, column “{title.strip()}”: not an assessment of this term ({known}).")
            continue
        label = target if target == ADMISSION else target.name
        if label in seen:
            problems.append(f"Line {line}: the column “{title.strip()}” appears twice.")
            continue
        seen[label] = index
        columns[index] = target
    if ADMISSION not in seen:
        problems.append(f"Line {line}: the file needs an “{ADMISSION}” column to find each pupil.")
    return columns, problems


def _plan(records, grid):
    """The rows to save ({student_id, version, cells}) or every problem of the file."""
    if not records:
        _refuse(["The file is empty."])
    (header_line, header), body = records[0], records[1:]
    columns, problems = _columns(header, grid, header_line)
    if problems:
        _refuse(problems)
    roster = {row.student.admission_number.strip().lower(): row for row in grid.rows}
    admission_index = next(i for i, target in columns.items() if target == ADMISSION)
    rows, found = [], {}
    for line, cells in body:
        if not any(cell.strip() for cell in cells):
            continue
        cells = cells + [""] * (len(header) - len(cells))
        number = _FORMULA_GUARD.sub("", cells[admission_index].strip())
        row = roster.get(number.lower())
        if row is None:
            problems.append(
                f"Line {line}, column {ADMISSION}: “{number[:20]}” is not a pupil of {grid.class_group.name} this term."
            )
            continue
        if row.student.pk in found:
            problems.append(f"Line {line}: {row.name} is already on line {found[row.student.pk]}.")
            continue
        found[row.student.pk] = line
        wanted = {}
        for index, component in columns.items():
            if component == ADMISSION:
                continue
            text = cells[index].strip()
            try:
                compute.parse_cell(text, max_score=component.max_score)
            except ValueError as exc:
                problems.append(f"Line {line}, column {component.name}: {exc}")
                continue
            wanted[component.pk] = {"seen": row.cells[component.pk], "new": text}
        rows.append({"student_id": row.student.pk, "version": row.version, "cells": wanted})
    if problems:
        _refuse(problems)
    return rows


def scores_csv_import(*, school, actor, term, class_group, subject, upload, membership=None):
    """Save a grid's scores from an uploaded CSV file (module docstring). Returns GridSaved; raises
    SCORE_INVALID with `fields["file"]` listing each problem by line and column, having changed nothing."""
    grid = grid_of(school=school, term=term, class_group=class_group, subject=subject)
    rows = _plan(_records(_text(upload)), grid)
    return scores_grid_save(
        school=school,
        actor=actor,
        term=term,
        class_group=class_group,
        subject=subject,
        rows=rows,
        membership=membership,
        via="csv",
    )
