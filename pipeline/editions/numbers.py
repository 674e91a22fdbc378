"""The key numbers of every outcome in the current build (as an edition's manifest records them)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.editions.state import OutcomeNumbers, ReviewState, load_tables
from pipeline.inputs.load import ReviewData
from pipeline.inputs.review_file import load_yaml_text
from pipeline.results.load import load_outcome


def current_numbers(data: ReviewData, results_dir: Path, tables_dir: Path) -> dict[str, OutcomeNumbers]:
    sof = json.loads((tables_dir / "summary_of_findings.json").read_text(encoding="utf-8"))
    certainty = {r["key"]: r.get("certainty") for r in sof if not r.get("randomised_only")}
    out = {}
    for o in data.config.outcomes:
        r = load_outcome(results_dir, o.key)
        head = r.headline
        lo, hi = head.effect_ci if head is not None else (None, None)
        out[o.key] = OutcomeNumbers(
            key=o.key,
            label=o.short,
            measure=o.measure,
            lower_is_better=o.lower_is_better,
            critical=o.critical,
            safety=o.safety,
            k=r.k,
            participants=r.participants,
            effect=head.effect if head is not None else None,
            ci_lower=lo,
            ci_upper=hi,
            certainty=certainty.get(o.key),
            sequential_verdict=r.sequential.verdict_text if r.sequential else "",
        )
    return out


def current_state(data: ReviewData, results_dir: Path, tables_dir: Path, today: str) -> ReviewState:
    data_dir = Path(data.data_dir)
    review = load_yaml_text((data_dir / "review.yaml").read_text(encoding="utf-8"))
    return ReviewState(
        label="the current build",
        number=None,
        date=today,
        search_date=data.config.search.last_search,
        data_hash=data.data_hash,
        review=review,
        tables=load_tables(data_dir),
        outcomes=current_numbers(data, results_dir, tables_dir),
    )
