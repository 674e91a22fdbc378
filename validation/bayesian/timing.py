"""Time one Bayesian fit with k = 20 (the first 20 trials of metafor's dat.li2007, log OR); prints milliseconds.

.venv/bin/python validation/bayesian/timing.py
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np

from pipeline.stats.bayesian import bayesian_meta_analysis
from pipeline.stats.effect_sizes import TwoByTwo, binary_effect_sizes

FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "metafor_data_li2007.csv"
REPEATS = 50


def main() -> None:
    with open(FIXTURE, newline="") as fh:
        rows = list(csv.DictReader(fh))[:20]
    table = TwoByTwo.from_arms(*(np.array([float(r[c]) for r in rows]) for c in ("ai", "n1i", "ci", "n2i")))
    es = binary_effect_sizes("OR", table)
    yi, sei = es.yi, np.sqrt(es.vi)
    for interval in ("central", "shortest"):
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            fit = bayesian_meta_analysis(yi, sei, interval=interval)
            times.append(time.perf_counter() - start)
        print(
            f"k = {fit.k}, interval = {interval}: median {1e3 * np.median(times):.1f} ms, "
            f"min {1e3 * min(times):.1f} ms over {REPEATS} fits ({fit.quadrature_nodes} quadrature nodes)"
        )


if __name__ == "__main__":
    main()
