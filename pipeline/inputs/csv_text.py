"""Read a CSV file as text, strictly, and say what went wrong in words a spreadsheet user knows.

Accepted: UTF-8 with or without a byte-order mark, LF or CRLF line ends, comma delimiter,
standard double-quote quoting. Recognised and explained rather than misread: files saved
by Excel in a legacy code page, with semicolons between cells (locales with decimal
commas), NUL bytes (binary files), and files too large to be a review table.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from pipeline.inputs.problems import Problem, display_path

MAX_FILE_BYTES = 50_000_000  # a 10,000-trial review is ~5 MB; anything larger is not a data table
MAX_CELL_CHARS = 20_000  # longer than any quote or note; protects the csv module and the pages

csv.field_size_limit(MAX_CELL_CHARS * 10)

EXCEL_SAVE_AS = "in Excel use File > Save As > 'CSV UTF-8 (Comma delimited)'"


@dataclass
class Table:
    """A CSV table read as text: header, rows (dicts of raw strings) and each row's file line."""

    path: Path
    display: str
    header: list[str]
    rows: list[dict[str, str]]
    lines: list[int]


def _decode(raw: bytes, shown: str, problems: list[Problem]) -> str | None:
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        problems.append(Problem(shown, line, "-", "the file contains NUL bytes: it is not a text (CSV) file"))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        col = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        hint = "save the file as UTF-8"
        try:
            raw.decode("cp1252")
            hint = f"the file looks like Excel's plain 'CSV' (Windows code page); {EXCEL_SAVE_AS}"
        except UnicodeDecodeError:
            pass
        problems.append(
            Problem(shown, line, "-", f"not valid UTF-8 (byte 0x{raw[err.start]:02x} at character {col}); {hint}")
        )
        return None


def read_csv_text(path: Path, problems: list[Problem], required: bool = True) -> Table | None:
    """Read a CSV strictly; report encoding, delimiter, emptiness and ragged rows. None when unreadable."""
    shown = display_path(path)
    if not path.exists():
        if required:
            problems.append(Problem(shown, 0, "-", "file is missing; every review needs it (see schema/)"))
        return None
    if path.is_dir():
        problems.append(Problem(shown, 0, "-", "is a folder, not a CSV file"))
        return None
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        problems.append(Problem(shown, 0, "-", f"file is {size:,} bytes; a review table is far smaller (limit 50 MB)"))
        return None
    text = _decode(path.read_bytes(), shown, problems)
    if text is None:
        return None
    if not text.strip():
        problems.append(Problem(shown, 1, "-", "file is empty; it needs at least a header row"))
        return None
    first_line = text.splitlines()[0]
    if ";" in first_line and "," not in first_line:
        problems.append(
            Problem(
                shown,
                1,
                "-",
                "cells are separated by ';' (Excel does this in locales that write decimal commas); "
                f"separate them by ',': {EXCEL_SAVE_AS} with English (decimal point) settings",
            )
        )
        return None
    if "\t" in first_line and "," not in first_line:
        problems.append(Problem(shown, 1, "-", "cells are separated by tabs; save the table as comma-separated CSV"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except (csv.Error, StopIteration) as err:
        problems.append(Problem(shown, 1, "-", f"cannot read the header as CSV ({err}); check its quotes"))
        return None
    header = [h.strip() for h in header]
    rows, lines = [], []
    line = reader.line_num
    try:
        for record in reader:
            start = line + 1
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                problems.append(
                    Problem(
                        shown,
                        start,
                        "-",
                        f"row has {len(record)} cells but the header has {len(header)}; "
                        "check for a missing or extra comma or an unquoted comma in text",
                    )
                )
                continue
            long_cells = [h for h, cell in zip(header, record, strict=True) if len(cell) > MAX_CELL_CHARS]
            if long_cells:
                problems.append(
                    Problem(
                        shown, start, long_cells[0], f"cell is longer than {MAX_CELL_CHARS:,} characters; shorten it"
                    )
                )
                continue
            rows.append(dict(zip(header, record, strict=True)))
            lines.append(start)
    except csv.Error as err:
        problems.append(Problem(shown, line + 1, "-", f"CSV syntax error ({err}); check the quotes on this row"))
    return Table(path, shown, header, rows, lines)
