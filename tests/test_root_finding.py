"""The statistics core's own Brent root finder gives what scipy.optimize.brentq gives: the same root,
iteration count and function calls, bit for bit (it replaces scipy.optimize only to spare its import)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from pipeline.stats.root_finding import brent_root
from pipeline.stats.tau2 import generalised_q


def _cases():
    named = [
        lambda x: x**3 - 2 * x - 5,
        lambda x: math.cos(x) - x,
        lambda x: math.exp(x) - 3,
        lambda x: (x - 1.3) ** 5,
        lambda x: math.atan(x - 0.7),
    ]
    cases = [(f, a, b) for f in named for a, b in [(0, 3), (-1, 2), (0.5, 10), (-3, 3)]]
    rng = np.random.default_rng(20261130)
    for _ in range(200):
        c = rng.normal(size=4)
        a, b = sorted(rng.uniform(-5, 5, 2))
        cases.append((lambda x, c=c: c[0] + c[1] * x + c[2] * x**2 + c[3] * x**3, a, b))
    # the functions the models solve: Paule-Mandel's Q(tau2) = k - 1 on metafor's BCG data (dat.bcg)
    yi = np.array(
        [
            -0.8893,
            -1.5854,
            -1.3481,
            -1.4416,
            -0.2175,
            -0.7861,
            -1.6209,
            0.0120,
            -0.4694,
            -1.3713,
            -0.3394,
            0.4459,
            -0.0173,
        ]
    )
    vi = np.array(
        [0.3256, 0.1946, 0.4154, 0.0200, 0.0512, 0.0069, 0.2230, 0.0040, 0.0564, 0.0730, 0.0124, 0.5325, 0.0714]
    )
    cases.append((lambda t: generalised_q(yi, vi, t) - (len(yi) - 1), 0.0, 10.0))
    return cases


@pytest.mark.parametrize(
    ("xtol", "rtol"), [(2e-12, 4 * np.finfo(float).eps), (1e-300, 4 * np.finfo(float).eps), (1e-6, 1e-6)]
)
def test_brent_root_matches_scipy_brentq_bit_for_bit(xtol, rtol):
    compared = 0
    for f, a, b in _cases():
        try:
            root, info = brentq(f, a, b, xtol=xtol, rtol=rtol, full_output=True, disp=False)
        except ValueError:
            with pytest.raises(ValueError):
                brent_root(f, a, b, xtol=xtol, rtol=rtol)
            continue
        found = brent_root(f, a, b, xtol=xtol, rtol=rtol)
        assert (found.root, found.iterations, found.function_calls, found.converged) == (
            root,
            info.iterations,
            info.function_calls,
            info.converged,
        )
        compared += 1
    assert compared >= 50


def test_brent_root_reports_no_convergence_within_maxiter_as_scipy_does():
    def f(x):
        return math.cos(x) - x

    root, info = brentq(f, 0.0, 3.0, xtol=1e-300, maxiter=2, full_output=True, disp=False)
    found = brent_root(f, 0.0, 3.0, xtol=1e-300, maxiter=2)
    assert not info.converged and not found.converged
    assert (found.root, found.iterations) == (root, info.iterations)
