"""Per-study effect sizes and sampling variances (metafor's ``escalc``).

Binary outcomes (2x2 tables, arm 1 = treatment, arm 2 = control):

- ``RR`` log risk ratio: ``yi = log((ai/n1i) / (ci/n2i))``,
  ``vi = 1/ai - 1/n1i + 1/ci - 1/n2i``.
- ``OR`` log odds ratio: ``yi = log(ai*di / (bi*ci))``, ``vi = 1/ai + 1/bi + 1/ci + 1/di``.
- ``RD`` risk difference: ``yi = ai/n1i - ci/n2i``,
  ``vi = p1(1-p1)/n1i + p2(1-p2)/n2i``.
- ``PETO`` Peto's log odds ratio: ``yi = (ai - Ei)/Vi``, ``vi = 1/Vi``.

Zero cells: ``add`` is added to all four cells of a table when ``to="only0"`` and
the table has a zero cell (metafor's default ``add=1/2, to="only0"``); double-zero
tables (no events, or only events, in both arms) are kept unless ``drop00=True``
(metafor's ``escalc`` default is ``drop00=FALSE``; ``rma.mh`` and ``rma.peto`` pass
``drop00=TRUE`` for the per-study values they use in Q).

Continuous outcomes:

- ``MD`` raw mean difference, ``vi = sd1^2/n1 + sd2^2/n2`` (metafor's default
  ``vtype="LS"``, which does not assume equal variances).
- ``SMD`` Hedges' g with the exact bias correction
  ``c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))``, ``m = n1 + n2 - 2``, and
  ``vi = 1/n1 + 1/n2 + yi^2 / (2 (n1 + n2))`` (metafor ``escalc`` docs, "Measures
  for Quantitative Variables"; Hedges 1981).

Source: Viechtbauer W (2010) J Stat Softw 36(3); metafor documentation of ``escalc``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from pipeline.stats.measures import measures_for

BINARY_MEASURES = measures_for("binary")
CONTINUOUS_MEASURES = measures_for("continuous")


@dataclass(frozen=True)
class TwoByTwo:
    """Cell counts of k 2x2 tables: events/non-events in treatment (a, b) and control (c, d)."""

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray

    @classmethod
    def from_arms(cls, events_t, n_t, events_c, n_c) -> TwoByTwo:
        a = np.asarray(events_t, dtype=float)
        c = np.asarray(events_c, dtype=float)
        return cls(a, np.asarray(n_t, dtype=float) - a, c, np.asarray(n_c, dtype=float) - c)

    @property
    def n1(self) -> np.ndarray:
        return self.a + self.b

    @property
    def n2(self) -> np.ndarray:
        return self.c + self.d

    @property
    def has_zero_cell(self) -> np.ndarray:
        return (self.a == 0) | (self.b == 0) | (self.c == 0) | (self.d == 0)

    @property
    def is_double_zero(self) -> np.ndarray:
        """No events in either arm, or only events in both arms."""
        return ((self.a == 0) & (self.c == 0)) | ((self.b == 0) & (self.d == 0))

    def with_continuity_correction(self, add: float = 0.5, to: str = "only0") -> TwoByTwo:
        """Add ``add`` to the cells as metafor's ``to`` argument says ("all", "only0", "if0all", "none")."""
        if to == "none" or add == 0:
            return self
        if to == "all":
            mask = np.ones_like(self.a, dtype=bool)
        elif to == "only0":
            mask = self.has_zero_cell
        elif to == "if0all":
            mask = np.full_like(self.a, bool(self.has_zero_cell.any()), dtype=bool)
        else:
            raise ValueError(f"unknown 'to' value {to!r}: use all, only0, if0all or none")
        shift = np.where(mask, add, 0.0)
        return TwoByTwo(self.a + shift, self.b + shift, self.c + shift, self.d + shift)


@dataclass(frozen=True)
class EffectSizes:
    """Per-study estimates ``yi`` and sampling variances ``vi``; NaN where a study was dropped."""

    measure: str
    yi: np.ndarray
    vi: np.ndarray

    @property
    def usable(self) -> np.ndarray:
        return np.isfinite(self.yi) & np.isfinite(self.vi)


def binary_effect_sizes(
    measure: str,
    table: TwoByTwo,
    add: float = 0.5,  # metafor escalc default
    to: str = "only0",  # add only to tables with a zero cell
    drop00: bool = False,  # escalc keeps double-zero tables; rma.mh/rma.peto drop them
) -> EffectSizes:
    """Effect sizes for 2x2 tables with metafor's ``escalc`` zero-cell conventions."""
    if measure not in (*BINARY_MEASURES, "PETO"):
        raise ValueError(f"unknown binary measure {measure!r}: use RR, OR, RD or PETO")
    dropped = table.is_double_zero if drop00 else np.zeros_like(table.a, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "PETO":
            # escalc applies no continuity correction for PETO
            n = table.n1 + table.n2
            events = table.a + table.c
            non_events = table.b + table.d
            expected = events * table.n1 / n
            variance = events * non_events * (table.n1 / n) * (table.n2 / n) / (n - 1)
            yi = (table.a - expected) / variance
            vi = 1.0 / variance
        else:
            t = table.with_continuity_correction(add, to)
            n1, n2 = t.n1, t.n2
            if measure == "RR":
                yi = np.log(t.a / n1) - np.log(t.c / n2)
                vi = 1 / t.a - 1 / n1 + 1 / t.c - 1 / n2
            elif measure == "OR":
                yi = np.log(t.a * t.d / (t.b * t.c))
                vi = 1 / t.a + 1 / t.b + 1 / t.c + 1 / t.d
            else:  # RD
                p1, p2 = t.a / n1, t.c / n2
                yi = p1 - p2
                vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    yi = np.where(dropped, np.nan, yi)
    vi = np.where(dropped, np.nan, vi)
    return EffectSizes(measure, yi, vi)


def hedges_correction(df: np.ndarray) -> np.ndarray:
    """Exact small-sample correction ``Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))`` (Hedges 1981)."""
    df = np.asarray(df, dtype=float)
    return np.exp(gammaln(df / 2) - 0.5 * np.log(df / 2) - gammaln((df - 1) / 2))


def continuous_effect_sizes(measure: str, mean_t, sd_t, n_t, mean_c, sd_c, n_c) -> EffectSizes:
    """Mean difference or Hedges' g from arm-level means, SDs and sizes (metafor ``escalc``)."""
    m1, s1, n1 = (np.asarray(x, dtype=float) for x in (mean_t, sd_t, n_t))
    m2, s2, n2 = (np.asarray(x, dtype=float) for x in (mean_c, sd_c, n_c))
    if measure == "MD":
        return EffectSizes("MD", m1 - m2, s1**2 / n1 + s2**2 / n2)
    if measure == "SMD":
        df = n1 + n2 - 2
        pooled_sd = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / df)
        yi = hedges_correction(df) * (m1 - m2) / pooled_sd
        vi = 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))
        return EffectSizes("SMD", yi, vi)
    raise ValueError(f"unknown continuous measure {measure!r}: use MD or SMD")
