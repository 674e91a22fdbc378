"""Pooling models: inverse-variance fixed and random effects, Mantel-Haenszel, Peto.

All functions take arrays (one element per study) and return a :class:`MetaFit`.

Sources
-------
- Inverse variance and random effects: metafor ``rma.uni`` (Viechtbauer 2010, J Stat
  Softw 36(3)); Cochrane Handbook v6.4, chapter 10.
- I^2 and H^2: for random-effects models metafor's tau^2-based definition
  ``I2 = 100 tau2 / (tau2 + s2)``, ``H2 = (tau2 + s2)/s2`` with the "typical" within-study
  variance ``s2 = (k-1) sum w / ((sum w)^2 - sum w^2)`` (Higgins & Thompson 2002, eq. 9);
  for fixed-effect models and under the ``revman`` convention the Q-based
  ``I2 = max(0, (Q - df)/Q)``, ``H2 = Q/df``.
- Hartung-Knapp-Sidik-Jonkman (metafor ``test="knha"``): ``se^2 = sum w (y-mu)^2 / ((k-1) sum w)``
  and t(k-1) quantiles, without truncation (Hartung & Knapp 2001; Sidik & Jonkman 2002).
- Prediction interval (metafor ``predict.rma``): ``mu +/- crit sqrt(tau2 + se^2)``,
  crit from N(0,1), or t(k-1) under HKSJ. The Cochrane Handbook (v6.4, 10.10.4.3)
  uses t(k-2) (Higgins, Thompson & Spiegelhalter 2009); it is available as
  ``prediction_interval_t_k_minus_2``.
- Mantel-Haenszel (metafor ``rma.mh``): OR (Robins, Breslow & Greenland 1986
  variance), RR (Greenland & Robins 1985), RD (Sato, Greenland & Robins 1989).
- Peto (metafor ``rma.peto``): Yusuf et al. (1985).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from pipeline.stats.distributions import Z_975, chi2_upper_tail, normal_two_sided_p, t_quantile_975, t_two_sided_p
from pipeline.stats.effect_sizes import TwoByTwo
from pipeline.stats.tau2 import ConvergenceError, estimate_tau2


class PoolingError(ValueError):
    """The data cannot be pooled by the requested model; the message says why."""


@dataclass(frozen=True)
class MetaFit:
    """One pooled analysis. Ratio measures are on the log scale (as metafor reports them)."""

    measure: str
    method: str
    hksj: bool
    k: int
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    pvalue: float
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_pvalue: float
    pi_lower: float
    pi_upper: float
    iterations: int
    weights: np.ndarray  # percent, in input order; NaN for studies not used

    def as_dict(self) -> dict:
        out = asdict(self)
        out["weights"] = self.weights.tolist()
        return out


def _usable(yi: np.ndarray, vi: np.ndarray) -> np.ndarray:
    return np.isfinite(yi) & np.isfinite(vi)


def _spread_weights(mask: np.ndarray, weights: np.ndarray) -> np.ndarray:
    full = np.full(mask.shape, np.nan)
    full[mask] = 100 * weights / weights.sum()
    return full


def _q_statistics(yi: np.ndarray, vi: np.ndarray, estimate: float) -> tuple[float, int, float]:
    """Cochran's Q around ``estimate`` with inverse-variance weights, its df and p-value."""
    k = len(yi)
    if k <= 1:
        return 0.0, 0, 1.0
    q = max(0.0, float(np.sum((yi - estimate) ** 2 / vi)))
    return q, k - 1, chi2_upper_tail(q, k - 1)


def q_based_i2(q: float, df: int) -> tuple[float, float]:
    """``I2 = max(0, 100 (Q - df)/Q)`` and ``H2 = Q/df`` (Higgins & Thompson 2002)."""
    if df < 1 or q <= 0:
        return 0.0, 1.0
    return max(0.0, 100 * (q - df) / q), q / df


def tau2_based_i2(vi: np.ndarray, tau2: float) -> tuple[float, float]:
    """metafor's ``I2 = 100 tau2/(tau2 + s2)``, ``H2 = (tau2 + s2)/s2``, s2 the typical within-study variance."""
    k = len(vi)
    if k <= 1:
        return 0.0, 1.0
    wi = 1.0 / vi
    s2 = (k - 1) * wi.sum() / (wi.sum() ** 2 - np.dot(wi, wi))
    return 100 * tau2 / (tau2 + s2), (tau2 + s2) / s2


