"""Speed of the pooling engine against statsmodels, PyMARE and metafor (``make bench``; not a test).

Same inputs for every tool in one run:
  A. k = 10 studies, 1,000 repeated REML fits (time per fit);
  B. one REML fit of k = 10,000 synthetic studies;
  C. every fit of the living review (all outcomes x models x subgroups x sensitivity analyses).
metafor is timed inside R (``system.time`` around the loop), so R's start-up is not counted.
statsmodels' ``combine_effects`` has no REML: it is timed with its iterated (Paule-Mandel) estimator,
and our PM is timed beside it for a like-for-like ratio.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from pipeline.stats.models import pool_inverse_variance

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 1000


def synthetic(k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 0.5, k)
    yi = rng.normal(-0.3, np.sqrt(vi + 0.1))
    return yi, vi


def per_fit(fn, datasets, repeats: int = 1) -> float:
    """Mean time per fit over the datasets; the median of ``repeats`` passes (for single large fits)."""
    passes = []
    for _ in range(repeats):
        start = time.perf_counter()
        for yi, vi in datasets:
            fn(yi, vi)
        passes.append((time.perf_counter() - start) / len(datasets))
    return sorted(passes)[len(passes) // 2]


def time_ours(datasets, method="REML") -> float:
    return per_fit(
        lambda y, v: pool_inverse_variance("RR", y, v, method=method), datasets, repeats=max(1, 21 // len(datasets))
    )


def time_statsmodels(datasets) -> float | None:
    try:
        from statsmodels.stats.meta_analysis import combine_effects
    except ImportError:
        return None
    return per_fit(
        lambda y, v: combine_effects(y, v, method_re="iterated"), datasets, repeats=max(1, 21 // len(datasets))
    )


def time_pymare(datasets) -> float | None:
    try:
        from pymare.estimators import VarianceBasedLikelihoodEstimator
    except ImportError:
        return None

    def fit(y, v):
        VarianceBasedLikelihoodEstimator(method="REML").fit(
            y=y[:, None], v=v[:, None], X=np.ones((len(y), 1))
        ).summary()

    return per_fit(fit, datasets)


METAFOR_TIMEOUT_S = 120  # rma.uni builds dense k x k matrices: k = 10,000 takes minutes


def time_metafor(datasets) -> float | str | None:
    if not shutil.which("Rscript"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.csv"
        ys = np.array([d[0] for d in datasets])
        vs = np.array([d[1] for d in datasets])
        k = ys.shape[1]
        np.savetxt(path, np.hstack([ys, vs]), delimiter=",")
        script = (
            f"suppressMessages(library(metafor)); m <- as.matrix(read.csv('{path}', header=FALSE)); k <- {k};"
            "t <- system.time(for (i in seq_len(nrow(m))) try(rma(m[i,1:k], m[i,(k+1):(2*k)], method='REML'), silent=TRUE))[['elapsed']];"
            "cat(t / nrow(m))"
        )
        try:
            proc = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=METAFOR_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return f"> {METAFOR_TIMEOUT_S} s (stopped; rma.uni works with dense k×k matrices)"
        return float(proc.stdout) if proc.returncode == 0 else None


def time_review() -> tuple[float, int]:
    from pipeline.analyse import analyse_outcome
    from pipeline.inputs.load import load_review_data

    data = load_review_data(ROOT / "data")
    outcomes = data.review["outcomes"]
    start = time.perf_counter()
    n_fits = 0
    for outcome in outcomes:
        result = analyse_outcome(data, outcome)
        n_fits += len(result.get("fits", {})) + len(result.get("leave_one_out", [])) + len(result.get("cumulative", []))
        n_fits += sum(len(sg["groups"]) for sg in result.get("subgroups", {}).values())
    return time.perf_counter() - start, n_fits


def fmt(seconds: float | str | None) -> str:
    if isinstance(seconds, str):
        return seconds
    if seconds is None:
        return "not available"
    return f"{seconds * 1e3:.3f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.1f} µs"


def ratio(theirs: float | str | None, ours: float) -> str:
    if theirs is None:
        return "—"
    if isinstance(theirs, str):
        return f"> {METAFOR_TIMEOUT_S / ours:.0f}× slower than ours"
    return f"{theirs / ours:.1f}× slower than ours" if theirs >= ours else f"{ours / theirs:.1f}× faster than ours"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="build/bench.md")
    args = parser.parse_args()
    small = [synthetic(10, seed) for seed in range(REPEATS)]
    large = [synthetic(10_000, 12345)]
    time_ours(small[:20])  # warm-up
    rows = []
    ours_small = time_ours(small)
    ours_small_pm = time_ours(small, "PM")
    rows.append(("A. k=10, 1,000 REML fits", "this project (REML)", fmt(ours_small), "—"))
    rows.append(("A. k=10, 1,000 fits", "this project (PM)", fmt(ours_small_pm), "—"))
    sm = time_statsmodels(small)
    rows.append(
        ("A. k=10, 1,000 fits", "statsmodels combine_effects (iterated = PM)", fmt(sm), ratio(sm, ours_small_pm))
    )
    pm = time_pymare(small)
    rows.append(("A. k=10, 1,000 REML fits", "PyMARE VarianceBasedLikelihoodEstimator", fmt(pm), ratio(pm, ours_small)))
    mf = time_metafor(small)
    rows.append(("A. k=10, 1,000 REML fits", "metafor rma (timed inside R)", fmt(mf), ratio(mf, ours_small)))
    ours_large = time_ours(large)
    rows.append(("B. one REML fit, k=10,000", "this project", fmt(ours_large), "target < 20 ms"))
    sm_l = time_statsmodels(large)
    rows.append(("B. one fit, k=10,000", "statsmodels (PM)", fmt(sm_l), ratio(sm_l, time_ours(large, "PM"))))
    rows.append(
        (
            "B. one REML fit, k=10,000",
            "PyMARE",
            "not run",
            "builds dense k×k matrices (10,000² doubles = 800 MB, O(k³) solves per iteration)",
        )
    )
    mf_l = time_metafor(large)
    rows.append(("B. one REML fit, k=10,000", "metafor", fmt(mf_l), ratio(mf_l, ours_large)))
    review_s, n_fits = time_review()
    rows.append(("C. the whole living review", f"this project ({n_fits} fits)", fmt(review_s), "target < 100 ms"))
    header = "| benchmark | implementation | time per fit | ratio |\n|---|---|---|---|\n"
    table = header + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("# Pooling benchmark\n\n" + table + "\n", encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
