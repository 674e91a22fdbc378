"""The binomial-normal GLMM (fixed study effects, random treatment effect) against metafor's rma.glmm / lme4.

Reference values come from ``validation/glmm/reference.R`` (metafor ``rma.glmm(measure="OR",
model="UM.FS")``, glmer with nAGQ = 7), run with rma.glmm's defaults and with a tight glmer
optimizer. What agrees and to what tolerance, and why, is in validation/glmm/README.md:

- the likelihood itself, at glmer's own estimates: 1e-8 (observed about 1e-11);
- our maximum is never below glmer's (we run the optimiser to a Newton step below 1e-10);
- estimate and tau2: 1e-5 against the tight fit, 1e-4 against the default fit where lme4 reports
  convergence (lme4's Nelder-Mead stops at a deviance change of 1e-5);
- SE: 2e-4 relative, CI and z accordingly (glmer's SE comes from a finite-difference Hessian of a likelihood that is
  itself computed only to PIRLS tolerance; ours from exact gradients);
- QE (Wald and LRT), their p-values, k: 1e-6 relative (they do not depend on the GLMM optimiser).
"""

from __future__ import annotations

import json
import math
import subprocess

import numpy as np
import pytest

from pipeline.stats.effect_sizes import TwoByTwo
from pipeline.stats.glmm import fit_binomial_normal, marginal_log_likelihood
from pipeline.stats.models import PoolingError

from conftest import FIXTURES, ROOT

REFERENCE = FIXTURES / "glmm_reference.json"
LIKELIHOOD_ABS = 1e-8
TIGHT_ABS = 1e-5  # estimate, tau2 against glmer with a tight optimizer
DEFAULT_ABS = 1e-4  # estimate, tau2 against rma.glmm's defaults, converged fits only
SE_REL = 2e-4
DETERMINISTIC_REL = 1e-6
I2_ABS = 1e-2  # percent; I2 moves with tau2 (dI2/dtau2 up to about 1000 here)


def table_of(entry: dict) -> TwoByTwo:
    return TwoByTwo.from_arms(*(np.asarray(entry[key], float) for key in ("ai", "n1i", "ci", "n2i")))


def close(got: float, expected: float, rel: float = 0.0, abs_: float = 0.0) -> bool:
    return math.isclose(got, expected, rel_tol=rel, abs_tol=abs_)


def compare(reference: dict) -> list[str]:
    failures = []
    for name, entry in reference["datasets"].items():
        table = table_of(entry)
        fit = fit_binomial_normal(table)
        for fit_name in ("default", "tight"):
            r = entry[fit_name]
            case = f"{name} {fit_name}"
            r_tau2 = r["theta"] ** 2
            ours_at_r = marginal_log_likelihood(table, r["treatment"], r_tau2, r["study_intercepts"])
            if not close(ours_at_r - fit.loglik_saturated, r["loglik_relative"], abs_=LIKELIHOOD_ABS):
                failures.append(
                    f"{case}: loglik at glmer's estimates {ours_at_r - fit.loglik_saturated!r} != {r['loglik_relative']!r}"
                )
            if fit.loglik - fit.loglik_saturated < r["loglik_relative"] - 1e-10:
                failures.append(
                    f"{case}: our maximum {fit.loglik - fit.loglik_saturated!r} below glmer's {r['loglik_relative']!r}"
                )
            for field in ("k", "qe_df"):
                if getattr(fit, field) != r[field]:
                    failures.append(f"{case}: {field} {getattr(fit, field)} != {r[field]}")
            for field in ("qe_wald", "qe_wald_pvalue", "qe_lrt", "qe_lrt_pvalue"):
                if not close(getattr(fit, field), r[field], rel=DETERMINISTIC_REL, abs_=1e-12):
                    failures.append(f"{case}: {field} {getattr(fit, field)!r} != {r[field]!r}")
            if r["convergence_warning"]:
                continue  # lme4 says it did not converge: only the likelihood checks above apply
            tolerance = TIGHT_ABS if fit_name == "tight" else DEFAULT_ABS
            for field in ("estimate", "tau2"):
                if not close(getattr(fit, field), r[field], abs_=tolerance):
                    failures.append(f"{case}: {field} {getattr(fit, field)!r} != {r[field]!r}")
            if not close(fit.se, r["se"], rel=SE_REL):
                failures.append(f"{case}: se {fit.se!r} != {r['se']!r}")
            # the interval and z inherit both tolerances
            for field in ("ci_lower", "ci_upper"):
                if not close(getattr(fit, field), r[field], abs_=tolerance + 1.96 * SE_REL * r["se"]):
                    failures.append(f"{case}: {field} {getattr(fit, field)!r} != {r[field]!r}")
            if not close(fit.zval, r["zval"], rel=SE_REL + tolerance / abs(r["estimate"])):
                failures.append(f"{case}: zval {fit.zval!r} != {r['zval']!r}")
            if not close(fit.i2, r["i2"], abs_=I2_ABS):
                failures.append(f"{case}: i2 {fit.i2!r} != {r['i2']!r}")
    return failures


