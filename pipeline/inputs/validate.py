"""Validate a review's data folder before anything is built from it.

Every problem is reported as ``FILE:LINE: COLUMN: message`` (the line is the line of the
file, header = line 1), all problems are collected rather than stopping at the first,
and the caller exits non-zero when any is found. Rules come from the Table Schemas in
``data/schema/`` (types, required, enum, range, pattern, unique, primary and foreign
keys) and from the cross-field / cross-file rules below.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from pipeline.inputs.table_schema import Field, TableSchema, load_table_schema

TABLES = ("studies", "outcomes")
OPTIONAL_TABLES = ("screening", "risk_of_bias", "discrepancies", "grade")  # validated when the CSV exists
ROB_VOCABULARY = {
    "RoB 2": ({"D1", "D2", "D3", "D4", "D5", "overall"}, ("low", "some concerns", "high")),
    "ROBINS-I": (
        {"D1", "D2", "D3", "D4", "D5", "D6", "D7", "overall"},
        ("low", "moderate", "serious", "critical", "no information"),
    ),
}
TOOL_FOR_DESIGN = {"RCT": "RoB 2", "non-randomised controlled": "ROBINS-I"}
OUTCOME_TYPES = ("binary", "continuous")
MEASURES = {"binary": ("RR", "OR", "RD"), "continuous": ("MD", "SMD")}
FIXED_METHODS = ("MH", "FE", "PETO")
RANDOM_METHODS = ("REML", "DL", "PM", "ML", "SJ", "HE")
CONVENTIONS = ("metafor", "revman")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.column}: {self.message}"


@dataclass
class Table:
    """A CSV table read as text: header, rows (dicts of raw strings) and each row's file line."""

    path: Path
    display: str
    header: list[str]
    rows: list[dict[str, str]]
    lines: list[int]


