"""Analysis stage: ``build/<review>/review.json`` -> ``results/<outcome>.json`` (+ CSV tables, index, schema).

Each outcome's result is written through the typed contract (:mod:`pipeline.results.contract`).
A file whose content did not change keeps its bytes and modification time, so later stages
that key on file content redo only what an edit touched.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import platform
import tempfile
from pathlib import Path

import numpy as np
import scipy

from pipeline.analysis.outcome import analyse_outcome
from pipeline.analysis.sequential import add_sequential
from pipeline.inputs.load import ReviewData, read_review_json
from pipeline.results.contract import FitSummary, OutcomeEntry, OutcomeResult, ResultsIndex
from pipeline.results.serialise import dumps, json_schema, to_jsonable
from pipeline.tables.csv_safety import neutralise_row


def software_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {"Python": platform.python_version(), "NumPy": np.__version__, "SciPy": scipy.__version__}
    for name, dist in (
        ("pandas", "pandas"),
        ("matplotlib", "matplotlib"),
        ("pandoc (pypandoc-binary)", "pypandoc-binary"),
        ("typst (Python package)", "typst"),
    ):
        try:
            versions[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write_if_changed(path: Path, text: str) -> bool:
    """Write atomically, and only when the content differs (keeps mtimes of unchanged files)."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return True


def study_csv(result: OutcomeResult) -> str:
    buf = io.StringIO()
    fields = [
        "study_id", "label", "design", "timepoint_days", "n_t", "n_c", "events_t", "events_c",
        "mean_t", "sd_t", "mean_c", "sd_c", "conversion_t", "conversion_c", "yi", "vi",
        "effect", "effect_ci_lower", "effect_ci_upper", *(f"weight_{m}" for m in result.fits), "check", "source",
    ]  # fmt: skip
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    from pipeline.results.contract import to_display

    for s in result.studies:
        row = {
            "study_id": s.study_id,
            "label": s.label,
            "design": s.design,
            "timepoint_days": s.timepoint_days,
            "n_t": s.treatment.n,
            "n_c": s.control.n,
            "events_t": s.treatment.events,
            "events_c": s.control.events,
            "mean_t": s.treatment.mean,
            "sd_t": s.treatment.sd,
            "mean_c": s.control.mean,
            "sd_c": s.control.sd,
            "conversion_t": s.treatment.conversion,
            "conversion_c": s.control.conversion,
            "yi": s.yi,
            "vi": s.vi,
            "effect": to_display(result.measure, s.yi),
            "effect_ci_lower": to_display(result.measure, s.ci_lower),
            "effect_ci_upper": to_display(result.measure, s.ci_upper),
            **{f"weight_{m}": s.weights.get(m) for m in result.fits},
            "check": s.check,
            "source": s.source,
        }
        writer.writerow(neutralise_row(row))
    return buf.getvalue()


def pooled_csv(result: OutcomeResult) -> str:
    buf = io.StringIO()
    fields = ["model", "status", "method", "hksj", "k", "estimate", "se", "ci_lower", "ci_upper", "effect",
              "effect_ci_lower", "effect_ci_upper", "pvalue", "tau2", "i2", "q", "q_df", "q_pvalue",
              "pi_lower", "pi_upper", "headline", "reason"]  # fmt: skip
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for name, fit in result.fits.items():
        row = to_jsonable(fit)
        row["headline"] = "yes" if name == result.headline_model else "no"
        if not isinstance(fit, FitSummary):
            row["reason"] = fit.reason
        writer.writerow(neutralise_row(row))
    return buf.getvalue()


def randomised_view(data: ReviewData) -> ReviewData:
    """The review restricted to randomised trials (for SoF rows of randomised evidence only)."""
    keep = {s["study_id"] for s in data.studies if s.get("design") == "RCT"}
    return dataclasses.replace(
        data,
        studies=[s for s in data.studies if s["study_id"] in keep],
        outcomes=[r for r in data.outcomes if r["study_id"] in keep],
    )


def analyse_review(data: ReviewData) -> dict[str, OutcomeResult]:
    config = data.config
    rct_only = randomised_view(data) if config.summary_of_findings.randomised_only else None
    results = {}
    for outcome in config.outcomes:
        result = analyse_outcome(data, outcome)
        settings = config.sequential.get(outcome.key)
        if settings is not None and outcome.type == "binary":
            result = add_sequential(result, settings, data)
        if (
            rct_only is not None
            and outcome.key in config.sof_outcomes
            and any(s.design != "RCT" for s in result.studies)
        ):
            result = dataclasses.replace(result, randomised=analyse_outcome(rct_only, outcome))
        results[outcome.key] = result
    return results


def write_results(review_json: Path, out_dir: Path) -> list[Path]:
    """Analyse every outcome; write only files whose content changed; remove files of dropped outcomes."""
    data = read_review_json(review_json)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = analyse_review(data)
    index = ResultsIndex(
        title=data.config.title,
        outcomes=[OutcomeEntry(k, r.outcome.label, r.k, r.participants) for k, r in results.items()],
        n_studies=len(data.studies),
        data_hash=data.data_hash,
        software=software_versions(),
    )
    wanted: dict[str, str] = {}
    for key, result in results.items():
        wanted[f"{key}.json"] = dumps(result) + "\n"
        wanted[f"{key}_studies.csv"] = study_csv(result)
        wanted[f"{key}_pooled.csv"] = pooled_csv(result)
    wanted["index.json"] = dumps(index) + "\n"
    wanted["results.schema.json"] = (
        json.dumps(json_schema(OutcomeResult, "One outcome's analysis results"), indent=1) + "\n"
    )
    changed = [name for name, text in wanted.items() if write_if_changed(out_dir / name, text)]
    for stale in out_dir.iterdir():
        if stale.is_file() and stale.name not in wanted:
            stale.unlink()
    print(f"analysis: {len(results)} outcomes, {len(changed)} of {len(wanted)} files changed")
    return sorted(out_dir / name for name in wanted)
