"""Load a validated data folder into typed Python values (strings, ints, dates, None for blanks)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from pipeline.inputs.table_schema import TableSchema, load_table_schema
from pipeline.inputs.validate import OPTIONAL_TABLES, ValidationError, validate_data_dir

UMBILICAL_SOURCES = ("umbilical cord",)


@dataclass(frozen=True)
class ReviewData:
    data_dir: Path
    review: dict
    studies: list[dict]
    outcomes: list[dict]
    schemas: dict[str, TableSchema]
    risk_of_bias: list[dict]
    grade: list[dict]
    screening: list[dict]
    discrepancies: list[dict]

    def overall_risk_of_bias(self, outcome: str) -> dict[str, str]:
        """study_id -> overall judgement for an outcome (falls back to the mortality assessment)."""
        by_outcome: dict[str, dict[str, str]] = {}
        for r in self.risk_of_bias:
            if r["domain"] == "overall":
                by_outcome.setdefault(r["outcome"], {})[r["study_id"]] = r["judgement"]
        return {**by_outcome.get("mortality", {}), **by_outcome.get(outcome, {})}

    def grade_judgements(self, outcome: str) -> dict[str, tuple[str, str]]:
        return {r["domain"]: (r["judgement"], r["reason"]) for r in self.grade if r["outcome"] == outcome}

    def study(self, study_id: str) -> dict:
        for s in self.studies:
            if s["study_id"] == study_id:
                return s
        raise KeyError(study_id)

    def outcome_definition(self, key: str) -> dict:
        for o in self.review["outcomes"]:
            if o["key"] == key:
                return o
        raise KeyError(key)


def _convert(value: str, type_: str):
    value = value.strip()
    if value == "":
        return None
    if type_ == "integer":
        return int(value)
    if type_ == "number":
        return float(value)
    if type_ == "date":
        return date.fromisoformat(value)
    return value


def read_typed_csv(path: Path, schema: TableSchema) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if any((v or "").strip() for v in r.values())]
    types = {f.name: f.type for f in schema.fields}
    return [{k.strip(): _convert(v, types.get(k.strip(), "string")) for k, v in r.items()} for r in rows]


def msc_source_group(source: str) -> str:
    """Primary population (umbilical cord MSC) versus other sources, for subgroup analysis."""
    return "UC-MSC" if source in UMBILICAL_SOURCES else "Other or unreported source"


def load_review_data(data_dir: Path) -> ReviewData:
    """Validate, then load. Raises :class:`ValidationError` with every problem found."""
    data_dir = Path(data_dir)
    problems = validate_data_dir(data_dir)
    if problems:
        raise ValidationError(problems)
    schemas = {name: load_table_schema(data_dir / "schema" / f"{name}.schema.json") for name in ("studies", "outcomes")}
    review = yaml.safe_load((data_dir / "review.yaml").read_text(encoding="utf-8"))
    studies = read_typed_csv(data_dir / "studies.csv", schemas["studies"])
    for s in studies:
        s["msc_source_group"] = msc_source_group(s["msc_source"])
        s["label"] = f"{s['first_author'].split()[0]} {s['year']}"
    outcomes = read_typed_csv(data_dir / "outcomes.csv", schemas["outcomes"])
    optional = {}
    for name in OPTIONAL_TABLES:
        path, schema_path = data_dir / f"{name}.csv", data_dir / "schema" / f"{name}.schema.json"
        if path.exists() and schema_path.exists():
            schemas[name] = load_table_schema(schema_path)
            optional[name] = read_typed_csv(path, schemas[name])
        else:
            optional[name] = []
    return ReviewData(data_dir, review, studies, outcomes, schemas, **optional)
