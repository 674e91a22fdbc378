"""``python -m pipeline extraction A B``: compare two independent data extractions, trial by trial.

python -m pipeline extraction data/extraction/A data/extraction/B --out build/extraction.csv
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from pipeline.inputs.extraction import compare, read_extraction


def compare_extractions(first: Path, second: Path, out: Path | None = None) -> int:
    rows = compare(read_extraction(first), read_extraction(second))
    counts = Counter(r["status"] for r in rows)
    by_trial = Counter((r["study_id"], r["status"]) for r in rows)
    trials = sorted({r["study_id"] for r in rows})
    for t in trials:
        parts = ", ".join(
            f"{by_trial[(t, s)]} {s}"
            for s in ("agree", "partly agree", "disagree", "only first", "only second")
            if by_trial[(t, s)]
        )
        print(f"{t}: {parts}")
    print(f"extraction: {len(rows)} values; " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["status"])
            writer.writeheader()
            writer.writerows(rows)
    return 0
