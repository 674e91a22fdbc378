"""Independent check of pipeline.stats.bayesian by MCMC (NumPyro NUTS): the whole posterior, not one number.

For each dataset the same model and priors are sampled with NumPyro's No-U-Turn sampler (mu and tau
jointly, ``y_i ~ N(mu, s_i^2 + tau^2)``; a new trial's ``theta = mu + tau z`` drawn exactly given each
draw), and the posterior quantiles (2.5%, 50%, 97.5%) of mu, tau and theta, the posterior mean of mu
and P(mu < 0) are compared with the quadrature. Monte Carlo standard errors come from the chains alone:
for a quantile, ``se_p = sqrt(p (1 - p) / ESS)`` with ESS the effective sample size of the indicator
``1{x <= q}`` (numpyro.diagnostics.effective_sample_size), turned into the value scale by the chains'
own quantiles at ``p +/- se_p``; for P(mu < 0) the same with its indicator (Agresti-Coull adjusted, so
that it stays positive when hardly any draw crosses 0); for the mean ``sd / sqrt(ESS)``.

NumPyro is not a project dependency. Run it from a throwaway environment outside the repository:

    python3 -m venv /tmp/mcmcvenv && /tmp/mcmcvenv/bin/pip install numpyro jax numpy scipy
    PYTHONPATH=. /tmp/mcmcvenv/bin/python validation/bayesian/mcmc_check.py

It writes tests/fixtures/mcmc_reference.json (the MCMC numbers with their standard errors, which
tests/test_bayesian.py compares against the quadrature) and validation/bayesian/mcmc_check.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from pathlib import Path

import numpy as np

from pipeline.stats.bayesian import (
    NormalMuPrior,
    TauPrior,
    bayesian_meta_analysis,
    half_cauchy_prior,
    half_normal_prior,
    prob_below,
    turner_prior,
    uniform_prior,
)
from pipeline.stats.effect_sizes import TwoByTwo, binary_effect_sizes

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
PROBS = (0.025, 0.5, 0.975)
SEED = 20261204


def _read(name: str) -> dict[str, list[str]]:
    with open(FIXTURES / name, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {key: [row[key] for row in rows] for key in rows[0]}


def _log_ratio(measure: str, cols: dict, a: str, n1: str, c: str, n2: str, rows=None):
    table = TwoByTwo.from_arms(*(np.array([float(v) for v in cols[name]]) for name in (a, n1, c, n2)))
    es = binary_effect_sizes(measure, table)
    keep = np.arange(es.yi.size) if rows is None else np.asarray(rows)
    return es.yi[keep], np.sqrt(es.vi[keep])


def datasets() -> list[dict]:
    """The datasets and priors checked (the same definitions are read back by tests/test_bayesian.py)."""
    return [
        {
            "id": "crins2014",
            "about": "bayesmeta CrinsEtAl2014, log OR, k = 6; the JSS paper's ma01 priors",
            "file": "bayesmeta_data_crins2014.csv",
            "measure": "OR",
            "rows": None,
            "tau_prior": {"kind": "half-normal", "scale": 0.5},
            "mu_prior": {"mean": 0.0, "sd": 4.0},
        },
        {
            "id": "sparse3",
            "about": "metafor_data_sparse.csv rows 2-4 (single-zero trials, 1/2 added), log OR, k = 3; default priors",
            "file": "metafor_data_sparse.csv",
            "measure": "OR",
            "rows": [1, 2, 3],
            "tau_prior": {"kind": "half-normal", "scale": 0.5},
            "mu_prior": None,
        },
        {
            "id": "crins2014_randomized",
            "about": "the two randomized Crins trials (JSS ma05), log OR, k = 2",
            "file": "bayesmeta_data_crins2014.csv",
            "measure": "OR",
            "rows": [0, 4],
            "tau_prior": {"kind": "half-normal", "scale": 0.5},
            "mu_prior": {"mean": 0.0, "sd": 4.0},
        },
        {
            "id": "bcg",
            "about": "metafor dat.bcg, log RR, k = 13; default priors",
            "file": "metafor_data_bcg.csv",
            "measure": "RR",
            "rows": None,
            "tau_prior": {"kind": "half-normal", "scale": 0.5},
            "mu_prior": None,
        },
        {
            "id": "bcg_uniform2",
            "about": "metafor dat.bcg, log RR, k = 13; uniform(0, 2) prior for tau",
            "file": "metafor_data_bcg.csv",
            "measure": "RR",
            "rows": None,
            "tau_prior": {"kind": "uniform", "upper": 2.0},
            "mu_prior": None,
        },
        {
            "id": "hine1989",
            "about": "metafor dat.hine1989 (lidocaine, mortality), log OR, k = 6; Turner et al. all-cause mortality prior",
            "file": "metafor_data_hine1989.csv",
            "measure": "OR",
            "rows": None,
            "tau_prior": {"kind": "turner", "outcome": "all-cause mortality"},
            "mu_prior": None,
        },
        {
            "id": "rubin1981",
            "about": "eight schools (bayesmeta Rubin1981), k = 8; the vignette's half-Cauchy(25) and N(0, 50)",
            "file": "bayesmeta_data_rubin1981.csv",
            "measure": "raw",
            "rows": None,
            "tau_prior": {"kind": "half-cauchy", "scale": 25.0},
            "mu_prior": {"mean": 0.0, "sd": 50.0},
        },
        {
            "id": "rubin1981_flat",
            "about": "eight schools; bayesmeta's default improper uniform priors on tau and mu",
            "file": "bayesmeta_data_rubin1981.csv",
            "measure": "raw",
            "rows": None,
            "tau_prior": {"kind": "uniform"},
            "mu_prior": None,
        },
    ]


def load(spec: dict) -> tuple[np.ndarray, np.ndarray]:
    cols = _read(spec["file"])
    if spec["measure"] == "raw":
        return np.array([float(v) for v in cols["effect"]]), np.array([float(v) for v in cols["stderr"]])
    if "exp.AR.events" in cols:
        names = ("exp.AR.events", "exp.total", "cont.AR.events", "cont.total")
    else:
        names = ("ai", "n1i", "ci", "n2i")
    return _log_ratio(spec["measure"], cols, *names, rows=spec["rows"])


def priors(spec: dict) -> tuple[TauPrior, NormalMuPrior | None]:
    tp = spec["tau_prior"]
    if tp["kind"] == "half-normal":
        tau_prior = half_normal_prior(tp["scale"])
    elif tp["kind"] == "half-cauchy":
        tau_prior = half_cauchy_prior(tp["scale"])
    elif tp["kind"] == "turner":
        tau_prior = turner_prior(tp["outcome"])
    else:
        tau_prior = uniform_prior(tp.get("upper", math.inf))
    mp = spec["mu_prior"]
    return tau_prior, (None if mp is None else NormalMuPrior(mp["mean"], mp["sd"]))


def sample(y, s, tau_prior: TauPrior, mu_prior, draws: int, chains: int, seed: int) -> dict[str, np.ndarray]:
    import jax
    import numpyro
    import numpyro.distributions as dist
    from numpyro.distributions import constraints
    from numpyro.infer import MCMC, NUTS

    numpyro.enable_x64()
    numpyro.set_host_device_count(chains)

    def model(y, s):
        if mu_prior is None:
            mu = numpyro.sample("mu", dist.ImproperUniform(constraints.real, (), ()))
        else:
            mu = numpyro.sample("mu", dist.Normal(mu_prior.mean, mu_prior.sd))
        if tau_prior.kind == "half-normal":
            tau = numpyro.sample("tau", dist.HalfNormal(tau_prior.scale))
        elif tau_prior.kind == "half-cauchy":
            tau = numpyro.sample("tau", dist.HalfCauchy(tau_prior.scale))
        elif tau_prior.kind == "log-normal-tau2":
            log_tau2 = numpyro.sample("log_tau2", dist.Normal(tau_prior.log_tau2_mean, tau_prior.log_tau2_sd))
            tau = numpyro.deterministic("tau", jax.numpy.exp(log_tau2 / 2))
        elif math.isinf(tau_prior.upper):
            tau = numpyro.sample("tau", dist.ImproperUniform(constraints.positive, (), ()))
        else:
            tau = numpyro.sample("tau", dist.Uniform(0.0, tau_prior.upper))
        numpyro.sample("y", dist.Normal(mu, jax.numpy.sqrt(s**2 + tau**2)), obs=y)

    mcmc = MCMC(
        NUTS(model, target_accept_prob=0.95),
        num_warmup=5000,
        num_samples=draws,
        num_chains=chains,
        chain_method="parallel",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(seed), y=jax.numpy.asarray(y), s=jax.numpy.asarray(s))
    out = {name: np.asarray(val) for name, val in mcmc.get_samples(group_by_chain=True).items()}
    rng = np.random.default_rng(seed)
    out["theta"] = out["mu"] + out["tau"] * rng.standard_normal(out["mu"].shape)
    out["divergences"] = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    return out


def _ess(x: np.ndarray) -> float:
    from numpyro.diagnostics import effective_sample_size

    if np.all(x == x.flat[0]):
        return float(x.size)
    return float(effective_sample_size(x.astype(float)))


def quantile_with_se(chains: np.ndarray, p: float) -> tuple[float, float, float]:
    """The p-quantile of all draws, its Monte Carlo SE (value scale) and the indicator's ESS."""
    flat = chains.ravel()
    q = float(np.quantile(flat, p))
    ess = _ess(chains <= q)
    se_p = math.sqrt(p * (1 - p) / ess)
    lo, hi = np.quantile(flat, [max(p - se_p, 0.0), min(p + se_p, 1.0)])
    return q, float(hi - lo) / 2, ess