def _finish(
    measure, method, hksj, yi, vi, mask, estimate, se, tau2, i2, h2, q, q_df, q_p, iterations, weights, df=None
):
    crit = t_quantile_975(df) if df is not None else Z_975
    if df is not None:
        pvalue = t_two_sided_p(estimate / se, df)
    else:
        pvalue = normal_two_sided_p(estimate / se)
    pi_half = crit * np.sqrt(tau2 + se**2)
    return MetaFit(
        measure=measure,
        method=method,
        hksj=hksj,
        k=int(mask.sum()),
        estimate=float(estimate),
        se=float(se),
        ci_lower=float(estimate - crit * se),
        ci_upper=float(estimate + crit * se),
        pvalue=float(pvalue),
        tau2=float(tau2),
        i2=float(i2),
        h2=float(h2),
        q=float(q),
        q_df=int(q_df),
        q_pvalue=float(q_p),
        pi_lower=float(estimate - pi_half),
        pi_upper=float(estimate + pi_half),
        iterations=int(iterations),
        weights=_spread_weights(mask, weights),
    )


def pool_inverse_variance(
    measure: str,
    yi: np.ndarray,
    vi: np.ndarray,
    method: str = "REML",  # metafor rma.uni default
    hksj: bool = False,  # metafor test="z"; True is test="knha"
    i2_definition: str = "tau2",  # metafor; "q" for RevMan's Q-based I2 under random effects
    hksj_truncate: bool = False,  # metafor test="adhoc": never let HKSJ shrink the variance below the z-based one
) -> MetaFit:
    """Fixed-effect (``method="FE"``) or random-effects inverse-variance pooling (metafor ``rma.uni``).

    With ``hksj_truncate`` the HKSJ scale factor is ``max(1, s2w)`` (metafor >= 4.0 ``test="adhoc"``):
    with few studies and little observed heterogeneity, untruncated HKSJ can give a CI narrower
    than the z-based one, which overstates certainty.

    Studies with a non-finite ``yi`` or ``vi`` (e.g. dropped double-zero studies) are left out.
    """
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    mask = _usable(yi, vi)
    y, v = yi[mask], vi[mask]
    k = len(y)
    if k == 0:
        raise PoolingError("no study has an estimable effect (all double-zero or missing), so nothing can be pooled")
    if np.any(v <= 0):
        raise PoolingError("a study has zero sampling variance; inverse-variance weights are undefined")
    # tau2
    if method == "FE":
        tau2, iterations = 0.0, 0
    elif k == 1:
        raise PoolingError(f"a random-effects model ({method}) needs at least 2 studies; only 1 is estimable")
    else:
        try:
            tau2, iterations = estimate_tau2(method, y, v)
        except ConvergenceError as err:
            raise PoolingError(f"{err}; try method DL or PM, or check the data") from err
    # fit
    wi = 1.0 / (v + tau2)
    estimate = np.dot(wi, y) / wi.sum()
    se = np.sqrt(1.0 / wi.sum())
    df = None
    if hksj:
        if k == 1:
            raise PoolingError("the Hartung-Knapp-Sidik-Jonkman adjustment needs at least 2 studies")
        s2w = np.dot(wi, (y - estimate) ** 2) / (k - 1)
        if hksj_truncate:  # Knapp & Hartung (2003) ad hoc correction; Jackson et al. (2017) Stat Med 36:3923
            s2w = max(1.0, s2w)
        se = se * np.sqrt(s2w)
        df = k - 1
        if se == 0:
            raise PoolingError("HKSJ standard error is 0 (all estimates identical); the t-interval is degenerate")
    # heterogeneity
    q, q_df, q_p = _q_statistics(y, v, float(np.dot(1 / v, y) / np.sum(1 / v)))
    if method == "FE" or i2_definition == "q":
        i2, h2 = q_based_i2(q, q_df)
    else:
        i2, h2 = tau2_based_i2(v, tau2)
    return _finish(measure, method, hksj, yi, vi, mask, estimate, se, tau2, i2, h2, q, q_df, q_p, iterations, wi, df)


