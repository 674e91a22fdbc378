"""Bayesian random-effects meta-analysis (pipeline.stats.bayesian) against bayesmeta's published output,
nested scipy quadrature, and NumPyro MCMC (stored fixture from validation/bayesian/mcmc_check.py)."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from scipy import integrate, special

from pipeline.stats.bayesian import (
    GAUSS_INDEX,
    GAUSS_WEIGHTS,
    KRONROD_NODES,
    KRONROD_WEIGHTS,
    WEAKLY_INFORMATIVE_LOG_RATIO,
    BayesianFitError,
    NormalMuPrior,
    TauPrior,
    bayesian_meta_analysis,
    conditional_moments,
    half_cauchy_prior,
    half_normal_prior,
    mu_cdf,
    mu_density,
    mu_quantile,
    prob_above,
    prob_below,
    prob_tau_above,
    tau_cdf,
    tau_density,
    tau_quantile,
    turner_prior,
    uniform_prior,
)
from pipeline.stats.effect_sizes import TwoByTwo, binary_effect_sizes

from conftest import FIXTURES

REFERENCE = json.loads((FIXTURES / "bayesmeta_reference.json").read_text())
MCMC = json.loads((FIXTURES / "mcmc_reference.json").read_text())


def _columns(name: str) -> dict[str, list[str]]:
    with open(FIXTURES / name, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {key: [row[key] for row in rows] for key in rows[0]}


def _floats(values: list[str]) -> np.ndarray:
    return np.array([float(v) for v in values])


def crins(studies: str = "all") -> tuple[np.ndarray, np.ndarray]:
    """Log odds ratios of acute rejection (bayesmeta's CrinsEtAl2014, JSS Table 3), metafor's escalc conventions."""
    cols = _columns("bayesmeta_data_crins2014.csv")
    table = TwoByTwo.from_arms(
        *(_floats(cols[n]) for n in ("exp.AR.events", "exp.total", "cont.AR.events", "cont.total"))
    )
    es = binary_effect_sizes("OR", table)
    keep = np.array(cols["randomized"]) == "yes" if studies == "randomized" else np.ones(es.yi.size, bool)
    return es.yi[keep], np.sqrt(es.vi[keep])


def rubin() -> tuple[np.ndarray, np.ndarray]:
    cols = _columns("bayesmeta_data_rubin1981.csv")
    return _floats(cols["effect"]), _floats(cols["stderr"])


def _tau_prior(spec: dict) -> TauPrior:
    if spec["kind"] == "half-normal":
        return half_normal_prior(spec["scale"])
    if spec["kind"] == "half-cauchy":
        return half_cauchy_prior(spec["scale"])
    if spec["kind"] == "turner":
        return turner_prior(spec["outcome"])
    return uniform_prior(spec.get("upper", math.inf))


def _mu_prior(spec: dict | None) -> NormalMuPrior | None:
    return None if spec is None else NormalMuPrior(spec["mean"], spec["sd"])


def _published_fit(example: dict):
    y, s = crins(example["studies"]) if example["data"] == "crins2014" else rubin()
    tau_prior, mu_prior = _tau_prior(example["tau_prior"]), _mu_prior(example["mu_prior"])
    return bayesian_meta_analysis(y, s, tau_prior, mu_prior, interval="shortest")


def _summary_of(fit, name: str) -> dict[str, float]:
    if name == "tau":
        return {
            "median": fit.tau_median,
            "mean": fit.tau_mean,
            "sd": fit.tau_sd,
            "lower": fit.tau_lower,
            "upper": fit.tau_upper,
        }
    if name == "mu":
        return {
            "median": fit.posterior_median,
            "mean": fit.posterior_mean,
            "sd": fit.posterior_sd,
            "lower": fit.cri_lower,
            "upper": fit.cri_upper,
        }
    return {
        "median": fit.pred_median,
        "mean": fit.posterior_mean,
        "sd": fit.pred_sd,
        "lower": fit.pred_lower,
        "upper": fit.pred_upper,
    }


# ---------------------------------------------------------------------------------------------
# the quadrature rule itself


def test_kronrod_rule_integrates_polynomials_exactly():
    # K15 is exact to degree 22, its embedded G7 to degree 13, on [-1, 1]
    assert KRONROD_WEIGHTS.sum() == pytest.approx(2.0, abs=1e-15)
    assert np.dot(KRONROD_WEIGHTS, KRONROD_NODES**22) == pytest.approx(2 / 23, rel=1e-13)
    assert np.dot(GAUSS_WEIGHTS, KRONROD_NODES[GAUSS_INDEX] ** 12) == pytest.approx(2 / 13, rel=1e-13)
    assert abs(np.dot(GAUSS_WEIGHTS, KRONROD_NODES[GAUSS_INDEX] ** 14) - 2 / 15) > 1e-6  # and no further


# ---------------------------------------------------------------------------------------------
# published bayesmeta output


def test_crins_effect_sizes_match_the_vignette():
    y, s = crins()
    printed = REFERENCE["effect_sizes"]
    assert np.round(y, 4) == pytest.approx(printed["yi"], abs=1e-12)
    assert np.round(s**2, 4) == pytest.approx(printed["vi"], abs=1e-12)


@pytest.mark.parametrize("example", REFERENCE["examples"], ids=lambda e: e["id"])
def test_reproduces_published_bayesmeta_results(example):
    fit = _published_fit(example)
    failures = []
    for name, printed in example.get("summary", {}).items():
        got = _summary_of(fit, name)
        for stat, value in printed.items():
            if name == "tau":  # exact in bayesmeta (R's integrate): 7 printed digits
                ok = math.isclose(got[stat], value, rel_tol=1e-6, abs_tol=1e-9)
            else:  # bayesmeta's DIRECT mixture: within 0.005 posterior SDs
                ok = abs(got[stat] - value) <= 0.005 * got["sd"]
            if not ok:
                failures.append(f"{name} {stat}: {got[stat]!r} vs printed {value!r}")
    for name, printed in example.get("summary", {}).items():
        if name == "tau":
            continue
        predictive = name == "theta"  # bayesmeta's printed quantiles, in probability under the exact posterior
        content = mu_cdf(fit.mixture, printed["upper"], predictive) - mu_cdf(fit.mixture, printed["lower"], predictive)
        median_p = mu_cdf(fit.mixture, printed["median"], predictive)
        if abs(content - 0.95) > 5e-4 or abs(median_p - 0.5) > 5e-4:
            failures.append(f"{name}: printed interval holds {content!r}, printed median is the {median_p!r} quantile")
    for name, printed in example.get("rounded", {}).items():
        got = _summary_of(fit, name)
        failures += [
            f"{name} {stat}: {got[stat]!r} vs {v}" for stat, v in printed.items() if abs(got[stat] - v) > 0.005
        ]
    for entry in example.get("mu_probabilities", []):
        got = prob_above(fit, entry["above"]) if "above" in entry else prob_below(fit, entry["below"])
        if abs(got - entry["printed"]) > 0.05 * min(entry["printed"], 1 - entry["printed"]):
            failures.append(f"P(mu) {entry}: {got!r}")
    for entry in example.get("tau_probabilities", []):
        if not math.isclose(prob_tau_above(fit, entry["above"]), entry["printed"], rel_tol=1e-6):
            failures.append(f"P(tau) {entry}: {prob_tau_above(fit, entry['above'])!r}")
    for entry in example.get("tau_quantiles", []):
        got = tau_quantile(fit.mixture, entry["p"])
        if not math.isclose(got, entry["printed"], rel_tol=1e-6):
            failures.append(f"tau quantile {entry}: {got!r}")
    for entry in example.get("mu_quantiles", []):
        got = mu_quantile(fit.mixture, entry["p"])
        if abs(got - entry["printed"]) > 0.005 * fit.posterior_sd:
            failures.append(f"mu quantile {entry}: {got!r}")
    assert not failures, "\n".join(failures)


def test_prior_presets_match_published_quantiles():
    for check in REFERENCE["prior_checks"]:
        if "turner" in check:
            prior = turner_prior(*check["turner"])
            assert prior.quantile(np.array(check["p"])) == pytest.approx(check["printed"], rel=1e-6)
        else:
            prior = half_normal_prior(check["half_normal_scale"])
            assert np.round(prior.quantile(np.array(check["p"])), check["decimals"]) == pytest.approx(check["printed"])


def test_presets_carry_their_sources():
    # Turner et al. 2015 Table IV (via bayesmeta 3.4 TurnerEtAlParameters): all-cause mortality,
    # pharmacological vs placebo/control: log tau^2 ~ N(-3.95, 1.34^2)
    prior = turner_prior()
    assert (prior.kind, prior.log_tau2_mean, prior.log_tau2_sd) == ("log-normal-tau2", -3.95, 1.34)
    assert "all-cause mortality" in prior.label and "Turner" in prior.source
    assert turner_prior("all-cause mortality", "non-pharmacological vs. pharmacological").log_tau2_sd == 1.02
    assert (WEAKLY_INFORMATIVE_LOG_RATIO.kind, WEAKLY_INFORMATIVE_LOG_RATIO.scale) == ("half-normal", 0.5)
    assert "Röver" in WEAKLY_INFORMATIVE_LOG_RATIO.source
    with pytest.raises(BayesianFitError, match="no Turner"):
        turner_prior("pain", "pharmacological vs. placebo / control")


# ---------------------------------------------------------------------------------------------
# exactness: the node set against nested adaptive quadrature (scipy.integrate.quad)


def _quad_reference(y, s, tau_prior, mu_prior):
    def density(t):
        log_l, _, _ = conditional_moments(np.array(t), y, s, mu_prior)
        return math.exp(float(tau_prior.log_density(np.array(t)) + log_l))

    def moments(t):
        _, m, s2 = conditional_moments(np.array(t), y, s, mu_prior)
        return float(m), float(s2)

    def integral(f):
        return integrate.quad(lambda t: density(t) * f(t), 0, np.inf, epsabs=0, epsrel=1e-12, limit=500)[0]

    total = integral(lambda t: 1.0)

    def mu_cdf_ref(x: float, predictive: bool = False) -> float:
        def conditional_cdf(t: float) -> float:
            m, s2 = moments(t)
            return float(special.ndtr((x - m) / math.sqrt(s2 + (t * t if predictive else 0.0))))

        return integral(conditional_cdf) / total

    def tau_cdf_ref(x: float) -> float:
        return integrate.quad(density, 0, x, epsabs=0, epsrel=1e-12)[0] / total

    def tau_density_ref(x: float) -> float:
        return density(x) / total

    return mu_cdf_ref, tau_cdf_ref, tau_density_ref


@pytest.mark.parametrize(
    "case",
    [
        ("crins, HN(0.5), N(0,4)", *crins(), half_normal_prior(0.5), NormalMuPrior(0, 4)),
        ("schools, HC(25), N(0,50)", *rubin(), half_cauchy_prior(25), NormalMuPrior(0, 50)),
        ("schools, flat priors", *rubin(), uniform_prior(), None),
        ("k=1, HC(0.5), flat mu", np.array([-0.4]), np.array([0.5]), half_cauchy_prior(0.5), None),
        ("crins, Turner mortality", *crins(), turner_prior(), None),
        ("crins, uniform(0, 2)", *crins(), uniform_prior(2.0), None),
    ],
    ids=lambda c: c[0],
)
def test_mixture_matches_nested_scipy_quadrature(case):
    _, y, s, tau_prior, mu_prior = case
    fit = bayesian_meta_analysis(y, s, tau_prior, mu_prior)
    mu_cdf_ref, tau_cdf_ref, tau_density_ref = _quad_reference(y, s, tau_prior, mu_prior)
    for x in (fit.cri_lower, fit.posterior_median, fit.cri_upper, 0.0):
        assert mu_cdf(fit.mixture, x) == pytest.approx(mu_cdf_ref(x), abs=1e-9)
    for x in (fit.pred_lower, fit.pred_upper):
        assert mu_cdf(fit.mixture, x, predictive=True) == pytest.approx(mu_cdf_ref(x, predictive=True), abs=1e-9)
    for t in (fit.tau_lower, fit.tau_median, fit.tau_upper):
        assert tau_cdf(fit.mixture, t) == pytest.approx(tau_cdf_ref(t), abs=1e-9)
        assert tau_density(fit.mixture, t) == pytest.approx(tau_density_ref(t), rel=1e-8)
    assert mu_cdf(fit.mixture, fit.cri_lower) == pytest.approx(0.025, abs=1e-10)
    assert tau_cdf(fit.mixture, fit.tau_upper) == pytest.approx(0.975, abs=1e-10)


def test_moments_match_nested_scipy_quadrature():
    y, s = crins()
    tau_prior, mu_prior = half_normal_prior(0.5), NormalMuPrior(0, 4)
    fit = bayesian_meta_analysis(y, s, tau_prior, mu_prior)

    def integral(f):
        def integrand(t):
            log_l, m, s2 = conditional_moments(np.array(t), y, s, mu_prior)
            return math.exp(float(tau_prior.log_density(np.array(t)) + log_l)) * f(t, float(m), float(s2))

        return integrate.quad(integrand, 0, np.inf, epsabs=0, epsrel=1e-12, limit=500)[0]

    total = integral(lambda t, m, s2: 1.0)
    mean = integral(lambda t, m, s2: m) / total
    assert fit.posterior_mean == pytest.approx(mean, rel=1e-10)
    assert fit.posterior_sd == pytest.approx(
        math.sqrt(integral(lambda t, m, s2: m * m + s2) / total - mean**2), rel=1e-9
    )
    assert fit.pred_sd == pytest.approx(
        math.sqrt(integral(lambda t, m, s2: m * m + s2 + t * t) / total - mean**2), rel=1e-9
    )
    tau_mean = integral(lambda t, m, s2: t) / total
    assert fit.tau_mean == pytest.approx(tau_mean, rel=1e-10)
    assert fit.tau_sd == pytest.approx(math.sqrt(integral(lambda t, m, s2: t * t) / total - tau_mean**2), rel=1e-9)


# ---------------------------------------------------------------------------------------------
# independent check by MCMC (NumPyro NUTS, validation/bayesian/mcmc_check.py)


def _mcmc_data(spec: dict) -> tuple[np.ndarray, np.ndarray]:
    cols = _columns(spec["file"])
    if spec["measure"] == "raw":
        return _floats(cols["effect"]), _floats(cols["stderr"])
    names = (
        ("exp.AR.events", "exp.total", "cont.AR.events", "cont.total")
        if "exp.total" in cols
        else ("ai", "n1i", "ci", "n2i")
    )
    es = binary_effect_sizes(spec["measure"], TwoByTwo.from_arms(*(_floats(cols[n]) for n in names)))
    rows = slice(None) if spec["rows"] is None else spec["rows"]
    return es.yi[rows], np.sqrt(es.vi[rows])


def test_mcmc_fixture_covers_sparse_and_real_data():
    ids = {d["id"]: d for d in MCMC["datasets"]}
    assert len(ids) >= 3
    assert min(d["k"] for d in MCMC["datasets"]) <= 3
    assert any(d["file"].startswith("metafor_data_") for d in MCMC["datasets"])
    assert all(d["mcmc"]["draws"] >= 400_000 and d["mcmc"]["divergences"] == 0 for d in MCMC["datasets"])


@pytest.mark.parametrize("spec", MCMC["datasets"], ids=lambda d: d["id"])
def test_quadrature_agrees_with_mcmc_within_monte_carlo_error(spec):
    y, s = _mcmc_data(spec)
    assert y.size == spec["k"]
    fit = bayesian_meta_analysis(y, s, _tau_prior(spec["tau_prior"]), _mu_prior(spec["mu_prior"]))
    ours = {
        "mu_q0.025": fit.cri_lower,
        "mu_q0.5": fit.posterior_median,
        "mu_q0.975": fit.cri_upper,
        "tau_q0.025": fit.tau_lower,
        "tau_q0.5": fit.tau_median,
        "tau_q0.975": fit.tau_upper,
        "theta_q0.025": fit.pred_lower,
        "theta_q0.5": fit.pred_median,
        "theta_q0.975": fit.pred_upper,
        "mu_mean": fit.posterior_mean,
        "prob_mu_below_0": prob_below(fit, 0.0),
    }
    far = {
        key: (value, spec["mcmc"][key])
        for key, value in ours.items()
        if abs(value - spec["mcmc"][key]["value"]) > MCMC["tolerance_se"] * spec["mcmc"][key]["se"]
    }
    assert not far, far


# ---------------------------------------------------------------------------------------------
# behaviour


def test_single_trial_posterior_of_tau_is_its_prior_and_is_flagged():
    for prior in (half_normal_prior(0.5), half_cauchy_prior(0.5), turner_prior()):
        fit = bayesian_meta_analysis([-0.3], [0.4], prior)
        assert fit.k == 1 and fit.prior_dominated
        for p in (0.025, 0.5, 0.975):
            assert tau_quantile(fit.mixture, p) == pytest.approx(float(prior.quantile(p)), rel=1e-9)
        # mu | y is the mixture of N(y, s^2 + tau^2) over the prior of tau: sd^2 = s^2 + E[tau^2]
        if prior.kind == "half-normal":
            assert fit.posterior_sd == pytest.approx(math.sqrt(0.4**2 + 0.5**2), rel=1e-9)
    heavy = bayesian_meta_analysis([-0.3], [0.4], half_cauchy_prior(0.5))
    assert math.isinf(heavy.posterior_sd) and math.isinf(heavy.tau_mean) and math.isfinite(heavy.cri_lower)
    assert not bayesian_meta_analysis(*crins()).prior_dominated


def test_improper_tau_prior_needs_enough_trials():
    y, s = crins("randomized")
    with pytest.raises(BayesianFitError, match="improper posterior"):
        bayesian_meta_analysis(y, s, uniform_prior())
    fit = bayesian_meta_analysis(y, s, uniform_prior(), NormalMuPrior(0, 4))  # proper with a normal mu prior, k = 2
    assert math.isfinite(fit.tau_median) and math.isinf(fit.tau_mean)


def test_shortest_interval_is_shorter_with_equal_end_densities():
    y, s = crins()
    central = bayesian_meta_analysis(y, s, interval="central")
    short = bayesian_meta_analysis(y, s, interval="shortest")
    mix = short.mixture
    assert mu_cdf(mix, short.cri_upper) - mu_cdf(mix, short.cri_lower) == pytest.approx(0.95, abs=1e-9)
    assert mu_density(mix, short.cri_lower) == pytest.approx(mu_density(mix, short.cri_upper), rel=1e-6)
    assert short.cri_upper - short.cri_lower < central.cri_upper - central.cri_lower
    assert short.pred_upper - short.pred_lower < central.pred_upper - central.pred_lower
    # the density of tau is highest at 0 here, so the shortest interval starts there
    assert short.tau_lower == 0.0 and short.tau_upper == pytest.approx(tau_quantile(mix, 0.95), rel=1e-12)


def test_probabilities_for_benefit_thresholds():
    y, s = crins()
    fit = bayesian_meta_analysis(y, s)
    p_benefit, p_important = prob_below(fit, math.log(1.0)), prob_below(fit, math.log(0.9))
    assert 0 < p_important < p_benefit < 1
    assert p_benefit + prob_above(fit, 0.0) == pytest.approx(1.0, abs=1e-14)
    assert prob_below(fit, fit.posterior_median) == pytest.approx(0.5, abs=1e-10)
    assert prob_below(fit, 0.0, predictive=True) < p_benefit  # a new trial is less certain than the mean


def test_vague_normal_prior_approaches_the_flat_prior():
    y, s = crins()
    flat = bayesian_meta_analysis(y, s)
    vague = bayesian_meta_analysis(y, s, mu_prior=NormalMuPrior(0, 1e5))
    for name in ("posterior_median", "cri_lower", "cri_upper", "tau_median", "pred_upper"):
        assert getattr(vague, name) == pytest.approx(getattr(flat, name), abs=1e-6)


def test_labels_describe_the_priors():
    fit = bayesian_meta_analysis(*crins(), turner_prior(), NormalMuPrior(0, 4))
    assert "Turner" in fit.tau_prior_label and fit.mu_prior_label == "normal(mean = 0, sd = 4)"
    assert bayesian_meta_analysis(*crins()).mu_prior_label.startswith("uniform")
    assert half_cauchy_prior(1).label == "half-Cauchy(scale = 1)"


def test_bad_input_is_refused():
    with pytest.raises(BayesianFitError):
        bayesian_meta_analysis([0.1, 0.2], [0.1, 0.0])
    with pytest.raises(BayesianFitError):
        bayesian_meta_analysis([0.1, 0.2], [0.1])
    with pytest.raises(BayesianFitError):
        bayesian_meta_analysis([0.1], [0.1], interval="hpd")
    with pytest.raises(BayesianFitError):
        TauPrior("half-normal")
    with pytest.raises(BayesianFitError):
        TauPrior("gamma", scale=1.0)
