"""The validator on broken copies of the real data: every message names file, line and column."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.inputs.validate import validate_data_dir

from conftest import ROOT


def rewrite_csv(path: Path, edit) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    edit(rows)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def set_cell(path: Path, row_index: int, column: str, value: str) -> int:
    """Set a cell in data row ``row_index`` (0-based); returns the file line of that row."""

    def edit(rows):
        rows[row_index + 1][rows[0].index(column)] = value

    rewrite_csv(path, edit)
    return row_index + 2


def messages(data: Path) -> list[str]:
    return [str(p) for p in validate_data_dir(data)]


def assert_problem(data: Path, file: str, line: int, column: str, fragment: str) -> None:
    found = messages(data)
    prefix = f"{data / file}:{line}: {column}: "
    matching = [m for m in found if m.startswith(prefix) or m.startswith(f"{file}:{line}: {column}: ")]
    assert any(fragment in m for m in matching), f"expected {prefix}...{fragment!r}, got:\n" + "\n".join(found)


def test_real_data_is_valid():
    assert validate_data_dir(ROOT / "data") == []


def test_events_exceed_total(data_copy):
    line = set_cell(data_copy / "outcomes.csv", 1, "events_t", "14")
    set_cell(data_copy / "outcomes.csv", 1, "n_t", "7")
    assert_problem(data_copy, "outcomes.csv", line, "events_t", "14 events but only 7 patients in arm")


def test_text_in_a_number(data_copy):
    line = set_cell(data_copy / "outcomes.csv", 2, "n_c", "twelve")
    assert_problem(data_copy, "outcomes.csv", line, "n_c", "'twelve' is not a whole number")


def test_decimal_count(data_copy):
    line = set_cell(data_copy / "outcomes.csv", 2, "events_c", "1.5")
    assert_problem(data_copy, "outcomes.csv", line, "events_c", "not a whole number")


def test_negative_count(data_copy):
    line = set_cell(data_copy / "outcomes.csv", 0, "events_t", "-1")
    assert_problem(data_copy, "outcomes.csv", line, "events_t", "below the minimum 0")


def test_zero_total(data_copy):
    line = set_cell(data_copy / "outcomes.csv", 0, "n_t", "0")
    assert_problem(data_copy, "outcomes.csv", line, "n_t", "below the minimum 1")


def test_unknown_study(data_copy):
    line = set_cell(data_copy / "outcomes.csv", 3, "study_id", "nobody2020")
    assert_problem(data_copy, "outcomes.csv", line, "study_id", "unknown study 'nobody2020'")


def test_unknown_outcome(data_copy):
    line = set_cell(data_copy / "outcomes.csv", 3, "outcome", "happiness")
    assert_problem(data_copy, "outcomes.csv", line, "outcome", "unknown outcome 'happiness'")


def test_duplicate_study_outcome_timepoint(data_copy):
    def edit(rows):
        rows.append(list(rows[2]))

    rewrite_csv(data_copy / "outcomes.csv", edit)
    with open(data_copy / "outcomes.csv", encoding="utf-8") as fh:
        last_line = sum(1 for _ in fh)
    assert_problem(data_copy, "outcomes.csv", last_line, "timepoint_days", "duplicate key")


def test_duplicate_study_id(data_copy):
    def edit(rows):
        rows.append(list(rows[1]))

    rewrite_csv(data_copy / "studies.csv", edit)
    with open(data_copy / "studies.csv", encoding="utf-8") as fh:
        last_line = sum(1 for _ in fh)
    assert_problem(data_copy, "studies.csv", last_line, "study_id", "duplicate key")


def test_missing_column(data_copy):
    def edit(rows):
        i = rows[0].index("quote")
        for r in rows:
            del r[i]

    rewrite_csv(data_copy / "outcomes.csv", edit)
    assert_problem(data_copy, "outcomes.csv", 1, "quote", "required column 'quote' is missing")


def test_unknown_column(data_copy):
    def edit(rows):
        rows[0].append("colour")
        for r in rows[1:]:
            r.append("blue")

    rewrite_csv(data_copy / "outcomes.csv", edit)
    assert_problem(data_copy, "outcomes.csv", 1, "colour", "unknown column 'colour'")


def test_empty_file(data_copy):
    (data_copy / "outcomes.csv").write_text("", encoding="utf-8")
    assert_problem(data_copy, "outcomes.csv", 1, "-", "file is empty")


def test_bad_encoding(data_copy):
    path = data_copy / "studies.csv"
    raw = path.read_bytes().replace(b"Lanzoni G", "Lanz\xf6ni G".encode("latin-1"), 1)
    path.write_bytes(raw)
    line = raw[: raw.index(b"Lanz\xf6ni")].count(b"\n") + 1
    assert_problem(data_copy, "studies.csv", line, "-", "not valid UTF-8 (byte 0xf6")


def test_ragged_row(data_copy):
    path = data_copy / "outcomes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append("zhu2021,mortality,60,0,29")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    columns = len(lines[0].split(","))
    assert_problem(data_copy, "outcomes.csv", len(lines), "-", f"row has 5 cells but the header has {columns}")


def test_bad_enumeration(data_copy):
    line = set_cell(data_copy / "studies.csv", 2, "design", "cohort")
    assert_problem(
        data_copy, "studies.csv", line, "design", "'cohort' is not allowed; use one of: RCT, non-randomised controlled"
    )


def test_bad_check_level(data_copy):
    line = set_cell(data_copy / "outcomes.csv", 0, "check", "trust me")
    assert_problem(data_copy, "outcomes.csv", line, "check", "'trust me' is not allowed")


def test_required_field_empty(data_copy):
    line = set_cell(data_copy / "outcomes.csv", 0, "source", "")
    assert_problem(data_copy, "outcomes.csv", line, "source", "source is required but empty")


def test_partial_counts(data_copy):
    line = set_cell(data_copy / "outcomes.csv", 1, "events_c", "")
    assert_problem(data_copy, "outcomes.csv", line, "events_c", "give all four counts or none")


def test_blank_counts_need_unverified(data_copy):
    path = data_copy / "outcomes.csv"
    line = None
    for column in ("events_t", "n_t", "events_c", "n_c"):
        line = set_cell(path, 1, column, "")
    assert_problem(data_copy, "outcomes.csv", line, "check", "check must be 'unverified'")


def test_analysed_more_than_allocated(data_copy):
    # zhu2021 allocated 29 per arm (studies.csv); the mortality row is the 6th outcome row
    path = data_copy / "outcomes.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    index = next(i for i, r in enumerate(rows) if r["study_id"] == "zhu2021")
    line = set_cell(path, index, "n_t", "40")
    assert_problem(data_copy, "outcomes.csv", line, "n_t", "40 patients analysed but only 29 allocated")


def test_bad_date(data_copy):
    line = set_cell(data_copy / "studies.csv", 0, "date_published", "March 2020")
    assert_problem(data_copy, "studies.csv", line, "date_published", "does not match the required pattern")


def test_bad_doi(data_copy):
    line = set_cell(data_copy / "studies.csv", 0, "doi", "https://doi.org/10.1/x")
    assert_problem(data_copy, "studies.csv", line, "doi", "does not match the required pattern")


def _line_of(path: Path, text: str) -> int:
    return next(
        i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if line.strip() == text
    )


def test_review_yaml_unknown_measure(data_copy):
    path = data_copy / "review.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("measure: RR", "measure: HR", 1), encoding="utf-8")
    line = _line_of(path, "measure: HR")
    assert_problem(
        data_copy, "review.yaml", line, "outcomes.0.measure", "'HR' is not allowed; use one of: RR, OR, RD, MD, SMD"
    )


def test_review_yaml_measure_must_fit_the_type(data_copy):
    path = data_copy / "review.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("measure: RR", "measure: MD", 1), encoding="utf-8")
    assert_problem(data_copy, "review.yaml", _line_of(path, "measure: MD"), "measure", "'MD' is not a binary measure")


def test_review_yaml_unknown_key_names_its_line(data_copy):
    path = data_copy / "review.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("  hksj: true", "  hksj: true\n  hskj: false", 1), encoding="utf-8"
    )
    line = next(
        i
        for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if text.strip().startswith("hskj:")
    )
    assert_problem(data_copy, "review.yaml", line, "analysis", "unknown key 'hskj' (a typo?)")


def test_review_yaml_outcome_keys_must_exist(data_copy):
    path = data_copy / "review.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("primary_outcome: mortality", "primary_outcome: survival", 1),
        encoding="utf-8",
    )
    assert_problem(
        data_copy,
        "review.yaml",
        _line_of(path, "primary_outcome: survival"),
        "primary_outcome",
        "'survival' is not an outcome key",
    )


def test_review_yaml_subgroup_column_must_exist(data_copy):
    path = data_copy / "review.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("column: msc_source", "column: msc_sauce", 1), encoding="utf-8"
    )
    assert_problem(
        data_copy,
        "review.yaml",
        _line_of(path, "- column: msc_sauce"),
        "subgroups.0.column",
        "not a column of studies.csv",
    )


def test_review_yaml_syntax_error_is_the_only_problem_reported(data_copy):
    """A broken review.yaml must not make valid rows of outcomes.csv look wrong (they were checked as binary)."""
    path = data_copy / "review.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  bad: [unclosed\n", encoding="utf-8")
    found = messages(data_copy)
    assert any("review.yaml:" in m and "YAML syntax error" in m for m in found), found
    assert not [m for m in found if "outcomes.csv" in m], found


def test_all_errors_listed_not_just_first(data_copy):
    set_cell(data_copy / "outcomes.csv", 0, "n_t", "zero")
    set_cell(data_copy / "outcomes.csv", 2, "study_id", "ghost2020")
    set_cell(data_copy / "studies.csv", 1, "blinding", "triple")
    found = messages(data_copy)
    assert len(found) >= 3
    assert {"outcomes.csv", "studies.csv"} <= {m.split(":")[0].rsplit("/", 1)[-1] for m in found}


def test_cli_exit_status_and_format(data_copy):
    line = set_cell(data_copy / "outcomes.csv", 1, "events_t", "14")
    set_cell(data_copy / "outcomes.csv", 1, "n_t", "7")
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "validate", str(data_copy)], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 1
    assert f"{data_copy}/outcomes.csv:{line}: events_t: 14 events but only 7 patients in arm" in proc.stderr
    assert "nothing was built" in proc.stderr


@pytest.mark.parametrize("name", ["studies.csv", "outcomes.csv", "review.yaml"])
def test_missing_file(data_copy, name):
    (data_copy / name).unlink()
    assert any(name in m and "file is missing" in m for m in messages(data_copy))
