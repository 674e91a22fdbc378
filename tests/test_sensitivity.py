"""Leave-one-out, cumulative, subgroup differences and Egger's test against live metafor (dat.bcg)."""

from __future__ import annotations

import math
import os
import subprocess

import numpy as np
import pytest

from pipeline.stats.effect_sizes import binary_effect_sizes
from pipeline.stats.median_conversion import mean_sd_from_median
from pipeline.stats.meta_analysis import BinaryData, meta_analysis
from pipeline.stats.sensitivity import cumulative, egger_test, leave_one_out, subgroup_analysis

from conftest import FIXTURES, ROOT
from test_metafor_parity import load_dataset

R = r"""
suppressMessages(library(metafor))
d <- read.csv("{fixtures}/metafor_data_bcg.csv")
d$grp <- rep(c("a","b"), length.out=nrow(d))
ctrl <- list(threshold=1e-12, tol=1e-13, maxiter=10000)
dat <- escalc(measure="RR", ai=ai, n1i=n1i, ci=ci, n2i=n2i, data=d)
fit <- rma(yi, vi, data=dat, method="REML", control=ctrl)
f <- function(x) cat(sprintf("%.17g", x), "\n")
l <- leave1out(fit); f(l$estimate); f(l$tau2)
c1 <- cumul(fit); f(c1$estimate[-1])
fa <- rma(yi, vi, data=dat, subset=grp=="a", method="REML", control=ctrl)
fb <- rma(yi, vi, data=dat, subset=grp=="b", method="REML", control=ctrl)
sg <- rma(c(fa$beta, fb$beta), sei=c(fa$se, fb$se), method="FE"); f(c(sg$QE, sg$QEp))
eg <- regtest(fit, model="lm"); f(c(eg$zval, eg$pval))
"""


