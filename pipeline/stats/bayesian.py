"""Bayesian random-effects meta-analysis by numerical integration over tau, as R's bayesmeta computes it.

Model (the normal-normal hierarchical model, NNHM): ``y_i ~ N(theta_i, s_i^2)``,
``theta_i ~ N(mu, tau^2)``, i.e. ``y_i ~ N(mu, s_i^2 + tau^2)``, with independent priors
``p(mu)`` (improper uniform, bayesmeta's default, or normal ``N(mu0, sd0^2)``) and ``p(tau)``
(:class:`TauPrior`). Ratio measures are analysed on the log scale.

Source: Röver C (2020) "Bayesian random-effects meta-analysis using the bayesmeta R package",
J Stat Softw 93(6), sections 2.3-2.5; the formulas are those of bayesmeta 3.4's ``bayesmeta.default``
(``likelihood``, ``conditionalmoment``):

- ``mu`` integrates out analytically. With ``v_i = s_i^2 + tau^2`` (and, under the normal prior, a
  pseudo-observation ``mu0`` with variance ``sd0^2`` appended to ``y`` and ``v``), ``w_i = 1/v_i``,
  ``m(tau) = sum w y / sum w`` and ``S(tau)^2 = 1 / sum w``, the marginal likelihood of tau is
  ``log L(tau) = -((n-1) log 2 pi + sum log v + sum w (y - m)^2 + log sum w) / 2`` (n terms in the sums).
- Posterior of tau: ``p(tau | y) = p(tau) L(tau) / integral``.
- Posterior of mu: the tau-mixture of the conditional normals ``mu | tau, y ~ N(m(tau), S(tau)^2)``;
  the posterior predictive of a new trial's theta mixes ``N(m(tau), S(tau)^2 + tau^2)``.

Numerical method. bayesmeta integrates the tau posterior with R's ``integrate`` (QUADPACK) and
approximates the mu mixture by a discrete grid of tau values chosen so that neighbouring conditionals
differ by at most a symmetrised KL divergence of 0.01 (the DIRECT algorithm, Röver & Friede 2017,
J Comput Graph Stat 26:217), which makes its mu quantiles approximate in the 4th-5th significant digit.
Here one adaptive Gauss-Kronrod (G7/K15) rule over tau serves everything: tau is mapped onto
``u in [0, 1)`` (``tau = c u / (1 - u)``, ``c`` the mode of the posterior of log tau on a coarse scan;
``tau = upper u`` for a bounded uniform prior), and panels are bisected until, for the density and a
few smooth bounded functions of it (``u``, ``m``, ``m^2``, ``S/(S + s)`` and, where they are finite, the
first two moments of tau and ``S^2``), the summed ``|K15 - G7|`` is below ``1e-9`` of each total. The
K15 nodes and weights then give the mixture exactly to quadrature accuracy: every mu or predictive CDF
is a vectorised sum of ``Phi((x - m_j)/S_j)`` over the nodes, and quantiles solve the CDF with Brent's
method (``pipeline.stats.root_finding.brent_root``). This, rather than ``scipy.integrate.quad`` per
integral, is chosen because quantiles and probabilities need hundreds of mixture integrals: with one
node set each costs a dot product instead of a fresh adaptive quadrature of Python callbacks (a k = 20
fit takes a few milliseconds), and scipy.integrate is not imported. The tau CDF is integrated exactly
on the partial panel (a K15 rule on ``[panel start, u]``). ``tests/test_bayesian.py`` checks the node set
against nested ``scipy.integrate.quad`` to 1e-9.

Intervals. ``interval="central"`` (the default here) gives equal-tailed intervals (2.5% and 97.5%
quantiles). bayesmeta's default ``interval.type="shortest"`` gives the shortest interval of the given
probability; for a unimodal density that is the interval whose end points have equal density, or
``[0, q_level]`` for tau when the density of tau is highest at 0 (the "marginal minimum" bayesmeta
catches). ``interval="shortest"`` computes it by solving ``f(Q(a + level)) = f(Q(a))`` for the lower tail
probability ``a`` (unimodal posteriors assumed, as bayesmeta's one-dimensional ``optimize`` does).

Heterogeneity priors: half-normal, half-Cauchy, uniform (bounded, or improper on ``[0, inf)``, bayesmeta's
default ``tau.prior="uniform"``), and Turner et al. (2015) log-normal priors for tau^2; presets
:data:`WEAKLY_INFORMATIVE_LOG_RATIO` (half-normal, scale 0.5: Röver et al. 2021, Res Synth Methods
12:448-474, for log odds / risk ratios) and :func:`turner_prior` (Turner et al. 2015, Stat Med 34:984-998,
Table IV, as tabulated in bayesmeta 3.4's ``TurnerEtAlParameters``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from pipeline.stats.root_finding import brent_root

TAU_PRIOR_KINDS = ("half-normal", "half-cauchy", "log-normal-tau2", "uniform")
INTERVAL_TYPES = ("central", "shortest")
LOG_2PI = math.log(2 * math.pi)

# Gauss-Kronrod 15-point rule on [-1, 1] and its embedded 7-point Gauss rule (QUADPACK qk15;
# Piessens et al. 1983). Non-negative abscissae, largest first; the Gauss points are every second one.
_XK_HALF = np.array(
    [
        0.991455371120812639206854697526329,
        0.949107912342758524526189684047851,
        0.864864423359769072789712788640926,
        0.741531185599394439863864773280788,
        0.586087235467691130294144845693013,
        0.405845151377397166906606412076961,
        0.207784955007898467600689403773245,
        0.0,
    ]
)
_WK_HALF = np.array(
    [
        0.022935322010529224963732008058970,
        0.063092092629978553290700663189204,
        0.104790010322250183839876322541518,
        0.140653259715525918745189590510238,
        0.169004726639267902826583426598550,
        0.190350578064785409913256402421014,
        0.204432940075298892414161999234649,
        0.209482141084727828012999174891714,
    ]
)
_WG_HALF = np.array(
    [
        0.129484966168869693270611432679082,
        0.279705391489276667901467771423780,
        0.381830050505118944950369775488975,
        0.417959183673469387755102040816327,
    ]
)
KRONROD_NODES = np.concatenate([-_XK_HALF[:-1], _XK_HALF[::-1]])
KRONROD_WEIGHTS = np.concatenate([_WK_HALF[:-1], _WK_HALF[::-1]])
GAUSS_INDEX = np.array([1, 3, 5, 7, 9, 11, 13])  # positions of the 7 Gauss points among the 15
GAUSS_WEIGHTS = np.concatenate([_WG_HALF[:-1], _WG_HALF[::-1]])

QUADRATURE_RTOL = 1e-9  # summed |K15 - G7| relative to each integral (the K15 values are far more accurate)
INITIAL_PANELS = 8
MAX_REFINEMENTS = 200
MAX_PANELS = 20_000


class BayesianFitError(ValueError):
    """The model cannot be fitted as asked (improper posterior, bad input); the message says why."""


# --------------------------------------------------------------------------------------------------
# priors


@dataclass(frozen=True)
class TauPrior:
    """Prior for the heterogeneity standard deviation tau (bayesmeta's ``tau.prior``).

    ``kind``: ``"half-normal"`` / ``"half-cauchy"`` (``scale``), ``"log-normal-tau2"`` (``log tau^2 ~
    N(log_tau2_mean, log_tau2_sd^2)``, Turner et al. 2015: tau is then log-normal with half the
    mean and SD), ``"uniform"`` on ``[0, upper]`` (``upper=inf`` is bayesmeta's improper default).
    ``label`` describes it for the methods page; ``source`` says where its parameters come from.
    """

    kind: str
    scale: float = math.nan
    log_tau2_mean: float = math.nan
    log_tau2_sd: float = math.nan
    upper: float = math.inf
    label: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind not in TAU_PRIOR_KINDS:
            raise BayesianFitError(f"unknown tau prior kind {self.kind!r}: use one of {', '.join(TAU_PRIOR_KINDS)}")
        if self.kind in ("half-normal", "half-cauchy") and not (math.isfinite(self.scale) and self.scale > 0):
            raise BayesianFitError(f"a {self.kind} prior needs a positive finite scale, not {self.scale!r}")
        if self.kind == "log-normal-tau2" and not (
            math.isfinite(self.log_tau2_mean) and math.isfinite(self.log_tau2_sd) and self.log_tau2_sd > 0
        ):
            raise BayesianFitError("a log-normal prior for tau^2 needs a finite mean and a positive SD of log tau^2")
        if self.kind == "uniform" and not self.upper > 0:
            raise BayesianFitError(f"a uniform prior needs upper > 0, not {self.upper!r}")
        if not self.label:
            object.__setattr__(self, "label", self._default_label())

    def _default_label(self) -> str:
        if self.kind == "half-normal":
            return f"half-normal(scale = {self.scale:g})"
        if self.kind == "half-cauchy":
            return f"half-Cauchy(scale = {self.scale:g})"
        if self.kind == "log-normal-tau2":
            return f"log-normal for tau^2 (log tau^2 ~ N({self.log_tau2_mean:g}, {self.log_tau2_sd:g}^2))"
        return f"uniform(0, {self.upper:g})" + (" (improper)" if math.isinf(self.upper) else "")

    @property
    def proper(self) -> bool:
        return not (self.kind == "uniform" and math.isinf(self.upper))

    @property
    def tail_exponent(self) -> float:
        """``a`` with ``p(tau) ~ tau^-a`` as tau grows (inf for tails lighter than any power)."""
        if self.kind == "half-cauchy":
            return 2.0
        if self.kind == "uniform" and math.isinf(self.upper):
            return 0.0
        return math.inf

    def log_density(self, tau: np.ndarray) -> np.ndarray:
        tau = np.asarray(tau, dtype=float)
        with np.errstate(divide="ignore"):
            if self.kind == "half-normal":
                return math.log(2) - 0.5 * LOG_2PI - math.log(self.scale) - 0.5 * (tau / self.scale) ** 2
            if self.kind == "half-cauchy":
                return math.log(2 / math.pi) - math.log(self.scale) - np.log1p((tau / self.scale) ** 2)
            if self.kind == "log-normal-tau2":
                meanlog, sdlog = self.log_tau2_mean / 2, self.log_tau2_sd / 2
                log_tau = np.log(tau)
                return -log_tau - math.log(sdlog) - 0.5 * LOG_2PI - 0.5 * ((log_tau - meanlog) / sdlog) ** 2
        inside = tau <= self.upper
        return np.where(inside, 0.0 if math.isinf(self.upper) else -math.log(self.upper), -np.inf)

    def cdf(self, tau: np.ndarray) -> np.ndarray:
        tau = np.maximum(np.asarray(tau, dtype=float), 0.0)
        if self.kind == "half-normal":
            return special.erf(tau / (self.scale * math.sqrt(2)))
        if self.kind == "half-cauchy":
            return 2 / math.pi * np.arctan(tau / self.scale)
        if self.kind == "log-normal-tau2":
            with np.errstate(divide="ignore"):
                return special.ndtr((np.log(tau) - self.log_tau2_mean / 2) / (self.log_tau2_sd / 2))
        if not self.proper:
            raise BayesianFitError("the improper uniform prior has no CDF")
        return np.minimum(tau / self.upper, 1.0)

    def quantile(self, p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        if self.kind == "half-normal":
            return self.scale * special.ndtri((1 + p) / 2)
        if self.kind == "half-cauchy":
            return self.scale * np.tan(math.pi * p / 2)
        if self.kind == "log-normal-tau2":
            return np.exp(self.log_tau2_mean / 2 + self.log_tau2_sd / 2 * special.ndtri(p))
        if not self.proper:
            raise BayesianFitError("the improper uniform prior has no quantiles")
        return p * self.upper


def half_normal_prior(scale: float, label: str = "", source: str = "") -> TauPrior:
    return TauPrior("half-normal", scale=scale, label=label, source=source)


def half_cauchy_prior(scale: float, label: str = "", source: str = "") -> TauPrior:
    return TauPrior("half-cauchy", scale=scale, label=label, source=source)


def uniform_prior(upper: float = math.inf, label: str = "", source: str = "") -> TauPrior:
    return TauPrior("uniform", upper=upper, label=label, source=source)


def log_normal_tau2_prior(mean: float, sd: float, label: str = "", source: str = "") -> TauPrior:
    return TauPrior("log-normal-tau2", log_tau2_mean=mean, log_tau2_sd=sd, label=label, source=source)


ROVER_2021 = (
    "Röver C, Bender R, Dias S, et al. (2021) On weakly informative prior distributions for the heterogeneity "
    "parameter in Bayesian random-effects meta-analysis. Res Synth Methods 12(4):448-474"
)
TURNER_2015 = (
    "Turner RM, Jackson D, Wei Y, Thompson SG, Higgins JPT (2015) Predictive distributions for between-study "
    "heterogeneity and simple methods for their application in Bayesian meta-analysis. Stat Med 34(6):984-998, "
    "Table IV (values as tabulated in bayesmeta 3.4, TurnerEtAlParameters)"
)

# Röver et al. (2021): half-normal with scale 0.5 as a weakly informative prior for tau on the log odds
# (or risk) ratio scale; it puts 95% prior probability on tau <= 0.98 (Röver 2020, J Stat Softw 93(6) p. 20).
WEAKLY_INFORMATIVE_LOG_RATIO = half_normal_prior(
    0.5, label="half-normal(scale = 0.5), weakly informative for log ratios (Röver et al. 2021)", source=ROVER_2021
)

TURNER_COMPARISONS = (
    "pharmacological vs. placebo / control",
    "pharmacological vs. pharmacological",
    "non-pharmacological vs. placebo / control",
    "non-pharmacological vs. pharmacological",
    "non-pharmacological vs. non-pharmacological",
)
# (outcome type, comparison type) -> (mean, SD) of log tau^2 for log odds ratios. Turner et al. (2015)
# Table IV, read from bayesmeta 3.4 (R/bayesmeta.R, TurnerEtAlParameters, "see Tab.IV"); "any" is the
# marginal setting without covariates (Turner et al. 2015 p. 993; bayesmeta's TurnerEtAlPrior(NA)).
TURNER_LOG_TAU2 = {
    ("all-cause mortality", TURNER_COMPARISONS[0]): (-3.95, 1.34),
    ("all-cause mortality", TURNER_COMPARISONS[1]): (-4.18, 1.41),
    ("all-cause mortality", TURNER_COMPARISONS[2]): (-4.17, 1.55),
    ("all-cause mortality", TURNER_COMPARISONS[3]): (-2.92, 1.02),
    ("all-cause mortality", TURNER_COMPARISONS[4]): (-3.50, 1.26),
    ("surgical / device related success / failure", TURNER_COMPARISONS[0]): (-2.14, 1.74),
    ("any", "any"): (-2.56, 1.74),
}


def turner_prior(outcome: str = "all-cause mortality", comparison: str = TURNER_COMPARISONS[0]) -> TauPrior:
    """Turner et al. (2015) empirical log-normal prior for tau^2 (log odds ratios), by outcome and comparison type."""
    try:
        mean, sd = TURNER_LOG_TAU2[(outcome, comparison)]
    except KeyError:
        known = "; ".join(f"{o} / {c}" for o, c in TURNER_LOG_TAU2)
        message = f"no Turner et al. (2015) prior for {outcome!r} / {comparison!r}: known are {known}"
        raise BayesianFitError(message) from None
    label = f"log-normal for tau^2, log tau^2 ~ N({mean:.2f}, {sd:.2f}^2) (Turner et al. 2015: {outcome}, {comparison})"
    return log_normal_tau2_prior(mean, sd, label=label, source=TURNER_2015)


@dataclass(frozen=True)
class NormalMuPrior:
    """Normal prior ``N(mean, sd^2)`` for the overall effect mu (bayesmeta's ``mu.prior.mean``/``mu.prior.sd``)."""

    mean: float
    sd: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean) and math.isfinite(self.sd) and self.sd > 0):
            raise BayesianFitError(f"a normal prior for mu needs a finite mean and positive SD, not {self}")

    @property
    def label(self) -> str:
        return f"normal(mean = {self.mean:g}, sd = {self.sd:g})"


IMPROPER_UNIFORM_LABEL = "uniform on the real line (improper)"


def mu_prior_label(mu_prior: NormalMuPrior | None) -> str:
    return IMPROPER_UNIFORM_LABEL if mu_prior is None else mu_prior.label


# --------------------------------------------------------------------------------------------------
# likelihood


def _augmented(yi: np.ndarray, mu_prior: NormalMuPrior | None) -> tuple[np.ndarray, float]:
    """The estimates with the normal prior's mean appended as a pseudo-observation, and its variance."""
    if mu_prior is None:
        return yi, math.nan
    return np.append(yi, mu_prior.mean), mu_prior.sd**2


def conditional_moments(
    tau: np.ndarray, yi: np.ndarray, sei: np.ndarray, mu_prior: NormalMuPrior | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``log L(tau)`` (mu integrated out), ``m(tau) = E[mu | tau, y]`` and ``S(tau)^2 = Var[mu | tau, y]``.

    bayesmeta's ``likelihood(tau=)`` and ``conditionalmoment()``; vectorised over ``tau`` (any shape).
    """
    tau = np.asarray(tau, dtype=float)
    y, prior_var = _augmented(yi, mu_prior)
    v = sei**2 + tau[..., None] ** 2
    if mu_prior is not None:
        v = np.concatenate([v, np.full(tau.shape + (1,), prior_var)], axis=-1)
    w = 1.0 / v
    w_sum = w.sum(axis=-1)
    m = (w * y).sum(axis=-1) / w_sum
    q = (w * (y - m[..., None]) ** 2).sum(axis=-1)
    log_l = -0.5 * ((y.size - 1) * LOG_2PI + np.log(v).sum(axis=-1) + q + np.log(w_sum))
    return log_l, m, 1.0 / w_sum


def _posterior_tail_exponent(tau_prior: TauPrior, k: int, mu_prior: NormalMuPrior | None) -> float:
    """``a`` with ``p(tau | y) ~ tau^-a``: ``L(tau) ~ tau^-(k-1)`` (flat mu prior) or ``tau^-k`` (normal)."""
    return tau_prior.tail_exponent + (k if mu_prior is not None else k - 1)


def _moment_finite(tail_exponent: float, order: int) -> bool:
    return tail_exponent - order > 1


# --------------------------------------------------------------------------------------------------
# the posterior of tau on an adaptive Gauss-Kronrod node set


@dataclass(frozen=True, eq=False)
class TauMixture:
    """The posterior as a tau-mixture: K15 nodes with normalised weights and the conditionals of mu there.

    ``weights`` sum to 1 (quadrature weight x posterior density x Jacobian); ``cond_mean``/``cond_sd`` are
    ``m(tau_j)`` and ``S(tau_j)``. ``panel_edges`` (in u) and ``panel_cdf`` (the tau CDF at each edge) let
    the tau CDF be integrated exactly inside a panel.
    """

    yi: np.ndarray
    sei: np.ndarray
    tau_prior: TauPrior
    mu_prior: NormalMuPrior | None
    map_scale: float  # c in tau = c u / (1 - u); for a bounded uniform prior the upper bound in tau = upper u
    bounded: bool
    log_reference: float  # log density (in u) subtracted before exponentiating
    log_total: float  # log of the integral of exp(log density - log_reference) over u
    panel_edges: np.ndarray
    panel_cdf: np.ndarray
    tau: np.ndarray
    weights: np.ndarray
    cond_mean: np.ndarray
    cond_sd: np.ndarray
    pred_sd: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pred_sd", np.sqrt(self.cond_sd**2 + self.tau**2))

    @property
    def k(self) -> int:
        return int(self.yi.size)


def _tau_of_u(u: np.ndarray, scale: float, bounded: bool) -> tuple[np.ndarray, np.ndarray]:
    """tau and d tau / d u for the map of [0, 1) onto the prior's support."""
    if bounded:
        return scale * u, np.full_like(u, scale)
    with np.errstate(divide="ignore"):
        return scale * u / (1 - u), scale / (1 - u) ** 2


def _log_density_u(
    u: np.ndarray,
    yi: np.ndarray,
    sei: np.ndarray,
    tau_prior: TauPrior,
    mu_prior: NormalMuPrior | None,
    scale: float,
    bounded: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """log p(tau(u) | y) + log |d tau / d u| (unnormalised), with tau, m and S^2 at the nodes."""
    tau, jacobian = _tau_of_u(u, scale, bounded)
    log_l, m, s2 = conditional_moments(tau, yi, sei, mu_prior)
    return tau_prior.log_density(tau) + log_l + np.log(jacobian), tau, m, s2


def _map_scale(
    yi: np.ndarray, sei: np.ndarray, tau_prior: TauPrior, mu_prior: NormalMuPrior | None
) -> tuple[float, bool]:
    """c for tau = c u/(1-u): the mode of the posterior of log tau on a coarse log grid (u = 1/2 there)."""
    if tau_prior.kind == "uniform" and math.isfinite(tau_prior.upper):
        return tau_prior.upper, True
    typical = float(np.sqrt(np.mean(sei**2)) + np.std(yi))
    if tau_prior.kind in ("half-normal", "half-cauchy"):
        typical = max(typical, tau_prior.scale)
    grid = typical * np.logspace(-5, 4, 91)
    log_l, _, _ = conditional_moments(grid, yi, sei, mu_prior)
    log_post_log_tau = tau_prior.log_density(grid) + log_l + np.log(grid)
    return float(grid[int(np.argmax(log_post_log_tau))]), False


def _component_functions(
    tau: np.ndarray, u: np.ndarray, m: np.ndarray, s2: np.ndarray, scales: dict, finite: dict
) -> np.ndarray:
    """Bounded (or finite-moment) functions of tau whose integrals against the density are refined."""
    sd = np.sqrt(s2)
    rows = [
        np.ones_like(u),
        u,
        (m - scales["m_low"]) / scales["m_range"],
        ((m - scales["m_low"]) / scales["m_range"]) ** 2,
    ]
    rows.append(sd / (sd + scales["s_ref"]))
    if finite["tau1"]:
        rows.append(tau / scales["tau"])
    if finite["tau2"]:
        rows.append((tau / scales["tau"]) ** 2)
    if finite["s2"]:
        rows.append(s2 / scales["s_ref"] ** 2)
    return np.array(rows)


def _evaluate_panels(a: np.ndarray, b: np.ndarray, model: dict, log_reference: float | None):
    half = (b - a) / 2
    u = (a + b)[:, None] / 2 + half[:, None] * KRONROD_NODES[None, :]
    log_f, tau, m, s2 = _log_density_u(u, *model["args"])
    if log_reference is None:
        log_reference = float(np.max(log_f))
    f = np.exp(log_f - log_reference)
    comps = _component_functions(tau, u, m, s2, model["scales"], model["finite"]) * f
    kronrod = (comps * KRONROD_WEIGHTS).sum(axis=-1) * half
    gauss = (comps[..., GAUSS_INDEX] * GAUSS_WEIGHTS).sum(axis=-1) * half
    nodes = {"u": u, "tau": tau, "f": f, "m": m, "s2": s2}
    return kronrod, np.abs(kronrod - gauss), nodes, log_reference


def _refine(model: dict) -> tuple[np.ndarray, np.ndarray, dict, float]:
    """Bisect panels until every component's summed error estimate is below QUADRATURE_RTOL of its total."""
    edges = np.linspace(0.0, 1.0, INITIAL_PANELS + 1)
    a, b = edges[:-1], edges[1:]
    kronrod, error, nodes, log_reference = _evaluate_panels(a, b, model, None)
    for _ in range(MAX_REFINEMENTS):
        total = kronrod.sum(axis=1)
        # relative to each total; a floor of 1e-6 x the density's integral for totals near 0 (all rows are O(1) x f)
        tolerance = QUADRATURE_RTOL * np.maximum(np.abs(total), 1e-6 * total[0])
        if np.all(error.sum(axis=1) <= tolerance):
            order = np.argsort(a)
            return a[order], kronrod[0, order], {key: val[order] for key, val in nodes.items()}, log_reference
        split = np.any(error > (tolerance / a.size)[:, None], axis=0)
        if a.size + split.sum() > MAX_PANELS:
            break
        mid = (a[split] + b[split]) / 2
        new_a, new_b = np.concatenate([a[split], mid]), np.concatenate([mid, b[split]])
        k_new, e_new, n_new, _ = _evaluate_panels(new_a, new_b, model, log_reference)
        keep = ~split
        a, b = np.concatenate([a[keep], new_a]), np.concatenate([b[keep], new_b])
        kronrod = np.concatenate([kronrod[:, keep], k_new], axis=1)
        error = np.concatenate([error[:, keep], e_new], axis=1)
        nodes = {key: np.concatenate([val[keep], n_new[key]]) for key, val in nodes.items()}
    raise BayesianFitError("the posterior of tau could not be integrated to the requested accuracy")


def _check_inputs(yi, sei, tau_prior: TauPrior, mu_prior: NormalMuPrior | None) -> tuple[np.ndarray, np.ndarray]:
    yi = np.atleast_1d(np.asarray(yi, dtype=float))
    sei = np.atleast_1d(np.asarray(sei, dtype=float))
    if yi.shape != sei.shape or yi.ndim != 1 or yi.size == 0:
        raise BayesianFitError("yi and sei must be one-dimensional arrays of the same, non-zero length")
    if not (np.all(np.isfinite(yi)) and np.all(np.isfinite(sei)) and np.all(sei > 0)):
        raise BayesianFitError("every yi must be finite and every sei finite and positive")
    if _posterior_tail_exponent(tau_prior, yi.size, mu_prior) <= 1:
        needed = 2 if mu_prior is not None else 3
        raise BayesianFitError(
            f"the improper uniform prior for tau gives an improper posterior with k = {yi.size}: "
            f"it needs k >= {needed} (use a proper tau prior)"
        )
    return yi, sei


def tau_mixture(yi, sei, tau_prior: TauPrior, mu_prior: NormalMuPrior | None = None) -> TauMixture:
    """The posterior of tau on an adaptive Gauss-Kronrod node set (see the module docstring)."""
    yi, sei = _check_inputs(yi, sei, tau_prior, mu_prior)
    scale, bounded = _map_scale(yi, sei, tau_prior, mu_prior)
    tail = _posterior_tail_exponent(tau_prior, yi.size, mu_prior)
    values = yi if mu_prior is None else np.append(yi, mu_prior.mean)
    m_range = float(values.max() - values.min())
    scales = {
        "m_low": float(values.min()),
        "m_range": m_range if m_range > 0 else float(np.sqrt(np.mean(sei**2))),
        "s_ref": float(np.sqrt(np.mean(sei**2))),
        "tau": scale,
    }
    finite = {
        "tau1": _moment_finite(tail, 1),
        "tau2": _moment_finite(tail, 2),
        "s2": mu_prior is not None or _moment_finite(tail, 2),
    }
    model = {"args": (yi, sei, tau_prior, mu_prior, scale, bounded), "scales": scales, "finite": finite}
    starts, panel_mass, nodes, log_reference = _refine(model)
    total = float(panel_mass.sum())
    half = (np.append(starts[1:], 1.0) - starts) / 2
    weights = (nodes["f"] * KRONROD_WEIGHTS * half[:, None]).ravel() / total
    return TauMixture(
        yi=yi,
        sei=sei,
        tau_prior=tau_prior,
        mu_prior=mu_prior,
        map_scale=scale,
        bounded=bounded,
        log_reference=log_reference,
        log_total=math.log(total),
        panel_edges=np.append(starts, 1.0),
        panel_cdf=np.concatenate([[0.0], np.cumsum(panel_mass) / total]),
        tau=nodes["tau"].ravel(),
        weights=weights,
        cond_mean=nodes["m"].ravel(),
        cond_sd=np.sqrt(nodes["s2"]).ravel(),
    )


# --------------------------------------------------------------------------------------------------
# distribution functions of the posterior


def _u_of_tau(mix: TauMixture, tau: float) -> float:
    if mix.bounded:
        return min(tau / mix.map_scale, 1.0)
    return tau / (mix.map_scale + tau) if math.isfinite(tau) else 1.0


def _tau_cdf_u(mix: TauMixture, u: float) -> float:
    if u <= 0:
        return 0.0
    if u >= 1:
        return 1.0
    i = int(np.searchsorted(mix.panel_edges, u, side="right")) - 1
    a = mix.panel_edges[i]
    half = (u - a) / 2
    nodes = (a + u) / 2 + half * KRONROD_NODES
    log_f, _, _, _ = _log_density_u(nodes, mix.yi, mix.sei, mix.tau_prior, mix.mu_prior, mix.map_scale, mix.bounded)
    partial = float(np.dot(np.exp(log_f - mix.log_reference - mix.log_total), KRONROD_WEIGHTS) * half)
    return min(1.0, float(mix.panel_cdf[i]) + partial)


def tau_cdf(mix: TauMixture, tau: float) -> float:
    """P(tau <= value | y)."""
    return _tau_cdf_u(mix, _u_of_tau(mix, float(tau))) if tau > 0 else 0.0


def tau_density(mix: TauMixture, tau: float) -> float:
    """Posterior density of tau (bayesmeta's ``dposterior(tau=)``)."""
    if tau < 0:
        return 0.0
    u = _u_of_tau(mix, float(tau))
    if u >= 1:
        return 0.0
    log_f, _, _, _ = _log_density_u(
        np.array([u]), mix.yi, mix.sei, mix.tau_prior, mix.mu_prior, mix.map_scale, mix.bounded
    )
    _, jacobian = _tau_of_u(np.array([u]), mix.map_scale, mix.bounded)
    return float(np.exp(log_f[0] - mix.log_reference - mix.log_total) / jacobian[0])


def tau_quantile(mix: TauMixture, p: float) -> float:
    """The p-quantile of the posterior of tau (Brent's method on the exact CDF, in u)."""
    if p <= 0:
        return 0.0
    if p >= 1:
        return mix.map_scale if mix.bounded else math.inf
    u = brent_root(lambda x: _tau_cdf_u(mix, x) - p, 0.0, 1.0, xtol=1e-14).root
    return float(_tau_of_u(np.array([u]), mix.map_scale, mix.bounded)[0][0])


def _sds(mix: TauMixture, predictive: bool) -> np.ndarray:
    return mix.pred_sd if predictive else mix.cond_sd


def mu_cdf(mix: TauMixture, x: float, predictive: bool = False) -> float:
    """P(mu <= x | y), or for a new trial's theta when ``predictive`` (bayesmeta ``pposterior(mu=)``)."""
    return float(np.dot(mix.weights, special.ndtr((x - mix.cond_mean) / _sds(mix, predictive))))


def mu_density(mix: TauMixture, x: float, predictive: bool = False) -> float:
    sd = _sds(mix, predictive)
    z = (x - mix.cond_mean) / sd
    return float(np.dot(mix.weights, np.exp(-0.5 * z * z) / (sd * math.sqrt(2 * math.pi))))


def mu_quantile(mix: TauMixture, p: float, predictive: bool = False) -> float:
    """The p-quantile of the posterior of mu (or of the predictive), by Brent's method on the mixture CDF."""
    if p <= 0:
        return -math.inf
    if p >= 1:
        return math.inf
    centre = float(np.dot(mix.weights, mix.cond_mean))
    step = float(_sds(mix, predictive)[int(np.argmax(mix.weights))])
    lower, upper = centre - step, centre + step
    while mu_cdf(mix, lower, predictive) > p:
        lower = centre - 2 * (centre - lower)
    while mu_cdf(mix, upper, predictive) < p:
        upper = centre + 2 * (upper - centre)
    return brent_root(lambda x: mu_cdf(mix, x, predictive) - p, lower, upper, xtol=1e-12).root


def _shortest(
    quantile: Callable[[float], float], density: Callable[[float], float], level: float, bounded_below: bool
) -> tuple[float, float]:
    """Shortest interval of probability ``level`` of a unimodal density: equal density at both ends."""

    def density_gap(a: float) -> float:
        return density(quantile(a + level)) - density(quantile(a))

    low = 0.0 if bounded_below else 1e-10
    if bounded_below and density_gap(0.0) <= 0:
        return 0.0, quantile(level)
    high = 1 - level - 1e-10
    a = brent_root(density_gap, low, high, xtol=1e-12).root
    return quantile(a), quantile(a + level)


def _interval(mix: TauMixture, target: str, level: float, interval: str) -> tuple[float, float]:
    """Interval for ``target`` ("mu", "pred" for a new trial's theta, or "tau")."""
    predictive = target == "pred"

    def quantile(p: float) -> float:
        return tau_quantile(mix, p) if target == "tau" else mu_quantile(mix, p, predictive)

    def density(x: float) -> float:
        return tau_density(mix, x) if target == "tau" else mu_density(mix, x, predictive)

    if interval == "central":
        return quantile((1 - level) / 2), quantile((1 + level) / 2)
    return _shortest(quantile, density, level, bounded_below=target == "tau")


# --------------------------------------------------------------------------------------------------
# the fit


@dataclass(frozen=True)
class BayesianFit:
    """A Bayesian random-effects meta-analysis (mu on the analysis scale: log scale for ratio measures).

    ``cri_*`` is the credible interval of mu, ``pred_*`` the posterior predictive interval for a new
    trial's theta, ``tau_*`` the interval for tau; all at ``level``, ``interval`` central or shortest.
    Moments that do not exist (heavy-tailed priors with few trials) are ``inf`` (SDs, tau mean) or ``nan``
    (means of mu). ``prior_dominated`` is True when k = 1: the data then say nothing about tau (under the
    flat mu prior its posterior is its prior) and every summary leans on the priors.
    """

    k: int
    tau_prior_label: str
    mu_prior_label: str
    tau_prior_source: str
    interval: str
    level: float
    posterior_median: float
    posterior_mean: float
    posterior_sd: float
    cri_lower: float
    cri_upper: float
    tau_median: float
    tau_mean: float
    tau_sd: float
    tau_lower: float
    tau_upper: float
    pred_median: float
    pred_sd: float
    pred_lower: float
    pred_upper: float
    prior_dominated: bool
    quadrature_nodes: int
    mixture: TauMixture = field(repr=False, compare=False)


def _moments(mix: TauMixture, tail: float) -> dict[str, float]:
    w, m, s2, t2 = mix.weights, mix.cond_mean, mix.cond_sd**2, mix.tau**2
    mu_mean_exists = mix.mu_prior is not None or _moment_finite(tail, 1)
    mu_var_exists = mix.mu_prior is not None or _moment_finite(tail, 2)
    mean = float(np.dot(w, m)) if mu_mean_exists else math.nan
    out = {"posterior_mean": mean}
    out["posterior_sd"] = math.sqrt(max(0.0, float(np.dot(w, m * m + s2)) - mean**2)) if mu_var_exists else math.inf
    tau_var_exists = _moment_finite(tail, 2)
    out["pred_sd"] = math.sqrt(max(0.0, float(np.dot(w, m * m + s2 + t2)) - mean**2)) if tau_var_exists else math.inf
    tau_mean = float(np.dot(w, mix.tau)) if _moment_finite(tail, 1) else math.inf
    out["tau_mean"] = tau_mean
    out["tau_sd"] = math.sqrt(max(0.0, float(np.dot(w, t2)) - tau_mean**2)) if tau_var_exists else math.inf
    return out


def bayesian_meta_analysis(
    yi,
    sei,
    tau_prior: TauPrior = WEAKLY_INFORMATIVE_LOG_RATIO,  # Röver et al. 2021 for log odds/risk ratios; bayesmeta's default is uniform_prior()
    mu_prior: NormalMuPrior | None = None,  # None: improper uniform on the real line (bayesmeta's default)
    level: float = 0.95,  # 95% intervals, as bayesmeta's summary
    interval: str = "central",  # equal-tailed; bayesmeta's default is "shortest"
) -> BayesianFit:
    """Posterior of mu, tau and a new trial's theta in the normal-normal hierarchical model (bayesmeta).

    ``yi``, ``sei``: estimates and standard errors (log scale for ratio measures). See the module
    docstring for the model, the numerical method and the interval types.
    """
    if interval not in INTERVAL_TYPES:
        raise BayesianFitError(f"unknown interval type {interval!r}: use central or shortest")
    if not 0 < level < 1:
        raise BayesianFitError(f"level must lie strictly between 0 and 1, not {level!r}")
    mix = tau_mixture(yi, sei, tau_prior, mu_prior)
    tail = _posterior_tail_exponent(tau_prior, mix.k, mu_prior)
    cri = _interval(mix, "mu", level, interval)
    tau_interval = _interval(mix, "tau", level, interval)
    pred = _interval(mix, "pred", level, interval)
    return BayesianFit(
        k=mix.k,
        tau_prior_label=tau_prior.label,
        mu_prior_label=mu_prior_label(mu_prior),
        tau_prior_source=tau_prior.source,
        interval=interval,
        level=level,
        posterior_median=mu_quantile(mix, 0.5),
        cri_lower=cri[0],
        cri_upper=cri[1],
        tau_median=tau_quantile(mix, 0.5),
        tau_lower=tau_interval[0],
        tau_upper=tau_interval[1],
        pred_median=mu_quantile(mix, 0.5, predictive=True),
        pred_lower=pred[0],
        pred_upper=pred[1],
        prior_dominated=mix.k == 1,
        quadrature_nodes=int(mix.tau.size),
        mixture=mix,
        **_moments(mix, tail),
    )


def prob_below(fit: BayesianFit | TauMixture, value: float, predictive: bool = False) -> float:
    """P(mu < value | y) (or a new trial's theta, ``predictive``): e.g. ``value=log(1)`` for benefit
    when lower is better, ``log(0.9)`` for benefit beyond a 10% relative reduction."""
    mix = fit.mixture if isinstance(fit, BayesianFit) else fit
    return mu_cdf(mix, value, predictive)


def prob_above(fit: BayesianFit | TauMixture, value: float, predictive: bool = False) -> float:
    """P(mu > value | y), computed directly (not as 1 - P(mu < value), which loses tiny tails)."""
    mix = fit.mixture if isinstance(fit, BayesianFit) else fit
    return float(np.dot(mix.weights, special.ndtr((mix.cond_mean - value) / _sds(mix, predictive))))


def prob_tau_above(fit: BayesianFit | TauMixture, value: float) -> float:
    """P(tau > value | y)."""
    mix = fit.mixture if isinstance(fit, BayesianFit) else fit
    return 1.0 - tau_cdf(mix, value)
