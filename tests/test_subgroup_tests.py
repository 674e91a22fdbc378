"""Tests for subgroup differences that keep tau^2: common tau^2 (metafor meta-regression) and separate tau^2 (RevMan).

Reference values come from ``validation/subgroups/reference.R``: metafor ``rma(yi, vi, mods =
~ factor(group), method, test)`` for every estimator and both tests, with tight convergence
controls; RevMan's separate-tau^2 test (no R function) from each subgroup's own ``rma()`` fit, the
Q between subgroups computed by hand in R. Everything compared agrees to 1e-8 relative (1e-10
absolute near zero); observed differences are below 1e-10.
"""

from __future__ import annotations

import json
import math
import subprocess

import numpy as np
import pytest

from pipeline.stats import subgroup_tests
from pipeline.stats.models import pool_inverse_variance
from pipeline.stats.tau2 import TAU2_METHODS

from conftest import FIXTURES, ROOT

REFERENCE = FIXTURES / "subgroup_tests_reference.json"
REL, ABS = 1e-8, 1e-10
COMMON_FIELDS = ("qm", "qm_pvalue", "tau2", "s2w", "qe", "qe_pvalue", "i2", "h2", "r2")
GROUP_FIELDS = (
    ("estimate", "group_estimate"),
    ("se", "group_se"),
    ("ci_lower", "group_ci_lower"),
    ("ci_upper", "group_ci_upper"),
)


def mismatch(case: str, field: str, got: float, expected: float) -> list[str]:
    if expected is None or math.isclose(got, float(expected), rel_tol=REL, abs_tol=ABS):
        return []
    return [f"{case}: {field} {got!r} != metafor {expected!r}"]


def compare_common(name: str, data: dict, ref: dict) -> list[str]:
    fit = subgroup_tests.test_common_tau2(data["yi"], data["vi"], data["group"], ref["method"], ref["test"])
    case = f"{name} common {ref['method']} {ref['test']}"
    failures = []
    if [g.label for g in fit.groups] != ref["levels"] or [g.k for g in fit.groups] != ref["group_k"]:
        failures.append(f"{case}: levels {[(g.label, g.k) for g in fit.groups]} != {ref['levels']} {ref['group_k']}")
    if (fit.k, fit.qm_df, fit.qe_df, fit.qm_df_residual) != (
        ref["k"],
        ref["qm_df"],
        ref["qe_df"],
        ref["qm_df_residual"],
    ):
        failures.append(f"{case}: k/df {(fit.k, fit.qm_df, fit.qe_df, fit.qm_df_residual)}")
    for field in COMMON_FIELDS:
        failures += mismatch(case, field, getattr(fit, field), ref[field])
    for i, (got, expected) in enumerate(zip(fit.coefficients, ref["coefficients"], strict=True)):
        failures += mismatch(case, f"coefficient {i}", got, expected)
    for got, expected in zip(fit.covariance.ravel(), np.asarray(ref["covariance"], float).ravel(), strict=True):
        failures += mismatch(case, "covariance", got, expected)
    for group, *expected in zip(fit.groups, *(ref[key] for _, key in GROUP_FIELDS), strict=True):
        for (field, _), value in zip(GROUP_FIELDS, expected, strict=True):
            failures += mismatch(case, f"{group.label} {field}", getattr(group, field), value)
    return failures


def compare_separate(name: str, data: dict, ref: dict) -> list[str]:
    result = subgroup_tests.test_separate_tau2(data["yi"], data["vi"], data["group"], ref["method"])
    case = f"{name} separate {ref['method']}"
    failures = []
    if [g.label for g in result.groups] != ref["levels"] or [g.k for g in result.groups] != ref["group_k"]:
        failures.append(f"{case}: levels {[(g.label, g.k) for g in result.groups]}")
    if result.df != ref["df"]:
        failures.append(f"{case}: df {result.df} != {ref['df']}")
    failures += mismatch(case, "q_between", result.q_between, ref["q_between"])
    failures += mismatch(case, "pvalue", result.pvalue, ref["pvalue"])
    for i, group in enumerate(result.groups):
        for field in ("estimate", "se", "tau2"):
            failures += mismatch(case, f"{group.label} {field}", getattr(group, field), ref[f"group_{field}"][i])
    return failures


def compare(reference: dict) -> list[str]:
    failures = []
    for name, data in reference["datasets"].items():
        for ref in data["common_tau2"]:
            failures += compare_common(name, data, ref)
        for ref in data["separate_tau2"]:
            failures += compare_separate(name, data, ref)
    return failures


@pytest.fixture(scope="module")
def stored() -> dict:
    return json.loads(REFERENCE.read_text())


@pytest.fixture(scope="module")
def live(metafor_available, tmp_path_factory) -> dict:
    """One Rscript run for the module."""
    out = tmp_path_factory.mktemp("subgroups") / "subgroup_tests_reference.json"
    proc = subprocess.run(
        ["Rscript", str(ROOT / "validation/subgroups/reference.R"), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text())


def test_stored_reference_covers_every_estimator_and_test(stored):
    datasets = stored["datasets"]
    assert {"bcg_alloc", "bcg_latitude", "li2007_year", "hart1999_comparator"} <= set(datasets)
    assert len(set(datasets["bcg_alloc"]["group"])) == 3 and len(set(datasets["li2007_year"]["group"])) == 2
    for data in datasets.values():
        assert {(r["method"], r["test"]) for r in data["common_tau2"]} == {
            (m, t) for m in TAU2_METHODS for t in ("z", "knha")
        }
        assert {r["method"] for r in data["separate_tau2"]} == set(TAU2_METHODS)


def test_matches_stored_metafor_reference(stored):
    failures = compare(stored)
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures[:40])


