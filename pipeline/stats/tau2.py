"""Estimators of the between-study variance tau^2 for the intercept-only random-effects model.

Notation: ``yi`` estimates, ``vi`` sampling variances, ``wi = 1/(vi + tau2)``,
``mu(tau2) = sum(wi yi)/sum(wi)``. Each estimator returns ``(tau2, iterations)``;
``iterations`` is 0 for closed-form estimators.

Sources: metafor documentation of ``rma.uni`` (argument ``method``) and
Viechtbauer W (2005) "Bias and efficiency of meta-analytic variance estimators in
the random-effects model", J Educ Behav Stat 30:261-293; Veroniki AA et al. (2016)
"Methods to estimate the between-study variance and its uncertainty in
meta-analysis", Res Synth Methods 7:55-79.

Unlike metafor, the iterative estimators run to full convergence (|step| <= 1e-13 or
a bracketing root finder at machine precision) rather than metafor's default
``threshold=1e-5``: the exact optimum is what is reported. Parity tests compare against
metafor run with ``control=list(threshold=1e-12, tol=1e-13, maxiter=10000)``.
"""

from __future__ import annotations

import numpy as np

from pipeline.stats.root_finding import brent_root

TAU2_METHODS = ("DL", "REML", "PM", "ML", "SJ", "HE")
MAX_ITERATIONS = 10_000
STEP_TOLERANCE = 1e-13


class ConvergenceError(RuntimeError):
    """An iterative tau^2 estimator did not converge."""


def _weighted_residuals(yi: np.ndarray, vi: np.ndarray, tau2: float) -> tuple[np.ndarray, np.ndarray]:
    wi = 1.0 / (vi + tau2)
    mu = np.dot(wi, yi) / wi.sum()
    return wi, yi - mu


def generalised_q(yi: np.ndarray, vi: np.ndarray, tau2: float) -> float:
    """``Q(tau2) = sum wi (yi - mu)^2`` with ``wi = 1/(vi + tau2)``."""
    wi, resid = _weighted_residuals(yi, vi, tau2)
    return float(np.dot(wi, resid**2))


def tau2_dersimonian_laird(yi: np.ndarray, vi: np.ndarray) -> tuple[float, int]:
    """DerSimonian & Laird (1986): ``max(0, (Q - (k-1)) / (sum w - sum w^2 / sum w))``, ``w = 1/vi``."""
    wi = 1.0 / vi
    q = generalised_q(yi, vi, 0.0)
    c = wi.sum() - np.dot(wi, wi) / wi.sum()
    return max(0.0, (q - (len(yi) - 1)) / c), 0


def tau2_hedges(yi: np.ndarray, vi: np.ndarray) -> tuple[float, int]:
    """Hedges (1983) / Hedges & Olkin: ``max(0, var(yi) - mean(vi))`` (unweighted, intercept-only)."""
    k = len(yi)
    rss = np.sum((yi - yi.mean()) ** 2)
    return max(0.0, (rss - vi.sum() * (k - 1) / k) / (k - 1)), 0


def tau2_sidik_jonkman(yi: np.ndarray, vi: np.ndarray) -> tuple[float, int]:
    """Sidik & Jonkman (2005): start ``t0 = sum((yi - mean yi)^2)/k``, then ``t0 Q_r / (k-1)``
    where ``Q_r`` is the Q statistic with weights ``1/(vi/t0 + 1)`` (metafor's form ``tau2.0 * RSS/(k-p)``
    with ``wi = 1/(vi + tau2.0)``)."""
    k = len(yi)
    t0 = float(np.sum((yi - yi.mean()) ** 2) / k)
    if t0 <= 0:
        return 0.0, 0
    return t0 * generalised_q(yi, vi, t0) / (k - 1), 0


def tau2_paule_mandel(yi: np.ndarray, vi: np.ndarray) -> tuple[float, int]:
    """Paule & Mandel (1982): the root of ``Q(tau2) = k - 1``; 0 when ``Q(0) <= k - 1``.

    ``Q(tau2)`` is convex and decreasing with ``dQ/dtau2 = -sum w^2 (y - mu)^2``, so Newton's
    method started at 0 climbs monotonically to the root (quadratic convergence, to machine
    precision); Brent's method on a bracket is the fallback. metafor uses ``uniroot``, whose
    default tolerance stops about 1e-4 from the root.
    """
    target = len(yi) - 1
    if generalised_q(yi, vi, 0.0) <= target:
        return 0.0, 0
    # start at the DerSimonian-Laird value; if that lies above the root, one Newton step lands below it
    tau2, _ = tau2_dersimonian_laird(yi, vi)
    for iteration in range(1, MAX_ITERATIONS + 1):
        wi = 1.0 / (vi + tau2)
        resid = yi - np.dot(wi, yi) / wi.sum()
        weighted = wi * resid
        excess = float(np.dot(weighted, resid)) - target
        slope = float(np.dot(weighted, weighted))
        step = excess / slope if slope > 0 else 0.0
        if not np.isfinite(step):
            break
        if tau2 + step < 0:
            step = -tau2
        tau2 += step
        if abs(step) <= STEP_TOLERANCE * max(1.0, tau2):
            return tau2, iteration
    return _paule_mandel_bracketed(yi, vi)


