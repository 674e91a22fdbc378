"""Tests for subgroup differences under random effects: separate tau^2 (RevMan) and common tau^2 (meta-regression).

Two ways to keep the between-trial variance in a test for subgroup differences:

- **Separate tau^2** (:func:`test_separate_tau2`): RevMan's random-effects test (Cochrane Handbook
  v6.4, 10.11.3.1; Deeks & Higgins, "Statistical algorithms in Review Manager 5", 2010, section
  on tests for subgroup differences; Borenstein et al. 2009, ch. 19). Each subgroup is pooled by
  inverse-variance random effects with its own tau^2 and a z-based SE; then
  ``Q_between = sum_g w_g (mu_g - mu_bar)^2``, ``w_g = 1/se_g^2``, ``mu_bar = sum w_g mu_g / sum w_g``,
  on ``G - 1`` df. A subgroup of one trial has tau^2 = 0 and its own estimate and SE.
- **Common tau^2** (:func:`test_common_tau2`): the mixed-effects meta-regression with the subgroup
  as a categorical moderator, metafor ``rma(yi, vi, mods = ~ factor(group), method, test)``
  (Viechtbauer 2010, J Stat Softw 36(3); metafor 3.8 ``rma.uni`` source). One tau^2 is estimated
  from the residuals of the regression and ``QM`` tests the ``G - 1`` contrasts.

Estimators of tau^2 for a design matrix ``X`` (k x p), as ``rma.uni`` generalises them, with
``W = diag(1/(vi + tau2))``, ``P = W - W X (X'WX)^-1 X'W`` and ``Q_E(tau2) = y'Py``:

- DL: ``max(0, (Q_E(0) - (k - p)) / tr P(0))``.
- HE: ``max(0, (y'P0 y - tr(P0 V)) / (k - p))`` with the unweighted ``P0 = I - X (X'X)^-1 X'``.
- SJ: ``t0 Q_E(t0) / (k - p)`` with ``t0 = sum (yi - mean y)^2 / k`` (metafor centres on the plain
  mean, not on the regression fit).
- PM: the root of ``Q_E(tau2) = k - p``; 0 when ``Q_E(0) < k - p``. ``Q_E`` is convex and
  decreasing in tau2 (``dQ_E/dtau2 = -y'PPy``), so Newton's method from 0 climbs to the root.
- ML: Fisher scoring ``tau2 += (y'PPy - sum w) / sum w^2``; REML: ``tau2 += (y'PPy - tr P) / tr(PP)``,
  from ``max(0, HE)``, halving steps that would leave [0, inf), then metafor's check that the
  likelihood at tau2 = 0 is not higher (``ll0check``).

Unlike metafor's defaults (``threshold = 1e-5`` for Fisher scoring, ``uniroot``'s ``tol`` for PM)
every iterative estimator runs to full convergence (step <= 1e-13 relative, or Brent's method on
a bracket at machine precision), as :mod:`pipeline.stats.tau2` does for the intercept-only model;
parity is checked against metafor run with ``control = list(threshold = 1e-12, tol = 1e-13,
maxiter = 10000)``.

With ``test = "knha"`` (Knapp & Hartung 2003) the covariance of the coefficients is multiplied by
``s2w = sum w (y - X b)^2 / (k - p)`` (no truncation: metafor's ``test = "knha"``), ``QM`` is divided
by ``m = G - 1`` and referred to ``F(m, k - p)``, and intervals use ``t(k - p)``.

Subgroup labels are ordered as R's ``factor()`` orders them (sorted); the first level is the
intercept. Fitted group means, QM, tau2 and QE do not depend on that choice.

The function names start with ``test_`` because that is what they are; ``__test__ = False`` keeps
pytest from collecting them when a test module imports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from pipeline.stats.distributions import Z_975, chi2_upper_tail, t_quantile_975
from pipeline.stats.models import pool_inverse_variance
from pipeline.stats.root_finding import brent_root
from pipeline.stats.tau2 import (
    FISHER_SCORING_LIMIT,
    MAX_ITERATIONS,
    STEP_TOLERANCE,
    TAU2_METHODS,
    ConvergenceError,
    estimate_tau2,
)

TESTS = ("z", "knha")


@dataclass(frozen=True)
class SubgroupFit:
    """One subgroup pooled on its own (separate tau^2)."""

    label: str
    k: int
    estimate: float
    se: float
    tau2: float


@dataclass(frozen=True)
class SeparateTau2Test:
    method: str
    groups: tuple[SubgroupFit, ...]
    q_between: float
    df: int
    pvalue: float


@dataclass(frozen=True)
class GroupMean:
    """Fitted mean of one subgroup in the meta-regression (metafor ``predict`` at that level)."""

    label: str
    k: int
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float


@dataclass(frozen=True)
class CommonTau2Test:
    method: str
    test: str  # "z" (QM ~ chi2(m)) or "knha" (QM/m ~ F(m, k - p))
    k: int
    groups: tuple[GroupMean, ...]
    coefficients: np.ndarray  # intercept (first level), then the contrasts of the other levels with it
    covariance: np.ndarray  # of the coefficients, knha-scaled under test="knha"
    qm: float  # chi2 statistic (z) or F statistic (knha), as metafor's QM
    qm_df: int  # m = G - 1
    qm_df_residual: int | None  # k - p for the F test, None for z
    qm_pvalue: float
    tau2: float  # residual between-trial variance
    tau2_iterations: int
    s2w: float  # knha scale factor; 1 under test="z"
    qe: float  # test for residual heterogeneity
    qe_df: int
    qe_pvalue: float
    i2: float  # residual I^2 (metafor: 100 tau2 / (tau2 + (k - p)/tr P))
    h2: float
    r2: float  # metafor's pseudo R^2: 100 max(0, (tau2_intercept_only - tau2) / tau2_intercept_only)


def _inputs(yi, vi, groups) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Finite (yi, vi) pairs only (e.g. dropped double-zero trials are left out) with their labels."""
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    labels = np.asarray([str(g) for g in groups], dtype=object)
    if not (len(yi) == len(vi) == len(labels)):
        raise ValueError("yi, vi and groups must have one entry per trial")
    usable = np.isfinite(yi) & np.isfinite(vi)
    yi, vi, labels = yi[usable], vi[usable], labels[usable]
    if np.any(vi <= 0):
        raise ValueError("a trial has zero sampling variance; inverse-variance weights are undefined")
    if len(set(labels)) < 2:
        raise ValueError("a test for subgroup differences needs at least 2 subgroups with an estimable trial")
    return yi, vi, labels