def pool_mantel_haenszel(
    measure: str,
    table: TwoByTwo,
    yi: np.ndarray,
    vi: np.ndarray,
    add: float = 0.0,  # metafor rma.mh: add[2]=0, the MH estimate pools the raw counts
    to: str = "none",  # RevMan adds 1/2 to zero-cell studies ("only0")
    drop00: bool = False,  # RevMan drops double-zero studies
) -> MetaFit:
    """Mantel-Haenszel fixed-effect pooling (metafor ``rma.mh``) of RR, OR or RD.

    ``yi``/``vi`` are the per-study estimates used only for Q, I^2 and the displayed
    study results (metafor computes them with ``escalc(..., drop00=TRUE)``).
    Weights reported are the MH weights (RR: ``ci n1/N``; OR: ``bi ci/N``; RD: ``n1 n2/N``).
    """
    keep = ~table.is_double_zero if drop00 else np.ones_like(table.a, dtype=bool)
    t = TwoByTwo(table.a[keep], table.b[keep], table.c[keep], table.d[keep]).with_continuity_correction(add, to)
    a, b, c, d = t.a, t.b, t.c, t.d
    n1, n2 = a + b, c + d
    n = n1 + n2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            r_i, s_i = a * d / n, b * c / n
            r, s = r_i.sum(), s_i.sum()
            if r == 0 or s == 0:
                raise PoolingError(
                    "Mantel-Haenszel OR is not estimable: no events (or no non-events) in one arm across all studies"
                )
            p_i, q_i = (a + d) / n, (b + c) / n
            estimate = np.log(r / s)
            se = np.sqrt(
                0.5 * (np.sum(p_i * r_i) / r**2 + np.sum(p_i * s_i + q_i * r_i) / (r * s) + np.sum(q_i * s_i) / s**2)
            )
            weights = s_i
        elif measure == "RR":
            r, s = np.sum(a * n2 / n), np.sum(c * n1 / n)
            if a.sum() == 0 or c.sum() == 0:
                raise PoolingError("Mantel-Haenszel RR is not estimable: one arm has no events in any study")
            estimate = np.log(r / s)
            se = np.sqrt(np.sum(n1 * n2 * (a + c) / n**2 - a * c / n) / (r * s))
            weights = c * n1 / n
        elif measure == "RD":
            wsum = np.sum(n1 * n2 / n)
            estimate = np.sum(a * n2 / n - c * n1 / n) / wsum
            numerator = (
                estimate * np.sum(c * (n1 / n) ** 2 - a * (n2 / n) ** 2 + (n1 / n) * (n2 / n) * (n2 - n1) / 2)
                + np.sum(a * (n2 - c) / n + c * (n1 - a) / n) / 2
            )
            se = np.sqrt(numerator / wsum**2)
            weights = n1 * n2 / n
        else:
            raise PoolingError(f"Mantel-Haenszel pooling is defined for RR, OR and RD, not {measure}")
    if not np.isfinite(se) or se <= 0:
        raise PoolingError("Mantel-Haenszel standard error is not estimable for these tables")
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    mask = _usable(yi, vi)
    q, q_df, q_p = _q_statistics(yi[mask], vi[mask], estimate)
    i2, h2 = q_based_i2(q, q_df)
    full_weights = np.full(table.a.shape, np.nan)
    full_weights[keep] = weights
    weight_mask = np.isfinite(full_weights) & (full_weights > 0) if np.any(full_weights > 0) else keep
    fit = _finish(
        measure, "MH", False, yi, vi, weight_mask, estimate, se, 0.0, i2, h2, q, q_df, q_p, 0, full_weights[weight_mask]
    )
    return _replace_k(fit, int(keep.sum()))


def _replace_k(fit: MetaFit, k: int) -> MetaFit:
    values = fit.as_dict()
    values["k"] = k
    values["weights"] = np.asarray(values["weights"])
    return MetaFit(**values)


def pool_peto(table: TwoByTwo, yi: np.ndarray, vi: np.ndarray) -> MetaFit:
    """Peto's one-step odds ratio (metafor ``rma.peto``; Yusuf et al. 1985).

    ``O - E`` and the hypergeometric variance ``V`` from the raw counts; Q is
    ``sum (O-E)^2/V - (sum (O-E))^2 / sum V`` over tables with ``V > 0``.
    """
    a, n1, n2 = table.a, table.n1, table.n2
    n = n1 + n2
    events = a + table.c
    non_events = table.b + table.d
    expected = events * n1 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.where(n > 1, events * non_events * (n1 / n) * (n2 / n) / (n - 1), 0.0)
    total_v = variance.sum()
    if total_v == 0:
        raise PoolingError("Peto's method cannot be used: one of the two outcomes never occurred in any table")
    estimate = np.sum(a - expected) / total_v
    se = np.sqrt(1.0 / total_v)
    positive = variance > 0
    q = max(
        0.0, float(np.sum((a - expected)[positive] ** 2 / variance[positive]) - np.sum(a - expected) ** 2 / total_v)
    )
    k_yi = int(_usable(np.asarray(yi, float), np.asarray(vi, float)).sum())
    if positive.sum() > 1:
        q_df = k_yi - 1
        q_p = chi2_upper_tail(q, q_df)
        i2, h2 = q_based_i2(q, q_df)
    else:
        q_df, q_p, i2, h2 = max(k_yi - 1, 0), 1.0, 0.0, 1.0
    fit = _finish("OR", "PETO", False, yi, vi, positive, estimate, se, 0.0, i2, h2, q, q_df, q_p, 0, variance[positive])
    return _replace_k(fit, len(a))


def prediction_interval_t_k_minus_2(fit: MetaFit) -> tuple[float, float]:
    """Prediction interval with t(k-2) quantiles (Cochrane Handbook v6.4, 10.10.4.3; Higgins et al. 2009).

    Returns (nan, nan) for k < 3, where the interval is undefined.
    """
    if fit.k < 3:
        return float("nan"), float("nan")
    half = t_quantile_975(fit.k - 2) * np.sqrt(fit.tau2 + fit.se**2)
    return fit.estimate - half, fit.estimate + half
