"""Analysis stage: ``build/<review>/review.json`` -> ``results/<outcome>.json`` (+ index, schema).

Each outcome's result is written through the typed contract (:mod:`pipeline.results.contract`).
A file whose content did not change keeps its bytes and modification time, so later stages
that key on file content redo only what an edit touched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import platform
import time
from pathlib import Path

import numpy as np
import scipy

from pipeline.analysis.outcome import analyse_outcome
from pipeline.analysis.sequential import add_sequential
from pipeline.build_system.output_files import write_if_changed
from pipeline.inputs.load import ReviewData, read_review_json
from pipeline.results.contract import OutcomeEntry, OutcomeResult, ResultsIndex
from pipeline.results.serialise import dumps, json_schema


def software_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {"Python": platform.python_version(), "NumPy": np.__version__, "SciPy": scipy.__version__}
    for name, dist in (
        ("pandas", "pandas"),
        ("matplotlib", "matplotlib"),
        ("typst (Python package)", "typst"),
    ):
        try:
            versions[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["pandoc"] = pandoc_version()
    return versions


def pandoc_version() -> str:
    """The version of the pandoc binary the embedded renderer runs (shipped by pypandoc-binary)."""
    import importlib.util
    import subprocess
    from importlib import metadata

    spec = importlib.util.find_spec("pypandoc")
    if spec is None or not spec.submodule_search_locations:
        return "not installed"
    binary = Path(next(iter(spec.submodule_search_locations))) / "files" / "pandoc"
    try:
        first = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
        version = first.split()[1]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "not found"
    try:
        return f"{version} (from pypandoc-binary {metadata.version('pypandoc-binary')})"
    except metadata.PackageNotFoundError:
        return version


def randomised_view(data: ReviewData) -> ReviewData:
    """The review restricted to randomised trials (for SoF rows of randomised evidence only)."""
    keep = {s["study_id"] for s in data.studies if s.get("design") == "RCT"}
    return dataclasses.replace(
        data,
        studies=[s for s in data.studies if s["study_id"] in keep],
        outcomes=[r for r in data.outcomes if r["study_id"] in keep],
    )


def outcome_inputs(data: ReviewData, outcome_key: str) -> ReviewData:
    """The part of the review one outcome's analysis reads: its rows, the trials, the settings, ongoing trials.

    The analysis of an outcome runs on this view, so a hash of it is a sound cache key: an edit to
    another outcome's rows (or to provenance, screening, grading) cannot change this outcome's result.
    """
    source = data.config.outcome(outcome_key).source_key  # an outcome may re-use another's rows
    return dataclasses.replace(
        data,
        data_hash="",
        outcomes=[r for r in data.outcomes if r["outcome"] == source],
        tables={name: rows for name, rows in data.tables.items() if name == "ongoing"},
        extraction={},
        extraction_note="",
    )


def analyse_one_outcome(data: ReviewData, outcome_key: str) -> OutcomeResult:
    """One outcome: its analysis, sequential monitoring when configured, randomised-only sub-result."""
    config = data.config
    outcome = next(o for o in config.outcomes if o.key == outcome_key)
    result = analyse_outcome(data, outcome)
    settings = config.sequential.get(outcome.key)
    if settings is not None and outcome.type == "binary":
        result = add_sequential(result, settings, data)
    if (
        config.summary_of_findings.randomised_only
        and outcome.key in config.sof_outcomes
        and any(s.design != "RCT" for s in result.studies)
    ):
        result = dataclasses.replace(result, randomised=analyse_outcome(randomised_view(data), outcome))
    return result


def _analysis_code_digest() -> str:
    from pipeline.build_system.stage_deps import code_digest

    return code_digest(["pipeline.analysis.write"])


def _cached_outcome_files(data: ReviewData, key: str, cache_dir: Path, code: str) -> tuple[dict[str, str], dict, bool]:
    """An outcome's result file, its index entry, and whether it was re-analysed (False: its
    inputs and the analysis code are unchanged, so the cached files stand)."""
    view = outcome_inputs(data, key)
    digest = hashlib.sha256((code + key + json.dumps(view.to_dict(), sort_keys=True)).encode()).hexdigest()
    cached = cache_dir / f"{key}.json"
    if cached.exists():
        entry = json.loads(cached.read_text(encoding="utf-8"))
        if entry.get("inputs") == digest:
            return entry["files"], entry["index"], False
    result = analyse_one_outcome(view, key)
    files = {f"{key}.json": dumps(result) + "\n"}
    index = {"label": result.outcome.label, "k": result.k, "participants": result.participants}
    write_if_changed(cached, json.dumps({"inputs": digest, "files": files, "index": index}) + "\n")
    return files, index, True


def write_results(review_json: Path, out_dir: Path) -> list[Path]:
    """Analyse every outcome; write only files whose content changed; remove files of dropped outcomes."""
    start = time.perf_counter()
    data = read_review_json(review_json)
    out_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = out_dir / ".cache"  # per outcome: the hash of what its analysis read, and its files
    code = _analysis_code_digest()
    wanted: dict[str, str] = {}
    entries = []
    analysed = 0
    for outcome in data.config.outcomes:
        files, entry, fresh = _cached_outcome_files(data, outcome.key, cache_dir, code)
        analysed += fresh
        wanted.update(files)
        entries.append(OutcomeEntry(outcome.key, entry["label"], entry["k"], entry["participants"]))
    index = ResultsIndex(
        title=data.config.title,
        outcomes=entries,
        n_studies=len(data.studies),
        data_hash=data.data_hash,
        software=software_versions(),
    )
    wanted["index.json"] = dumps(index) + "\n"
    wanted["results.schema.json"] = (
        json.dumps(json_schema(OutcomeResult, "One outcome's analysis results"), indent=1) + "\n"
    )
    changed = [name for name, text in wanted.items() if write_if_changed(out_dir / name, text)]
    for stale in out_dir.iterdir():
        if stale.is_file() and stale.name not in wanted:
            stale.unlink()
    keys = {o.key for o in data.config.outcomes}
    for stale in cache_dir.glob("*.json"):
        if stale.stem not in keys:
            stale.unlink()
    print(
        f"analysis: {len(entries)} outcomes ({analysed} analysed, {len(entries) - analysed} with unchanged inputs), "
        f"{len(changed)} of {len(wanted)} files changed ({time.perf_counter() - start:.1f} s)"
    )
    return sorted(out_dir / name for name in wanted)
