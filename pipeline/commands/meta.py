"""``python -m pipeline meta FILE.csv``: one meta-analysis of a CSV file, printed as metafor prints a fit.

Binary files have the columns ``study,events_t,n_t,events_c,n_c``; continuous files
``study,mean_t,sd_t,n_t,mean_c,sd_c,n_c``. Errors are one line, ``FILE:LINE: COLUMN: message``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

import numpy as np

from pipeline.stats.conventions import get_convention
from pipeline.stats.effect_sizes import BINARY_MEASURES, CONTINUOUS_MEASURES
from pipeline.stats.measures import is_random_method, measure
from pipeline.stats.meta_analysis import METHODS, BinaryData, ContinuousData, meta_analysis
from pipeline.stats.models import MetaFit, PoolingError

BINARY_COLUMNS = ("study", "events_t", "n_t", "events_c", "n_c")
CONTINUOUS_COLUMNS = ("study", "mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c")
JSON_KEYS = (
    "measure",
    "method",
    "hksj",
    "k",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "pvalue",
    "tau2",
    "i2",
    "q",
    "q_pvalue",
    "pi_lower",
    "pi_upper",
)
INTEGER_COLUMNS = {"events_t", "n_t", "events_c", "n_c"}


MISSING = ("", "na", "nan", "n/a", ".")  # metafor (na.action = na.omit) leaves such studies out


class InputError(ValueError):
    pass


def read_meta_csv(path: Path, measure: str, omitted: list[str] | None = None) -> BinaryData | ContinuousData:
    """Read and check the file; raise :class:`InputError` with ``FILE:LINE: COLUMN: message``.

    A row with a missing value (empty, NA) is left out with a note in ``omitted``, as metafor omits
    such studies with a warning; only when no row is left is it an error."""
    omitted = omitted if omitted is not None else []
    columns = BINARY_COLUMNS if measure in BINARY_MEASURES else CONTINUOUS_COLUMNS
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}:0: -: file not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}:1: -: not valid UTF-8; save the file as UTF-8") from None
    if "\x00" in text:
        raise InputError(f"{path}:1: -: the file contains NUL bytes: it is not a CSV file")
    reader = csv.DictReader(text.splitlines())
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as err:
        raise InputError(f"{path}:1: -: cannot read the header as CSV ({err})") from None
    if not header:
        raise InputError(f"{path}:1: -: file is empty; expected a header {','.join(columns)}")
    for col in columns:
        if col not in header:
            raise InputError(
                f"{path}:1: {col}: required column '{col}' is missing (a {measure} file needs {','.join(columns)})"
            )
    values: dict[str, list[float]] = {c: [] for c in columns[1:]}
    rows = []
    try:
        for line, row in enumerate(reader, start=2):
            rows.append((line, row))
    except csv.Error as err:
        raise InputError(f"{path}:{len(rows) + 2}: -: CSV syntax error ({err}); check the quotes") from None
    for line, row in rows:
        row = {(k or "").strip(): (v if isinstance(v, str) else "").strip() for k, v in row.items()}
        missing = [c for c in columns[1:] if row.get(c, "").lower() in MISSING]
        if missing:
            omitted.append(f"line {line} ({row.get('study') or 'no study name'}: {', '.join(missing)} missing)")
            continue
        for col in columns[1:]:
            raw = row.get(col, "")
            try:
                value = float(raw)
            except ValueError:
                raise InputError(f"{path}:{line}: {col}: '{raw[:40]}' is not a number") from None
            if not math.isfinite(value):
                raise InputError(f"{path}:{line}: {col}: '{raw}' is not a finite number")
            if col in INTEGER_COLUMNS and (value < 0 or value != int(value)):
                raise InputError(f"{path}:{line}: {col}: '{raw}' must be a whole number >= 0")
            if col.startswith("sd_") and value < 0:
                raise InputError(f"{path}:{line}: {col}: {raw} is negative; an SD cannot be")
            values[col].append(value)
        for arm in ("t", "c"):
            n = values[f"n_{arm}"][-1]
            if n <= 0:
                raise InputError(f"{path}:{line}: n_{arm}: {n:g} patients; a total must be > 0")
            if measure in BINARY_MEASURES and values[f"events_{arm}"][-1] > n:
                raise InputError(
                    f"{path}:{line}: events_{arm}: {values[f'events_{arm}'][-1]:g} events but only {n:g} patients in arm"
                )
    if not values[columns[1]]:
        if omitted:
            raise InputError(f"{path}:2: -: every row has a missing value ({'; '.join(omitted[:3])}); nothing to pool")
        raise InputError(f"{path}:2: -: no data rows below the header")
    arrays = {c: np.array(v) for c, v in values.items()}
    if measure in BINARY_MEASURES:
        return BinaryData(arrays["events_t"], arrays["n_t"], arrays["events_c"], arrays["n_c"])
    return ContinuousData(
        arrays["mean_t"], arrays["sd_t"], arrays["n_t"], arrays["mean_c"], arrays["sd_c"], arrays["n_c"]
    )


def fit_to_json(fit: MetaFit) -> dict:
    out = {key: getattr(fit, key) for key in JSON_KEYS}
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()}


def _p(p: float) -> str:
    return "<.0001" if p < 1e-4 else f"{p:.4f}"


def format_fit(fit: MetaFit, convention: str) -> str:
    """A readable summary in the shape of metafor's ``print.rma``."""
    fixed = not is_random_method(fit.method)
    kind = {
        "FE": "Fixed-Effects Model",
        "MH": "Fixed-Effects Model (Mantel-Haenszel)",
        "PETO": "Fixed-Effects Model (Peto)",
    }.get(fit.method, "Random-Effects Model")
    title = f"{kind} (k = {fit.k}" + ("" if fixed else f"; tau^2 estimator: {fit.method}") + ")"
    lines = [title, f"Convention: {get_convention(convention).describe()}", ""]
    if not fixed:
        lines += [
            f"tau^2 (estimated amount of total heterogeneity): {fit.tau2:.4f}",
            f"I^2 (total heterogeneity / total variability):   {fit.i2:.2f}%",
            f"H^2 (total variability / sampling variability):  {fit.h2:.2f}",
            "",
        ]
    else:
        lines += [
            f"I^2 (total heterogeneity / total variability):   {fit.i2:.2f}%",
            f"H^2 (total variability / sampling variability):  {fit.h2:.2f}",
            "",
        ]
    lines += [
        "Test for Heterogeneity:",
        f"Q(df = {fit.q_df}) = {fit.q:.4f}, p-val {'< .0001' if fit.q_pvalue < 1e-4 else '= ' + format(fit.q_pvalue, '.4f')}",
        "",
    ]
    stat = "tval" if fit.hksj else "zval"
    ratio = measure(fit.measure).ratio
    scale = " (log scale)" if ratio else ""
    lines += [
        f"Model Results{scale}" + (f" [HKSJ, t(df = {fit.k - 1})]" if fit.hksj else "") + ":",
        "",
        f"{'estimate':>9} {'se':>8} {stat:>8} {'pval':>8} {'ci.lb':>8} {'ci.ub':>8}",
        f"{fit.estimate:9.4f} {fit.se:8.4f} {fit.estimate / fit.se:8.4f} {_p(fit.pvalue):>8} {fit.ci_lower:8.4f} {fit.ci_upper:8.4f}",
        "",
    ]
    if not fixed:
        lines.append(f"95% prediction interval{scale}: {fit.pi_lower:.4f} to {fit.pi_upper:.4f}")
    if ratio:
        lines.append(
            f"Back-transformed {fit.measure}: {math.exp(fit.estimate):.4f} [{math.exp(fit.ci_lower):.4f}, {math.exp(fit.ci_upper):.4f}]"
            + ("" if fixed else f"; prediction interval {math.exp(fit.pi_lower):.4f} to {math.exp(fit.pi_upper):.4f}")
        )
    if fit.iterations:
        lines.append(f"tau^2 iterations: {fit.iterations}")
    return "\n".join(lines)


def run_meta(args: argparse.Namespace) -> int:
    measure = args.measure.upper()
    method = args.method.upper()
    if measure not in (*BINARY_MEASURES, *CONTINUOUS_MEASURES):
        print(f"error: unknown measure '{args.measure}': use RR, OR, RD, MD or SMD", file=sys.stderr)
        return 2
    if method not in METHODS:
        print(f"error: unknown method '{args.method}': use {', '.join(METHODS)}", file=sys.stderr)
        return 2
    omitted: list[str] = []
    try:
        data = read_meta_csv(Path(args.file), measure, omitted)
        if omitted:
            print(f"warning: {len(omitted)} row(s) omitted for missing values: {'; '.join(omitted)}", file=sys.stderr)
        with np.errstate(all="ignore"):
            fit = meta_analysis(measure, method, data, hksj=args.hksj, convention=args.convention)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except PoolingError as err:
        print(f"error: {args.file}: cannot pool: {err}", file=sys.stderr)
        return 1
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as err:
        print(f"error: {args.file}: cannot pool these numbers ({err})", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(fit_to_json(fit)))
        print(f"convention: {args.convention}", file=sys.stderr)
    else:
        print(format_fit(fit, args.convention))
    return 0
