"""Trial sequential analysis for a binary outcome: information size, monitoring boundaries, verdict.

Sources
-------
- Required information size (Wetterslev et al. 2008, J Clin Epidemiol 61:64; TSA manual,
  Thorlund et al. 2017): ``IS = 4 (z_{1-alpha/2} + z_{1-beta})^2 p(1-p) / delta^2`` participants,
  ``p = (Pc + Pe)/2``, ``Pe = Pc (1 - RRR)``, ``delta = Pc - Pe``; diversity-adjusted by
  ``1/(1 - D^2)``.
- Diversity ``D^2 = (V_R - V_F)/V_R`` with ``V`` the variance of the pooled estimate under the
  random- and fixed-effect (inverse variance) models (Wetterslev, Thorlund, Brok & Gluud 2009,
  BMC Med Res Methodol 9:86).
- Monitoring boundaries: Lan-DeMets O'Brien-Fleming alpha spending, two-sided; futility (inner
  wedge) by non-binding O'Brien-Fleming beta spending of a one-sided test at alpha/2 in each
  direction (:mod:`pipeline.stats.group_sequential`, as rpact computes them).
- The Cochrane Handbook (v6.4, ch. 22) advises against basing conclusions on TSA: outputs call it a
  secondary display beside GRADE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from pipeline.stats.group_sequential import UPPER_BOUND, obrien_fleming_boundaries, one_sided_design_with_futility

MAX_DESIGN_LOOKS = 30  # beyond this many trials, boundaries come from an evenly spaced design and are interpolated
FUTILITY_MIN_FRACTION = 0.10  # futility boundaries are computed from 10% of the required information size on


def required_information_size(
    control_proportion: float,
    relative_risk_reduction: float,
    alpha: float = 0.05,
    power: float = 0.80,
    diversity: float = 0.0,
) -> float:
    """Diversity-adjusted required information size (participants, both arms)."""
    if not 0 < control_proportion < 1:
        raise ValueError("the control event proportion must lie strictly between 0 and 1")
    if not 0 < relative_risk_reduction < 1:
        raise ValueError("the relative risk reduction must lie strictly between 0 and 1")
    if not 0 <= diversity < 1:
        raise ValueError("diversity D^2 must lie in [0, 1)")
    pe = control_proportion * (1 - relative_risk_reduction)
    p = (control_proportion + pe) / 2
    delta = control_proportion - pe
    z = ndtri(1 - alpha / 2) + ndtri(power)
    return float(4 * z**2 * p * (1 - p) / delta**2 / (1 - diversity))


def diversity(vi: np.ndarray, tau2: float) -> float:
    """D^2 = 1 - V_F / V_R (Wetterslev et al. 2009), from the within-trial variances and tau^2."""
    vi = np.asarray(vi, dtype=float)
    vi = vi[np.isfinite(vi)]
    if len(vi) < 2 or tau2 <= 0:
        return 0.0
    v_fixed = 1 / np.sum(1 / vi)
    v_random = 1 / np.sum(1 / (vi + tau2))
    return float(max(0.0, 1 - v_fixed / v_random))


@dataclass(frozen=True)
class Boundaries:
    rates: np.ndarray  # information fractions of the design (capped at 1)
    efficacy: np.ndarray  # |Z| boundary for benefit (+) and harm (-)
    futility: np.ndarray  # inner wedge half-width (nan where there is none)


def monitoring_boundaries(rates, alpha: float = 0.05, power: float = 0.80) -> Boundaries:
    """Two-sided O'Brien-Fleming-type alpha-spending boundaries and the beta-spending futility wedge.

    ``rates`` are increasing information fractions in (0, 1]; the last is 1 (the required information size).
    """
    rates = np.asarray(rates, dtype=float)
    efficacy = obrien_fleming_boundaries(rates, alpha=alpha, sided=2, adaptive=True)
    futility = np.full(len(rates), np.nan)
    usable = rates >= FUTILITY_MIN_FRACTION
    if usable.sum() > 1:
        one_sided = one_sided_design_with_futility(rates[usable], alpha=alpha / 2, beta=1 - power, adaptive=True)
        futility[usable] = np.where(one_sided.futility > 0, one_sided.futility, np.nan)
    return Boundaries(rates, efficacy, futility)


def first_drawable_fraction(alpha: float = 0.05) -> float:
    """The information fraction below which the O'Brien-Fleming boundary lies beyond Z = 8 (no alpha is
    spent there to any precision; TSA programs do not draw it either)."""
    return float((ndtri(1 - alpha / 4) / 8.0) ** 2)


def design_rates(fractions: np.ndarray, alpha: float = 0.05, extra: int = 10) -> np.ndarray:
    """The looks of the design: each trial's information fraction (capped at 1; earlier than
    :func:`first_drawable_fraction` left out), then ``extra`` evenly spaced future looks up to 1 (for
    drawing; they do not change earlier efficacy boundaries). With more than :data:`MAX_DESIGN_LOOKS`
    trials an evenly spaced design stands in for them and boundaries are interpolated."""
    start = first_drawable_fraction(alpha)
    observed = np.unique(np.clip(np.asarray(fractions, float), start, 1.0))
    if len(observed) > MAX_DESIGN_LOOKS:
        observed = np.linspace(observed[0], observed[-1], MAX_DESIGN_LOOKS)
    last = observed[-1]
    future = np.linspace(last, 1.0, extra + 1)[1:] if last < 1 else np.empty(0)
    rates = np.concatenate([observed, future])
    keep = np.concatenate([[True], np.diff(rates) > 1e-9])
    return rates[keep]


def boundary_at(b: Boundaries, fraction: float, which: str = "efficacy") -> float:
    """The boundary at an information fraction (interpolated between looks); beyond Z = 8 before the first look."""
    values = b.efficacy if which == "efficacy" else b.futility
    if fraction < b.rates[0] - 1e-12:
        return UPPER_BOUND if which == "efficacy" else float("nan")
    f = min(fraction, 1.0)
    if which == "futility" and np.all(np.isnan(values)):
        return float("nan")
    return float(np.interp(f, b.rates, values))


def verdict(z: float, fraction: float, b: Boundaries) -> str:
    """benefit | harm | futility | not yet conclusive, at the latest look (Z oriented: + favours intervention)."""
    efficacy = boundary_at(b, fraction)
    if efficacy < UPPER_BOUND - 1e-6:
        if z >= efficacy:
            return "benefit"
        if z <= -efficacy:
            return "harm"
    futility = boundary_at(b, fraction, "futility")
    if fraction >= 1.0 or (np.isfinite(futility) and abs(z) < futility):
        return "futility"
    return "not yet conclusive"
