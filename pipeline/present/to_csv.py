"""Neutralise spreadsheet formulas in published CSV files (OWASP "CSV injection").

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel and LibreOffice. Published downloads prefix such cells with a single quote,
which spreadsheets show as text; numbers (a negative estimate) are left as they are, and
``data/`` keeps exactly what the team typed.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def neutralise_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


def neutralise_row(row: dict) -> dict:
    return {k: neutralise_cell(v) for k, v in row.items()}
