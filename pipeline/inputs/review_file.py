"""Check ``review.yaml`` against its JSON Schema and the rules a schema cannot express.

The schema is ``schema/review.schema.json`` of the data folder (the generator's template,
:data:`REVIEW_SCHEMA`, when the folder has none). Errors name the line of the YAML node
they concern, found by composing the YAML into nodes and following the error's path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from pipeline.inputs.problems import Problem, display_path
from pipeline.stats.measures import measures_for

if TYPE_CHECKING:
    import jsonschema

REVIEW_SCHEMA = Path(__file__).parent / "schemas" / "review.schema.json"


class _StringDatesLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as the text typed (``2026-11-30``), as JSON Schema expects."""


_StringDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml_text(text: str):
    return yaml.load(text, Loader=_StringDatesLoader)  # noqa: S506 - a SafeLoader subclass


def _node_at(root: yaml.Node | None, path: list) -> yaml.Node | None:
    """The deepest YAML node along a JSON path (keys and list indexes)."""
    node = root
    for step in path:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if k.value == step]
            if not match:
                return node
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return node
    return node


def _line(root: yaml.Node | None, path: list) -> int:
    node = _node_at(root, path)
    return node.start_mark.line + 1 if node is not None else 1


def _error_line(root: yaml.Node | None, error: jsonschema.ValidationError) -> int:
    """The line of the offending node; for an unknown key, the line of that key."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and "'" in error.message:
        extra = error.message.split("'")[1]
        node = _node_at(root, path)
        if isinstance(node, yaml.MappingNode):
            for k, _ in node.value:
                if k.value == extra:
                    return k.start_mark.line + 1
    return _line(root, path)


def _dotted(path: list) -> str:
    return ".".join(str(p) for p in path) or "-"


def _message(error: jsonschema.ValidationError) -> str:
    """jsonschema's messages, reworded for people who edit YAML."""
    v = error.validator
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"'{missing}' is required here (see schema/review.schema.json)"
    if v == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {}))) if isinstance(error.schema, dict) else ""
        extra = error.message.split("'")[1] if "'" in error.message else error.message
        return f"unknown key '{extra}' (a typo?)" + (f"; allowed here: {allowed}" if allowed else "")
    if v == "enum":
        return f"{error.instance!r} is not allowed; use one of: {', '.join(map(str, error.validator_value))}"
    if v == "type":
        want = error.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        return f"{error.instance!r} should be a {want}"
    if v == "pattern":
        return f"{error.instance!r} must be lower-case letters, digits and _ (starting with a letter)"
    if v in ("maxLength", "maxItems"):
        return f"too long: at most {error.validator_value} {'characters' if v == 'maxLength' else 'entries'}"
    if v in ("minLength", "minItems"):
        return "must not be empty"
    if v == "anyOf":
        return f"{error.instance!r} is not a valid value here ({error.schema.get('description', 'see the schema')})"
    return error.message


