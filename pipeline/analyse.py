"""Analysis stage: validated data -> ``build/results/<outcome>.json`` and CSV tables.

For each outcome in ``review.yaml``: pick each trial's row at the outcome's time point,
compute per-study effects, the fixed (MH) and random-effects (REML, with and without
HKSJ) fits, subgroups, leave-one-out, cumulative by publication date and Egger's test
(reported only for k >= 10). Nothing here reads or writes anything but files.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
import platform
import shutil
import tempfile
from pathlib import Path

import numpy as np
import scipy

from pipeline.inputs.load import ReviewData, load_review_data
from pipeline.stats.conventions import get_convention
from pipeline.stats.effect_sizes import binary_effect_sizes, continuous_effect_sizes
from pipeline.stats.median_conversion import mean_sd_from_median
from pipeline.stats.meta_analysis import BinaryData, ContinuousData, meta_analysis
from pipeline.stats.models import MetaFit, PoolingError, prediction_interval_t_k_minus_2
from pipeline.stats.sensitivity import cumulative, egger_test, leave_one_out, subgroup_analysis

RATIO_MEASURES = ("RR", "OR")
SUBGROUP_VARIABLES = {"design": "design", "msc_source_group": "MSC source"}


def select_rows(data: ReviewData, outcome: dict) -> tuple[list[dict], list[dict]]:
    """Rows analysed for an outcome (one per trial) and the trials without usable data, with why.

    Rows come from ``outcome['rows_from']`` (default: the outcome's own key). A row is usable when
    its counts are present, its check is not ``unverified`` and its day lies in the window; rows with
    no day count are usable only when the time point says ``accept_undated`` and are then taken as
    end-of-study counts (longest follow-up).
    """
    tp = outcome["timepoint"]
    lo, hi = tp["min_days"], tp["max_days"]
    accept_undated = bool(tp.get("accept_undated", False))
    source_key = outcome.get("rows_from", outcome["key"])
    by_study: dict[str, list[dict]] = {}
    for row in data.outcomes:
        if row["outcome"] == source_key:
            by_study.setdefault(row["study_id"], []).append(row)

    numbers = "events_t" if outcome["type"] == "binary" else "n_t"

    def usable(r: dict) -> bool:
        if r[numbers] is None or r["check"] == "unverified":
            return False
        if r["timepoint_days"] is None:
            return accept_undated
        return lo <= r["timepoint_days"] <= hi

    def follow_up(r: dict) -> float:
        return math.inf if r["timepoint_days"] is None else r["timepoint_days"]

    chosen, missing = [], []
    for study in data.studies:
        sid = study["study_id"]
        rows = by_study.get(sid, [])
        candidates = [r for r in rows if usable(r)]
        if candidates:
            if tp.get("select", "closest") == "longest":
                pick = max(candidates, key=follow_up)
            else:
                pick = min(
                    candidates, key=lambda r: (abs(r["timepoint_days"] - tp["target_days"]), r["timepoint_days"])
                )
            chosen.append(pick)
            continue
        if not rows:
            reason = "outcome not reported"
        elif all(r[numbers] is None or r["check"] == "unverified" for r in rows):
            reason = "numbers could not be verified: " + "; ".join(r["note"] for r in rows if r["note"])
        else:
            days = ", ".join(
                "a time point the source does not state"
                if r["timepoint_days"] is None
                else f"day {r['timepoint_days']}"
                for r in rows
            )
            reason = f"reported only at {days}; this analysis needs days {lo}-{hi}"
        missing.append({"study_id": sid, "label": study["label"], "reason": reason})
    order = {s["study_id"]: (s["date_published"], s["study_id"]) for s in data.studies}
    chosen.sort(key=lambda r: order[r["study_id"]])
    return chosen, missing


def _ratio(measure: str, value: float) -> float:
    return math.exp(value) if measure in RATIO_MEASURES else value


def fit_summary(fit: MetaFit | str, measure: str) -> dict:
    """A fit as JSON: log-scale fields as in metafor plus back-transformed ones; or the reason it failed."""
    if isinstance(fit, str):
        return {"error": fit}
    out = fit.as_dict()
    pi_lo, pi_hi = prediction_interval_t_k_minus_2(fit)
    out["pi_t_k2_lower"], out["pi_t_k2_upper"] = pi_lo, pi_hi
    for key in ("estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper", "pi_t_k2_lower", "pi_t_k2_upper"):
        out[f"{key}_display"] = _ratio(measure, out[key])  # back-transformed for ratio measures
    return out


def _json_safe(obj):
    if isinstance(obj, float):
        return None if not math.isfinite(obj) else obj
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        return _json_safe(obj.item())
    return obj


def arm_moments(row: dict, arm: str) -> dict:
    """Mean and SD of one arm as reported, or estimated from the median (Luo 2018; Wan 2014; Shi 2020),
    with the conversion recorded beside the value it produced."""
    if row[f"mean_{arm}"] is not None and row[f"sd_{arm}"] is not None:
        return {"mean": row[f"mean_{arm}"], "sd": row[f"sd_{arm}"], "conversion": "reported mean and SD"}
    est = mean_sd_from_median(
        row[f"n_{arm}"],
        row[f"median_{arm}"],
        q1=row[f"q1_{arm}"],
        q3=row[f"q3_{arm}"],
        minimum=row[f"min_{arm}"],
        maximum=row[f"max_{arm}"],
    )
    return {"mean": float(est.mean), "sd": float(est.sd), "conversion": f"estimated from the median ({est.method})"}


def analyse_outcome(data: ReviewData, outcome: dict) -> dict:
    settings = data.review["analysis"]
    measure = outcome["measure"]
    convention = settings.get("convention", "metafor")
    rows, missing = select_rows(data, outcome)
    result: dict = {
        "outcome": {
            k: outcome.get(k)
            for k in ("key", "label", "short_label", "type", "measure", "lower_is_better", "timepoint", "rows_from")
        },
        "convention": convention,
        "convention_description": get_convention(convention).describe(),
        "models": {"fixed": settings["fixed"], "random": settings["random"], "hksj": settings["hksj"]},
        "k": len(rows),
        "studies": [],
        "not_analysed": missing,
    }
    if not rows:
        result["message"] = "No trial reported usable data for this outcome; nothing was pooled."
        return result
    binary = outcome["type"] == "binary"
    if binary:
        columns = ("events_t", "n_t", "events_c", "n_c")
        arrays = {c: np.array([r[c] for r in rows], dtype=float) for c in columns}
        table = BinaryData(*(arrays[c] for c in columns)).table()
        es = binary_effect_sizes(measure, table, drop00=get_convention(convention).escalc_drop00)
        make_data = BinaryData
    else:
        columns = ("mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c")
        moments = {arm: [arm_moments(r, arm) for r in rows] for arm in ("t", "c")}
        arrays = {
            f"{stat}_{arm}": np.array([m[stat] for m in moments[arm]], dtype=float)
            for arm in ("t", "c")
            for stat in ("mean", "sd")
        }
        arrays.update({f"n_{arm}": np.array([r[f"n_{arm}"] for r in rows], dtype=float) for arm in ("t", "c")})
        es = continuous_effect_sizes(measure, *(arrays[c] for c in columns))
        make_data = ContinuousData
    fixed_method = settings["fixed"] if binary or settings["fixed"] not in ("MH", "PETO") else "FE"
    result["models"]["fixed"] = fixed_method

    def fit_subset(method: str, hksj: bool, truncate: bool = False, single_trial_estimate: bool = True):
        def fit(mask: np.ndarray) -> MetaFit:
            sub = make_data(*(arrays[c][mask] for c in columns))
            if single_trial_estimate and mask.sum() == 1 and method not in ("MH", "PETO"):
                # one trial: its own estimate (as metafor's rma does for k = 1, tau2 = 0, z-based CI)
                return meta_analysis(measure, "FE", sub, convention=convention)
            return meta_analysis(measure, method, sub, hksj=hksj, convention=convention, hksj_truncate=truncate)

        return fit

    everything = np.ones(len(rows), dtype=bool)
    fits: dict[str, MetaFit | str] = {}
    specs = {"fixed": (fixed_method, False, False), "random": (settings["random"], False, False)}
    if settings["hksj"]:
        specs["random_hksj"] = (settings["random"], True, False)
        specs["random_hksj_adhoc"] = (settings["random"], True, True)
    for name, spec in specs.items():
        try:  # the main fits never stand in a single trial's estimate for a pooled one
            fits[name] = fit_subset(*spec, single_trial_estimate=False)(everything)
        except PoolingError as err:
            fits[name] = str(err)
    # The headline random-effects result: HKSJ with the ad hoc truncation, so that few small
    # trials with little observed heterogeneity never yield a CI narrower than the z-based one.
    headline = "random_hksj_adhoc" if settings["hksj"] else "random"
    result["fits"] = {name: fit_summary(f, measure) for name, f in fits.items()}
    result["headline_model"] = headline if isinstance(fits[headline], MetaFit) else "fixed"
    z = 1.959963984540054
    for i, r in enumerate(rows):
        study = data.study(r["study_id"])
        yi, vi = float(es.yi[i]), float(es.vi[i])
        row = {
            "study_id": r["study_id"],
            "label": study["label"],
            "year": study["year"],
            "design": study["design"],
            "msc_source": study["msc_source"],
            "msc_source_group": study["msc_source_group"],
            "date_published": study["date_published"],
            "timepoint_days": r["timepoint_days"],
            "n_t": r["n_t"],
            "n_c": r["n_c"],
            "yi": yi,
            "vi": vi,
            "check": r["check"],
            "source": r["source"],
            "quote": r["quote"],
            "note": r["note"],
        }
        if binary:
            row.update(
                {
                    "events_t": r["events_t"],
                    "events_c": r["events_c"],
                    "zero_cell": bool(table.has_zero_cell[i]),
                    "double_zero": bool(table.is_double_zero[i]),
                }
            )
        else:
            for arm in ("t", "c"):
                m = moments[arm][i]
                row.update({f"mean_{arm}": m["mean"], f"sd_{arm}": m["sd"], f"conversion_{arm}": m["conversion"]})
        lo, hi = yi - z * math.sqrt(vi), yi + z * math.sqrt(vi)
        row.update({"effect": _ratio(measure, yi), "ci_lower": _ratio(measure, lo), "ci_upper": _ratio(measure, hi)})
        for name, f in fits.items():
            row[f"weight_{name}"] = f.weights[i] if isinstance(f, MetaFit) else None
        result["studies"].append(row)
    subgroup_fit = fit_subset(*specs[headline])
    result["subgroups"] = {}
    for variable, title in SUBGROUP_VARIABLES.items():
        labels = [data.study(r["study_id"])[variable] for r in rows]
        sg = subgroup_analysis(labels, subgroup_fit)
        result["subgroups"][variable] = {
            "title": title,
            "groups": {
                g: {
                    **fit_summary(f, measure),
                    "studies": [r["study_id"] for r, lab in zip(rows, labels, strict=True) if lab == g],
                }
                for g, f in sg.fits.items()
            },
            "q_between": sg.q_between,
            "df": sg.df,
            "pvalue": sg.pvalue,
        }
    result["leave_one_out"] = [
        {"omitted": r["study_id"], "label": data.study(r["study_id"])["label"], **fit_summary(f, measure)}
        for r, f in zip(rows, leave_one_out(len(rows), subgroup_fit), strict=True)
    ]
    order = np.arange(len(rows))  # rows are already sorted by publication date
    result["cumulative"] = [
        {
            "added": r["study_id"],
            "label": data.study(r["study_id"])["label"],
            "date_published": data.study(r["study_id"])["date_published"],
            **fit_summary(f, measure),
        }
        for r, f in zip(rows, cumulative(order, subgroup_fit), strict=True)
    ]
    egger = egger_test(es.yi, es.vi)
    result["egger"] = {
        "k": egger.k,
        "t": egger.t,
        "df": egger.df,
        "pvalue": egger.pvalue,
        "reported": egger.reported,
        "message": egger.message,
    }
    result["evidence_checks"] = {
        c: sum(1 for r in rows if r["check"] == c) for c in ("primary", "secondary", "derived")
    }
    return result


def data_hash(data_dir: Path) -> str:
    """SHA-256 over the data files (names and bytes): the data version shown on every page."""
    digest = hashlib.sha256()
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(data_dir)).encode("utf-8"))
        digest.update(path.read_bytes())
    return digest.hexdigest()


def software_versions() -> dict:
    import matplotlib
    import pandas
    import pypandoc
    import typst

    return {
        "Python": platform.python_version(),
        "NumPy": np.__version__,
        "SciPy": scipy.__version__,
        "pandas": pandas.__version__,
        "matplotlib": matplotlib.__version__,
        "pandoc (pypandoc-binary)": pypandoc.get_pandoc_version(),
        "typst (Python package)": typst.__version__,
    }


def write_results(data_dir: Path, out_dir: Path) -> list[Path]:
    """Analyse every outcome and replace ``out_dir`` atomically with the results."""
    data = load_review_data(data_dir)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".results-", dir=out_dir.parent))
    try:
        index = {
            "title": data.review["title"],
            "question": data.review["question"],
            "outcomes": [],
            "n_studies": len(data.studies),
            "software": software_versions(),
            "data_hash": data_hash(Path(data_dir)),
        }
        for outcome in data.review["outcomes"]:
            result = analyse_outcome(data, outcome)
            (tmp / f"{outcome['key']}.json").write_text(
                json.dumps(_json_safe(result), indent=1, default=str), encoding="utf-8"
            )
            _write_study_csv(tmp / f"{outcome['key']}_studies.csv", result["studies"])
            _write_pooled_csv(tmp / f"{outcome['key']}_pooled.csv", result.get("fits", {}))
            index["outcomes"].append(
                {"key": outcome["key"], "label": outcome["label"], "analysed": True, "k": result["k"]}
            )
        (tmp / "index.json").write_text(json.dumps(_json_safe(index), indent=1, default=str), encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return sorted(out_dir.iterdir())


def _write_study_csv(path: Path, studies: list[dict]) -> None:
    if not studies:
        path.write_text("study_id\n", encoding="utf-8")
        return
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(studies[0]))
        writer.writeheader()
        writer.writerows(studies)


def _write_pooled_csv(path: Path, fits: dict) -> None:
    fields = ["model", *(f.name for f in dataclasses.fields(MetaFit) if f.name != "weights"), "error"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for name, fit in fits.items():
            writer.writerow({"model": name, **fit})