@pytest.fixture(scope="module")
def stored() -> dict:
    return json.loads(REFERENCE.read_text())


def test_stored_reference_covers_the_sparse_datasets(stored):
    assert set(stored["datasets"]) >= {"bcg", "li2007", "nielweise2007", "sparse", "hine1989"}
    for entry in stored["datasets"].values():
        assert {"default", "tight"} <= set(entry)
    # the tight fits all converged; the exclusions are the default fits lme4 itself flags
    assert not any(e["tight"]["convergence_warning"] for e in stored["datasets"].values())
    flagged = {name for name, e in stored["datasets"].items() if e["default"]["convergence_warning"]}
    assert flagged <= {"li2007", "nielweise2007"}


def test_matches_stored_glmer_reference(stored):
    failures = compare(stored)
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures)


@pytest.mark.needs_r
def test_matches_live_glmer(metafor_available, tmp_path):
    out = tmp_path / "glmm_reference.json"
    proc = subprocess.run(
        ["Rscript", str(ROOT / "validation/glmm/reference.R"), str(out)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    failures = compare(json.loads(out.read_text()))
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures)


def load_csv_table(name: str) -> TwoByTwo:
    data = np.genfromtxt(FIXTURES / f"metafor_data_{name}.csv", delimiter=",", names=True)
    return TwoByTwo.from_arms(data["ai"], data["n1i"], data["ci"], data["n2i"])


def test_zero_cells_used_without_correction_and_double_zero_dropped():
    table = load_csv_table("sparse")  # 0/9 vs 0/9 (double zero), 0/7 vs 1/3, 0/29 vs 2/29, ...
    fit = fit_binomial_normal(table)
    assert fit.dropped.tolist() == table.is_double_zero.tolist() and fit.k_dropped == 1 and fit.k == 4
    # the single-zero studies stay in, with their own intercepts
    assert len(fit.study_intercepts) == 4 and np.all(np.isfinite(fit.study_intercepts))
    assert np.isfinite(fit.estimate) and fit.se > 0 and fit.tau2 > 0


def test_swapping_arms_negates_the_log_odds_ratio():
    """With the +1/2 / -1/2 coding the model is symmetric in the two arms."""
    table = load_csv_table("nielweise2007")
    swapped = TwoByTwo(table.c, table.d, table.a, table.b)
    fit, fit_swapped = fit_binomial_normal(table), fit_binomial_normal(swapped)
    assert fit_swapped.estimate == pytest.approx(-fit.estimate, abs=1e-9)
    assert fit_swapped.tau2 == pytest.approx(fit.tau2, abs=1e-9)
    assert fit_swapped.se == pytest.approx(fit.se, rel=1e-7)


def test_study_order_does_not_matter():
    table = load_csv_table("li2007")
    order = np.random.default_rng(1).permutation(len(table.a))
    shuffled = TwoByTwo(table.a[order], table.b[order], table.c[order], table.d[order])
    fit, fit_shuffled = fit_binomial_normal(table), fit_binomial_normal(shuffled)
    assert fit_shuffled.estimate == pytest.approx(fit.estimate, abs=1e-9)
    assert fit_shuffled.tau2 == pytest.approx(fit.tau2, abs=1e-9)
    assert fit_shuffled.study_intercepts == pytest.approx(fit.study_intercepts[order], abs=1e-8)


def test_boundary_fit_is_the_fixed_effect_logistic_model():
    """hine1989: the likelihood is maximal at tau2 = 0, where the GLMM is the logistic model."""
    fit = fit_binomial_normal(load_csv_table("hine1989"))
    assert fit.tau2 == 0 and fit.i2 == 0
    assert fit.loglik == pytest.approx(fit.loglik_fixed, abs=1e-12)


def test_maximum_is_a_maximum():
    table = load_csv_table("bcg")
    fit = fit_binomial_normal(table)
    tau = math.sqrt(fit.tau2)
    for d_mu, d_tau in ((1e-4, 0), (-1e-4, 0), (0, 1e-4), (0, -1e-4)):
        nearby = marginal_log_likelihood(table, fit.estimate + d_mu, (tau + d_tau) ** 2, fit.study_intercepts)
        assert nearby < fit.loglik


def test_no_events_in_one_arm_anywhere_is_not_estimable():
    table = TwoByTwo.from_arms(np.array([0, 0, 0]), np.array([10, 20, 30]), np.array([1, 2, 3]), np.array([10, 20, 30]))
    with pytest.raises(PoolingError, match="not estimable"):
        fit_binomial_normal(table)


def test_one_study_is_not_enough():
    table = TwoByTwo.from_arms(np.array([0, 3]), np.array([10, 20]), np.array([0, 5]), np.array([10, 20]))
    with pytest.raises(PoolingError, match="at least 2 studies"):
        fit_binomial_normal(table)