def _levels(labels: np.ndarray) -> list[str]:
    return sorted(set(labels))  # R's factor() level order


def test_separate_tau2(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    groups: Sequence[str],
    method: str = "REML",  # tau^2 estimator within each subgroup (RevMan itself uses DL)
) -> SeparateTau2Test:
    """RevMan's test for subgroup differences under random effects, each subgroup with its own tau^2.

    Cochrane Handbook v6.4, 10.11.3.1; Deeks & Higgins (2010), "Statistical algorithms in Review
    Manager 5". Subgroups are pooled with :func:`pipeline.stats.models.pool_inverse_variance`
    (z-based SE, never HKSJ); a one-trial subgroup contributes its own estimate with tau^2 = 0.
    """
    if method not in TAU2_METHODS:
        raise ValueError(f"unknown tau2 method {method!r}: use one of {', '.join(TAU2_METHODS)}")
    yi, vi, labels = _inputs(yi, vi, groups)
    fits = []
    for level in _levels(labels):
        member = labels == level
        fit = pool_inverse_variance("yi", yi[member], vi[member], method=method if member.sum() > 1 else "FE")
        fits.append(SubgroupFit(level, int(member.sum()), fit.estimate, fit.se, fit.tau2))
    est = np.array([f.estimate for f in fits])
    w = 1 / np.array([f.se for f in fits]) ** 2
    mean = np.dot(w, est) / w.sum()
    q = float(np.dot(w, (est - mean) ** 2))
    df = len(fits) - 1
    return SeparateTau2Test(method, tuple(fits), q, df, chi2_upper_tail(q, df))


# --- meta-regression tau^2 estimators -----------------------------------------------------------


