"""RevMan's effect measures and pooling methods in this project's words."""

from __future__ import annotations

RATIO_MEASURES = ("RR", "OR", "HR", "Peto OR", "IRR", "ROM")
MEASURE_NAMES = {
    "RR": "RR", "RISK RATIO": "RR", "RELATIVE RISK": "RR",
    "OR": "OR", "ODDS RATIO": "OR",
    "PETO_OR": "Peto OR", "PETO OR": "Peto OR", "PETO ODDS RATIO": "Peto OR",
    "RD": "RD", "RISK DIFFERENCE": "RD",
    "HR": "HR", "HAZARD RATIO": "HR",
    "MD": "MD", "MEAN DIFFERENCE": "MD",
    "SMD": "SMD", "STD. MEAN DIFFERENCE": "SMD", "STANDARDISED MEAN DIFFERENCE": "SMD", "STANDARDIZED MEAN DIFFERENCE": "SMD",
    "IRR": "IRR", "RATE RATIO": "IRR", "INCIDENCE RATE RATIO": "IRR",
    "ROM": "ROM", "RATIO OF MEANS": "ROM",
}  # fmt: skip
FIXED_METHODS = {"MH": "MH", "IV": "FE", "PETO": "PETO"}  # RevMan METHOD -> review.yaml analysis.fixed


def measure_name(revman_measure: str) -> str:
    """``Hazard Ratio`` -> ``HR``; unknown names are kept as written."""
    text = " ".join(revman_measure.split())
    return MEASURE_NAMES.get(text.upper(), text)


def is_ratio(measure: str, log_data: str) -> bool:
    return log_data.upper() == "YES" or measure in RATIO_MEASURES


def fixed_method(kind: str, revman_method: str) -> str:
    """The fixed-effect model RevMan used: MH, FE (inverse variance) or PETO; continuous and generic data are IV."""
    if kind != "DICH":
        return "FE"
    return FIXED_METHODS.get(revman_method.upper(), "MH")
