"""Read the analysis stage's files back as typed results (the only way later stages read them)."""

from __future__ import annotations

from pathlib import Path

from pipeline.results.contract import OutcomeResult, ResultsIndex
from pipeline.results.serialise import read_json


def load_index(results_dir: Path) -> ResultsIndex:
    return read_json(ResultsIndex, Path(results_dir) / "index.json")


def load_outcome(results_dir: Path, key: str) -> OutcomeResult:
    return read_json(OutcomeResult, Path(results_dir) / f"{key}.json")


def load_all(results_dir: Path, keys: list[str]) -> dict[str, OutcomeResult]:
    return {key: load_outcome(results_dir, key) for key in keys}
