"""Numbers as text: the one place that decides how an effect, an interval, a p-value or a count is
printed, so the same number reads the same in a forest plot, a table, a sentence and the brief.

Rules
-----
- Effects and interval bounds: two decimals (``0.41``). Ratio bounds outside 0.001-1000 (the
  widest axis of a RevMan forest plot) print as ``<0.001`` / ``>1000`` instead of digits that mean
  nothing; an undefined bound prints ``not estimable``. Negative numbers use the minus sign.
- P-values: ``<0.001``; three decimals below 0.01; otherwise two (``0.03``, ``0.12``), as the
  Cochrane Handbook's reporting examples do.
- Percentages without decimals (weights keep one), counts with a thousands separator.
"""

from __future__ import annotations

import math

from pipeline.stats.measures import MEASURES

MINUS = "\u2212"
RATIO_MIN, RATIO_MAX = 0.001, 1000.0


def _finite(x: float | None) -> bool:
    return x is not None and isinstance(x, int | float) and math.isfinite(x)


def number(x: float | None, digits: int = 2) -> str:
    if not _finite(x):
        return "not estimable"
    text = f"{x:.{digits}f}"
    if text.startswith("-"):
        text = MINUS + text[1:] if float(text) != 0 else text[1:]  # "-0.00" reads as 0.00
    return text


def effect(x: float | None, ratio: bool, digits: int = 2) -> str:
    """A point estimate or bound of an effect measure."""
    if not _finite(x):
        return "not estimable"
    if ratio:
        if x < RATIO_MIN:  # type: ignore[operator]
            return f"<{RATIO_MIN:g}"
        if x > RATIO_MAX:  # type: ignore[operator]
            return f">{RATIO_MAX:g}"
        if x < 0.01:  # type: ignore[operator]
            return f"{x:.3f}"
    return number(x, digits)


def effect_ci(est: float | None, lo: float | None, hi: float | None, ratio: bool, style: str = "brackets") -> str:
    """``0.41 [0.09, 1.83]`` (forest plots and result tables, as RevMan) or ``0.41 (0.09 to 1.83)`` (text, SoF)."""
    if not (_finite(est) and _finite(lo) and _finite(hi)):
        return "not estimable"
    a, b, c = effect(est, ratio), effect(lo, ratio), effect(hi, ratio)
    return f"{a} [{b}, {c}]" if style == "brackets" else f"{a} ({b} to {c})"


def interval(lo: float | None, hi: float | None, ratio: bool) -> str:
    if not (_finite(lo) and _finite(hi)):
        return "not estimable"
    return f"{effect(lo, ratio)} to {effect(hi, ratio)}"


def p_value(p: float | None) -> str:
    if not _finite(p):
        return "not computable"
    if p < 0.001:  # type: ignore[operator]
        return "<0.001"
    if p < 0.01:  # type: ignore[operator]
        return f"{p:.3f}"
    return f"{p:.2f}"


def p_equals(p: float | None) -> str:
    """``P = 0.03`` or ``P < 0.001``."""
    text = p_value(p)
    return f"P {text}" if text.startswith("<") else f"P = {text}"


def percent(x: float | None, digits: int = 0) -> str:
    return "—" if not _finite(x) else f"{x:.{digits}f}%"


def weight(x: float | None) -> str:
    return percent(x, 1)


def count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def per_1000(x: float | None) -> str:
    return "—" if not _finite(x) else f"{round(x):,}"  # type: ignore[arg-type]


def signed_per_1000(x: float | None) -> str:
    if not _finite(x):
        return "—"
    value = round(x)  # type: ignore[arg-type]
    if value == 0:
        return "0"
    return f"{value:,}" if value > 0 else f"{MINUS}{abs(value):,}"


def tau2(x: float | None) -> str:
    return number(x, 3) if _finite(x) else "—"


def z_value(x: float | None) -> str:
    return number(x, 2)


def measure_name(code: str) -> str:
    return MEASURES[code].name if code in MEASURES else code


def spell_count(n: int, noun: str, plural: str | None = None) -> str:
    """'One trial', 'Two trials', '12 trials' (sentence start)."""
    words = ["No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"]
    head = words[n] if 0 <= n < len(words) else f"{n:,}"
    return f"{head} {noun if n == 1 else (plural or noun + 's')}"
