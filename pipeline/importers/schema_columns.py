"""The CSV columns of each table, read from the scaffold's Table Schemas at run time.

Reading the schemas (rather than a list in code) keeps the importers in step with schema changes.
Columns the lead engineer is adding to ``outcomes.csv`` for generic inverse-variance rows are
added here when the scaffold schema does not have them yet, with their definitions.
"""

from __future__ import annotations

import json
from pathlib import Path

SCAFFOLD_SCHEMA_DIR = Path(__file__).resolve().parent.parent / "commands" / "scaffold_files" / "schema"

GENERIC_OUTCOME_FIELDS = (
    {"name": "yi", "type": "number", "description": "Generic inverse-variance rows: the estimate, log scale for ratio measures"},
    {"name": "sei", "type": "number", "description": "Standard error of yi (log scale for ratio measures)", "constraints": {"minimum": 0}},
    {"name": "estimate", "type": "number", "description": "Generic rows given on the natural scale: the point estimate"},
    {"name": "ci_lower", "type": "number", "description": "Lower confidence limit of estimate (natural scale)"},
    {"name": "ci_upper", "type": "number", "description": "Upper confidence limit of estimate (natural scale)"},
    {"name": "ci_level", "type": "number", "description": "Confidence level of ci_lower/ci_upper in percent (default 95)", "constraints": {"exclusiveMinimum": 0, "exclusiveMaximum": 100}},
)  # fmt: skip


def table_schema(name: str, schema_dir: Path = SCAFFOLD_SCHEMA_DIR) -> dict:
    """The Table Schema of ``name`` (studies, outcomes, ...); outcomes gains the generic columns it lacks."""
    schema = json.loads((schema_dir / f"{name}.schema.json").read_text(encoding="utf-8"))
    if name == "outcomes":
        names = {f["name"] for f in schema["fields"]}
        extra = [dict(f) for f in GENERIC_OUTCOME_FIELDS if f["name"] not in names]
        if extra:
            at = next((i for i, f in enumerate(schema["fields"]) if f["name"] == "source"), len(schema["fields"]))
            schema["fields"][at:at] = extra
    return schema


def columns(name: str, schema_dir: Path = SCAFFOLD_SCHEMA_DIR) -> list[str]:
    """The header of ``name``.csv, in schema order."""
    return [f["name"] for f in table_schema(name, schema_dir)["fields"]]


def enum_values(table: str, column: str, schema_dir: Path = SCAFFOLD_SCHEMA_DIR) -> tuple[str, ...]:
    for fld in table_schema(table, schema_dir)["fields"]:
        if fld["name"] == column:
            return tuple(fld.get("constraints", {}).get("enum", ()))
    return ()
