"""Validate a review's data folder before anything is built from it.

Every problem is reported as ``FILE:LINE: COLUMN: message`` (the line is the line of the
file, header = line 1), all problems are collected rather than stopping at the first,
and the caller exits non-zero when any is found. Rules come from the Table Schemas in
``schema/`` (types, required, enum, range, length, pattern, unique, primary and foreign
keys), from ``schema/review.schema.json`` for ``review.yaml``, and from the cross-field /
cross-file rules below. Only what is true is reported: when ``review.yaml`` cannot be read,
rules that depend on it (outcome types) are not applied, rather than guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.inputs.csv_text import Table, read_csv_text
from pipeline.inputs.problems import Problem, ValidationError, display_path
from pipeline.inputs.review_file import check_review_file
from pipeline.inputs.table_schema import Field, TableSchema, load_table_schema

__all__ = ["CheckedData", "Problem", "ValidationError", "check_data_dir", "validate_data_dir"]

TABLES = ("studies", "outcomes")
OPTIONAL_TABLES = ("screening", "risk_of_bias", "discrepancies", "grade", "provenance", "ongoing")
# The columns the generator reads; a review's schema may add any others.
CORE_FIELDS = {
    "studies": (
        "study_id",
        "first_author",
        "year",
        "title",
        "design",
        "n_t",
        "n_c",
        "date_published",
        "source",
        "check",
    ),
    "outcomes": (
        "study_id",
        "outcome",
        "timepoint_days",
        "events_t",
        "n_t",
        "events_c",
        "n_c",
        *(f"{s}_{a}" for a in ("t", "c") for s in ("mean", "sd", "median", "q1", "q3", "min", "max")),
        "source",
        "quote",
        "check",
        "note",
    ),
}
DESIGNS = ("RCT", "non-randomised controlled")
ROB_VOCABULARY = {
    "RoB 2": ({"D1", "D2", "D3", "D4", "D5", "overall"}, ("low", "some concerns", "high")),
    "ROBINS-I": (
        {"D1", "D2", "D3", "D4", "D5", "D6", "D7", "overall"},
        ("low", "moderate", "serious", "critical", "no information"),
    ),
}
TOOL_FOR_DESIGN = {"RCT": "RoB 2", "non-randomised controlled": "ROBINS-I"}
CONTINUOUS_STATS = ("mean", "sd", "median", "q1", "q3", "min", "max")
NUMBER_COLUMNS = (
    "events_t",
    "n_t",
    "events_c",
    "n_c",
    *(f"{st}_{a}" for a in ("t", "c") for st in CONTINUOUS_STATS),
)
MAX_ABS_NUMBER = 1e9  # no count, mean or SD in a trial report comes near this


@dataclass
class CheckedData:
    """What validation read: the review mapping, each table as text and its schema."""

    data_dir: Path
    review: dict | None
    tables: dict[str, Table] = field(default_factory=dict)
    schemas: dict[str, TableSchema] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _check_value(fld: Field, value: str) -> str | None:
    """Type and constraint check of one cell; returns a message or None."""
    value = value.strip()
    if value == "":
        return f"{fld.name} is required but empty" if fld.required else None
    number: float | None = None
    if fld.type == "integer":
        if not re.fullmatch(r"[+-]?\d+", value):
            if re.fullmatch(r"[+-]?\d+[.,]0+", value):
                return f"'{value}' is not a whole number; write {value.split(',')[0].split('.')[0]}"
            return f"'{value}' is not a whole number; write digits only (e.g. 12)"
        if len(value) > 12:
            return f"'{value[:20]}…' is far too large for a count"
        number = int(value)
    elif fld.type == "number":
        if re.fullmatch(r"[+-]?\d+,\d+", value):
            return f"'{value}' uses a decimal comma (as Excel does in some locales); write {value.replace(',', '.')}"
        try:
            number = float(value)
        except ValueError:
            return f"'{value[:40]}' is not a number; use digits with a decimal point (e.g. 12.5)"
        if not math.isfinite(number) or abs(number) > MAX_ABS_NUMBER:
            return f"'{value[:40]}' is not a usable number (infinite, NaN or implausibly large)"
    elif fld.type == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"'{value[:40]}' is not a date; write YYYY-MM-DD (e.g. 2021-01-05)"
    if fld.max_length is not None and len(value) > fld.max_length:
        return f"{len(value):,} characters, longer than the {fld.max_length} allowed for {fld.name}; shorten it"
    if fld.enum is not None and value not in fld.enum:
        return f"'{value[:60]}' is not allowed; use one of: {', '.join(fld.enum)}"
    if fld.pattern is not None and not re.fullmatch(fld.pattern, value):
        return (
            f"'{value[:60]}' does not match the required pattern {fld.pattern} ({fld.description or 'see the schema'})"
        )
    if number is not None:
        if fld.minimum is not None and number < fld.minimum:
            return f"{value} is below the minimum {fld.minimum:g}" + (
                " (counts cannot be negative)" if fld.minimum == 0 else ""
            )
        if fld.maximum is not None and number > fld.maximum:
            return f"{value} is above the maximum {fld.maximum:g}"
    return None


def check_table(table: Table, schema: TableSchema, problems: list[Problem]) -> set[int]:
    """Schema rules for one table; returns the indexes of rows with a cell-level problem."""
    bad_rows: set[int] = set()
    missing = [name for name in schema.field_names if name not in table.header]
    for name in missing:
        problems.append(
            Problem(
                table.display,
                1,
                name,
                f"required column '{name}' is missing from the header "
                f"(columns are defined in {schema.path.name if schema.path else 'the schema'})",
            )
        )
    seen_columns: set[str] = set()
    for name in table.header:
        if name in seen_columns:
            problems.append(
                Problem(table.display, 1, name or "(blank)", f"column '{name}' appears twice in the header")
            )
        seen_columns.add(name)
        if name not in schema.field_names:
            problems.append(
                Problem(
                    table.display,
                    1,
                    name or "(blank)",
                    f"unknown column '{name[:60]}'; remove it or add it to the schema",
                )
            )
    if missing or len(seen_columns) != len(table.header):
        return set(range(len(table.rows)))
    for i, (row, line) in enumerate(zip(table.rows, table.lines, strict=True)):
        for fld in schema.fields:
            message = _check_value(fld, row[fld.name])
            if message:
                problems.append(Problem(table.display, line, fld.name, message))
                bad_rows.add(i)
    for fld in schema.fields:
        if fld.unique:
            _check_unique(table, (fld.name,), problems)
    for key in (schema.primary_key, *schema.unique_keys):
        if key:
            _check_unique(table, key, problems)
    return bad_rows


def _check_unique(table: Table, columns: tuple[str, ...], problems: list[Problem]) -> None:
    """A key appears once. An empty cell is a value of its own ("not stated"), so two rows that
    differ only in leaving the same key column empty are duplicates too."""
    seen: dict[tuple[str, ...], int] = {}
    for row, line in zip(table.rows, table.lines, strict=True):
        key = tuple(row[c].strip() for c in columns)
        if all(k == "" for k in key):
            continue
        if key in seen:
            what = ", ".join(f"{c}={v or '(empty)'}" for c, v in zip(columns, key, strict=True))
            problems.append(
                Problem(
                    table.display,
                    line,
                    columns[-1] if len(columns) > 1 else columns[0],
                    f"duplicate key ({what}) already on line {seen[key]}; each must appear once",
                )
            )
        else:
            seen[key] = line


def _binary_row_problems(row: dict, display: str, line: int) -> list[Problem]:
    problems: list[Problem] = []
    for arm in ("t", "c"):
        stats_given = [f"{st}_{arm}" for st in CONTINUOUS_STATS if row.get(f"{st}_{arm}", "").strip()]
        if stats_given:
            problems.append(
                Problem(
                    display,
                    line,
                    stats_given[0],
                    "this is a binary outcome: give events and totals, not summary statistics",
                )
            )
    for arm in ("t", "c"):
        events, total = int(row[f"events_{arm}"]), int(row[f"n_{arm}"])
        if events > total:
            problems.append(
                Problem(display, line, f"events_{arm}", f"{events} events but only {total} patients in arm")
            )
    return problems


def _continuous_row_problems(row: dict, display: str, line: int) -> list[Problem]:
    problems: list[Problem] = []
    for arm in ("t", "c"):
        if row.get(f"events_{arm}", "").strip():
            problems.append(Problem(display, line, f"events_{arm}", "this is a continuous outcome: leave events empty"))
        got = {st: row.get(f"{st}_{arm}", "").strip() for st in CONTINUOUS_STATS}
        num = {k: float(v) for k, v in got.items() if v}
        has_mean = "mean" in num and "sd" in num
        has_median = "median" in num and (("q1" in num and "q3" in num) or ("min" in num and "max" in num))
        if not (has_mean or has_median):
            problems.append(
                Problem(
                    display,
                    line,
                    f"mean_{arm}",
                    "give mean and SD, or the median with q1 and q3 and/or min and max, for this arm",
                )
            )
            continue
        order = [k for k in ("min", "q1", "median", "q3", "max") if k in num]
        for lower, upper in zip(order, order[1:], strict=False):
            if num[lower] > num[upper]:
                problems.append(
                    Problem(
                        display,
                        line,
                        f"{upper}_{arm}",
                        f"{upper} {num[upper]:g} is below {lower} {num[lower]:g}; check the order of the reported values",
                    )
                )
        if "q1" in num and "q3" in num and num["q1"] == num["q3"] and not has_mean:
            problems.append(
                Problem(
                    display, line, f"q3_{arm}", "q1 equals q3: no spread, so no SD can be estimated; check the values"
                )
            )
    return problems


def check_outcome_rows(
    studies: Table, outcomes: Table, outcome_bad: set[int], review: dict | None, problems: list[Problem]
) -> None:
    """Rules across fields and files: known study and outcome, events <= total, statistics that fit the
    outcome type, blank numbers only when unverified. Type rules only when review.yaml was readable."""
    study_ids = {r["study_id"].strip() for r in studies.rows}
    arm_sizes = {r["study_id"].strip(): (r.get("n_t", "").strip(), r.get("n_c", "").strip()) for r in studies.rows}
    definitions = {o["key"]: o for o in (review or {}).get("outcomes", [])}
    borrowed = {k: o["rows_from"] for k, o in definitions.items() if o.get("rows_from")}
    for i, (row, line) in enumerate(zip(outcomes.rows, outcomes.lines, strict=True)):
        sid = row["study_id"].strip()
        if sid and sid not in study_ids:
            problems.append(
                Problem(
                    outcomes.display,
                    line,
                    "study_id",
                    f"unknown study '{sid[:60]}'; add it to {studies.display} or fix the id",
                )
            )
        key = row["outcome"].strip()
        if review is not None and key:
            if key not in definitions:
                problems.append(
                    Problem(
                        outcomes.display,
                        line,
                        "outcome",
                        f"unknown outcome '{key[:60]}'; outcomes defined in review.yaml: {', '.join(sorted(definitions))}",
                    )
                )
                continue
            if key in borrowed:
                problems.append(
                    Problem(
                        outcomes.display,
                        line,
                        "outcome",
                        f"'{key}' takes its rows from '{borrowed[key]}' (rows_from in review.yaml); "
                        f"enter this row as '{borrowed[key]}'",
                    )
                )
                continue
        if i in outcome_bad:
            continue
        if row["timepoint_days"].strip() == "" and not row["note"].strip():
            problems.append(
                Problem(
                    outcomes.display,
                    line,
                    "timepoint_days",
                    "no day count given: say in note what time frame the source states (e.g. until discharge)",
                )
            )
        if not any(row[c].strip() for c in NUMBER_COLUMNS):
            if row["check"].strip() != "unverified":
                problems.append(
                    Problem(
                        outcomes.display,
                        line,
                        "check",
                        "counts are empty, so check must be 'unverified' (say in note what was searched)",
                    )
                )
            if not row["note"].strip():
                problems.append(Problem(outcomes.display, line, "note", "explain in note why the numbers are missing"))
            continue
        if row["check"].strip() == "unverified":
            problems.append(
                Problem(
                    outcomes.display,
                    line,
                    "check",
                    "numbers are given but check is 'unverified'; say how they were checked, or leave them empty",
                )
            )
        if review is None:
            continue  # the outcome's type is unknown until review.yaml reads
        kind = definitions[key]["type"]
        required = ("events_t", "n_t", "events_c", "n_c") if kind == "binary" else ("n_t", "n_c")
        blank = [c for c in required if not row[c].strip()]
        if blank:
            what = "give all four counts or none" if kind == "binary" else "give the number analysed in each arm"
            problems.append(
                Problem(outcomes.display, line, blank[0], f"{blank[0]} is empty while other numbers are given; {what}")
            )
            continue
        if kind == "binary":
            problems.extend(_binary_row_problems(row, outcomes.display, line))
        else:
            problems.extend(_continuous_row_problems(row, outcomes.display, line))
        for arm in ("t", "c"):
            total = int(row[f"n_{arm}"].strip())
            randomised = arm_sizes.get(sid, ("", ""))[0 if arm == "t" else 1]
            if randomised.isdigit() and total > int(randomised):
                problems.append(
                    Problem(
                        outcomes.display,
                        line,
                        f"n_{arm}",
                        f"{total} patients analysed but only {randomised} allocated in {studies.display}",
                    )
                )
        if row["check"].strip() == "derived" and not row["note"].strip():
            problems.append(Problem(outcomes.display, line, "note", "check is 'derived': show the arithmetic in note"))


def check_foreign_keys(
    table: Table, schema: TableSchema, others: dict[str, Table | None], problems: list[Problem]
) -> None:
    """Schema ``foreignKeys``: every non-empty value must exist in the referenced table."""
    for fk in schema.foreign_keys:
        column = fk["fields"][0]
        ref = fk["reference"]
        target = others.get(ref["resource"])
        if target is None or column not in table.header:
            continue
        known = {r[ref["fields"][0]].strip() for r in target.rows if ref["fields"][0] in r}
        for row, line in zip(table.rows, table.lines, strict=True):
            value = row[column].strip()
            if value and value not in known:
                problems.append(
                    Problem(
                        table.display,
                        line,
                        column,
                        f"unknown {column} '{value[:60]}'; it must appear in {target.display}",
                    )
                )


def check_screening(table: Table, problems: list[Problem]) -> None:
    ids = {r["record_id"].strip() for r in table.rows}
    for row, line in zip(table.rows, table.lines, strict=True):
        decision, reason, study = row["decision"].strip(), row["reason"].strip(), row["study_id"].strip()
        if decision == "exclude" and not reason:
            problems.append(
                Problem(table.display, line, "reason", "an excluded record needs a reason from the list in the schema")
            )
        if decision != "exclude" and reason:
            problems.append(
                Problem(
                    table.display, line, "reason", f"a record decided '{decision}' has no exclusion reason; clear it"
                )
            )
        if decision == "include" and not study:
            problems.append(
                Problem(table.display, line, "study_id", "an included record must name its trial's study_id")
            )
        dup = row["duplicate_of"].strip()
        if dup and dup not in ids:
            problems.append(
                Problem(table.display, line, "duplicate_of", f"'{dup[:60]}' is not a record_id in this log")
            )


def check_risk_of_bias(table: Table, studies: Table | None, problems: list[Problem]) -> None:
    designs = {r["study_id"].strip(): r["design"].strip() for r in (studies.rows if studies else [])}
    overall: set[tuple[str, str]] = set()
    first_line: dict[tuple[str, str], int] = {}
    for row, line in zip(table.rows, table.lines, strict=True):
        sid, tool, domain, judgement = (row[c].strip() for c in ("study_id", "tool", "domain", "judgement"))
        key = (sid, row["outcome"].strip())
        first_line.setdefault(key, line)
        if domain == "overall":
            overall.add(key)
        if tool not in ROB_VOCABULARY:
            continue
        domains, words = ROB_VOCABULARY[tool]
        if domain and domain not in domains:
            problems.append(
                Problem(table.display, line, "domain", f"{tool} has domains {', '.join(sorted(domains))}; not {domain}")
            )
        if judgement and judgement not in words:
            problems.append(
                Problem(
                    table.display,
                    line,
                    "judgement",
                    f"'{judgement}' is not a {tool} judgement; use one of: {', '.join(words)}",
                )
            )
        expected = TOOL_FOR_DESIGN.get(designs.get(sid, ""))
        if expected and tool != expected:
            problems.append(
                Problem(
                    table.display,
                    line,
                    "tool",
                    f"{sid} is '{designs[sid]}' in studies.csv, so its tool is {expected}, not {tool}",
                )
            )
    for key, line in first_line.items():
        if key not in overall:
            problems.append(
                Problem(table.display, line, "domain", f"{key[0]} ({key[1]}) has no 'overall' judgement; add one")
            )


def check_known_outcomes(table: Table, outcome_keys: set[str], problems: list[Problem]) -> None:
    known = outcome_keys | {f"{k}_randomised" for k in outcome_keys} | {"study"}
    for row, line in zip(table.rows, table.lines, strict=True):
        key = row["outcome"].strip()
        if outcome_keys and key and key not in known:
            problems.append(
                Problem(
                    table.display, line, "outcome", f"unknown outcome '{key[:60]}'; it must be a key in review.yaml"
                )
            )


def check_discrepancies(table: Table, problems: list[Problem]) -> None:
    used: dict[tuple[str, str], int] = {}
    first_line: dict[tuple[str, str], int] = {}
    for row, line in zip(table.rows, table.lines, strict=True):
        key = (row["study_id"].strip(), row["item"].strip())
        first_line.setdefault(key, line)
        used[key] = used.get(key, 0) + (row["used"].strip() == "yes")
    for key, count in used.items():
        if count != 1:
            problems.append(
                Problem(
                    table.display,
                    first_line[key],
                    "used",
                    f"{key[0]} '{key[1]}': {count} readings marked used; mark exactly one",
                )
            )


def _same_value(a: str, b: str) -> bool:
    a, b = a.strip(), b.strip()
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def check_provenance(table: Table, studies: Table, outcomes: Table, problems: list[Problem]) -> None:
    """Per-number provenance: each row names one cell of studies.csv (outcome ``study``) or of
    outcomes.csv and must hold the same value; every number of an analysable outcome row needs one."""
    study_rows = {r["study_id"].strip(): r for r in studies.rows}
    outcome_rows = {
        (r["study_id"].strip(), r["outcome"].strip(), r["timepoint_days"].strip()): (r, line)
        for r, line in zip(outcomes.rows, outcomes.lines, strict=True)
    }
    covered: set[tuple[str, str, str, str]] = set()
    for row, line in zip(table.rows, table.lines, strict=True):
        sid, outcome, day, fld = (row[c].strip() for c in ("study_id", "outcome", "timepoint_days", "field"))
        value = row["value"]
        if outcome == "study":
            target = study_rows.get(sid)
            if target is None:
                continue  # foreign key rule reports it
            if fld not in target:
                problems.append(Problem(table.display, line, "field", f"'{fld}' is not a column of {studies.display}"))
            elif not _same_value(target[fld], value):
                problems.append(
                    Problem(
                        table.display,
                        line,
                        "value",
                        f"{value!r} differs from {studies.display} ({sid}, {fld} = {target[fld]!r}); correct one of them",
                    )
                )
            continue
        found = outcome_rows.get((sid, outcome, day))
        if found is None:
            problems.append(
                Problem(
                    table.display,
                    line,
                    "timepoint_days",
                    f"no row ({sid}, {outcome}, day {day or '(empty)'}) in {outcomes.display}",
                )
            )
            continue
        target_row, _ = found
        if fld not in NUMBER_COLUMNS:
            problems.append(
                Problem(table.display, line, "field", f"'{fld}' is not a number column of {outcomes.display}")
            )
            continue
        if not _same_value(target_row[fld], value):
            problems.append(
                Problem(
                    table.display,
                    line,
                    "value",
                    f"{value!r} differs from {outcomes.display} line {found[1]} ({fld} = {target_row[fld]!r})",
                )
            )
        covered.add((sid, outcome, day, fld))
    for (sid, outcome, day), (row, line) in outcome_rows.items():
        if row["check"].strip() == "unverified":
            continue
        for fld in NUMBER_COLUMNS:
            if row.get(fld, "").strip() and (sid, outcome, day, fld) not in covered:
                problems.append(
                    Problem(
                        outcomes.display,
                        line,
                        fld,
                        f"no row in {table.display} gives the source of this number ({sid}, {outcome}, {fld})",
                    )
                )


def check_data_dir(data_dir: Path) -> CheckedData:
    """Read and check everything in a data folder; ``problems`` is empty when it is valid."""
    data_dir = Path(data_dir)
    checked = CheckedData(data_dir, None)
    problems = checked.problems
    if not data_dir.is_dir():
        problems.append(Problem(display_path(data_dir), 0, "-", "is not a folder (the review's data folder)"))
        return checked
    for name in (*TABLES, *OPTIONAL_TABLES):
        schema_path = data_dir / "schema" / f"{name}.schema.json"
        if schema_path.exists():
            try:
                checked.schemas[name] = load_table_schema(schema_path)
            except (ValueError, KeyError, TypeError) as err:
                problems.append(Problem(display_path(schema_path), 1, "-", f"not a valid Table Schema ({err})"))
        elif name in TABLES or (data_dir / f"{name}.csv").exists():
            problems.append(Problem(display_path(schema_path), 0, "-", "schema file is missing"))
    for name, core in CORE_FIELDS.items():
        schema = checked.schemas.get(name)
        if schema is None:
            continue
        for column in core:
            if column not in schema.field_names:
                problems.append(
                    Problem(
                        display_path(schema.path or data_dir),
                        1,
                        column,
                        f"the generator needs the column '{column}' in every review's {name} schema",
                    )
                )
    study_columns = set(checked.schemas["studies"].field_names) if "studies" in checked.schemas else None
    review, review_problems = check_review_file(
        data_dir / "review.yaml", data_dir / "schema" / "review.schema.json", study_columns
    )
    checked.review = review
    problems.extend(review_problems)
    bad: dict[str, set[int]] = {}
    for name in TABLES:
        table = read_csv_text(data_dir / f"{name}.csv", problems)
        if table is not None:
            checked.tables[name] = table
            if name in checked.schemas:
                bad[name] = check_table(table, checked.schemas[name], problems)
    studies, outcomes = checked.tables.get("studies"), checked.tables.get("outcomes")
    outcomes_complete = (
        outcomes is not None
        and "outcomes" in checked.schemas
        and not (set(checked.schemas["outcomes"].field_names) - set(outcomes.header))
    )
    if studies is not None and outcomes_complete and "study_id" in studies.header:
        check_outcome_rows(studies, outcomes, bad.get("outcomes", set()), review, problems)
    if studies is not None and "design" in studies.header:
        for row, line in zip(studies.rows, studies.lines, strict=True):
            if row["design"].strip() and row["design"].strip() not in DESIGNS:
                problems.append(
                    Problem(
                        studies.display,
                        line,
                        "design",
                        f"use one of: {', '.join(DESIGNS)} (GRADE and risk of bias depend on it)",
                    )
                )
    outcome_keys = {o["key"] for o in (review or {}).get("outcomes", [])}
    # checks across tables use only tables with every column of their schema: a table whose header
    # is already reported (a wrong delimiter, a missing column) would otherwise cause false errors
    complete = {
        n: t
        for n, t in checked.tables.items()
        if n in checked.schemas and not (set(checked.schemas[n].field_names) - set(t.header))
    }
    studies = complete.get("studies")
    for name in OPTIONAL_TABLES:
        path = data_dir / f"{name}.csv"
        schema = checked.schemas.get(name)
        if not path.exists() or schema is None:
            continue
        table = read_csv_text(path, problems)
        if table is None:
            continue
        checked.tables[name] = table
        check_table(table, schema, problems)
        if set(schema.field_names) - set(table.header):
            continue
        complete[name] = table
        check_foreign_keys(table, schema, complete, problems)
        if name == "screening":
            check_screening(table, problems)
        elif name == "risk_of_bias":
            check_risk_of_bias(table, studies, problems)
            check_known_outcomes(table, outcome_keys, problems)
        elif name == "discrepancies":
            check_discrepancies(table, problems)
        elif name == "grade":
            check_known_outcomes(table, outcome_keys, problems)
        elif name == "provenance" and studies is not None and outcomes_complete:
            check_known_outcomes(table, outcome_keys, problems)
            check_provenance(table, studies, outcomes, problems)
    return checked


def validate_data_dir(data_dir: Path) -> list[Problem]:
    """All problems in a data folder (empty list = valid)."""
    return check_data_dir(data_dir).problems