def _rules(review: dict, root: yaml.Node | None, shown: str, study_columns: set[str] | None) -> list[Problem]:
    """Cross-field rules: keys that must name an outcome, measures that fit the type, ordered windows."""
    problems: list[Problem] = []
    outcomes = review.get("outcomes", [])
    keys = [o["key"] for o in outcomes]
    types = {o["key"]: o["type"] for o in outcomes}
    seen: set[str] = set()
    for i, o in enumerate(outcomes):
        here = ["outcomes", i]
        if o["key"] in seen:
            problems.append(
                Problem(shown, _line(root, here + ["key"]), "key", f"outcome key '{o['key']}' is defined twice")
            )
        seen.add(o["key"])
        allowed = measures_for(o["type"])
        if o["measure"] not in allowed:
            problems.append(
                Problem(
                    shown,
                    _line(root, here + ["measure"]),
                    "measure",
                    f"'{o['measure']}' is not a {o['type']} measure; use one of {', '.join(allowed)}",
                )
            )
        tp = o["timepoint"]
        if tp["min_days"] > tp["max_days"]:
            problems.append(
                Problem(shown, _line(root, here + ["timepoint"]), "timepoint", "min_days must not exceed max_days")
            )
        if tp.get("select", "closest") == "closest" and "target_days" not in tp:
            problems.append(
                Problem(
                    shown,
                    _line(root, here + ["timepoint"]),
                    "timepoint.target_days",
                    "give the target day (whole number) when select is closest",
                )
            )
        if o.get("rows_from"):
            if o["rows_from"] not in keys:
                problems.append(
                    Problem(
                        shown,
                        _line(root, here + ["rows_from"]),
                        "rows_from",
                        f"'{o['rows_from']}' is not an outcome key defined here",
                    )
                )
            elif types[o["rows_from"]] != o["type"]:
                problems.append(
                    Problem(
                        shown,
                        _line(root, here + ["rows_from"]),
                        "rows_from",
                        f"'{o['rows_from']}' is {types[o['rows_from']]} but this outcome is {o['type']}",
                    )
                )

    def must_be_outcome(value: str, path: list, what: str, binary: bool = False) -> None:
        if value not in keys:
            problems.append(
                Problem(
                    shown,
                    _line(root, path),
                    _dotted(path),
                    f"'{value}' is not an outcome key of this review ({what}); defined: {', '.join(keys)}",
                )
            )
        elif binary and types[value] != "binary":
            problems.append(
                Problem(
                    shown,
                    _line(root, path),
                    _dotted(path),
                    f"'{value}' is continuous; {what} is defined for binary outcomes",
                )
            )

    must_be_outcome(review["primary_outcome"], ["primary_outcome"], "primary_outcome")
    sof = review.get("summary_of_findings") or {}
    for j, key in enumerate(sof.get("outcomes") or []):
        must_be_outcome(key, ["summary_of_findings", "outcomes", j], "summary of findings")
    for key in sof.get("assumed_risk") or {}:
        must_be_outcome(key, ["summary_of_findings", "assumed_risk", key], "assumed risk", binary=True)
    rob = (review.get("risk_of_bias") or {}).get("outcome")
    if rob:
        must_be_outcome(rob, ["risk_of_bias", "outcome"], "risk of bias")
    for key in (review.get("sequential") or {}).get("outcomes") or {}:
        must_be_outcome(key, ["sequential", "outcomes", key], "trial sequential analysis", binary=True)
    if study_columns is not None:
        for j, sg in enumerate(review.get("subgroups") or []):
            if sg["column"] not in study_columns:
                problems.append(
                    Problem(
                        shown,
                        _line(root, ["subgroups", j, "column"]),
                        f"subgroups.{j}.column",
                        f"'{sg['column']}' is not a column of studies.csv (schema/studies.schema.json)",
                    )
                )
        for j, col in enumerate((review.get("trial_characteristics") or {}).get("columns") or []):
            import string

            for _, name, _, _ in string.Formatter().parse(col["value"]):
                if name and name not in study_columns:
                    problems.append(
                        Problem(
                            shown,
                            _line(root, ["trial_characteristics", "columns", j, "value"]),
                            f"trial_characteristics.columns.{j}.value",
                            f"'{{{name}}}' is not a column of studies.csv",
                        )
                    )
    headings = [c["heading"] for c in (review.get("trial_characteristics") or {}).get("columns") or []]
    for j, short in enumerate((review.get("trial_characteristics") or {}).get("short") or []):
        if short not in headings:
            problems.append(
                Problem(
                    shown,
                    _line(root, ["trial_characteristics", "short", j]),
                    f"trial_characteristics.short.{j}",
                    f"'{short}' is not one of the headings under trial_characteristics.columns",
                )
            )
    return problems


def check_review_file(path: Path, schema_path: Path | None = None, study_columns: set[str] | None = None):
    """Return ``(review mapping or None, problems)``; the mapping is None when anything is wrong."""
    shown = display_path(path)
    if not path.exists():
        return None, [Problem(shown, 0, "-", "file is missing; it defines the question, outcomes and settings")]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return None, [Problem(shown, line, "-", "not valid UTF-8; save the file as UTF-8")]
    try:
        root = yaml.compose(text, Loader=_StringDatesLoader)  # noqa: S506
        review = load_yaml_text(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        return None, [Problem(shown, (mark.line + 1) if mark else 1, "-", f"YAML syntax error: {problem}")]
    if not isinstance(review, dict):
        return None, [Problem(shown, 1, "-", "expected a mapping with keys title, question, labels, outcomes, ...")]
    schema_file = schema_path if schema_path is not None and schema_path.exists() else REVIEW_SCHEMA
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    import jsonschema  # only the validate stage needs it; the later stages read review.json

    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    problems = [
        Problem(shown, _error_line(root, e), _dotted(list(e.absolute_path)), _message(e))
        for e in sorted(validator.iter_errors(review), key=lambda e: [str(p) for p in e.absolute_path])
    ]
    if problems:
        return None, problems
    problems = _rules(review, root, shown, study_columns)
    return (None if problems else review), problems