def _projection(weights: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``P = W - W X (X'WX)^-1 X'W`` for ``W = diag(weights)``."""
    wx = X * weights[:, None]
    return np.diag(weights) - wx @ np.linalg.solve(X.T @ wx, wx.T)


def _residual_q(yi: np.ndarray, vi: np.ndarray, X: np.ndarray, tau2: float) -> float:
    """``Q_E(tau2) = y'P y``."""
    return float(yi @ _projection(1 / (vi + tau2), X) @ yi)


def _tau2_dl(yi, vi, X) -> tuple[float, int]:
    P = _projection(1 / vi, X)
    k, p = X.shape
    return max(0.0, (float(yi @ P @ yi) - (k - p)) / float(np.trace(P))), 0


def _tau2_he(yi, vi, X) -> tuple[float, int]:
    k, p = X.shape
    P0 = np.eye(k) - X @ np.linalg.solve(X.T @ X, X.T)
    return max(0.0, (float(yi @ P0 @ yi) - float(np.dot(np.diag(P0), vi))) / (k - p)), 0


def _tau2_sj(yi, vi, X) -> tuple[float, int]:
    k, p = X.shape
    t0 = float(np.sum((yi - yi.mean()) ** 2) / k)
    return max(0.0, t0 * _residual_q(yi, vi, X, t0) / (k - p)), 0


def _tau2_pm(yi, vi, X) -> tuple[float, int]:
    k, p = X.shape
    target = k - p
    if _residual_q(yi, vi, X, 0.0) < target:
        return 0.0, 0
    tau2 = 0.0
    for iteration in range(1, MAX_ITERATIONS + 1):
        P = _projection(1 / (vi + tau2), X)
        py = P @ yi
        slope = float(py @ py)
        if slope <= 0:
            break
        step = (float(yi @ py) - target) / slope
        tau2 = max(0.0, tau2 + step)
        if abs(step) <= STEP_TOLERANCE * max(1.0, tau2):
            return tau2, iteration
    return _bracketed_root(lambda t: _residual_q(yi, vi, X, t) - target, yi, "Paule-Mandel", 0)


def _score(yi, vi, X, tau2: float, restricted: bool) -> tuple[float, float]:
    """(RE)ML score in tau2 (times 2) and its expected information (times 2), metafor's Fisher step terms."""
    w = 1 / (vi + tau2)
    P = _projection(w, X)
    py = P @ yi
    if restricted:
        return float(py @ py) - float(np.trace(P)), float(np.sum(P * P))
    return float(py @ py) - float(w.sum()), float(np.dot(w, w))


def _log_likelihood(yi, vi, X, tau2: float, restricted: bool) -> float:
    """(RE)ML log-likelihood up to constants (metafor ``rma.uni``, ``ll.ML`` / ``ll.REML``)."""
    w = 1 / (vi + tau2)
    ll = -0.5 * float(np.sum(np.log(vi + tau2))) - 0.5 * float(yi @ _projection(w, X) @ yi)
    if restricted:
        ll -= 0.5 * float(np.linalg.slogdet(X.T @ (X * w[:, None]))[1])
    return ll


def _fisher_scoring(yi, vi, X, restricted: bool) -> tuple[float, int]:
    name = "REML" if restricted else "ML"
    tau2, _ = _tau2_he(yi, vi, X)
    for iteration in range(1, FISHER_SCORING_LIMIT + 1):
        score, information = _score(yi, vi, X, tau2, restricted)
        step = score / information
        while tau2 + step < 0:  # step halving keeps tau2 in [0, inf), as metafor does
            step /= 2
            if abs(step) <= STEP_TOLERANCE:
                step = -tau2
                break
        tau2 += step
        if abs(step) <= STEP_TOLERANCE * max(1.0, tau2):
            return _ll0_check(yi, vi, X, tau2, restricted), iteration
    found, used = _bracketed_root(lambda t: _score(yi, vi, X, t, restricted)[0], yi, name, FISHER_SCORING_LIMIT)
    return _ll0_check(yi, vi, X, found, restricted), used


def _ll0_check(yi, vi, X, tau2: float, restricted: bool) -> float:
    """metafor's ``ll0check``: report 0 when the likelihood at tau2 = 0 is higher than at the estimate."""
    if tau2 > 0 and _log_likelihood(yi, vi, X, 0.0, restricted) > _log_likelihood(yi, vi, X, tau2, restricted):
        return 0.0
    return tau2


def _bracketed_root(f, yi, name: str, used: int) -> tuple[float, int]:
    """Root of a decreasing function of tau2 on [0, inf) by Brent's method; 0 when it is <= 0 at 0."""
    if f(0.0) <= 0:
        return 0.0, used
    upper = max(1.0, float(np.var(yi)) * 10)
    while f(upper) > 0:
        upper *= 10
        if upper > 1e12:
            raise ConvergenceError(f"{name}: no root below tau2 = 1e12")
    found = brent_root(f, 0.0, upper, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=MAX_ITERATIONS)
    if not found.converged:
        raise ConvergenceError(f"{name}: root finding did not converge")
    return found.root, used + found.iterations


REGRESSION_ESTIMATORS = {
    "DL": _tau2_dl,
    "HE": _tau2_he,
    "SJ": _tau2_sj,
    "PM": _tau2_pm,
    "ML": lambda yi, vi, X: _fisher_scoring(yi, vi, X, restricted=False),
    "REML": lambda yi, vi, X: _fisher_scoring(yi, vi, X, restricted=True),
}


def meta_regression_tau2(method: str, yi: np.ndarray, vi: np.ndarray, X: np.ndarray) -> tuple[float, int]:
    """Residual tau^2 of the meta-regression ``yi = X b + u + e`` by metafor's estimator ``method``.

    Returns ``(tau2, iterations)``; formulas in the module docstring (metafor 3.8 ``rma.uni``).
    """
    try:
        estimator = REGRESSION_ESTIMATORS[method]
    except KeyError:
        raise ValueError(f"unknown tau2 method {method!r}: use one of {', '.join(TAU2_METHODS)}") from None
    return estimator(np.asarray(yi, float), np.asarray(vi, float), np.asarray(X, float))


# --- the common-tau^2 test ------------------------------------------------------------------------


def _design(labels: np.ndarray, levels: list[str]) -> np.ndarray:
    """Intercept (first level) and one indicator per further level: R's treatment contrasts."""
    return np.column_stack([np.ones(len(labels))] + [(labels == level).astype(float) for level in levels[1:]])


def _group_means(labels, levels, coefficients, covariance, crit: float) -> tuple[GroupMean, ...]:
    """``x_g' b`` and ``sqrt(x_g' V x_g)`` for each level's row of the design (metafor ``predict``)."""
    rows = _design(np.asarray(levels, dtype=object), levels)
    estimates = rows @ coefficients
    ses = np.sqrt(np.einsum("gi,ij,gj->g", rows, covariance, rows))
    return tuple(
        GroupMean(level, int((labels == level).sum()), float(e), float(s), float(e - crit * s), float(e + crit * s))
        for level, e, s in zip(levels, estimates, ses, strict=True)
    )


def _residual_heterogeneity(yi, vi, X, tau2: float) -> tuple[float, int, float, float, float]:
    """QE with fixed-effect weights, its df and p, and metafor's residual I^2 and H^2."""
    k, p = X.shape
    P = _projection(1 / vi, X)
    qe = max(0.0, float(yi @ P @ yi))
    typical = (k - p) / float(np.trace(P))
    return qe, k - p, chi2_upper_tail(qe, k - p), 100 * tau2 / (typical + tau2), tau2 / typical + 1


def _pseudo_r2(yi, vi, method: str, tau2: float) -> float:
    """metafor's default ``R2``: proportional reduction of tau^2 against the intercept-only model (percent)."""
    tau2_all, _ = estimate_tau2(method, yi, vi)
    if tau2_all == 0:
        return 0.0
    return max(0.0, 100 * (tau2_all - tau2) / tau2_all)


def test_common_tau2(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    groups: Sequence[str],
    method: str = "REML",  # metafor rma.uni default
    test: str = "z",  # metafor default; "knha" for the Knapp-Hartung F test
) -> CommonTau2Test:
    """Test for subgroup differences with one (common) tau^2: metafor ``rma(yi, vi, mods = ~ factor(group))``.

    ``QM = b' V^-1 b`` over the ``G - 1`` contrasts (chi^2 on G - 1 df; under ``knha`` ``QM/m`` on
    ``F(m, k - p)`` with ``V`` scaled by ``s2w``). Group means are ``x_g' b`` with SE
    ``sqrt(x_g' V x_g)`` and z or t(k - p) intervals (metafor ``predict``). Sources in the module docstring.
    """
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}: use z or knha")
    yi, vi, labels = _inputs(yi, vi, groups)
    levels = _levels(labels)
    X = _design(labels, levels)
    k, p = X.shape
    if k <= p:
        raise ValueError(f"a meta-regression on {p - 1} contrasts needs more than {p} trials; there are {k}")
    tau2, iterations = meta_regression_tau2(method, yi, vi, X)
    w = 1 / (vi + tau2)
    xtwx_inv = np.linalg.inv(X.T @ (X * w[:, None]))
    coefficients = xtwx_inv @ (X.T @ (w * yi))
    s2w = float(np.dot(w, (yi - X @ coefficients) ** 2)) / (k - p) if test == "knha" else 1.0
    covariance = s2w * xtwx_inv
    contrasts = coefficients[1:]
    qm = float(contrasts @ np.linalg.solve(covariance[1:, 1:], contrasts))
    m = p - 1
    if test == "knha":
        qm, qm_pvalue, crit, residual_df = qm / m, float(special.fdtrc(m, k - p, qm / m)), t_quantile_975(k - p), k - p
    else:
        qm_pvalue, crit, residual_df = chi2_upper_tail(qm, m), Z_975, None
    means = _group_means(labels, levels, coefficients, covariance, crit)
    qe, qe_df, qe_p, i2, h2 = _residual_heterogeneity(yi, vi, X, tau2)
    return CommonTau2Test(
        method=method,
        test=test,
        k=k,
        groups=tuple(means),
        coefficients=coefficients,
        covariance=covariance,
        qm=qm,
        qm_df=m,
        qm_df_residual=residual_df,
        qm_pvalue=qm_pvalue,
        tau2=tau2,
        tau2_iterations=iterations,
        s2w=s2w,
        qe=qe,
        qe_df=qe_df,
        qe_pvalue=qe_p,
        i2=i2,
        h2=h2,
        r2=_pseudo_r2(yi, vi, method, tau2),
    )


test_separate_tau2.__test__ = False  # type: ignore[attr-defined]
test_common_tau2.__test__ = False  # type: ignore[attr-defined]
