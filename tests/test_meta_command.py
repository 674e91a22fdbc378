"""``python -m pipeline meta``: JSON keys, readable output, and one-line errors for bad input."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT

KEYS = [
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
]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "meta", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture()
def bcg_csv(tmp_path) -> Path:
    with open(FIXTURES / "metafor_data_bcg.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    path = tmp_path / "bcg.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["study", "events_t", "n_t", "events_c", "n_c"])
        for i, r in enumerate(rows, start=1):
            w.writerow([f"trial {i}", r["ai"], r["n1i"], r["ci"], r["n2i"]])
    return path


def reference(**where) -> dict:
    with open(FIXTURES / "metafor_reference.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if all(row[k] == v for k, v in where.items()):
                return row
    raise LookupError(where)


@pytest.mark.parametrize(
    ("measure", "method", "hksj"),
    [("RR", "REML", True), ("OR", "MH", False), ("RD", "PM", False), ("OR", "PETO", False), ("RR", "DL", False)],
)
def test_json_has_exactly_the_keys_and_metafor_values(bcg_csv, measure, method, hksj):
    proc = run(str(bcg_csv), "--measure", measure, "--method", method, "--json", *(["--hksj"] if hksj else []))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert list(out) == KEYS
    assert out["measure"] == measure and out["method"] == method and out["hksj"] is hksj and out["k"] == 13
    ref = reference(
        dataset="bcg", measure=measure, method=method, hksj="TRUE" if hksj else "FALSE", convention="metafor"
    )
    for key in KEYS[4:]:
        assert math.isclose(out[key], float(ref[key]), rel_tol=1e-6, abs_tol=1e-8), key
    if method in ("MH", "PETO"):
        assert out["tau2"] == 0
    assert "convention: metafor" in proc.stderr


def test_readable_output_back_transforms(bcg_csv):
    proc = run(str(bcg_csv), "--measure", "RR", "--method", "REML")
    assert proc.returncode == 0
    assert "Random-Effects Model (k = 13; tau^2 estimator: REML)" in proc.stdout
    assert "Convention: metafor" in proc.stdout
    est = float(reference(dataset="bcg", measure="RR", method="REML", hksj="FALSE", convention="metafor")["estimate"])
    assert f"Back-transformed RR: {math.exp(est):.4f}" in proc.stdout


def test_revman_convention_is_named(bcg_csv):
    proc = run(str(bcg_csv), "--measure", "RR", "--method", "MH", "--convention", "revman")
    assert proc.returncode == 0 and "Convention: RevMan" in proc.stdout


def test_continuous_smd(tmp_path):
    with open(FIXTURES / "metafor_data_normand1999.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    path = tmp_path / "normand.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["study", "mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c"])
        for i, r in enumerate(rows):
            w.writerow([i, r["m1i"], r["sd1i"], r["n1i"], r["m2i"], r["sd2i"], r["n2i"]])
    proc = run(str(path), "--measure", "SMD", "--method", "REML", "--json")
    ref = reference(dataset="normand1999", measure="SMD", method="REML", hksj="FALSE")
    assert math.isclose(json.loads(proc.stdout)["estimate"], float(ref["estimate"]), rel_tol=1e-6)


@pytest.mark.parametrize(
    ("content", "args", "fragment"),
    [
        ("study,events_t,n_t,events_c\nA,1,10,2\n", ["--measure", "RR"], ":1: n_c: required column 'n_c' is missing"),
        ("study,events_t,n_t,events_c,n_c\nA,1,ten,2,10\n", ["--measure", "RR"], ":2: n_t: 'ten' is not a number"),
        (
            "study,events_t,n_t,events_c,n_c\nA,1,10,2,10\nB,12,10,2,10\n",
            ["--measure", "RR"],
            ":3: events_t: 12 events but only 10 patients in arm",
        ),
        (
            "study,events_t,n_t,events_c,n_c\nA,-1,10,2,10\n",
            ["--measure", "OR"],
            ":2: events_t: '-1' must be a whole number >= 0",
        ),
        ("", ["--measure", "RR"], ":1: -: file is empty"),
        ("study,events_t,n_t,events_c,n_c\n", ["--measure", "RR"], ":2: -: no data rows"),
        ("study,events_t,n_t,events_c,n_c\nA,1,10,2,10\n", ["--measure", "HR"], "unknown measure 'HR'"),
    ],
)
def test_bad_input_is_one_line_with_row_and_column(tmp_path, content, args, fragment):
    path = tmp_path / "in.csv"
    path.write_text(content)
    proc = run(str(path), *args, "--method", "REML")
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr


def test_all_double_zero_under_metafor_convention_is_rr_one(tmp_path):
    """metafor keeps double-zero studies in rma.uni (1/2 added to every cell): estimable, RR = 1, no NaN."""
    path = tmp_path / "zeros.csv"
    path.write_text("study,events_t,n_t,events_c,n_c\nA,0,10,0,10\nB,0,12,0,12\n")
    proc = run(str(path), "--measure", "RR", "--method", "REML", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["estimate"] == 0 and out["tau2"] == 0 and "NaN" not in proc.stdout
    proc = run(str(path), "--measure", "RR", "--method", "REML", "--convention", "revman")
    assert proc.returncode != 0 and "no study has an estimable effect" in proc.stderr


@pytest.mark.parametrize(
    ("rows", "args", "fragment"),
    [
        ("A,0,10,0,10\nB,0,12,0,12\n", ["--method", "MH"], "not estimable"),
        ("A,1,10,2,10\n", ["--method", "REML"], "needs at least 2 studies"),
        (
            "A,1,10,2,10\nB,1,10,3,10\n",
            ["--method", "MH", "--hksj"],
            "HKSJ adjustment applies to inverse-variance models",
        ),
    ],
)
def test_edge_cases_give_a_clear_message(tmp_path, rows, args, fragment):
    path = tmp_path / "edge.csv"
    path.write_text("study,events_t,n_t,events_c,n_c\n" + rows)
    proc = run(str(path), "--measure", "RR", *args)
    assert proc.returncode != 0 and fragment in proc.stderr, proc.stderr
