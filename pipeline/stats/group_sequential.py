"""Group sequential boundaries by alpha- and beta-spending (Lan-DeMets), as rpact computes them.

- Spending functions (rpact ``getSpendingValueCpp``): O'Brien-Fleming type alpha spending
  ``alpha(t) = 2 s (1 - Phi(Phi^-1(1 - alpha/(2 s)) / sqrt(t)))`` for an s-sided test
  (Lan & DeMets 1983, Biometrika 70:659); beta spending ``beta(t) = 2 (1 - Phi(Phi^-1(1 - beta/2)/sqrt(t)))``.
- Crossing probabilities by recursive numerical integration of the density of the sequential
  Z statistics (Armitage, McPherson & Rowe 1969; Jennison & Turnbull 2000, ch. 19) on rpact's grid:
  91 points per stage and the composite six-panel Newton-Cotes weights (492, 1296, 162, 1632, 162,
  1296)/840, bounds clamped to [-6, 8] as rpact 3.3 does.
- Critical values by rpact's bisection on [0, 8] (tolerance 1e-8); futility bounds for a
  one-sided design with non-binding beta spending by bisection on [-6, 5] and the drift by
  Brent's method on [-4, 10] so that the last futility bound meets the last critical value
  (rpact ``getDesignGroupSequentialBetaSpendingOneSidedCpp``).

Replicating the integration grid (not only the formulas) is what makes the boundaries agree with
rpact to 1e-6: rpact's quadrature error is itself of order 1e-5 at early looks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from pipeline.stats.root_finding import brent_root

NEWTON_COTES_CONSTANT = 15
GRID_POINTS = NEWTON_COTES_CONSTANT * 6 + 1  # 91
UPPER_BOUND = 8.0
FUTILITY_DEFAULT = -6.0
TOLERANCE = 1e-8  # rpact C_DESIGN_TOLERANCE_DEFAULT
MAX_ITERATIONS = 100
MAX_PANELS = 200  # adaptive grids (close looks): at most 1201 points per stage
ROOT_TOLERANCE_FACTOR = 100.0


QNORM_MAXIMUM = -float(ndtri(1e-100))
QNORM_THRESHOLD = float(np.floor(QNORM_MAXIMUM))


def _clamp_q(result: float) -> float:
    if result < -QNORM_THRESHOLD:
        return -QNORM_MAXIMUM
    if result > QNORM_THRESHOLD:
        return QNORM_MAXIMUM
    return result


def qnorm(p: float) -> float:
    """rpact ``getQNorm``: the normal quantile with p clamped to [1e-100, 1]."""
    p = min(max(p, 1e-100) if p > 0 else 1e-100, 1.0)
    return _clamp_q(float(ndtri(p)))


def one_minus_qnorm(p: float) -> float:
    """rpact ``getOneMinusQNorm``: Phi^-1(1 - p) computed without losing small p."""
    p = 1e-100 if p <= 0 else min(p, 1.0)
    return _clamp_q(float(-ndtri(p)) if p < 0.5 else float(ndtri(1 - p)))


def one_minus_pnorm(q: float) -> float:
    """rpact ``getOneMinusPNorm``: 1 - Phi(q), from the lower tail for q >= 5."""
    if q == 0:
        return 0.5
    result = 1.0 - float(ndtr(q)) if q < 5 else float(ndtr(-q))
    return result if result > 0 else 1e-100


def _weights(dx: float, panels: int = NEWTON_COTES_CONSTANT) -> np.ndarray:
    """rpact ``getW``: composite six-panel Newton-Cotes weights (91 equally spaced points for 15 panels)."""
    panel = np.array([492.0, 1296.0, 162.0, 1632.0, 162.0, 1296.0]) * dx / 840.0
    w = np.tile(panel, panels)
    out = np.empty(len(w) + 1)
    out[:-1] = w
    out[0] = out[-1] = 246.0 * dx / 840.0
    return out


class _Recursion:
    """Stage-by-stage numerical integration of the sequential Z statistics (rpact's recursion).

    After :meth:`advance` with the bounds of stage j, the grid over that stage's continuation
    region and the weighted density on it are kept, so the probability of the next stage for
    any candidate bound costs one vector of normal CDFs (:meth:`below`). The numbers are those
    rpact gets by recomputing every stage for every candidate.
    """

    def __init__(
        self, rates: np.ndarray, floor: float = FUTILITY_DEFAULT, clamp_upper: bool = True, adaptive: bool = False
    ):
        self.rates = np.asarray(rates, dtype=float)
        self.sqrt_rates = np.sqrt(self.rates)
        eps = np.diff(np.concatenate([[0.0], self.rates]))
        eps[0] = self.rates[0]
        self.sqrt_eps = np.sqrt(eps)
        self.floor = floor
        self.clamp_upper = clamp_upper
        self.adaptive = adaptive
        self.stage = 0  # stages advanced so far
        self.x = np.empty(0)
        self.dn = np.empty(0)
        self.prev = (0.0, 0.0)  # P(Z < lower), P(Z < upper) at the last advanced stage (paths still going)

    def _clamp(self, value: float) -> float:
        if self.clamp_upper:
            value = min(value, UPPER_BOUND)
        return max(value, self.floor)

    def below(self, bound: float) -> float:
        """P(continue to the next stage and Z there < bound)."""
        k = self.stage
        if k == 0:
            return float(ndtr(min(bound, UPPER_BOUND)))
        b = self._clamp(bound)
        v = (b * self.sqrt_rates[k] - self.x * self.sqrt_rates[k - 1]) / self.sqrt_eps[k]
        return float(np.dot(ndtr(v), self.dn))

    def continuing(self) -> float:
        """P(reach the next stage)."""
        return 1.0 if self.stage == 0 else self.prev[1] - self.prev[0]

    def advance(self, lower: float, upper: float) -> None:
        """Fix the bounds of the next stage and integrate over its continuation region."""
        p_lower, p_upper = self.below(lower), self.below(upper)
        lo, up = self._clamp(lower), self._clamp(upper)
        panels = NEWTON_COTES_CONSTANT
        if self.adaptive and self.stage + 1 < len(self.rates):
            # the next stage's conditional SD is sqrt(eps/t): keep at least ~5 points within one SD of it
            sd = self.sqrt_eps[self.stage + 1] / self.sqrt_rates[self.stage + 1]
            panels = int(min(MAX_PANELS, max(NEWTON_COTES_CONSTANT, np.ceil((up - lo) / (6 * sd / 5)))))
        points = panels * 6 + 1
        dx = (up - lo) / (points - 1)
        x = lo + np.arange(points) * dx
        k = self.stage
        if k == 0:
            density = np.exp(-0.5 * x * x) * 0.3989422804014327
        else:
            part1 = self.sqrt_rates[k] / self.sqrt_eps[k]
            a = (x[:, None] * self.sqrt_rates[k] - self.x[None, :] * self.sqrt_rates[k - 1]) / self.sqrt_eps[k]
            density = part1 * (np.exp(-0.5 * a * a) * 0.3989422804014327) @ self.dn
        self.x, self.dn = x, _weights(dx, panels) * density
        self.prev = (p_lower, p_upper)
        self.stage += 1


def _bisection(f, lower: float, upper: float, tol: float = TOLERANCE) -> float:
    """rpact ``bisection2`` (f decreasing: positive means go up); returns the last midpoint, NaN when f
    there is not near zero."""
    step, value, result = 1, 1.0, 0.0
    while True:
        value = (lower + upper) / 2
        result = f(value)
        if result > 0:
            lower = value
        else:
            upper = value
        step += 1
        if step > MAX_ITERATIONS:
            raise ArithmeticError("no root within tolerance after 100 iterations")
        if upper - lower <= tol:
            break
    if abs(result / ROOT_TOLERANCE_FACTOR) > tol:
        return float("nan")
    return value


def alpha_spending_obf(alpha: float, t, sided: int) -> np.ndarray:
    """Lan-DeMets O'Brien-Fleming-type cumulative alpha spent at information fractions ``t``."""
    z = one_minus_qnorm(alpha / (2 * sided))
    return np.array([2 * sided * one_minus_pnorm(z / np.sqrt(x)) for x in np.atleast_1d(t)])


def beta_spending_obf(beta: float, t) -> np.ndarray:
    """O'Brien-Fleming-type cumulative beta spent (rpact ``bsOF``)."""
    z = one_minus_qnorm(beta / 2)
    return np.array([2 * one_minus_pnorm(z / np.sqrt(x)) for x in np.atleast_1d(t)])


def _first_coarse_bracket(f, grid: np.ndarray, stride: int = 4) -> int:
    """Where the fine scan of :func:`find_root` may start: the first grid point of the first coarse cell
    (every ``stride``-th point) whose ends are finite and of opposite sign, when every coarse point
    before it is finite with the sign of the first. The fine scan then finds the same first bracket it
    would find from the start (no sign change lies before), with a quarter of the evaluations. Anything
    else (a non-finite value, no coarse sign change) starts the fine scan at the beginning."""
    coarse = list(range(0, len(grid), stride))
    first = f(grid[0])
    if not np.isfinite(first):
        return 0
    for a, b in zip(coarse, coarse[1:], strict=False):
        value = f(grid[b])
        if not np.isfinite(value):
            return 0
        if first * value <= 0:
            return a
    return 0


def find_root(f, lower: float, upper: float, steps: int = 28, depth: int = 3) -> float:
    """A root of ``f`` in [lower, upper]: scan for a sign change between finite values (looking closer
    where f stops being finite, as it does when a futility bound would pass the efficacy bound), then
    Brent's method to 1e-12 (rpact uses Brent to its tolerance 1e-8 on the same interval)."""
    grid = np.linspace(lower, upper, steps + 1)
    start = _first_coarse_bracket(f, grid)
    f1 = f(grid[start])
    for i in range(start, steps):  # evaluated lazily: the scan stops at the first bracket
        (x0, f0), x1 = (grid[i], f1), grid[i + 1]
        f1 = f(x1)
        if np.isfinite(f0) and np.isfinite(f1) and f0 * f1 <= 0:
            return brent_root(f, x0, x1, xtol=1e-12).root
        if depth > 0 and np.isfinite(f0) != np.isfinite(f1):
            try:
                return find_root(f, x0, x1, steps=16, depth=depth - 1)
            except ArithmeticError:
                continue
    raise ArithmeticError("no sign change: the design has no solution on this interval")


def obrien_fleming_boundaries(
    rates, alpha: float = 0.05, sided: int = 2, rpact_floor: bool = False, adaptive: bool = False
) -> np.ndarray:
    """Critical values (Z scale) of the Lan-DeMets O'Brien-Fleming design at ``rates``
    (rpact ``getDesignGroupSequential(typeOfDesign = "asOF", sided, alpha, informationRates)``).

    rpact 3.3 integrates a two-sided design's continuation region from max(-c, -6): for looks whose
    boundary exceeds 6 the mass below -6 is lost and the next boundary is overestimated. By default
    the region here starts at -8, as the upper side does (identical to rpact whenever every boundary
    is below 6); ``rpact_floor=True`` reproduces rpact exactly. rpact integrates on 91 points per stage,
    too coarse when two looks are close (a meta-analysis adding a small trial): ``adaptive=True`` refines
    the grid to the next stage's conditional spread (used for trial sequential analysis).
    """
    rates = np.asarray(rates, dtype=float)
    if np.any(np.diff(rates) <= 0) or rates[0] <= 0 or rates[-1] > 1 + 1e-12:
        raise ValueError("information rates must increase strictly within (0, 1]")
    spent = alpha_spending_obf(alpha, rates, sided)
    crit = np.full(len(rates), np.nan)
    crit[0] = one_minus_qnorm(spent[0] / sided)
    floor = FUTILITY_DEFAULT if (sided == 1 or rpact_floor) else -UPPER_BOUND
    rec = _Recursion(rates, floor=floor, adaptive=adaptive)

    def crossing(c: float) -> float:
        """P(cross at this stage): above c, and (two-sided) below -c."""
        upper = rec.continuing() - rec.below(c)
        return upper + (rec.below(-c) if sided == 2 else 0.0)

    crossed = crossing(crit[0])
    for k in range(1, len(rates)):
        rec.advance(-crit[k - 1] if sided == 2 else FUTILITY_DEFAULT, crit[k - 1])
        crit[k] = _bisection(lambda c, k=k, before=crossed: before + crossing(c) - spent[k], 0.0, 8.0)
        crossed += crossing(crit[k])
    return crit


def _futility_bounds(
    rates: np.ndarray, crit: np.ndarray, beta_spent: np.ndarray, shift: float, adaptive: bool = False
) -> np.ndarray:
    """Futility bounds of a one-sided design with non-binding beta spending for drift ``shift``
    (rpact ``getFutilityBoundsOneSided``, probabilities from its "fast" recursion)."""
    k_max = len(rates)
    sq = np.sqrt(rates)
    fut = np.full(k_max, np.nan)
    fut[0] = qnorm(beta_spent[0]) + sq[0] * shift
    rec = _Recursion(rates, floor=FUTILITY_DEFAULT, clamp_upper=False, adaptive=adaptive)
    spent = rec.below(fut[0] - sq[0] * shift)
    for k in range(1, k_max):
        rec.advance(fut[k - 1] - sq[k - 1] * shift, crit[k - 1] - sq[k - 1] * shift)
        fut[k] = _bisection(
            lambda f, k=k, before=spent: float(beta_spent[k] - (before + rec.below(f - sq[k] * shift))), -6.0, 5.0
        )
        if not np.isfinite(fut[k]):
            fut[k:] = np.nan
            break
        spent += rec.below(fut[k] - sq[k] * shift)
    return fut


@dataclass(frozen=True)
class SequentialDesign:
    rates: np.ndarray
    critical: np.ndarray  # efficacy boundary per look
    futility: np.ndarray  # futility boundary per look (in the direction of benefit)
    shift: float  # drift under the alternative: Z_k ~ N(shift sqrt(t_k), 1)


def one_sided_design_with_futility(
    rates, alpha: float = 0.025, beta: float = 0.2, adaptive: bool = False
) -> SequentialDesign:
    """One-sided Lan-DeMets O'Brien-Fleming design with non-binding O'Brien-Fleming-type beta spending
    (rpact ``getDesignGroupSequential(sided = 1, typeOfDesign = "asOF", typeBetaSpending = "bsOF",
    bindingFutility = FALSE)``)."""
    rates = np.asarray(rates, dtype=float)
    crit = obrien_fleming_boundaries(rates, alpha=alpha, sided=1, adaptive=adaptive)
    spent = beta_spending_obf(beta, rates)
    shift = find_root(lambda s: _futility_bounds(rates, crit, spent, s, adaptive)[-1] - crit[-1], -4.0, 10.0)
    return SequentialDesign(rates, crit, _futility_bounds(rates, crit, spent, shift, adaptive), float(shift))
