"""The bad-input catalogue (found trying the pipeline as a new user would) and fuzzing of the validator
and the meta command: nothing slips through, nothing crashes, nothing is written outside build/."""

from __future__ import annotations

import csv
import io
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cli import main as cli_main
from pipeline.inputs.validate import validate_data_dir

from conftest import ROOT, run_make

PROBLEM_LINE = r"^.+:\d+: .+: .+$"


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def test_duplicate_row_without_time_point_is_rejected_even_when_rows_disagree(data_copy):
    path = data_copy / "outcomes.csv"
    rows = rows_of(path)
    header = rows[0]
    row = next(
        r
        for r in rows[1:]
        if r[header.index("timepoint_days")] == ""
        and r[header.index("events_t")]
        and r[header.index("check")] != "unverified"
    )
    twin = list(row)
    twin[header.index("events_t")] = "0"
    rows.append(twin)
    write_rows(path, rows)
    found = [str(p) for p in validate_data_dir(data_copy)]
    assert any(
        f"outcomes.csv:{len(rows)}: timepoint_days: duplicate key" in m and "timepoint_days=(empty)" in m for m in found
    ), found


def test_header_only_outcomes_builds_a_site_that_says_so(tmp_path):
    """No outcome rows is valid (a review just started): the site builds and says there are no data."""
    data = tmp_path / "data"
    subprocess.run(["cp", "-r", str(ROOT / "data"), str(data)], check=True)
    header = (data / "outcomes.csv").read_text(encoding="utf-8").splitlines()[0]
    (data / "outcomes.csv").write_text(header + "\n", encoding="utf-8")
    if (data / "provenance.csv").exists():
        first = (data / "provenance.csv").read_text(encoding="utf-8").splitlines()[0]
        (data / "provenance.csv").write_text(first + "\n", encoding="utf-8")
    run_make(tmp_path, data=data)
    site = tmp_path / "_site"
    for name in ("brief.pdf", "methods.html", "outcome-mortality.html", "index.html"):
        assert (site / name).exists(), name
    assert "No trial reported usable data" in (site / "outcome-mortality.html").read_text(encoding="utf-8")


def test_length_limits_are_enforced(data_copy):
    path = data_copy / "studies.csv"
    rows = rows_of(path)
    rows[1][rows[0].index("first_author")] = "A" * 10_000
    write_rows(path, rows)
    found = [str(p) for p in validate_data_dir(data_copy)]
    assert any("studies.csv:2: first_author: 10,000 characters, longer than the 100 allowed" in m for m in found), found


@pytest.mark.parametrize(
    ("transform", "fragment"),
    [
        (lambda t: t.replace(",", ";"), "cells are separated by ';'"),
        (lambda t: t.replace(",", "\t"), "separated by tabs"),
    ],
)
def test_excel_delimiters_are_explained(data_copy, transform, fragment):
    path = data_copy / "outcomes.csv"
    path.write_text(transform(path.read_text(encoding="utf-8")), encoding="utf-8")
    found = [str(p) for p in validate_data_dir(data_copy)]
    assert any("outcomes.csv:1: -:" in m and fragment in m for m in found), found


def test_a_broken_studies_header_is_reported_once_not_as_errors_in_other_tables(data_copy):
    """Found by the fuzz test: studies.csv saved with another delimiter crashed the risk-of-bias check
    (KeyError) and, once guarded, made every trial in the other tables look unknown."""
    path = data_copy / "studies.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", "|"), encoding="utf-8")
    found = [str(p) for p in validate_data_dir(data_copy)]
    assert found and all(re.match(PROBLEM_LINE, m) for m in found), found
    assert any("studies.csv:1:" in m for m in found), found
    assert not [m for m in found if "risk_of_bias.csv" in m or "provenance.csv" in m], found


def test_excel_bom_and_crlf_are_read(data_copy):
    path = data_copy / "studies.csv"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    found = [str(p) for p in validate_data_dir(data_copy) if "studies.csv" in str(p)]
    assert found == []


def test_excel_legacy_code_page_is_explained(data_copy):
    path = data_copy / "studies.csv"
    path.write_bytes(
        path.read_text(encoding="utf-8").replace("Häberle", "H\u00e4berle").encode("cp1252", errors="replace")
    )
    found = [str(p) for p in validate_data_dir(data_copy)]
    assert any("not valid UTF-8" in m and "CSV UTF-8" in m for m in found), found


def test_decimal_comma_is_explained(data_copy):
    path = data_copy / "outcomes.csv"
    rows = rows_of(path)
    header = rows[0]
    i = next(i for i, r in enumerate(rows[1:], 1) if r[header.index("median_t")])
    rows[i][header.index("median_t")] = "20,5"
    write_rows(path, rows)
    found = [str(p) for p in validate_data_dir(data_copy)]
    assert any(f"outcomes.csv:{i + 1}: median_t: '20,5' uses a decimal comma" in m for m in found), found


