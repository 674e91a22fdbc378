"""The effect measures and the pooling methods: one entry per measure or method, asked by every stage.

As metafor's ``escalc`` owns its measures (what is a ratio, what is the null, how a value is
back-transformed) and ``rma`` and ``forest`` ask it, a :class:`Measure` here says everything the
pipeline needs to know about one: its name, whether it is analysed on the log scale, its null
value, which outcome types can use it, and whether a summary of findings can show absolute effects
from an assumed control risk (and by which formula). A new measure is one entry of :data:`MEASURES`.

Absolute effects (Cochrane Handbook v6.4, 14.1.5; GRADEpro): for a risk ratio the corresponding risk
is ``ACR x RR``; for an odds ratio ``OR ACR / (1 - ACR + OR ACR)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

OutcomeType = Literal["binary", "continuous"]
AbsoluteEffect = Literal["risk ratio", "odds ratio", "mean", ""]


@dataclass(frozen=True)
class Measure:
    code: str  # as metafor's escalc names it: RR, OR, RD, MD, SMD
    name: str  # in words: "risk ratio"
    ratio: bool  # analysed on the log scale, shown back-transformed
    outcome_types: tuple[OutcomeType, ...]
    absolute_effect: AbsoluteEffect = ""  # how a summary of findings turns it into an absolute effect

    @property
    def null(self) -> float:
        """No effect on the scale a reader sees (1 for ratios, 0 for differences)."""
        return 1.0 if self.ratio else 0.0

    def to_natural(self, value: float | None) -> float | None:
        """A value on the analysis scale (log for ratios) on the scale a reader sees; None for missing/NaN."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return math.exp(value) if self.ratio else value

    @property
    def has_absolute_risks(self) -> bool:
        """A summary of findings shows risks per 1000 from an assumed control risk."""
        return self.absolute_effect in ("risk ratio", "odds ratio")

    def corresponding_risk(self, assumed_risk: float, effect: float) -> float:
        """The intervention group's risk for an assumed control risk and an effect on the natural scale."""
        if self.absolute_effect == "risk ratio":
            return assumed_risk * effect
        if self.absolute_effect == "odds ratio":
            return effect * assumed_risk / (1 - assumed_risk + effect * assumed_risk)
        raise ValueError(f"absolute risks are not defined for the {self.name}")


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure("RR", "risk ratio", True, ("binary",), "risk ratio"),
        Measure("OR", "odds ratio", True, ("binary",), "odds ratio"),
        Measure("RD", "risk difference", False, ("binary",)),
        Measure("MD", "mean difference", False, ("continuous",), "mean"),
        Measure("SMD", "standardised mean difference", False, ("continuous",)),
    )
}


def measure(code: str) -> Measure:
    try:
        return MEASURES[code]
    except KeyError:
        raise ValueError(f"unknown measure {code!r}: use one of {', '.join(MEASURES)}") from None


def measures_for(outcome_type: str) -> tuple[str, ...]:
    """The codes of the measures an outcome type can use, in the order of :data:`MEASURES`."""
    return tuple(code for code, m in MEASURES.items() if outcome_type in m.outcome_types)


# --- pooling methods (metafor's method codes) ------------------------------------------------------
FIXED_METHODS = ("FE", "MH", "PETO")  # FE: inverse variance (rma.uni); MH: rma.mh; PETO: rma.peto
COUNT_METHODS = ("MH", "PETO")  # need the 2x2 tables themselves, not yi/vi
METHOD_WORDS = {
    "FE": "inverse-variance",
    "MH": "Mantel-Haenszel",
    "PETO": "Peto",
    "DL": "DerSimonian-Laird",
    "REML": "restricted maximum likelihood (REML)",
    "PM": "Paule-Mandel",
    "ML": "maximum likelihood",
    "SJ": "Sidik-Jonkman",
    "HE": "Hedges",
}


def is_random_method(method: str) -> bool:
    return method not in FIXED_METHODS