class ValidationError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_csv_text(path: Path, problems: list[Problem]) -> Table | None:
    """Read a CSV strictly as UTF-8; report encoding, emptiness and ragged rows."""
    shown = _display_path(path)
    if not path.exists():
        problems.append(Problem(shown, 0, "-", "file is missing; every review needs it (see data/schema/)"))
        return None
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        col = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        problems.append(
            Problem(
                shown,
                line,
                "-",
                f"not valid UTF-8 (byte 0x{raw[err.start]:02x} at character {col}); save the file as UTF-8",
            )
        )
        return None
    if not text.strip():
        problems.append(Problem(shown, 1, "-", "file is empty; it needs at least a header row"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as err:
        problems.append(Problem(shown, 1, "-", f"cannot parse the header as CSV ({err})"))
        return None
    header = [h.strip() for h in header]
    rows, lines = [], []
    line = reader.line_num
    try:
        for record in reader:
            start = line + 1
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                problems.append(
                    Problem(
                        shown,
                        start,
                        "-",
                        f"row has {len(record)} cells but the header has {len(header)}; "
                        "check for a missing or extra comma or an unquoted comma in text",
                    )
                )
                continue
            rows.append(dict(zip(header, record, strict=True)))
            lines.append(start)
    except csv.Error as err:
        problems.append(Problem(shown, line + 1, "-", f"CSV syntax error ({err}); check the quotes on this row"))
    return Table(path, shown, header, rows, lines)


def _check_value(fld: Field, value: str) -> str | None:
    """Type and constraint check of one cell; returns a message or None."""
    value = value.strip()
    if value == "":
        return f"{fld.name} is required but empty" if fld.required else None
    number: float | None = None
    if fld.type == "integer":
        if not re.fullmatch(r"[+-]?\d+", value):
            return f"'{value}' is not a whole number; write digits only (e.g. 12)"
        number = int(value)
    elif fld.type == "number":
        try:
            number = float(value)
        except ValueError:
            return f"'{value}' is not a number; use digits with a decimal point (e.g. 12.5)"
    elif fld.type == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"'{value}' is not a date; write YYYY-MM-DD (e.g. 2021-01-05)"
    if fld.enum is not None and value not in fld.enum:
        return f"'{value}' is not allowed; use one of: {', '.join(fld.enum)}"
    if fld.pattern is not None and not re.fullmatch(fld.pattern, value):
        return f"'{value}' does not match the required pattern {fld.pattern} ({fld.description or 'see the schema'})"
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
    for name in table.header:
        if name not in schema.field_names:
            problems.append(
                Problem(
                    table.display, 1, name or "(blank)", f"unknown column '{name}'; remove it or add it to the schema"
                )
            )
    if missing:
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
    if schema.primary_key:
        _check_unique(table, schema.primary_key, problems)
    return bad_rows


def _check_unique(table: Table, columns: tuple[str, ...], problems: list[Problem]) -> None:
    seen: dict[tuple[str, ...], int] = {}
    for row, line in zip(table.rows, table.lines, strict=True):
        key = tuple(row[c].strip() for c in columns)
        if any(k == "" for k in key):
            continue
        if key in seen:
            what = ", ".join(f"{c}={v}" for c, v in zip(columns, key, strict=True))
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


def _yaml_line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def _yaml_child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v
    return None


def check_review(path: Path, problems: list[Problem]) -> dict | None:
    """Rules for ``review.yaml``: question, outcomes (key, label, type, time point, direction, measure), analysis."""
    shown = _display_path(path)
    if not path.exists():
        problems.append(
            Problem(shown, 0, "-", "file is missing; it defines the question, outcomes and analysis settings")
        )
        return None
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
        review = yaml.safe_load(text)
    except UnicodeDecodeError:
        problems.append(Problem(shown, 1, "-", "not valid UTF-8; save the file as UTF-8"))
        return None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problems.append(
            Problem(shown, (mark.line + 1) if mark else 1, "-", f"YAML syntax error: {getattr(err, 'problem', err)}")
        )
        return None
    if not isinstance(review, dict):
        problems.append(Problem(shown, 1, "-", "expected a mapping with keys title, question, outcomes, analysis"))
        return None
    start = len(problems)
    for key in ("title", "question", "outcomes", "analysis"):
        if key not in review:
            problems.append(Problem(shown, 1, key, f"'{key}' is required"))
    question = review.get("question") or {}
    for key in ("population", "intervention", "comparator"):
        if not isinstance(question, dict) or not str(question.get(key, "")).strip():
            problems.append(
                Problem(shown, _yaml_line(_yaml_child(root, "question")), f"question.{key}", f"'{key}' is required")
            )
    outcomes = review.get("outcomes") or []
    outcomes_node = _yaml_child(root, "outcomes")
    keys_seen: set[str] = set()
    if not isinstance(outcomes, list) or not outcomes:
        problems.append(Problem(shown, _yaml_line(outcomes_node), "outcomes", "list at least one outcome"))
        outcomes = []
    for i, outcome in enumerate(outcomes):
        node = outcomes_node.value[i] if isinstance(outcomes_node, yaml.SequenceNode) else None
        line = _yaml_line(node)
        if not isinstance(outcome, dict):
            problems.append(Problem(shown, line, "outcomes", "each outcome is a mapping (key, label, type, ...)"))
            continue
        key = str(outcome.get("key", ""))
        if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
            problems.append(
                Problem(shown, line, "key", f"outcome key '{key}' must be lower case letters, digits and _")
            )
        elif key in keys_seen:
            problems.append(Problem(shown, line, "key", f"outcome key '{key}' is defined twice"))
        keys_seen.add(key)
        for required in ("label", "timepoint"):
            if not outcome.get(required):
                problems.append(Problem(shown, line, required, f"outcome '{key}' needs a {required}"))
        otype = outcome.get("type")
        if otype not in OUTCOME_TYPES:
            problems.append(Problem(shown, line, "type", f"'{otype}' is not an outcome type; use binary or continuous"))
        elif outcome.get("measure") not in MEASURES[otype]:
            problems.append(
                Problem(
                    shown,
                    line,
                    "measure",
                    f"'{outcome.get('measure')}' is not a {otype} measure; use one of {', '.join(MEASURES[otype])}",
                )
            )
        if not isinstance(outcome.get("lower_is_better"), bool):
            problems.append(Problem(shown, line, "lower_is_better", "say true or false (the direction of benefit)"))
        tp = outcome.get("timepoint") or {}
        if isinstance(tp, dict):
            lo, hi = tp.get("min_days"), tp.get("max_days")
            if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi):
                problems.append(
                    Problem(
                        shown, line, "timepoint", "give min_days and max_days as whole days with min_days <= max_days"
                    )
                )
            if tp.get("select", "closest") not in ("closest", "longest"):
                problems.append(Problem(shown, line, "timepoint.select", "use closest (to target_days) or longest"))
            if not isinstance(tp.get("accept_undated", False), bool):
                problems.append(Problem(shown, line, "timepoint.accept_undated", "say true or false"))
            if tp.get("select", "closest") == "closest" and not isinstance(tp.get("target_days"), int):
                problems.append(
                    Problem(
                        shown,
                        line,
                        "timepoint.target_days",
                        "give the target day (whole number) when select is closest",
                    )
                )
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, dict) and "rows_from" in outcome and outcome["rows_from"] not in keys_seen:
            node = outcomes_node.value[i] if isinstance(outcomes_node, yaml.SequenceNode) else None
            problems.append(
                Problem(
                    shown, _yaml_line(node), "rows_from", f"'{outcome['rows_from']}' is not an outcome key defined here"
                )
            )
    sof = review.get("summary_of_findings") or {}
    sof_line = _yaml_line(_yaml_child(root, "summary_of_findings"))
    if sof:
        listed = sof.get("outcomes") or []
        if len(listed) > 7:
            problems.append(
                Problem(shown, sof_line, "summary_of_findings.outcomes", "list at most seven outcomes (GRADE)")
            )
        for key in listed:
            if key not in keys_seen:
                problems.append(
                    Problem(shown, sof_line, "summary_of_findings.outcomes", f"'{key}' is not an outcome key")
                )
        for key, setting in (sof.get("assumed_risk") or {}).items():
            if (
                not isinstance(setting, dict)
                or not isinstance(setting.get("value"), int | float)
                or not setting.get("source")
            ):
                problems.append(
                    Problem(
                        shown,
                        sof_line,
                        f"summary_of_findings.assumed_risk.{key}",
                        "give value (a proportion between 0 and 1) and source",
                    )
                )
    analysis = review.get("analysis") or {}
    aline = _yaml_line(_yaml_child(root, "analysis"))
    if isinstance(analysis, dict):
        if analysis.get("fixed") not in FIXED_METHODS:
            problems.append(Problem(shown, aline, "analysis.fixed", f"use one of {', '.join(FIXED_METHODS)}"))
        if analysis.get("random") not in RANDOM_METHODS:
            problems.append(Problem(shown, aline, "analysis.random", f"use one of {', '.join(RANDOM_METHODS)}"))
        if not isinstance(analysis.get("hksj"), bool):
            problems.append(Problem(shown, aline, "analysis.hksj", "say true or false"))
        if analysis.get("convention", "metafor") not in CONVENTIONS:
            problems.append(Problem(shown, aline, "analysis.convention", f"use one of {', '.join(CONVENTIONS)}"))
    return review if len(problems) == start else None


