"""``python -m pipeline import revman FILE.rm5 DIR``: a RevMan 5 review as a data folder of this project.

The folder is complete or absent: everything is built in memory (a malformed file stops before any
write), written to a temporary folder beside DIR, and renamed into place.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from pipeline.build_system.errors import BuildError
from pipeline.importers.report import ImportReport
from pipeline.importers.revman import RevManReview, read_revman
from pipeline.importers.revman_tables import PlannedOutcome, RevManTables, build_tables, planned_settings
from pipeline.importers.schema_columns import SCAFFOLD_SCHEMA_DIR, columns, table_schema

REPORT_NAME = "IMPORT_REPORT.md"
TABLES = ("studies", "outcomes", "provenance", "risk_of_bias", "screening")
SCHEMA_FILES = (
    "studies",
    "outcomes",
    "provenance",
    "risk_of_bias",
    "screening",
    "review",
    "discrepancies",
    "grade",
    "ongoing",
)
MAX_OUTCOMES = 30  # review.schema.json: outcomes maxItems


class ImportTargetError(BuildError):
    """The target folder cannot receive the import."""


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(" ".join(str(text).split()), ensure_ascii=False)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _lower_is_better(planned: PlannedOutcome) -> bool:
    """RevMan's left graph label favours the intervention when it names group 1 or 'experimental'."""
    left = planned.source.graph_labels[0].lower()
    control = planned.source.group_labels[1].lower()
    return not (control and control in left and "experimental" not in left)


def _outcome_yaml(planned: PlannedOutcome) -> list[str]:
    s = planned_settings(planned)
    o = planned.source
    lines = [
        f"  # RevMan {o.rm_id} in {o.comparison_id} ({_cut(o.comparison_name, 100)}), line {o.line}: "
        f"{o.measure or '?'}, method {o.method or 'IV'}, {'random' if s['random'] else 'fixed'} effects, "
        f"CI {o.settings.get('CI_TOTAL', '95')}%",
        f"  - key: {planned.key}",
        f"    label: {_q(_cut(planned.label, 150))}",
        f"    short_label: {_q(_cut(planned.label, 60))}",
        f"    type: {s['type']}",
        f"    measure: {_q(s['measure'])}",
    ]
    if s["type"] == "generic":
        lines.append(f"    ratio: {'true' if s['ratio'] else 'false'}")
    lines += [
        f"    lower_is_better: {'true' if _lower_is_better(planned) else 'false'}   # from RevMan's graph labels: "
        + _q(" / ".join(o.graph_labels)),
        "    timepoint:",
        '      label: "As defined by the RevMan outcome (the file has no day counts)"',
        "      min_days: 0",
        "      max_days: 3650",
        "      select: longest",
        "      accept_undated: true",
    ]
    return lines


def _analysis(tables: RevManTables, report: ImportReport) -> list[str]:
    fixed = Counter(str(planned_settings(p)["fixed"]) for p in tables.planned)
    chosen = fixed.most_common(1)[0][0] if fixed else "MH"
    others = [
        f"{p.key} ({planned_settings(p)['fixed']})" for p in tables.planned if planned_settings(p)["fixed"] != chosen
    ]
    if others:
        report.attention.append(
            f"review.yaml has one fixed-effect method ({chosen}); RevMan used another for: {', '.join(others[:10])}"
        )
    randoms = sum(bool(planned_settings(p)["random"]) for p in tables.planned)
    return [
        "analysis:",
        f"  fixed: {chosen}                 # RevMan METHOD of most outcomes (MH, IV = FE, PETO)",
        "  random: DL                # RevMan 5 random effects: DerSimonian and Laird",
        "  hksj: false               # RevMan 5 uses z-based intervals",
        "  convention: revman        # RevMan's zero-cell and I2 conventions",
        f"# RevMan showed random effects for {randoms} of {len(tables.planned)} outcomes and fixed effect for the others.",
    ]


