"""The few distribution functions the models need, as scipy.special ufuncs.

``scipy.stats`` distribution objects validate their arguments on every call (tens of
microseconds each), which dominated the time of a small fit; these are the same functions
(Cephes, via scipy.special) without that overhead.
"""

from __future__ import annotations

import math

from scipy import special

Z_975 = 1.959963984540054  # standard normal 97.5% quantile, special.ndtri(0.975)


def normal_two_sided_p(z: float) -> float:
    """2 P(Z > |z|)."""
    return float(2 * special.ndtr(-abs(z)))


def t_two_sided_p(t: float, df: float) -> float:
    """2 P(T_df > |t|)."""
    return float(2 * special.stdtr(df, -abs(t)))


def t_quantile_975(df: float) -> float:
    """97.5% quantile of Student's t with ``df`` degrees of freedom."""
    return float(special.stdtrit(df, 0.975))


def chi2_upper_tail(q: float, df: float) -> float:
    """P(X^2_df > q)."""
    return float(special.chdtrc(df, q)) if df > 0 else math.nan
