"""The words a reader reads first: the summary-of-findings cells and the informative statements.

Each expectation is computed here from the pooled estimate, independently of the code that writes the
cells (GRADEpro's absolute effects: risk with the intervention = assumed risk × RR, or, for an odds ratio,
OR·ACR / (1 − ACR + OR·ACR); difference = that minus the assumed risk). Swapping "fewer" and "more",
the sign of a difference, or "reduce" and "increase" fails a test; so does a review whose arms are
swapped not flipping every word.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from pipeline.analysis.outcome import analyse_outcome
from pipeline.inputs.load import load_review_data
from pipeline.present.to_markdown import Markdown
from pipeline.tables.summary_of_findings import sof_table
from pipeline.tables.write import sof_rows

from conftest import ROOT

DIFFERENCE = re.compile(
    r"(\d[\d,]*) (fewer|more) per 1000 \\\(from (\d[\d,]*) (fewer|more) to (\d[\d,]*) (fewer|more)\\\)"
)
CORRESPONDING = re.compile(r"(\d[\d,]*) per 1000 \\\((\d[\d,]*) to (\d[\d,]*)\\\)")


def _signed(number: str, word: str) -> int:
    value = int(number.replace(",", ""))
    return -value if word == "fewer" else value


def _corresponding(measure: str, assumed: float, effect: float) -> float:
    if measure == "RR":
        return min(1.0, assumed * effect)
    if measure == "OR":
        return effect * assumed / (1 - assumed + effect * assumed)
    raise AssertionError(f"no absolute effect expected for {measure}")


def _rows_and_cells(data_dir: Path):
    data = load_review_data(data_dir)
    results = {o.key: analyse_outcome(data, o) for o in data.config.outcomes}
    rows = sof_rows(data, results)
    table, _ = sof_table(rows, data.config.labels)
    lines = [line for line in table.splitlines() if line.startswith("|")][2:]  # after header and rule
    assert len(lines) == len(rows)
    return data, rows, lines


def _swap_columns(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, records = reader.fieldnames, list(reader)
    for r in records:
        for name in ("events", "n", "mean", "sd", "median", "q1", "q3", "min", "max"):
            if f"{name}_t" in r:
                r[f"{name}_t"], r[f"{name}_c"] = r[f"{name}_c"], r[f"{name}_t"]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(records)


def _swapped_arms(source: Path, target: Path) -> Path:
    """The same review with intervention and control exchanged: every effect inverts."""
    shutil.copytree(source, target)
    _swap_columns(target / "outcomes.csv")
    _swap_columns(target / "studies.csv")
    return target


def check_absolute_effects(rows, lines) -> int:
    """Every row with absolute risks: the cells say what the estimate implies. Returns rows checked."""
    checked = 0
    for row, line in zip(rows, lines, strict=True):
        if row.assumed_per_1000 is None or row.effect is None:
            continue
        assumed = row.assumed_per_1000 / 1000
        expected = [
            1000 * _corresponding(row.measure, assumed, v) - 1000 * assumed
            for v in (row.effect, row.ci_lower, row.ci_upper)
        ]
        found = DIFFERENCE.search(line)
        assert found, f"{row.label}: no 'N fewer/more per 1000 (from A to B)' cell in {line!r}"
        said = [_signed(found.group(i), found.group(i + 1)) for i in (1, 3, 5)]
        for got, want in zip(said, expected, strict=True):
            assert abs(got - want) <= 0.5 + 1e-9, (row.label, said, expected)
            if abs(want) >= 1:
                assert (got < 0) == (want < 0), f"{row.label}: 'fewer'/'more' flipped ({said} vs {expected})"
        corresponding = CORRESPONDING.search(line)
        assert corresponding, line
        for got, v in zip(corresponding.groups(), (row.effect, row.ci_lower, row.ci_upper), strict=True):
            assert abs(int(got.replace(",", "")) - 1000 * _corresponding(row.measure, assumed, v)) <= 0.5 + 1e-9
        checked += 1
    return checked


def check_statements(rows) -> set[str]:
    """The informative statement's verb follows the interval: 'reduce' only when the whole CI is below no
    effect, 'increase' only when above, 'little or no difference' when it includes it (GRADE guidance 26)."""
    seen = set()
    for row in rows:
        if row.effect is None or row.certainty == "very low":
            continue
        words = row.statement.lower()
        if row.ci_upper < 1:
            assert re.search(r"\breduces?\b", words) and "increase" not in words, (row.label, row.statement)
            seen.add("reduce")
        elif row.ci_lower > 1:
            assert re.search(r"\bincreases?\b", words) and "reduce" not in words, (row.label, row.statement)
            seen.add("increase")
        else:
            assert "little" in words and "difference" in words, (row.label, row.statement)
            seen.add("no difference")
    return seen


@pytest.mark.parametrize("folder", ["data", "examples/bcg"])
def test_sof_absolute_effects_and_statements_follow_the_estimate(folder):
    _, rows, lines = _rows_and_cells(ROOT / folder)
    assert check_absolute_effects(rows, lines) >= 1
    check_statements(rows)


def test_swapping_the_arms_flips_every_word(tmp_path):
    """BCG's vaccine lowers the risk (RR about 0.49, CI below 1): 'fewer' and 'reduce'. With the arms
    exchanged the same trials say 'more' and 'increase'; neither reading can pass the other's checks."""
    _, rows, lines = _rows_and_cells(ROOT / "examples" / "bcg")
    assert check_absolute_effects(rows, lines) >= 1 and "reduce" in check_statements(rows)
    assert all(
        " fewer per 1000 (from " in line.replace("\\", "") for row, line in zip(rows, lines, strict=True) if row.effect
    )
    swapped = _swapped_arms(ROOT / "examples" / "bcg", tmp_path / "bcg")
    _, rows2, lines2 = _rows_and_cells(swapped)
    assert check_absolute_effects(rows2, lines2) >= 1 and "increase" in check_statements(rows2)
    for a, b in zip(rows, rows2, strict=True):
        if a.effect is not None:
            assert b.effect == pytest.approx(1 / a.effect, rel=0.2) and b.effect > 1 > a.effect
    # a writer that swapped the words would be caught: flip them in the real cells and the check fails
    flipped = [Markdown(line.replace("fewer", "\0").replace("more", "fewer").replace("\0", "more")) for line in lines]
    with pytest.raises(AssertionError):
        check_absolute_effects(rows, flipped)
    wrong = [dataclasses.replace(r, statement=r.statement.replace("reduce", "increase")) for r in rows]
    with pytest.raises(AssertionError):
        check_statements(wrong)
