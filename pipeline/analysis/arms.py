"""The two arms of a trial as analysed: counts, or means and SDs (estimated from medians where needed)."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.results.contract import Arm
from pipeline.review.config import MedianConversion
from pipeline.stats.median_conversion import mean_sd_from_median, skewness_test

ARM_NAMES = {"t": "intervention", "c": "comparator"}


@dataclass(frozen=True)
class SkewedArm:
    """An arm whose median and quartiles fail the skewness test and is therefore not converted."""

    arm: str
    reason: str


def binary_arm(row: dict, arm: str) -> Arm:
    return Arm(n=int(row[f"n_{arm}"]), events=int(row[f"events_{arm}"]))


def _summary(row: dict, arm: str) -> str:
    parts = [f"median {row[f'median_{arm}']:g}"]
    if row[f"q1_{arm}"] is not None and row[f"q3_{arm}"] is not None:
        parts.append(f"IQR {row[f'q1_{arm}']:g}-{row[f'q3_{arm}']:g}")
    if row[f"min_{arm}"] is not None and row[f"max_{arm}"] is not None:
        parts.append(f"range {row[f'min_{arm}']:g}-{row[f'max_{arm}']:g}")
    return ", ".join(parts) + f", n {row[f'n_{arm}']}"


def continuous_arm(row: dict, arm: str, rule: MedianConversion, arm_label: str) -> Arm | SkewedArm:
    """Reported mean and SD, or estimated from the median (Luo 2018; Wan 2014; Shi 2020) after
    metafor's test for skewness (Shi 2023); a skewed arm is not converted unless the review asks."""
    n = int(row[f"n_{arm}"])
    if row[f"mean_{arm}"] is not None and row[f"sd_{arm}"] is not None:
        return Arm(n=n, mean=float(row[f"mean_{arm}"]), sd=float(row[f"sd_{arm}"]))
    quantiles = {
        "q1": row[f"q1_{arm}"],
        "q3": row[f"q3_{arm}"],
        "minimum": row[f"min_{arm}"],
        "maximum": row[f"max_{arm}"],
    }
    flag = ""
    if rule.skewness_test:
        test = skewness_test(n, row[f"median_{arm}"], **quantiles)
        if test.skewed:
            why = (
                f"{arm_label} arm ({_summary(row, arm)}) is skewed by the test of Shi et al. 2023 "
                f"(statistic {test.statistic:.2f} >= critical value {test.critical:.2f})"
            )
            if not rule.convert_skewed:
                return SkewedArm(arm, why + "; its median is not converted to a mean (metafor conv.fivenum default)")
            flag = " - skewed arm converted anyway (review.yaml: convert_skewed)"
    est = mean_sd_from_median(n, row[f"median_{arm}"], **quantiles)
    return Arm(
        n=n, mean=float(est.mean), sd=float(est.sd), conversion=f"estimated from the median ({est.method}){flag}"
    )
