"""Subgroups, leave-one-out and cumulative meta-analysis, Egger's test.

Sources: metafor ``rma.uni`` with a categorical moderator (test for subgroup
differences as in the Cochrane Handbook v6.4, 10.11.3.1: Q between subgroups from
separate fixed/random fits), ``leave1out.rma.uni``, ``cumul.rma.uni`` and
``regtest(model="lm")`` (Egger et al. 1997).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.stats.distributions import chi2_upper_tail, t_two_sided_p
from pipeline.stats.models import MetaFit, PoolingError

EGGER_MIN_STUDIES = 10  # Cochrane Handbook v6.4, 13.3.5.4: tests for funnel asymmetry need k >= 10


@dataclass(frozen=True)
class SubgroupResult:
    fits: dict[str, MetaFit | str]  # subgroup -> fit, or the reason it could not be pooled
    q_between: float
    df: int
    pvalue: float


def subgroup_analysis(
    labels: Sequence[str],
    fit_subset: Callable[[np.ndarray], MetaFit],
) -> SubgroupResult:
    """Fit each subgroup separately and test for subgroup differences.

    ``Q_between = sum_g (mu_g - mu_bar)^2 / se_g^2`` with ``mu_bar`` the inverse-variance
    mean of the subgroup estimates, df = number of estimable subgroups - 1 (Cochrane
    Handbook v6.4, 10.11.3.1; Borenstein et al. 2009, ch. 19 "separate tau^2").
    """
    labels = np.asarray(labels, dtype=object)
    fits: dict[str, MetaFit | str] = {}
    for group in dict.fromkeys(labels):  # first-appearance order
        try:
            fits[str(group)] = fit_subset(labels == group)
        except PoolingError as err:
            fits[str(group)] = str(err)
    pooled = [f for f in fits.values() if isinstance(f, MetaFit)]
    if len(pooled) < 2:
        return SubgroupResult(fits, float("nan"), 0, float("nan"))
    est = np.array([f.estimate for f in pooled])
    w = 1 / np.array([f.se for f in pooled]) ** 2
    mean = np.dot(w, est) / w.sum()
    q = float(np.dot(w, (est - mean) ** 2))
    df = len(pooled) - 1
    return SubgroupResult(fits, q, df, chi2_upper_tail(q, df))


def leave_one_out(k: int, fit_subset: Callable[[np.ndarray], MetaFit]) -> list[MetaFit | str]:
    """Refit leaving out each study in turn (metafor ``leave1out``); a string where a refit is impossible."""
    out: list[MetaFit | str] = []
    for i in range(k):
        keep = np.ones(k, dtype=bool)
        keep[i] = False
        try:
            out.append(fit_subset(keep))
        except PoolingError as err:
            out.append(str(err))
    return out


def cumulative(order: np.ndarray, fit_subset: Callable[[np.ndarray], MetaFit]) -> list[MetaFit | str]:
    """Cumulative meta-analysis adding studies in ``order`` (metafor ``cumul``)."""
    k = len(order)
    out: list[MetaFit | str] = []
    for step in range(1, k + 1):
        keep = np.zeros(k, dtype=bool)
        keep[order[:step]] = True
        try:
            out.append(fit_subset(keep))
        except PoolingError as err:
            out.append(str(err))
    return out


@dataclass(frozen=True)
class EggerTest:
    k: int
    t: float
    df: int
    pvalue: float
    reported: bool
    message: str


def egger_test(yi: np.ndarray, vi: np.ndarray, min_studies: int = EGGER_MIN_STUDIES) -> EggerTest:
    """Egger's regression test for funnel-plot asymmetry (Egger et al. 1997, BMJ 315:629).

    Weighted least squares of ``yi`` on ``sei = sqrt(vi)`` with weights ``1/vi`` and a
    multiplicative dispersion term; t-test of the slope on k-2 df. This is metafor's
    ``regtest(model="lm", predictor="sei")``, the classical Egger test.
    Only reported when k >= ``min_studies`` (Cochrane Handbook v6.4, 13.3.5.4).
    """
    mask = np.isfinite(yi) & np.isfinite(vi)
    y, v = yi[mask], vi[mask]
    k = len(y)
    if k < min_studies:
        return EggerTest(
            k,
            float("nan"),
            k - 2,
            float("nan"),
            False,
            f"Egger's test not reported: {k} studies, fewer than the {min_studies} "
            "the Cochrane Handbook requires for a meaningful test",
        )
    x = np.column_stack([np.ones(k), np.sqrt(v)])
    w = 1 / v
    xtwx = x.T @ (x * w[:, None])
    beta = np.linalg.solve(xtwx, x.T @ (w * y))
    dispersion = np.dot(w, (y - x @ beta) ** 2) / (k - 2)
    se_slope = np.sqrt(dispersion * np.linalg.inv(xtwx)[1, 1])
    t = beta[1] / se_slope
    return EggerTest(k, float(t), k - 2, t_two_sided_p(t, k - 2), True, "")