@pytest.mark.needs_r
def test_sensitivity_analyses_match_metafor(metafor_available):
    proc = subprocess.run(
        ["Rscript", "-e", R.replace("{fixtures}", str(FIXTURES))], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    loo_est, loo_tau2, cum_est, sg, eg = ([float(x) for x in line.split()] for line in proc.stdout.strip().splitlines())
    data = load_dataset(FIXTURES, "bcg")
    arrays = (data.events_t, data.n_t, data.events_c, data.n_c)

    def fit(mask):
        return meta_analysis("RR", "REML", BinaryData(*(a[mask] for a in arrays)))

    k = len(data.n_t)
    ours = leave_one_out(k, fit)
    assert np.allclose([f.estimate for f in ours], loo_est, rtol=1e-6, atol=1e-8)
    assert np.allclose([f.tau2 for f in ours], loo_tau2, rtol=1e-6, atol=1e-8)
    cum = cumulative(np.arange(k), fit)
    assert np.allclose([f.estimate for f in cum[1:]], cum_est, rtol=1e-6, atol=1e-8)
    assert isinstance(cum[0], str) and "at least 2 studies" in cum[0]
    labels = ["a", "b"] * 7
    result = subgroup_analysis(labels[:k], fit)
    assert math.isclose(result.q_between, sg[0], rel_tol=1e-6) and math.isclose(result.pvalue, sg[1], rel_tol=1e-6)
    es = binary_effect_sizes("RR", data.table())
    egger = egger_test(es.yi, es.vi)
    assert (
        egger.reported
        and math.isclose(egger.t, eg[0], rel_tol=1e-6)
        and math.isclose(egger.pvalue, eg[1], rel_tol=1e-6)
    )


def test_egger_not_reported_below_ten_studies():
    yi = np.array([0.1, -0.2, 0.3, 0.0, 0.5])
    result = egger_test(yi, np.full(5, 0.1))
    assert not result.reported and "5 studies" in result.message and math.isnan(result.pvalue)


def test_subgroup_with_one_estimable_group_says_so():
    data = load_dataset(FIXTURES, "bcg")
    arrays = (data.events_t, data.n_t, data.events_c, data.n_c)
    labels = ["only"] * 12 + ["single"]
    result = subgroup_analysis(labels, lambda m: meta_analysis("RR", "REML", BinaryData(*(a[m] for a in arrays))))
    assert isinstance(result.fits["single"], str) and result.df == 0 and math.isnan(result.q_between)


def test_median_conversion_recovers_normal_moments():
    """With the expected order statistics of a normal sample, each scenario returns the true mean and SD."""
    from scipy.stats import norm

    n, mu, sigma = 200, 12.0, 3.0
    q1, q3 = mu + sigma * norm.ppf(0.25), mu + sigma * norm.ppf(0.75)
    half_range = sigma * norm.ppf((n - 0.375) / (n + 0.25))
    s1 = mean_sd_from_median(n, mu, minimum=mu - half_range, maximum=mu + half_range)
    s2 = mean_sd_from_median(n, mu, q1=q1, q3=q3)
    s3 = mean_sd_from_median(n, mu, q1=q1, q3=q3, minimum=mu - half_range, maximum=mu + half_range)
    assert (s1.scenario, s2.scenario, s3.scenario) == ("S1", "S2", "S3")
    for est in (s1, s2, s3):
        assert math.isclose(float(est.mean), mu, rel_tol=1e-9)
    assert math.isclose(float(s1.sd), sigma, rel_tol=1e-9)
    assert math.isclose(float(s2.sd), sigma, rel_tol=0.01)  # eta(n) uses (0.75n-0.125)/(n+0.25), not exactly 0.75
    assert math.isclose(float(s3.sd), sigma, rel_tol=0.05)
    assert "Luo 2018" in s2.method and "Wan 2014" in s2.method and "Shi 2020" in s3.method


# Wan X, Wang W, Liu J, Tong T. BMC Med Res Methodol 2014;14:135, Table 1: "Values of xi(n) in the
# formula (7) and the formula (12) for n <= 50" (the expected range of n standard normal values).
WAN_2014_TABLE_1 = {2: 1.128, 5: 2.326, 9: 2.970, 12: 3.259, 20: 3.735, 29: 4.057, 40: 4.322, 50: 4.498}


def test_range_divisor_matches_wan_2014_table_1():
    """The SD from the range is (b - a)/xi(n); Wan et al. approximate their Table 1 by
    2 Phi^-1((n - 0.375)/(n + 0.25)) (their formula 9, metafor's default): within 1% of the table from
    n = 9 and within 5% below."""
    from pipeline.stats.median_conversion import _xi

    for n, table in WAN_2014_TABLE_1.items():
        assert abs(float(_xi(n)) - table) / table < (0.01 if n >= 9 else 0.05), (n, float(_xi(n)), table)
    est = mean_sd_from_median(20, 6, minimum=2, maximum=14)
    assert abs(float(est.sd) - 12 / WAN_2014_TABLE_1[20]) / (12 / WAN_2014_TABLE_1[20]) < 0.01


CONV_FIVENUM_SOURCE = ROOT / "validation" / "metafor" / "conv_fivenum"
CONV_FIVENUM_EXAMPLE = r"""
suppressMessages(library(metafor))
if (exists("conv.fivenum", envir=asNamespace("metafor"))) {
  conv.fivenum <- metafor::conv.fivenum
} else {  # metafor < 4.2 (Debian's 3.8): metafor's own source, see validation/metafor/conv_fivenum/README.md
  env <- new.env(parent=asNamespace("metafor"))
  for (f in c("mfopt.r", "misc.func.hidden.r", "conv.fivenum.r")) sys.source(file.path(Sys.getenv("CONV_FIVENUM_SOURCE"), f), envir=env)
  conv.fivenum <- env$conv.fivenum
}
# the example of metafor's conv.fivenum help page (skewed third study in the second data frame)
dat <- data.frame(min=c(2,NA,2,NA), q1=c(NA,4,4,NA), median=c(6,6,6,NA), q3=c(NA,10,14,NA),
                  max=c(14,NA,20,NA), mean=c(NA,NA,NA,7.0), sd=c(NA,NA,NA,4.2), n=c(20,20,20,20))
res <- conv.fivenum(min=min, q1=q1, median=median, q3=q3, max=max, n=n, data=dat)
a <- attributes(res$mean)
cat(sprintf("%.12g", res$mean), "
"); cat(sprintf("%.12g", res$sd), "
")
cat(sprintf("%.12g", a$tval), "
"); cat(sprintf("%.12g", a$crit), "
"); cat(as.integer(a$sig), "
")
"""


def test_skewness_decisions_of_metafors_documented_example():
    """metafor's conv.fivenum help page: in the first example "none of the tests are significant" (min 2,
    q1 4, median 6, q3 10, max 14, n 20); in the second, "the test for skewness is significant" for study 3
    (q3 14, max 20), so its mean and SD are not estimated."""
    from pipeline.stats.median_conversion import skewness_test

    for quantiles in (dict(minimum=2, maximum=14), dict(q1=4, q3=10), dict(minimum=2, q1=4, q3=10, maximum=14)):
        assert not skewness_test(20, 6, **quantiles).skewed, quantiles
    assert not skewness_test(20, 6, minimum=2, maximum=14).skewed and not skewness_test(20, 6, q1=4, q3=10).skewed
    assert skewness_test(20, 6, minimum=2, q1=4, q3=14, maximum=20).skewed


@pytest.mark.needs_r
def test_conversion_and_skewness_test_match_metafor_live(metafor_available):
    """The same example run in metafor (conv.fivenum exists from metafor 4.2; for Debian's 3.8 the test
    runs metafor's own source of it, vendored in validation/metafor/conv_fivenum)."""
    from pipeline.stats.median_conversion import skewness_test

    env = {**os.environ, "CONV_FIVENUM_SOURCE": str(CONV_FIVENUM_SOURCE)}
    proc = subprocess.run(["Rscript", "-e", CONV_FIVENUM_EXAMPLE], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    means, sds, tvals, crits, sigs = (line.split() for line in proc.stdout.strip().splitlines())
    # the help page's output as metafor's reference page prints it (docs/reference/conv.fivenum.html)
    assert [f"{float(v):.6f}" for v in means[:2]] == ["6.594468", "6.719500"] and means[2] == "NA"
    assert [f"{float(v):.6f}" for v in sds[:2]] == ["3.211576", "4.787076"]
    assert [f"{float(v):.3f}" for v in tvals[:3]] == ["0.333", "0.333", "0.818"]
    assert [f"{float(v):.3f}" for v in crits[:3]] == ["0.416", "0.578", "0.666"] and sigs[:3] == ["0", "0", "1"]
    rows = [dict(minimum=2, maximum=14), dict(q1=4, q3=10), dict(minimum=2, q1=4, q3=14, maximum=20)]
    for i, quantiles in enumerate(rows):
        test = skewness_test(20, 6, **quantiles)
        assert math.isclose(test.statistic, float(tvals[i]), rel_tol=1e-9)
        assert math.isclose(test.critical, float(crits[i]), rel_tol=1e-9)
        assert test.skewed == (sigs[i] == "1")
        if not test.skewed:
            est = mean_sd_from_median(20, 6, **quantiles)
            assert math.isclose(float(est.mean), float(means[i]), rel_tol=1e-9)
            assert math.isclose(float(est.sd), float(sds[i]), rel_tol=1e-9)
        else:
            assert means[i] == "NA"


def test_the_skewed_arm_in_the_review_fails_the_test():
    """Zhu 2021, time to clinical improvement, MSC arm: median 7 (IQR 7-12), n 29."""
    from pipeline.stats.median_conversion import skewness_test

    test = skewness_test(29, 7, q1=7, q3=12)
    assert test.statistic == pytest.approx(1.0) and test.critical == pytest.approx(2.65 / math.sqrt(29) - 6 / 29**2)
    assert test.skewed
