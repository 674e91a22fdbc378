"""Leave-one-out, cumulative, subgroup differences and Egger's test against live metafor (dat.bcg)."""

from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest

from pipeline.stats.effect_sizes import binary_effect_sizes
from pipeline.stats.median_conversion import mean_sd_from_median
from pipeline.stats.meta_analysis import BinaryData, meta_analysis
from pipeline.stats.sensitivity import cumulative, egger_test, leave_one_out, subgroup_analysis

from conftest import FIXTURES
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


def test_median_conversion_worked_example():
    """Skewed length-of-stay data (Meng 2020, Table 3: median 20.00, IQR 17.50-24.50, n = 9)."""
    est = mean_sd_from_median(9, 20.0, q1=17.5, q3=24.5)
    expected_mean = (0.7 + 0.39 / 9) * (17.5 + 24.5) / 2 + (0.3 - 0.39 / 9) * 20.0
    from scipy.stats import norm

    expected_sd = (24.5 - 17.5) / (2 * norm.ppf((0.75 * 9 - 0.125) / (9 + 0.25)))
    assert math.isclose(float(est.mean), expected_mean) and math.isclose(float(est.sd), expected_sd)
    assert 20.0 < float(est.mean) < 21.5
