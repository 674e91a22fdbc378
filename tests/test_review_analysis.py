"""The review's own mortality analysis: selection rules and pooled numbers against live metafor."""

from __future__ import annotations

import json
import math
import subprocess

import pytest

from pipeline.analyse import analyse_outcome, select_rows
from pipeline.inputs.load import load_review_data

from conftest import ROOT


@pytest.fixture(scope="module")
def review():
    return load_review_data(ROOT / "data")


def test_day28_selection_uses_window_and_skips_unverified(review):
    outcome = review.outcome_definition("mortality")
    rows, missing = select_rows(review, outcome)
    chosen = {r["study_id"]: r["timepoint_days"] for r in rows}
    for sid, day in chosen.items():
        assert 14 <= day <= 31, (sid, day)
    reasons = {m["study_id"]: m["reason"] for m in missing}
    unverified = {r["study_id"] for r in review.outcomes if r["outcome"] == "mortality" and r["check"] == "unverified"}
    assert unverified and unverified <= set(reasons)
    assert set(chosen) | set(reasons) == {s["study_id"] for s in review.studies}


def test_longest_follow_up_prefers_undated_end_of_study_counts(review):
    outcome = review.outcome_definition("mortality_any")
    rows, _ = select_rows(review, outcome)
    by_study = {}
    for r in review.outcomes:
        if r["outcome"] == "mortality" and r["events_t"] is not None and r["check"] != "unverified":
            by_study.setdefault(r["study_id"], []).append(r)
    for r in rows:
        candidates = by_study[r["study_id"]]
        if any(c["timepoint_days"] is None for c in candidates):
            assert r["timepoint_days"] is None
        else:
            assert r["timepoint_days"] == max(c["timepoint_days"] for c in candidates)


R_SCRIPT = r"""
suppressMessages(library(metafor))
d <- read.csv("{csv}")
ctrl <- list(threshold=1e-12, tol=1e-13, maxiter=10000)
mh <- rma.mh(measure="RR", ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, data=d)
re <- rma(measure="RR", ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, data=d, method="REML", control=ctrl)
kn <- rma(measure="RR", ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, data=d, method="REML", test="knha", control=ctrl)
f <- function(x) sprintf("%.17g", x)
cat(f(c(mh$beta, mh$se, mh$ci.lb, mh$ci.ub, mh$QE, mh$I2)), "\n")
cat(f(c(re$beta, re$se, re$ci.lb, re$ci.ub, re$tau2, re$I2, re$QE, re$QEp)), "\n")
p <- predict(kn)
cat(f(c(kn$beta, kn$se, kn$ci.lb, kn$ci.ub, kn$pval, p$pi.lb, p$pi.ub)), "\n")
"""


@pytest.mark.needs_r
@pytest.mark.parametrize("key", ["mortality", "mortality_any"])
def test_pooled_mortality_matches_live_metafor(metafor_available, review, tmp_path, key):
    result = analyse_outcome(review, review.outcome_definition(key))
    assert result["k"] >= 2
    csv_path = tmp_path / "d.csv"
    csv_path.write_text(
        "events_t,n_t,events_c,n_c\n"
        + "".join(f"{s['events_t']},{s['n_t']},{s['events_c']},{s['n_c']}\n" for s in result["studies"])
    )
    proc = subprocess.run(
        ["Rscript", "-e", R_SCRIPT.replace("{csv}", str(csv_path))], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    mh, re_, kn = ([float(x) for x in line.split()] for line in proc.stdout.strip().splitlines())
    fits = result["fits"]
    ours_mh = [fits["fixed"][k] for k in ("estimate", "se", "ci_lower", "ci_upper", "q", "i2")]
    ours_re = [fits["random"][k] for k in ("estimate", "se", "ci_lower", "ci_upper", "tau2", "i2", "q", "q_pvalue")]
    ours_kn = [
        fits["random_hksj"][k] for k in ("estimate", "se", "ci_lower", "ci_upper", "pvalue", "pi_lower", "pi_upper")
    ]
    for ours, theirs in ((ours_mh, mh), (ours_re, re_), (ours_kn, kn)):
        for a, b in zip(ours, theirs, strict=True):
            assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-8), (ours, theirs)


def test_headline_never_narrower_than_z_interval(review):
    result = analyse_outcome(review, review.outcome_definition("mortality"))
    head = result["fits"][result["headline_model"]]
    z = result["fits"]["random"]
    assert head["ci_upper"] - head["ci_lower"] >= z["ci_upper"] - z["ci_lower"] - 1e-12


def test_results_json_written_and_round_trips(tmp_path):
    from pipeline.analyse import write_results

    written = write_results(ROOT / "data", tmp_path / "results")
    names = {p.name for p in written}
    assert {"index.json", "mortality.json", "mortality_studies.csv", "mortality_pooled.csv"} <= names
    result = json.loads((tmp_path / "results" / "mortality.json").read_text())
    assert result["convention"] == "metafor"
    assert len(result["cumulative"]) == result["k"] == len(result["leave_one_out"])
    assert result["egger"]["reported"] is False and "fewer than the 10" in result["egger"]["message"]