def test_meta_command_omits_rows_with_missing_counts_like_metafor(tmp_path, capsys):
    trials = tmp_path / "trials.csv"
    trials.write_text(
        "study,events_t,n_t,events_c,n_c\nA,4,50,9,50\nB,NA,40,5,40\nC,3,60,8,60\nD,,30,2,30\n", encoding="utf-8"
    )
    assert cli_main(["meta", str(trials), "--measure", "RR", "--method", "REML"]) == 0
    out = capsys.readouterr()
    assert "omitted" in (out.out + out.err) and "B" in (out.out + out.err) and "D" in (out.out + out.err)
    assert "k = 2" in out.out
    trials.write_text("study,events_t,n_t,events_c,n_c\nA,NA,50,9,50\n", encoding="utf-8")
    assert cli_main(["meta", str(trials), "--measure", "RR", "--method", "REML"]) != 0


def test_failures_reach_the_user_as_one_line(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "render",
            "--project",
            str(tmp_path / "missing"),
            "--build",
            str(tmp_path),
            "--site",
            str(tmp_path / "s"),
            "--renderer",
            "embedded",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


# ---- fuzzing ---------------------------------------------------------------------------------

CELLS = st.one_of(
    st.text(alphabet=string.printable + "ä€\u00a0\ufeff", max_size=12),
    st.sampled_from(["", "NA", "-1", "1e400", "nan", "inf", "0", "9999999999999", "=1+1", '"', "'", ";", "\t", "2,5"]),
)


def _mutate(text: str, data) -> str:
    rows = rows_of_text(text)
    choice = data.draw(st.integers(0, 6))
    if choice == 0 and len(rows) > 1:  # change a cell
        r = data.draw(st.integers(1, len(rows) - 1))
        c = data.draw(st.integers(0, len(rows[r]) - 1))
        rows[r][c] = data.draw(CELLS)
    elif choice == 1:  # add a column
        rows = [r + [data.draw(CELLS)] for r in rows]
    elif choice == 2 and len(rows) > 1:  # drop a row's last cell
        rows[-1] = rows[-1][:-1]
    elif choice == 3:
        return "\ufeff" + text.replace("\n", "\r\n")
    elif choice == 4:
        return text.replace(",", data.draw(st.sampled_from([";", "\t", "|"])))
    elif choice == 5:
        cut = data.draw(st.integers(0, len(text)))
        return text[:cut]
    else:  # duplicate a row
        rows.append(list(rows[-1]))
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


def rows_of_text(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("pristine") / "data"
    subprocess.run(["cp", "-r", str(ROOT / "data"), str(target)], check=True)
    return target


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    table=st.sampled_from(["studies.csv", "outcomes.csv", "screening.csv", "risk_of_bias.csv", "review.yaml"]),
)
def test_validator_never_crashes_on_random_edits(pristine, tmp_path_factory, data, table):
    folder = tmp_path_factory.mktemp("fuzz") / "data"
    subprocess.run(["cp", "-r", str(pristine), str(folder)], check=True)
    path = folder / table
    if table == "review.yaml":
        text = path.read_text(encoding="utf-8")
        cut = data.draw(st.integers(0, len(text)))
        path.write_text(text[:cut] + data.draw(st.text(max_size=20)) + text[cut:], encoding="utf-8")
    else:
        path.write_text(_mutate(path.read_text(encoding="utf-8"), data), encoding="utf-8")
    before = _snapshot(folder)
    problems = validate_data_dir(folder)  # must not raise
    for p in problems:
        text = str(p)
        assert text.count(":") >= 3 and p.message, text
    assert _snapshot(folder) == before, "validation must never write to the data folder"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=400))
def test_validator_on_arbitrary_bytes(pristine, tmp_path_factory, payload):
    folder = tmp_path_factory.mktemp("bytes") / "data"
    subprocess.run(["cp", "-r", str(pristine), str(folder)], check=True)
    (folder / "outcomes.csv").write_bytes(payload)
    problems = validate_data_dir(folder)
    assert problems, "arbitrary bytes cannot be a valid outcomes table"
    assert all(p.path.endswith(".csv") or p.path.endswith(".yaml") or p.path.endswith(".json") for p in problems)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.lists(st.lists(CELLS, min_size=1, max_size=7), max_size=6),
    measure=st.sampled_from(["RR", "OR", "MD", "SMD", "XX"]),
)
def test_meta_command_never_tracebacks(tmp_path_factory, capsys, body, measure):
    folder = tmp_path_factory.mktemp("meta")
    path = folder / "trials.csv"
    buf = io.StringIO()
    header = (
        ["study", "events_t", "n_t", "events_c", "n_c"]
        if measure in ("RR", "OR", "XX")
        else ["study", "mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c"]
    )
    csv.writer(buf).writerows([header, *body])
    path.write_text(buf.getvalue(), encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        status = cli_main(["meta", str(path), "--measure", measure, "--method", "REML"])
    finally:
        os.chdir(cwd)
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    if status != 0:
        lines = [line for line in out.err.strip().splitlines() if line]
        assert lines and all(":" in line for line in lines), out.err
    assert sorted(p.name for p in folder.iterdir()) == ["trials.csv"], "the meta command writes nothing"
