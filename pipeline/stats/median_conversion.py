"""Estimate a sample mean and SD from a median with IQR and/or range.

Trials report length of stay as medians; pooling MD/SMD needs means and SDs. Scenarios
(Wan et al. 2014): S1 = {min, median, max}, S2 = {q1, median, q3}, S3 = all five.

Mean (Luo D, Wan X, Liu J, Tong T. Stat Methods Med Res 2018;27:1785-1805):
  S1: ``w (a+b)/2 + (1-w) m``, ``w = 4 / (4 + n^0.75)``
  S2: ``(0.7 + 0.39/n) (q1+q3)/2 + (0.3 - 0.39/n) m``
  S3: ``w1 (a+b)/2 + w2 (q1+q3)/2 + (1-w1-w2) m``, ``w1 = 2.2/(2.2 + n^0.75)``, ``w2 = 0.7 - 0.72/n^0.55``
SD (Wan X, Wang W, Liu J, Tong T. BMC Med Res Methodol 2014;14:135 for S1 and S2;
Shi J et al. Res Synth Methods 2020;11:641-654 for S3):
  S1: ``(b - a) / xi(n)``, ``xi(n) = 2 Phi^-1((n - 0.375)/(n + 0.25))``
  S2: ``(q3 - q1) / eta(n)``, ``eta(n) = 2 Phi^-1((0.75 n - 0.125)/(n + 0.25))``
  S3: ``(b - a)/theta1(n) + (q3 - q1)/theta2(n)`` with
      ``theta1 = (2 + 0.14 n^0.6) Phi^-1((n - 0.375)/(n + 0.25))``,
      ``theta2 = (2 + 2/(0.07 n^0.6)) Phi^-1((0.75 n - 0.125)/(n + 0.25))``
These are the defaults of metafor's ``conv.fivenum`` (``method="default"``), against which
the tests check them. All methods assume roughly normal data; skewed outcomes such as
length of stay make the estimates approximate, which the methods page says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri


@dataclass(frozen=True)
class EstimatedMoments:
    mean: np.ndarray
    sd: np.ndarray
    scenario: str  # "S1", "S2" or "S3"
    method: str  # human-readable, recorded beside the value


def _xi(n):
    return 2 * ndtri((n - 0.375) / (n + 0.25))


def _eta(n):
    return 2 * ndtri((0.75 * n - 0.125) / (n + 0.25))


def mean_sd_from_median(n, median, q1=None, q3=None, minimum=None, maximum=None) -> EstimatedMoments:
    """Mean and SD from the five-number summary, choosing the scenario from what is given."""
    n = np.asarray(n, dtype=float)
    m = np.asarray(median, dtype=float)
    has_iqr = q1 is not None and q3 is not None
    has_range = minimum is not None and maximum is not None
    if has_iqr and has_range:
        a, b = np.asarray(minimum, float), np.asarray(maximum, float)
        lo, hi = np.asarray(q1, float), np.asarray(q3, float)
        w1 = 2.2 / (2.2 + n**0.75)
        w2 = 0.7 - 0.72 / n**0.55
        mean = w1 * (a + b) / 2 + w2 * (lo + hi) / 2 + (1 - w1 - w2) * m
        z1 = ndtri((n - 0.375) / (n + 0.25))
        z2 = ndtri((0.75 * n - 0.125) / (n + 0.25))
        sd = (b - a) / ((2 + 0.14 * n**0.6) * z1) + (hi - lo) / ((2 + 2 / (0.07 * n**0.6)) * z2)
        return EstimatedMoments(mean, sd, "S3", "mean: Luo 2018 (S3); SD: Shi 2020 (S3)")
    if has_iqr:
        lo, hi = np.asarray(q1, float), np.asarray(q3, float)
        mean = (0.7 + 0.39 / n) * (lo + hi) / 2 + (0.3 - 0.39 / n) * m
        return EstimatedMoments(mean, (hi - lo) / _eta(n), "S2", "mean: Luo 2018 (S2); SD: Wan 2014 (S2)")
    if has_range:
        a, b = np.asarray(minimum, float), np.asarray(maximum, float)
        w = 4 / (4 + n**0.75)
        mean = w * (a + b) / 2 + (1 - w) * m
        return EstimatedMoments(mean, (b - a) / _xi(n), "S1", "mean: Luo 2018 (S1); SD: Wan 2014 (S1)")
    raise ValueError("a median needs an IQR (q1, q3) or a range (min, max) to estimate a mean and SD")


@dataclass(frozen=True)
class SkewnessTest:
    statistic: float
    critical: float
    scenario: str

    @property
    def skewed(self) -> bool:
        return self.statistic >= self.critical


def skewness_test(n, median, q1=None, q3=None, minimum=None, maximum=None) -> SkewnessTest:
    """Shi et al. (2023) tests for skewness from the five-number summary, as metafor ``conv.fivenum``
    applies them before converting (``test=TRUE``, the default):

    - S1 {min, median, max}: ``|a + b - 2m| / (b - a) >= 1/log(n + 9) + 2.5/(n + 1)``
    - S2 {q1, median, q3}: ``|q1 + q3 - 2m| / (q3 - q1) >= 2.65/sqrt(n) - 6/n^2``
    - S3 all five: ``max(2.65 log(0.6 n)/sqrt(n) |a + b - 2m|/(b - a), |q1 + q3 - 2m|/(q3 - q1))
      >= 3/sqrt(n) - 40/n^3``

    Shi J, Luo D, Wan X, et al. Stat Methods Med Res 2023;32(7):1338-1360.
    """
    n = float(n)
    m = float(median)
    has_iqr = q1 is not None and q3 is not None
    has_range = minimum is not None and maximum is not None
    if has_iqr and has_range:
        a, b, lo, hi = float(minimum), float(maximum), float(q1), float(q3)
        t_range = abs((a + b - 2 * m) / (b - a)) if b > a else 0.0
        t_iqr = abs((lo + hi - 2 * m) / (hi - lo)) if hi > lo else 0.0
        stat = max(2.65 * np.log(0.6 * n) / np.sqrt(n) * t_range, t_iqr)
        return SkewnessTest(float(stat), float(3 / np.sqrt(n) - 40 / n**3), "S3")
    if has_iqr:
        lo, hi = float(q1), float(q3)
        stat = abs((lo + hi - 2 * m) / (hi - lo)) if hi > lo else 0.0
        return SkewnessTest(float(stat), float(2.65 / np.sqrt(n) - 6 / n**2), "S2")
    if has_range:
        a, b = float(minimum), float(maximum)
        stat = abs((a + b - 2 * m) / (b - a)) if b > a else 0.0
        return SkewnessTest(float(stat), float(1 / np.log(n + 9) + 2.5 / (n + 1)), "S1")
    raise ValueError("a skewness test needs an IQR (q1, q3) or a range (min, max)")