CONTINUOUS_STATS = ("mean", "sd", "median", "q1", "q3", "min", "max")


def _binary_row_problems(
    row: dict, values: dict[str, str], arm_sizes: tuple[str, str], display: str, line: int, studies_display: str
) -> list[Problem]:
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
        events, total = int(values[f"events_{arm}"]), int(values[f"n_{arm}"])
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
    return problems


def check_cross_file(
    studies: Table, outcomes: Table, outcome_bad: set[int], review: dict | None, problems: list[Problem]
) -> None:
    """Rules across fields and files: known study and outcome, events <= total, statistics that fit the
    outcome type, blank numbers only when unverified."""
    study_ids = {r["study_id"].strip() for r in studies.rows}
    arm_sizes = {r["study_id"].strip(): (r.get("n_t", "").strip(), r.get("n_c", "").strip()) for r in studies.rows}
    definitions = {str(o.get("key")): o for o in (review or {}).get("outcomes", []) if isinstance(o, dict)}
    outcome_type = {
        k: definitions[o.get("rows_from", k)].get("type") if o.get("rows_from", k) in definitions else o.get("type")
        for k, o in definitions.items()
    }
    for i, (row, line) in enumerate(zip(outcomes.rows, outcomes.lines, strict=True)):
        sid = row["study_id"].strip()
        if sid and sid not in study_ids:
            problems.append(
                Problem(
                    outcomes.display,
                    line,
                    "study_id",
                    f"unknown study '{sid}'; add it to {studies.display} or fix the id",
                )
            )
        key = row["outcome"].strip()
        if review is not None and key and key not in definitions:
            problems.append(
                Problem(
                    outcomes.display,
                    line,
                    "outcome",
                    f"unknown outcome '{key}'; outcomes defined in review.yaml: {', '.join(sorted(definitions))}",
                )
            )
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
        kind = outcome_type.get(key, "binary")
        numeric_columns = [
            "events_t",
            "n_t",
            "events_c",
            "n_c",
            *(f"{st}_{a}" for a in ("t", "c") for st in CONTINUOUS_STATS),
        ]
        if not any(row[c].strip() for c in numeric_columns):
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
        required = ("events_t", "n_t", "events_c", "n_c") if kind == "binary" else ("n_t", "n_c")
        blank = [c for c in required if not row[c].strip()]
        if blank:
            what = "give all four counts or none" if kind == "binary" else "give the number analysed in each arm"
            problems.append(
                Problem(outcomes.display, line, blank[0], f"{blank[0]} is empty while other numbers are given; {what}")
            )
            continue
        if kind == "binary":
            values = {c: row[c].strip() for c in required}
            problems.extend(
                _binary_row_problems(row, values, arm_sizes.get(sid, ("", "")), outcomes.display, line, studies.display)
            )
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
        known = {r[ref["fields"][0]].strip() for r in target.rows}
        for row, line in zip(table.rows, table.lines, strict=True):
            value = row[column].strip()
            if value and value not in known:
                problems.append(
                    Problem(
                        table.display, line, column, f"unknown {column} '{value}'; it must appear in {target.display}"
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
        if decision == "include" and reason:
            problems.append(
                Problem(table.display, line, "reason", "an included record has no exclusion reason; clear it")
            )
        if decision == "include" and not study:
            problems.append(
                Problem(table.display, line, "study_id", "an included record must name its trial's study_id")
            )
        dup = row["duplicate_of"].strip()
        if dup and dup not in ids:
            problems.append(Problem(table.display, line, "duplicate_of", f"'{dup}' is not a record_id in this log"))


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
    for row, line in zip(table.rows, table.lines, strict=True):
        key = row["outcome"].strip()
        if outcome_keys and key and key not in outcome_keys:
            problems.append(
                Problem(table.display, line, "outcome", f"unknown outcome '{key}'; it must be a key in review.yaml")
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


def validate_data_dir(data_dir: Path) -> list[Problem]:
    """All problems in a data folder (empty list = valid)."""
    data_dir = Path(data_dir)
    problems: list[Problem] = []
    schemas = {}
    for name in TABLES:
        schema_path = data_dir / "schema" / f"{name}.schema.json"
        if not schema_path.exists():
            problems.append(Problem(_display_path(schema_path), 0, "-", "schema file is missing"))
        else:
            schemas[name] = load_table_schema(schema_path)
    review = check_review(data_dir / "review.yaml", problems)
    tables = {name: read_csv_text(data_dir / f"{name}.csv", problems) for name in TABLES}
    bad = {
        name: check_table(tables[name], schemas[name], problems) if tables[name] and name in schemas else set()
        for name in TABLES
    }
    if (
        tables["studies"]
        and tables["outcomes"]
        and "outcomes" in schemas
        and not (set(schemas["outcomes"].field_names) - set(tables["outcomes"].header))
    ):
        check_cross_file(tables["studies"], tables["outcomes"], bad["outcomes"], review, problems)
    outcome_keys = {str(o.get("key")) for o in (review or {}).get("outcomes", []) if isinstance(o, dict)}
    checks = {
        "screening": check_screening,
        "risk_of_bias": lambda t, p: check_risk_of_bias(t, tables["studies"], p),
        "discrepancies": check_discrepancies,
        "grade": lambda t, p: check_known_outcomes(t, outcome_keys, p),
    }
    for name in OPTIONAL_TABLES:
        path = data_dir / f"{name}.csv"
        schema_path = data_dir / "schema" / f"{name}.schema.json"
        if not path.exists() or not schema_path.exists():
            continue
        schema = load_table_schema(schema_path)
        table = read_csv_text(path, problems)
        if table is None:
            continue
        check_table(table, schema, problems)
        if set(schema.field_names) - set(table.header):
            continue
        check_foreign_keys(table, schema, tables, problems)
        checks[name](table, problems)
    return problems
