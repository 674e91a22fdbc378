"""The checked review as typed values: written once by the validate stage, read by every later stage.

``validate`` writes ``build/<review>/review.json`` (:func:`write_review_json`); analysis,
figures, tables and pages read it with :func:`read_review_json` instead of loading and
re-validating ``data/`` again. Values are typed by the Table Schemas (int, float, ISO
date text, None for an empty cell).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.build_system.output_files import write_atomic
from pipeline.inputs.csv_text import Table
from pipeline.inputs.problems import ValidationError
from pipeline.inputs.table_schema import TableSchema
from pipeline.inputs.validate import OPTIONAL_TABLES, TABLES, CheckedData, check_data_dir
from pipeline.review.config import ReviewConfig, config_from_dict, review_config

REVIEW_JSON_VERSION = 1


@dataclass(frozen=True)
class ReviewData:
    """Everything a review's data folder says, checked and typed."""

    data_dir: str
    data_hash: str
    config: ReviewConfig
    studies: list[dict]
    outcomes: list[dict]
    tables: dict[str, list[dict]] = field(default_factory=dict)  # optional tables present in the folder
    field_titles: dict[str, str] = field(default_factory=dict)  # studies.csv column -> title from its schema
    extraction: dict[str, int] = field(default_factory=dict)  # double extraction: status -> values (extraction/A vs B)
    extraction_note: str = ""  # first paragraph of extraction/README.md (who extracted, how)

    def study(self, study_id: str) -> dict:
        for s in self.studies:
            if s["study_id"] == study_id:
                return s
        raise KeyError(study_id)

    def table(self, name: str) -> list[dict]:
        return self.tables.get(name, [])

    def has_table(self, name: str) -> bool:
        return name in self.tables

    def overall_risk_of_bias(self, outcome: str) -> dict[str, str]:
        """study_id -> overall judgement for an outcome (the review's risk-of-bias outcome stands in)."""
        by_outcome: dict[str, dict[str, str]] = {}
        for r in self.table("risk_of_bias"):
            if r["domain"] == "overall":
                by_outcome.setdefault(r["outcome"], {})[r["study_id"]] = r["judgement"]
        return {**by_outcome.get(self.config.rob_outcome, {}), **by_outcome.get(outcome, {})}

    def risk_of_bias_domains(self, outcome: str) -> dict[str, dict[str, str]]:
        """study_id -> {domain: judgement} for an outcome (falls back per trial to the review's RoB outcome)."""
        own: dict[str, dict[str, str]] = {}
        fallback: dict[str, dict[str, str]] = {}
        for r in self.table("risk_of_bias"):
            if r["outcome"] == outcome:
                own.setdefault(r["study_id"], {})[r["domain"]] = r["judgement"]
            elif r["outcome"] == self.config.rob_outcome:
                fallback.setdefault(r["study_id"], {})[r["domain"]] = r["judgement"]
        return {**fallback, **own}

    def grade_judgements(self, outcome: str) -> dict[str, tuple[str, str]]:
        return {r["domain"]: (r["judgement"], r["reason"]) for r in self.table("grade") if r["outcome"] == outcome}

    def to_dict(self) -> dict:
        return {
            "version": REVIEW_JSON_VERSION,
            "data_dir": self.data_dir,
            "data_hash": self.data_hash,
            "config": self.config.to_dict(),
            "studies": self.studies,
            "outcomes": self.outcomes,
            "tables": self.tables,
            "field_titles": self.field_titles,
            "extraction": self.extraction,
            "extraction_note": self.extraction_note,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ReviewData:
        if d.get("version") != REVIEW_JSON_VERSION:
            raise ValueError("build/review.json was written by another version; run make again")
        return cls(
            data_dir=d["data_dir"],
            data_hash=d["data_hash"],
            config=config_from_dict(d["config"]),
            studies=d["studies"],
            outcomes=d["outcomes"],
            tables=d["tables"],
            field_titles=d["field_titles"],
            extraction=d.get("extraction", {}),
            extraction_note=d.get("extraction_note", ""),
        )


def _convert(value: str, type_: str):
    value = value.strip()
    if value == "":
        return None
    if type_ == "integer":
        return int(value)
    if type_ == "number":
        return float(value)
    return value  # strings and ISO dates stay text


def typed_rows(table: Table, schema: TableSchema) -> list[dict]:
    types = {f.name: f.type for f in schema.fields}
    return [{k: _convert(v, types.get(k, "string")) for k, v in r.items()} for r in table.rows]


def study_label(study: dict) -> str:
    """'Surname year' from first_author ('Lanzoni G' -> 'Lanzoni 2021')."""
    author = (study.get("first_author") or study["study_id"]).split()
    return f"{author[0] if author else study['study_id']} {study.get('year') or ''}".strip()


def data_hash(data_dir: Path) -> str:
    """SHA-256 over the data files (names and bytes): the data version shown on every page."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(data_dir).rglob("*") if p.is_file()):
        rel = path.relative_to(data_dir)
        if rel.parts and rel.parts[0].startswith("."):
            continue
        digest.update(str(rel.as_posix()).encode("utf-8"))
        digest.update(path.read_bytes())
    return digest.hexdigest()


def review_data(checked: CheckedData) -> ReviewData:
    """Typed data from a folder that passed :func:`check_data_dir` (raises if it did not)."""
    if checked.problems or checked.review is None:
        raise ValidationError(checked.problems)
    config = review_config(checked.review)
    studies = typed_rows(checked.tables["studies"], checked.schemas["studies"])
    for s in studies:
        s["label"] = study_label(s)
        s["groups"] = {sg.column: sg.group_of(s.get(sg.column)) for sg in config.subgroups}
    outcomes = typed_rows(checked.tables["outcomes"], checked.schemas["outcomes"])
    tables = {
        name: typed_rows(checked.tables[name], checked.schemas[name])
        for name in OPTIONAL_TABLES
        if name in checked.tables
    }
    titles = {f.name: f.title or f.name.replace("_", " ") for f in checked.schemas["studies"].fields}
    extraction: dict[str, int] = {}
    extraction_note = ""
    first, second = checked.data_dir / "extraction" / "A", checked.data_dir / "extraction" / "B"
    if first.is_dir() and second.is_dir():
        from collections import Counter

        from pipeline.inputs.extraction import compare, read_extraction

        extraction = dict(Counter(r["status"] for r in compare(read_extraction(first), read_extraction(second))))
        readme = checked.data_dir / "extraction" / "README.md"
        if readme.exists():
            paragraphs = [
                p for p in readme.read_text(encoding="utf-8").split("\n\n") if p.strip() and not p.startswith("#")
            ]
            extraction_note = " ".join(paragraphs[0].split()) if paragraphs else ""
    return ReviewData(
        data_dir=str(checked.data_dir),
        data_hash=data_hash(checked.data_dir),
        config=config,
        studies=studies,
        outcomes=outcomes,
        tables=tables,
        field_titles=titles,
        extraction=extraction,
        extraction_note=extraction_note,
    )


def load_review_data(data_dir: Path) -> ReviewData:
    """Validate, then load. Raises :class:`ValidationError` with every problem found."""
    return review_data(check_data_dir(Path(data_dir)))


def write_review_json(data: ReviewData, path: Path) -> None:
    """Write atomically (a reader never sees half a file); always written, so make sees it is new."""
    write_atomic(Path(path), json.dumps(data.to_dict(), ensure_ascii=False, indent=1))


def read_review_json(path: Path) -> ReviewData:
    return ReviewData.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


__all__ = ["TABLES", "ReviewData", "load_review_data", "read_review_json", "review_data", "write_review_json"]