def review_yaml(review: RevManReview, tables: RevManTables, report: ImportReport) -> str:
    first = tables.planned[0].source if tables.planned else None
    intervention = (first.group_labels[0] if first else "") or "Intervention"
    comparator = (first.group_labels[1] if first else "") or "Control"
    keys = [p.key for p in tables.planned]
    lines = [
        f"# Imported by `python -m pipeline import revman` from {review.path.name}"
        + (f" (doi:{review.doi})" if review.doi else ""),
        f"# RevMan version {review.revman_version or 'not stated'}. Every number's source is in provenance.csv;",
        f"# what needs a person's attention is in {REPORT_NAME}. Edit the question before publishing.",
        f"title: {_q(_cut(review.title, 200))}",
        f"short_title: {_q(_cut(review.title, 80))}",
        f"subtitle: {_q(_cut('Imported from the RevMan review ' + review.path.name + (' (doi:' + review.doi + ')' if review.doi else ''), 200))}",
        "question:",
        f"  population: {_q('As in the review ' + _cut(review.title, 300) + ' (not recorded in the RevMan data; edit)')}",
        f"  intervention: {_q(intervention)}",
        f"  comparator: {_q(comparator)}",
        '  designs: "As in the RevMan review (design is not recorded per study; see studies.csv notes)"',
        "labels:",
        f"  intervention: {_q(_cut(intervention, 30))}",
        f"  comparator: {_q(_cut(comparator, 30))}",
        "  intervention_is_plural: false",
        "citation:",
        f"  authors: [{', '.join(_q(a) for a in review.authors[:50]) or _q('The review team')}]",
        f"  url: {_q('https://doi.org/' + review.doi) if review.doi else chr(34) * 2}",
        f"primary_outcome: {keys[0] if keys else 'primary'}",
        "outcomes:",
    ]
    for planned in tables.planned:
        lines += _outcome_yaml(planned)
    lines += ["summary_of_findings:", f"  outcomes: [{', '.join(keys[:7])}]"]
    lines += _analysis(tables, report)
    lines += ["subgroups: []", "grade:", "  starting_level: guideline-18"]
    if tables.risk_of_bias:
        lines += ["risk_of_bias:", f"  outcome: {keys[0]}"]
    lines += ["search:", f"  last_search: {review.last_search or 'null'}   # RevMan COVER_SHEET/DATES/LAST_SEARCH"]
    if len(keys) > MAX_OUTCOMES:
        report.attention.append(f"{len(keys)} outcomes, more than the {MAX_OUTCOMES} review.yaml allows: remove some")
    if any(planned_settings(p)["type"] == "generic" for p in tables.planned):
        report.attention.append(
            "generic inverse-variance outcomes use type: generic and the yi/sei (or estimate/ci_*) columns, which "
            "need the schema update the lead engineer is making"
        )
    return "\n".join(lines) + "\n"


def _csv_text(name: str, rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(name), lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns(name)})
    return buffer.getvalue()


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return math.nan


def totals_table(review: RevManReview, tables: RevManTables) -> list[str]:
    """RevMan's stored pooled results, to compare with what this project computes."""
    lines = [
        "## RevMan's stored totals",
        "",
        "| outcome | RevMan id | measure | model | k | estimate | 95% CI | tau2 | I2 (%) | Chi2 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for planned in tables.planned:
        t = planned.source.totals
        if planned.subgroup_name:
            sub = next(s for s in planned.source.subgroups if s.name == planned.subgroup_name)
            t = sub.totals
        s = planned_settings(planned)
        estimate = _number(t.get("EFFECT_SIZE", ""))
        if not math.isfinite(estimate) or t.get("ESTIMABLE") == "NO":
            shown = ["not stored" if not t.get("EFFECT_SIZE") else "not estimable"] + [""] * 4
        else:
            shown = [
                f"{estimate:.4g}",
                f"{_number(t.get('CI_START', '')):.4g} to {_number(t.get('CI_END', '')):.4g}",
                f"{_number(t.get('TAU2', '')):.4g}" if planned_settings(planned)["random"] else "",
                f"{_number(t.get('I2', '')):.1f}",
                f"{_number(t.get('CHI2', '')):.4g}",
            ]
        model = f"{s['fixed']}{' + DL random' if s['random'] else ''}"
        lines.append(
            f"| {planned.key} | {planned.source.rm_id} | {s['measure']} | {model} | {len(planned.rows)} | "
            + " | ".join(shown[:1])
            + " | "
            + " | ".join(shown[1:])
            + " |"
        )
    return lines + [""]


def _missing_totals(tables: RevManTables, report: ImportReport) -> None:
    for planned in tables.planned:
        t = planned.source.totals
        if planned.subgroup_name:
            continue
        if not t.get("EFFECT_SIZE") or planned.source.settings.get("TOTALS") == "NO":
            report.attention.append(
                f"{planned.source.rm_id} ({planned.key}): RevMan stored no pooled result (totals off or not "
                "calculated), so the imported rows cannot be checked against RevMan"
            )
        elif t.get("ESTIMABLE") == "NO":
            report.attention.append(
                f"{planned.source.rm_id} ({planned.key}): RevMan found the pooled result not estimable"
            )


def _write_folder(target: Path, files: dict[str, str]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        (staging / "schema").mkdir()
        for name in SCHEMA_FILES:
            text = json.dumps(table_schema(name), indent=1, ensure_ascii=False) if name != "review" else None
            if name == "review":
                shutil.copyfile(SCAFFOLD_SCHEMA_DIR / "review.schema.json", staging / "schema" / "review.schema.json")
            else:
                (staging / "schema" / f"{name}.schema.json").write_text(text, encoding="utf-8")
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        if target.exists():
            target.rmdir()  # empty (checked before)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def import_revman(source: Path, target: Path) -> ImportReport:
    """Read ``source`` (.rm5) and write the data folder ``target``; returns the report it also wrote."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ImportTargetError(f"{target} exists and is not an empty folder; choose a new folder")
    review = read_revman(Path(source))
    report = ImportReport(f"Import of {review.path.name}", review.source)
    tables = build_tables(review, report)
    if not tables.planned:
        raise ImportTargetError(f"{review.path.name} has no dichotomous, continuous or generic outcome to import")
    _missing_totals(tables, report)
    report.not_imported.extend(review.not_imported)
    files = {"review.yaml": review_yaml(review, tables, report)}
    for name in TABLES:
        files[f"{name}.csv"] = _csv_text(name, getattr(tables, name))
    report.tables = totals_table(review, tables)
    files[REPORT_NAME] = report.markdown()
    _write_folder(target, files)
    return report
