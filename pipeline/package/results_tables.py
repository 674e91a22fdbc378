"""Each outcome's results as two CSV tables for the data download: per trial, and per pooled model.

Read from the typed results (the analysis stage writes JSON only); text cells go through the CSV
writer (:mod:`pipeline.present.to_csv`), which neutralises spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io

from pipeline.present.to_csv import neutralise_row
from pipeline.results.contract import FitSummary, OutcomeResult, to_display
from pipeline.results.serialise import to_jsonable


def study_csv(result: OutcomeResult) -> str:
    buf = io.StringIO()
    fields = [
        "study_id", "label", "design", "timepoint_days", "n_t", "n_c", "events_t", "events_c",
        "mean_t", "sd_t", "mean_c", "sd_c", "conversion_t", "conversion_c", "yi", "vi",
        "effect", "effect_ci_lower", "effect_ci_upper", *(f"weight_{m}" for m in result.fits), "check", "source",
    ]  # fmt: skip
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for s in result.studies:
        row = {
            "study_id": s.study_id,
            "label": s.label,
            "design": s.design,
            "timepoint_days": s.timepoint_days,
            "n_t": s.treatment.n,
            "n_c": s.control.n,
            "events_t": s.treatment.events,
            "events_c": s.control.events,
            "mean_t": s.treatment.mean,
            "sd_t": s.treatment.sd,
            "mean_c": s.control.mean,
            "sd_c": s.control.sd,
            "conversion_t": s.treatment.conversion,
            "conversion_c": s.control.conversion,
            "yi": s.yi,
            "vi": s.vi,
            "effect": to_display(result.measure, s.yi),
            "effect_ci_lower": to_display(result.measure, s.ci_lower),
            "effect_ci_upper": to_display(result.measure, s.ci_upper),
            **{f"weight_{m}": s.weights.get(m) for m in result.fits},
            "check": s.check,
            "source": s.source,
        }
        writer.writerow(neutralise_row(row))
    return buf.getvalue()


def pooled_csv(result: OutcomeResult) -> str:
    buf = io.StringIO()
    fields = ["model", "status", "method", "hksj", "k", "estimate", "se", "ci_lower", "ci_upper", "effect",
              "effect_ci_lower", "effect_ci_upper", "pvalue", "tau2", "i2", "q", "q_df", "q_pvalue",
              "pi_lower", "pi_upper", "headline", "reason"]  # fmt: skip
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for name, fit in result.fits.items():
        row = to_jsonable(fit)
        row["headline"] = "yes" if name == result.headline_model else "no"
        if not isinstance(fit, FitSummary):
            row["reason"] = fit.reason
        writer.writerow(neutralise_row(row))
    return buf.getvalue()
