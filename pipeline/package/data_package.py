"""Publish the data: raw tables, schemas and computed results, described by a Frictionless ``datapackage.json``.

Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) are neutralised in the
published copies (:mod:`pipeline.present.to_csv`); ``data/`` keeps what the team typed. The package
passes ``frictionless validate``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
import time
from pathlib import Path

from pipeline.inputs.load import read_review_json
from pipeline.inputs.validate import OPTIONAL_TABLES, TABLES
from pipeline.package.results_tables import pooled_csv, study_csv
from pipeline.present.to_csv import neutralise_row
from pipeline.results.load import load_outcome


def neutralised_csv(path: Path) -> str:
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [], lineterminator="\n")
    writer.writeheader()
    for row in reader:
        writer.writerow(neutralise_row(row))
    return out.getvalue()


def _name(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-") or "resource"


def write_data_package(review_json: Path, results_dir: Path, out_dir: Path) -> list[Path]:
    start = time.perf_counter()
    data = read_review_json(review_json)
    data_dir = Path(data.data_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".site-data-", dir=out_dir.parent))
    try:
        resources = []
        (tmp / "schema").mkdir()
        tables = [*TABLES, *(n for n in OPTIONAL_TABLES if (data_dir / f"{n}.csv").exists())]
        for name in tables:
            (tmp / f"{name}.csv").write_text(neutralised_csv(data_dir / f"{name}.csv"), encoding="utf-8")
            schema_file = data_dir / "schema" / f"{name}.schema.json"
            shutil.copy(schema_file, tmp / "schema" / schema_file.name)
            schema = json.loads(schema_file.read_text(encoding="utf-8"))
            resources.append(
                {
                    "name": name,
                    "path": f"{name}.csv",
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "schema": f"schema/{schema_file.name}",
                    "title": schema.get("title", name),
                    "description": schema.get("description", ""),
                }
            )
        shutil.copy(data_dir / "review.yaml", tmp / "review.yaml")
        resources.append(
            {
                "name": "review",
                "path": "review.yaml",
                "format": "yaml",
                "mediatype": "application/yaml",
                "title": "review.yaml",
                "description": "The review question, outcomes and analysis settings (schema: schema/review.schema.json)",
            }
        )
        review_schema = data_dir / "schema" / "review.schema.json"
        if review_schema.exists():
            shutil.copy(review_schema, tmp / "schema" / "review.schema.json")
            resources.append(
                {
                    "name": "review-schema",
                    "type": "file",  # a JSON Schema, not a Table Schema or data
                    "path": "schema/review.schema.json",
                    "format": "json",
                    "mediatype": "application/schema+json",
                    "title": "JSON Schema of review.yaml",
                }
            )
        (tmp / "results").mkdir()
        for path in sorted(results_dir.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                shutil.copy(path, tmp / "results" / path.name)
        for key in (o.key for o in data.config.outcomes):
            result = load_outcome(results_dir, key)
            (tmp / "results" / f"{key}_studies.csv").write_text(study_csv(result), encoding="utf-8")
            (tmp / "results" / f"{key}_pooled.csv").write_text(pooled_csv(result), encoding="utf-8")
        for path in sorted((tmp / "results").iterdir()):
            fmt = path.suffix.lstrip(".")
            resources.append(
                {
                    **({"type": "file"} if path.name.endswith(".schema.json") else {}),
                    "name": _name(f"results-{path.stem}"),
                    "path": f"results/{path.name}",
                    "format": fmt,
                    "mediatype": "text/csv" if fmt == "csv" else "application/json",
                    "title": "JSON Schema of the results contract"
                    if path.name == "results.schema.json"
                    else f"Results: {path.stem}",
                    "description": "Computed by the analysis stage; do not edit",
                }
            )
        package = {
            "name": _name(data.config.name),
            "title": data.config.title,
            "version": data.data_hash[:12],
            "profile": "data-package",
            "resources": resources,
        }
        (tmp / "datapackage.json").write_text(json.dumps(package, indent=1, ensure_ascii=False), encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    print(f"package: {len(resources)} resources ({time.perf_counter() - start:.1f} s)")
    return sorted(out_dir.rglob("*"))