def mcmc_summary(draws: dict[str, np.ndarray]) -> dict:
    out: dict = {"draws": int(draws["mu"].size), "divergences": draws["divergences"]}
    for name in ("mu", "tau", "theta"):
        for p in PROBS:
            q, se, ess = quantile_with_se(draws[name], p)
            out[f"{name}_q{p:g}"] = {"value": q, "se": se, "ess": ess}
    mu = draws["mu"]
    out["mu_mean"] = {"value": float(mu.mean()), "se": float(mu.std() / math.sqrt(_ess(mu))), "ess": _ess(mu)}
    below = mu < 0
    p0 = float(below.mean())
    ess0 = _ess(below)
    adjusted = (p0 * ess0 + 2) / (ess0 + 4)  # Agresti-Coull: an SE that stays positive when no draw crosses 0
    out["prob_mu_below_0"] = {"value": p0, "se": math.sqrt(adjusted * (1 - adjusted) / (ess0 + 4)), "ess": ess0}
    for name in ("mu", "tau", "theta"):
        out[f"{name}_sd_informative"] = float(draws[name].std())
    return out


def quadrature_values(y, s, tau_prior, mu_prior) -> dict[str, float]:
    """The same quantities from pipeline.stats.bayesian (central intervals = 2.5% and 97.5% quantiles)."""
    fit = bayesian_meta_analysis(y, s, tau_prior, mu_prior, interval="central")
    return {
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


TOLERANCE_SE = 4.0  # |quadrature - MCMC| <= 4 Monte Carlo SEs (about 1 in 16,000 per comparison by chance)


def markdown(results: list[dict], seconds: float) -> str:
    lines = [
        "# MCMC check of the Bayesian quadrature (generated by mcmc_check.py)",
        "",
        f"NumPyro NUTS, {results[0]['mcmc']['draws']:,} draws per dataset after warm-up; "
        f"z = (quadrature - MCMC) / MCSE; a test fails beyond |z| > {TOLERANCE_SE:g}. Run time {seconds:.0f} s.",
        "",
    ]
    for res in results:
        lines += [
            f"## {res['id']}: {res['about']}",
            "",
            f"k = {res['k']}, tau prior {res['tau_prior_label']}, mu prior {res['mu_prior_label']}; "
            f"divergent transitions: {res['mcmc']['divergences']}",
            "",
            "| quantity | quadrature | MCMC | MCSE | z |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for key, exact in res["quadrature"].items():
            mc = res["mcmc"][key]
            z = (exact - mc["value"]) / mc["se"]
            lines.append(f"| {key} | {exact:.6g} | {mc['value']:.6g} | {mc['se']:.2g} | {z:+.2f} |")
        lines.append("")
    zs = [
        abs((r["quadrature"][k] - r["mcmc"][k]["value"]) / r["mcmc"][k]["se"]) for r in results for k in r["quadrature"]
    ]
    lines += [f"Largest |z| over all {len(zs)} comparisons: {max(zs):.2f}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=250_000, help="draws per chain after warm-up")
    parser.add_argument("--chains", type=int, default=4)
    args = parser.parse_args()
    start = time.perf_counter()
    results = []
    for i, spec in enumerate(datasets()):
        y, s = load(spec)
        tau_prior, mu_prior = priors(spec)
        draws = sample(y, s, tau_prior, mu_prior, args.draws, args.chains, SEED + i)
        results.append(
            {
                **spec,
                "k": int(y.size),
                "tau_prior_label": tau_prior.label,
                "mu_prior_label": "improper uniform" if mu_prior is None else mu_prior.label,
                "mcmc": mcmc_summary(draws),
                "quadrature": quadrature_values(y, s, tau_prior, mu_prior),
            }
        )
        print(f"{spec['id']}: done ({time.perf_counter() - start:.0f} s)", flush=True)
    seconds = time.perf_counter() - start
    fixture = {
        "about": "NumPyro NUTS draws summarised by validation/bayesian/mcmc_check.py; tests/test_bayesian.py "
        f"requires |quadrature - MCMC| <= {TOLERANCE_SE:g} MCSE for every entry",
        "tolerance_se": TOLERANCE_SE,
        "seed": SEED,
        "datasets": [{key: val for key, val in r.items() if key != "quadrature"} for r in results],
    }
    (FIXTURES / "mcmc_reference.json").write_text(json.dumps(fixture, indent=1) + "\n")
    (Path(__file__).parent / "mcmc_check.md").write_text(markdown(results, seconds))
    print(markdown(results, seconds))


if __name__ == "__main__":
    main()