def _paule_mandel_bracketed(yi: np.ndarray, vi: np.ndarray) -> tuple[float, int]:
    target = len(yi) - 1

    def excess(t: float) -> float:
        return generalised_q(yi, vi, t) - target

    if excess(0.0) <= 0:
        return 0.0, 0
    upper = max(1.0, float(np.var(yi)) * 10)
    while excess(upper) > 0:
        upper *= 10
        if upper > 1e12:
            raise ConvergenceError("Paule-Mandel: no root of Q(tau2) = k-1 below 1e12")
    found = brent_root(excess, 0.0, upper, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=MAX_ITERATIONS)
    if not found.converged:
        raise ConvergenceError("Paule-Mandel: root finding did not converge")
    return found.root, found.iterations


def _likelihood_score(yi: np.ndarray, vi: np.ndarray, tau2: float, restricted: bool) -> tuple[float, float]:
    """Score (up to the factor 1/2) and expected information of the (RE)ML log-likelihood in tau2.

    ML:   score ``sum w^2 r^2 - sum w``,     information ``sum w^2``
    REML: score ``sum w^2 r^2 - tr P``,      information ``tr(PP)``, with ``P = W - w w'/sum w``,
    ``tr P = sum w - sum w^2/sum w``, ``tr PP = sum w^2 - 2 sum w^3/sum w + (sum w^2/sum w)^2``
    (Viechtbauer 2005, eq. 8-11).
    """
    wi, resid = _weighted_residuals(yi, vi, tau2)
    sw, sw2 = wi.sum(), np.dot(wi, wi)
    score = np.dot(wi**2, resid**2)
    if restricted:
        sw3 = np.dot(wi**2, wi)
        return score - (sw - sw2 / sw), sw2 - 2 * sw3 / sw + (sw2 / sw) ** 2
    return score - sw, sw2


FISHER_SCORING_LIMIT = 100  # then switch to the bracketed root of the score


def _fisher_scoring(yi: np.ndarray, vi: np.ndarray, tau2: float, restricted: bool, name: str) -> tuple[float, int]:
    """Fisher scoring for the (RE)ML estimate, step-halving at the zero boundary as in metafor.

    Fisher scoring can oscillate when the start is far from the optimum; after
    ``FISHER_SCORING_LIMIT`` steps the root of the score is found by Brent's method on a
    bracket instead, so the estimate is always the exact stationary point (or 0 when the
    score is negative at 0).
    """
    for iteration in range(1, FISHER_SCORING_LIMIT + 1):
        score, information = _likelihood_score(yi, vi, tau2, restricted)
        step = score / information
        new = tau2 + step
        while new < 0:  # step halving keeps the estimate in the parameter space
            step /= 2
            new = tau2 + step
            if abs(step) <= STEP_TOLERANCE:
                new = 0.0
                break
        if abs(new - tau2) <= STEP_TOLERANCE * max(1.0, new):
            return float(new), iteration
        tau2 = new
    return _bracketed_score_root(yi, vi, restricted, name, FISHER_SCORING_LIMIT)


def _bracketed_score_root(yi: np.ndarray, vi: np.ndarray, restricted: bool, name: str, used: int) -> tuple[float, int]:
    def score(t: float) -> float:
        return _likelihood_score(yi, vi, t, restricted)[0]

    if score(0.0) <= 0:
        return 0.0, used
    upper = max(1.0, float(np.var(yi)) * 10)
    while score(upper) > 0:
        upper *= 10
        if upper > 1e12:
            raise ConvergenceError(f"{name}: the likelihood has no maximum below tau2 = 1e12")
    found = brent_root(score, 0.0, upper, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=MAX_ITERATIONS)
    if not found.converged:
        raise ConvergenceError(f"{name}: root finding did not converge")
    return found.root, used + found.iterations


def tau2_reml(yi: np.ndarray, vi: np.ndarray) -> tuple[float, int]:
    """Restricted maximum likelihood (Viechtbauer 2005), Fisher scoring from the Hedges estimate
    (metafor's default starting value), to full convergence."""
    start, _ = tau2_hedges(yi, vi)
    return _fisher_scoring(yi, vi, start, restricted=True, name="REML")


def tau2_ml(yi: np.ndarray, vi: np.ndarray) -> tuple[float, int]:
    """Maximum likelihood (Hardy & Thompson 1996), Fisher scoring from the Hedges estimate."""
    start, _ = tau2_hedges(yi, vi)
    return _fisher_scoring(yi, vi, start, restricted=False, name="ML")


ESTIMATORS = {
    "DL": tau2_dersimonian_laird,
    "REML": tau2_reml,
    "PM": tau2_paule_mandel,
    "ML": tau2_ml,
    "SJ": tau2_sidik_jonkman,
    "HE": tau2_hedges,
}


def estimate_tau2(method: str, yi: np.ndarray, vi: np.ndarray) -> tuple[float, int]:
    """Dispatch to the estimator named by metafor's ``method`` code."""
    try:
        estimator = ESTIMATORS[method]
    except KeyError:
        raise ValueError(f"unknown tau2 method {method!r}: use one of {', '.join(TAU2_METHODS)}") from None
    return estimator(yi, vi)
