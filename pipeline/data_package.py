"""Publish the data: raw tables, schemas and computed results with a Frictionless ``datapackage.json``."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from pipeline.inputs.table_schema import load_table_schema
from pipeline.inputs.validate import OPTIONAL_TABLES

RAW_TABLES = ("studies", "outcomes")


def write_data_package(data_dir: Path, results_dir: Path, out_dir: Path) -> list[Path]:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".site-data-", dir=out_dir.parent))
    try:
        resources = []
        (tmp / "schema").mkdir()
        tables = [*RAW_TABLES, *(n for n in OPTIONAL_TABLES if (data_dir / f"{n}.csv").exists())]
        for name in tables:
            shutil.copy(data_dir / f"{name}.csv", tmp / f"{name}.csv")
            schema_file = data_dir / "schema" / f"{name}.schema.json"
            shutil.copy(schema_file, tmp / "schema" / schema_file.name)
            schema = load_table_schema(schema_file)
            resources.append(
                {
                    "name": name,
                    "path": f"{name}.csv",
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "schema": f"schema/{schema_file.name}",
                    "description": json.loads(schema_file.read_text(encoding="utf-8")).get("description", ""),
                    "title": json.loads(schema_file.read_text(encoding="utf-8")).get("title", schema.name),
                }
            )
        shutil.copy(data_dir / "review.yaml", tmp / "review.yaml")
        resources.append(
            {
                "name": "review",
                "path": "review.yaml",
                "format": "yaml",
                "mediatype": "application/yaml",
                "description": "The review question, outcomes and analysis settings",
            }
        )
        (tmp / "results").mkdir()
        for path in sorted(results_dir.iterdir()):
            shutil.copy(path, tmp / "results" / path.name)
            fmt = path.suffix.lstrip(".")
            resources.append(
                {
                    "name": f"results-{path.stem}".replace("_", "-").lower(),
                    "path": f"results/{path.name}",
                    "format": fmt,
                    "mediatype": "text/csv" if fmt == "csv" else "application/json",
                    "description": "Computed by the analysis stage; do not edit",
                }
            )
        index = json.loads((results_dir / "index.json").read_text(encoding="utf-8"))
        package = {
            "name": "msc-covid19-living-review",
            "title": index.get("title", ""),
            "version": index.get("data_hash", "")[:12],
            "profile": "data-package",
            "resources": resources,
        }
        (tmp / "datapackage.json").write_text(json.dumps(package, indent=1), encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return sorted(out_dir.rglob("*"))
