"""Compare two independent data extractions (Cochrane double extraction), number by number.

Each extractor writes one CSV per trial with the columns of :data:`EXTRACTION_COLUMNS`; the
comparison matches values by (study, outcome, time point, field) and lists every agreement,
disagreement and value only one extractor found. Disagreements are resolved against the source and
the resolution is logged in ``discrepancies.csv``; the comparison itself is reproducible
(``python -m pipeline extraction A B``, :mod:`pipeline.commands.extraction`).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

EXTRACTION_COLUMNS = (
    "study_id", "outcome", "timepoint_days", "timepoint_text", "field", "value",
    "source", "locator", "quote", "check", "note",
)  # fmt: skip
NOT_VALUES = ("not_found", "full_text")


def read_extraction(folder: Path) -> dict[tuple[str, str, str, str], list[dict]]:
    """All rows of one extractor, keyed by (study, outcome, day, field)."""
    rows: dict[tuple[str, str, str, str], list[dict]] = {}
    for path in sorted(Path(folder).glob("*.csv")):
        for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))):
            row = {k: (v or "").strip() for k, v in row.items() if k}
            if row.get("field") in NOT_VALUES:
                continue
            key = (row["study_id"], row["outcome"], row.get("timepoint_days", ""), row["field"])
            rows.setdefault(key, []).append(row)
    return rows


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except ValueError:
        return " ".join(a.lower().split()) == " ".join(b.lower().split())


def compare(first: dict, second: dict) -> list[dict]:
    out = []
    for key in sorted(set(first) | set(second)):
        a_values = [r["value"] for r in first.get(key, [])]
        b_values = [r["value"] for r in second.get(key, [])]
        if not a_values or not b_values:
            status = "only first" if a_values else "only second"
        elif all(any(_same(a, b) for b in b_values) for a in a_values) and all(
            any(_same(a, b) for a in a_values) for b in b_values
        ):
            status = "agree"
        elif any(_same(a, b) for a in a_values for b in b_values):
            status = "partly agree"  # one extractor recorded a second reading the other did not
        else:
            status = "disagree"
        out.append(
            {
                "study_id": key[0],
                "outcome": key[1],
                "timepoint_days": key[2],
                "field": key[3],
                "first": " | ".join(a_values),
                "second": " | ".join(b_values),
                "status": status,
            }
        )
    return out
