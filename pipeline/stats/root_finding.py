"""Brent's method for a root of a function on a bracket, as scipy.optimize.brentq computes it.

The algorithm is Brent (1973), *Algorithms for Minimization without Derivatives*, ch. 4 (the
netlib ``zeroin``), in the form of scipy's C implementation (``scipy/optimize/Zeros/brentq.c``):
inverse quadratic extrapolation or secant steps, falling back to bisection, until half the
bracket is below ``(xtol + rtol |x|) / 2``. Written out here, step for step, because importing
``scipy.optimize`` takes longer than the whole analysis of an edited outcome; the parity test
(tests/test_root_finding.py) checks roots and iteration counts against scipy on the same functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

RTOL_DEFAULT = 4 * 2.220446049250313e-16  # scipy's default rtol: 4 machine epsilons


@dataclass(frozen=True)
class RootResult:
    root: float
    iterations: int
    function_calls: int
    converged: bool


def brent_root(
    f: Callable[[float], float],
    a: float,
    b: float,
    xtol: float = 2e-12,
    rtol: float = RTOL_DEFAULT,
    maxiter: int = 100,
) -> RootResult:
    """A root of ``f`` in [a, b], where f(a) and f(b) differ in sign (scipy.optimize.brentq's defaults).

    Raises ValueError when f(a) and f(b) have the same sign.
    """
    xpre, xcur = float(a), float(b)
    xblk = fblk = spre = scur = 0.0
    fpre, fcur = float(f(xpre)), float(f(xcur))
    calls = 2
    if fpre == 0:
        return RootResult(xpre, 0, calls, True)
    if fcur == 0:
        return RootResult(xcur, 0, calls, True)
    if math.copysign(1.0, fpre) == math.copysign(1.0, fcur):
        raise ValueError("f(a) and f(b) must have different signs")
    for iteration in range(1, maxiter + 1):
        if fpre != 0 and fcur != 0 and math.copysign(1.0, fpre) != math.copysign(1.0, fcur):
            xblk, fblk = xpre, fpre
            spre = scur = xcur - xpre
        if abs(fblk) < abs(fcur):
            xpre, xcur, xblk = xcur, xblk, xcur
            fpre, fcur, fblk = fcur, fblk, fcur
        delta = (xtol + rtol * abs(xcur)) / 2
        sbis = (xblk - xcur) / 2
        if fcur == 0 or abs(sbis) < delta:
            return RootResult(xcur, iteration, calls, True)
        if abs(spre) > delta and abs(fcur) < abs(fpre):
            if xpre == xblk:  # interpolate (secant)
                stry = -fcur * (xcur - xpre) / (fcur - fpre)
            else:  # extrapolate (inverse quadratic)
                dpre = (fpre - fcur) / (xpre - xcur)
                dblk = (fblk - fcur) / (xblk - xcur)
                stry = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            if 2 * abs(stry) < min(abs(spre), 3 * abs(sbis) - delta):  # good short step
                spre, scur = scur, stry
            else:  # bisect
                spre = scur = sbis
        else:  # bisect
            spre = scur = sbis
        xpre, fpre = xcur, fcur
        xcur += scur if abs(scur) > delta else (delta if sbis > 0 else -delta)
        fcur = float(f(xcur))
        calls += 1
    return RootResult(xcur, maxiter, calls, False)