@pytest.mark.needs_r
def test_matches_live_metafor(live):
    failures = compare(live)
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures[:40])


@pytest.mark.needs_r
def test_live_fixture_equals_stored(live, stored):
    """The committed fixture's inputs are what the committed script produces now."""
    assert set(live["datasets"]) == set(stored["datasets"])
    for name, data in live["datasets"].items():
        assert data["group"] == stored["datasets"][name]["group"]
        np.testing.assert_allclose(data["yi"], stored["datasets"][name]["yi"], rtol=1e-14)


def dataset(stored: dict, name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    data = stored["datasets"][name]
    return np.asarray(data["yi"]), np.asarray(data["vi"]), data["group"]


def test_one_trial_subgroup_is_that_trial(stored):
    """hart1999: the untreated-control comparison is a single trial, so tau2 = 0 and its own estimate."""
    yi, vi, groups = dataset(stored, "hart1999_comparator")
    result = subgroup_tests.test_separate_tau2(yi, vi, groups, "REML")
    single = next(g for g in result.groups if g.k == 1)
    index = groups.index(single.label)
    assert single.tau2 == 0 and single.estimate == yi[index] and single.se == pytest.approx(math.sqrt(vi[index]))


def test_group_means_do_not_depend_on_the_reference_level(stored):
    yi, vi, groups = dataset(stored, "bcg_alloc")
    renamed = {"alternate": "z alternate", "random": "a random", "systematic": "m systematic"}
    for test in ("z", "knha"):
        fit = subgroup_tests.test_common_tau2(yi, vi, groups, "REML", test)
        refit = subgroup_tests.test_common_tau2(yi, vi, [renamed[g] for g in groups], "REML", test)
        assert refit.qm == pytest.approx(fit.qm, rel=1e-10) and refit.tau2 == pytest.approx(fit.tau2, rel=1e-10)
        means = {g.label: g.estimate for g in fit.groups}
        assert {g.label: g.estimate for g in refit.groups} == pytest.approx({renamed[k]: v for k, v in means.items()})


def test_separate_fits_are_the_ordinary_random_effects_fits(stored):
    yi, vi, groups = dataset(stored, "li2007_year")
    result = subgroup_tests.test_separate_tau2(yi, vi, groups, "DL")
    for group in result.groups:
        member = np.array(groups) == group.label
        fit = pool_inverse_variance("OR", yi[member], vi[member], method="DL")
        assert (group.estimate, group.se, group.tau2) == (fit.estimate, fit.se, fit.tau2)


def test_both_tests_reduce_to_the_fixed_effect_test_without_heterogeneity():
    """When every tau^2 estimate is 0, separate and common tau^2 give the same Q between subgroups."""
    yi = np.array([0.10, 0.12, 0.11, 0.50, 0.52, 0.49])
    vi = np.array([0.04, 0.05, 0.03, 0.04, 0.06, 0.05])
    groups = ["a", "a", "a", "b", "b", "b"]
    separate = subgroup_tests.test_separate_tau2(yi, vi, groups, "DL")
    common = subgroup_tests.test_common_tau2(yi, vi, groups, "DL")
    assert all(g.tau2 == 0 for g in separate.groups) and common.tau2 == 0
    assert common.qm == pytest.approx(separate.q_between, rel=1e-12)
    assert common.qm_pvalue == pytest.approx(separate.pvalue, rel=1e-10)


def test_knha_scales_the_covariance_and_uses_f(stored):
    yi, vi, groups = dataset(stored, "bcg_latitude")
    z = subgroup_tests.test_common_tau2(yi, vi, groups, "REML", "z")
    knha = subgroup_tests.test_common_tau2(yi, vi, groups, "REML", "knha")
    assert knha.tau2 == z.tau2 and z.s2w == 1 and knha.s2w != 1
    np.testing.assert_allclose(knha.covariance, knha.s2w * z.covariance, rtol=1e-12)
    assert knha.qm == pytest.approx(z.qm / knha.s2w / knha.qm_df, rel=1e-12)
    assert (knha.qm_df, knha.qm_df_residual) == (1, len(yi) - 2)


def test_non_finite_trials_are_left_out(stored):
    yi, vi, groups = dataset(stored, "bcg_alloc")
    fit = subgroup_tests.test_common_tau2(yi, vi, groups)
    with_missing = subgroup_tests.test_common_tau2(np.append(yi, np.nan), np.append(vi, np.nan), [*groups, "random"])
    assert with_missing.k == fit.k and with_missing.qm == fit.qm


def test_needs_two_subgroups_and_residual_df():
    with pytest.raises(ValueError, match="at least 2 subgroups"):
        subgroup_tests.test_separate_tau2([0.1, 0.2], [0.01, 0.02], ["a", "a"])
    with pytest.raises(ValueError, match="needs more than 2 trials"):
        subgroup_tests.test_common_tau2([0.1, 0.2], [0.01, 0.02], ["a", "b"])
    with pytest.raises(ValueError, match="unknown test"):
        subgroup_tests.test_common_tau2([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], ["a", "b", "b"], test="t")
