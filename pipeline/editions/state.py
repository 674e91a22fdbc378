"""A published state of the review (an edition) or the current build, in the form the diff compares.

An edition folder (``editions/NNN/``) holds ``manifest.json``, ``data/`` (the data folder as it was),
``results/`` (the analysis results) and ``brief.pdf``. The key numbers of every outcome are in the
manifest, so comparing editions never depends on the results format of an older version.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.inputs.review_file import load_yaml_text
from pipeline.present import numbers as fmt
from pipeline.stats.measures import measure

KEYED_TABLES = {
    "studies": ("study_id",),
    "outcomes": ("study_id", "outcome", "timepoint_days"),
    "screening": ("record_id",),
}
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class OutcomeNumbers:
    """What a reader takes from one outcome: the headline estimate, its interval, size and certainty."""

    key: str
    label: str
    measure: str
    lower_is_better: bool
    critical: bool
    safety: bool
    k: int
    participants: int
    effect: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    certainty: str | None = None
    sequential_verdict: str = ""

    @property
    def null(self) -> float:
        return measure(self.measure).null

    @property
    def pooled(self) -> bool:
        return self.effect is not None and self.ci_lower is not None and self.ci_upper is not None

    def estimate_text(self) -> str:
        """``RR 0.37 (0.11 to 1.23)``, formatted as everywhere else on the site; "not pooled" without one."""
        if not self.pooled:
            return "not pooled"
        return f"{self.measure} " + fmt.effect_ci(
            self.effect, self.ci_lower, self.ci_upper, ratio=measure(self.measure).ratio, style="words"
        )

    @property
    def excludes_null(self) -> bool:
        return self.pooled and not (self.ci_lower <= self.null <= self.ci_upper)  # type: ignore[operator]

    @property
    def direction(self) -> str:
        """benefit | harm | none (the point estimate's side of no effect, in the outcome's sense)."""
        if not self.pooled or self.effect == self.null:
            return "none"
        lower = self.effect < self.null  # type: ignore[operator]
        return "benefit" if lower == self.lower_is_better else "harm"


@dataclass
class ReviewState:
    label: str  # "edition 001" or "current build"
    number: int | None  # edition number; None for the current build
    date: str
    search_date: str | None
    data_hash: str
    review: dict
    tables: dict[str, dict[tuple, dict[str, str]]] = field(default_factory=dict)
    outcomes: dict[str, OutcomeNumbers] = field(default_factory=dict)


def read_keyed(path: Path, key: tuple[str, ...]) -> dict[tuple, dict[str, str]]:
    """A CSV table as text rows keyed by its primary key (empty cells stay empty strings)."""
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8-sig")
    rows = {}
    for row in csv.DictReader(io.StringIO(text)):
        clean = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        rows[tuple(clean.get(c, "") for c in key)] = clean
    return rows


def load_tables(data_dir: Path) -> dict[str, dict[tuple, dict[str, str]]]:
    return {name: read_keyed(data_dir / f"{name}.csv", key) for name, key in KEYED_TABLES.items()}


def outcome_numbers_from_dict(d: dict) -> OutcomeNumbers:
    return OutcomeNumbers(**d)


def load_edition(folder: Path) -> ReviewState:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    review = load_yaml_text((folder / "data" / "review.yaml").read_text(encoding="utf-8"))
    return ReviewState(
        label=f"edition {manifest['number']:03d}",
        number=manifest["number"],
        date=manifest["date"],
        search_date=manifest.get("last_search"),
        data_hash=manifest["data_hash"],
        review=review,
        tables=load_tables(folder / "data"),
        outcomes={k: outcome_numbers_from_dict(v) for k, v in manifest["key_numbers"].items()},
    )


def list_editions(editions_dir: Path) -> list[Path]:
    """Edition folders in order of their number (``001``, ``002``, ...)."""
    if not editions_dir.exists():
        return []
    found = [p for p in editions_dir.iterdir() if p.is_dir() and p.name.isdigit() and (p / "manifest.json").exists()]
    return sorted(found, key=lambda p: int(p.name))
