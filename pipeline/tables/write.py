"""Tables stage: data + results -> Markdown tables and statements under ``build/tables/``.

Tables are pipe tables from ``DataFrame.to_markdown()`` (tabulate), so both renderers
(Quarto and the embedded pandoc/Typst path) typeset them, in HTML and in the PDF.
Every string from data is escaped (see :mod:`pipeline.report.markdown_text`).
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from pipeline.figures.forest import arm_cell, model_label
from pipeline.grade import summary_row
from pipeline.inputs.load import load_review_data
from pipeline.report.markdown_text import escape_markdown, markdown_table
from pipeline.report.statements import plain_language, pooled_sentence
from pipeline.tables.summary_of_findings import judgement_check_table, sof_table, sof_table_compact

CHECK_WORDS = {
    "primary": "trial report",
    "secondary": "secondary source",
    "derived": "derived",
    "unverified": "unverified",
}


def _ci(est, lo, hi) -> str:
    if est is None or lo is None or hi is None:
        return "not estimable"
    return f"{est:.2f} [{lo:.2f}, {hi:.2f}]"


def _p(p) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


SHORT_CHARACTERISTICS = ("Trial", "Design", "MSC source", "Population", "MSC / control (n)")


def trial_characteristics(studies: list[dict]) -> pd.DataFrame:
    """One row per trial, ordered by publication date: everything the trials table shows."""
    return pd.DataFrame(
        [
            {
                "Trial": s["label"],
                "Design": s["design"],
                "Allocation": s["randomisation"],
                "Blinding": s["blinding"],
                "Country (centres)": f"{s['country']} ({s['centres']})",
                "Enrolment": s["enrolment_period"],
                "Population": s["severity"],
                "MSC source": s["msc_source"],
                "Dose and schedule": f"{s['dose']}; {s['schedule']}",
                "Control": s["control"],
                "MSC / control (n)": f"{s['n_t']} / {s['n_c']}",
                "Follow-up (days)": "not stated" if s["follow_up_days"] is None else str(s["follow_up_days"]),
                "Funding; conflicts": f"{s['funding']}; {s['conflicts']}",
                "Registration": s["registration"],
                "DOI": s["doi"],
            }
            for s in sorted(studies, key=lambda s: (s["date_published"], s["study_id"]))
        ]
    )


def included_trials_table(studies: list[dict]) -> str:
    return markdown_table(trial_characteristics(studies))


def included_trials_short(studies: list[dict]) -> str:
    """One line per trial for the overview: design, MSC source, population, arm sizes."""
    return markdown_table(trial_characteristics(studies)[list(SHORT_CHARACTERISTICS)])


def study_results_table(result: dict) -> str:
    measure = result["outcome"]["measure"]
    head = result.get("headline_model")
    rows = []
    for s in result["studies"]:
        row = {"Trial": s["label"], "Day": "not stated" if s["timepoint_days"] is None else str(s["timepoint_days"])}
        row["MSC"] = arm_cell(s, "t")
        row["Control"] = arm_cell(s, "c")
        row[f"{measure} [95% CI]"] = _ci(s["effect"], s["ci_lower"], s["ci_upper"])
        row["Weight fixed"] = "—" if s.get("weight_fixed") is None else f"{s['weight_fixed']:.1f}%"
        row["Weight random"] = "—" if s.get(f"weight_{head}") is None else f"{s[f'weight_{head}']:.1f}%"
        row["Source"] = CHECK_WORDS[s["check"]]
        if "conversion_t" in s:
            row["Mean/SD"] = "reported" if s["conversion_t"].startswith("reported") else s["conversion_t"]
        rows.append(row)
    return markdown_table(pd.DataFrame(rows))


def pooled_table(result: dict) -> str:
    measure = result["outcome"]["measure"]
    rows = []
    for name, fit in result.get("fits", {}).items():
        if "error" in fit:
            rows.append(
                {
                    "Model": model_label(result, name),
                    "k": "",
                    f"{measure} [95% CI]": fit["error"],
                    "P": "",
                    "τ²": "",
                    "I²": "",
                    "Q (df), P": "",
                    "95% prediction interval": "",
                }
            )
            continue
        rows.append(
            {
                "Model": model_label(result, name),
                "k": str(fit["k"]),
                f"{measure} [95% CI]": _ci(fit["estimate_display"], fit["ci_lower_display"], fit["ci_upper_display"]),
                "P": _p(fit["pvalue"]),
                "τ²": f"{fit['tau2']:.3f}",
                "I²": f"{fit['i2']:.0f}%",
                "Q (df), P": f"{fit['q']:.2f} ({fit['q_df']}), {_p(fit['q_pvalue'])}",
                "95% prediction interval": "—"
                if name == "fixed"
                else f"{fit['pi_lower_display']:.2f} to {fit['pi_upper_display']:.2f}",
            }
        )
    return markdown_table(pd.DataFrame(rows))


def not_analysed_table(result: dict) -> str:
    if not result["not_analysed"]:
        return "Every included trial contributed data to this analysis."
    return markdown_table(
        pd.DataFrame([{"Trial": m["label"], "Why not analysed": m["reason"]} for m in result["not_analysed"]])
    )


def sensitivity_tables(result: dict) -> str:
    measure = result["outcome"]["measure"]
    parts = []
    if result.get("leave_one_out"):
        frame = pd.DataFrame(
            [
                {
                    "Omitted": r["label"],
                    f"{measure} [95% CI]": r["error"]
                    if "error" in r
                    else _ci(r["estimate_display"], r["ci_lower_display"], r["ci_upper_display"]),
                }
                for r in result["leave_one_out"]
            ]
        )
        parts.append("**Leave-one-out** (random-effects model refitted without each trial)\n\n" + markdown_table(frame))
    if result.get("cumulative"):
        frame = pd.DataFrame(
            [
                {
                    "Adding": r["label"],
                    "Published": r["date_published"],
                    f"{measure} [95% CI]": r["error"]
                    if "error" in r
                    else _ci(r["estimate_display"], r["ci_lower_display"], r["ci_upper_display"]),
                }
                for r in result["cumulative"]
            ]
        )
        parts.append("**Cumulative meta-analysis** (trials added in order of publication)\n\n" + markdown_table(frame))
    for sg in result.get("subgroups", {}).values():
        rows = []
        for group, fit in sg["groups"].items():
            rows.append(
                {
                    "Subgroup": group,
                    "Trials": str(len(fit["studies"])),
                    f"{measure} [95% CI]": fit["error"]
                    if "error" in fit
                    else _ci(fit["estimate_display"], fit["ci_lower_display"], fit["ci_upper_display"]),
                }
            )
        test = (
            "Test for subgroup differences: not computable (fewer than two subgroups with a pooled estimate)."
            if sg["df"] == 0
            else f"Test for subgroup differences: Q = {sg['q_between']:.2f}, df = {sg['df']}, P = {_p(sg['pvalue'])}."
        )
        parts.append(f"**Subgroups by {sg['title']}**\n\n" + markdown_table(pd.DataFrame(rows)) + "\n\n" + test)
    egger = result.get("egger", {})
    if egger:
        parts.append(
            "**Small-study effects.** "
            + (
                egger["message"]
                if not egger["reported"]
                else f"Egger's test: t = {egger['t']:.2f}, df = {egger['df']}, P = {_p(egger['pvalue'])}."
            )
        )
    return "\n\n".join(parts)


def provenance_sentence(result: dict) -> str:
    counts = result.get("evidence_checks", {})
    k = result["k"]
    if not k:
        return ""
    return (
        f"Of the {k} trials analysed, {counts.get('primary', 0)} rest on numbers read in the trial's own report, "
        f"{counts.get('secondary', 0)} on a secondary source only (another review's table) and "
        f"{counts.get('derived', 0)} on numbers derived by arithmetic from reported percentages (see the notes in the data)."
    )


def write_summary_of_findings(data, results_dir: Path, out: Path) -> None:
    """GRADE SoF rows (JSON for the pages and tests), the SoF table, footnotes, judgement check, key message."""
    sof_settings = data.review.get("summary_of_findings") or {}
    keys = sof_settings.get("outcomes") or [o["key"] for o in data.review["outcomes"]][:7]
    rows = []
    for key in keys:
        result = json.loads((results_dir / f"{key}.json").read_text(encoding="utf-8"))
        rows.append(
            summary_row(
                result,
                data.grade_judgements(key),
                data.overall_risk_of_bias(key),
                (sof_settings.get("assumed_risk") or {}).get(key),
            )
        )
    (out / "summary_of_findings.json").write_text(json.dumps(rows, indent=1, default=str), encoding="utf-8")
    table, footnotes = sof_table(rows)
    (out / "sof.md").write_text(table + "\n\n" + "\n\n".join(footnotes), encoding="utf-8")
    (out / "grade_check.md").write_text(judgement_check_table(rows), encoding="utf-8")
    (out / "sof_brief.md").write_text(sof_table_compact(rows), encoding="utf-8")
    first = rows[0]
    (out / "key_message.md").write_text(escape_markdown(key_message(first)), encoding="utf-8")


def key_message(row: dict) -> str:
    """One sentence for the brief: the first SoF outcome's GRADE statement with its certainty and numbers."""
    if not row.get("certainty"):
        return row["statement"]
    numbers = f"{row['measure']} {row['effect']:.2f}, 95% CI {row['ci_lower']:.2f} to {row['ci_upper']:.2f}"
    return (
        f"{row['statement']} ({row['k']} trials, {row['participants']} patients; {numbers}; "
        f"{row['certainty']}-certainty evidence.)"
    )


def write_screening_tables(data, out: Path) -> None:
    """Excluded and awaiting-classification records, from the screening log."""
    excluded = [r for r in data.screening if r["decision"] == "exclude"]
    awaiting = [r for r in data.screening if r["decision"] == "awaiting classification"]
    frame = pd.DataFrame(
        [{"Record": r["citation"], "Reason for exclusion": r["reason"], "Evidence": r["quote"]} for r in excluded]
    )
    (out / "excluded.md").write_text(markdown_table(frame) if excluded else "No record was excluded.", encoding="utf-8")
    frame = pd.DataFrame(
        [
            {"Record": r["citation"], "Identifier": r["doi"], "Why not yet classified": r["note"] or r["quote"]}
            for r in awaiting
        ]
    )
    (out / "awaiting.md").write_text(markdown_table(frame) if awaiting else "None.", encoding="utf-8")


def write_risk_of_bias_tables(data, out: Path) -> None:
    """Per tool: a judgement grid (trial x domain) and the support text of every judgement."""
    labels = {s["study_id"]: s["label"] for s in data.studies}
    for tool, stem in (("RoB 2", "rob2"), ("ROBINS-I", "robins_i")):
        rows = [r for r in data.risk_of_bias if r["tool"] == tool]
        if not rows:
            (out / f"rob_{stem}.md").write_text(f"No trial was assessed with {tool}.", encoding="utf-8")
            continue
        grid: dict[str, dict[str, str]] = {}
        for r in rows:
            grid.setdefault(r["study_id"], {"Trial": labels.get(r["study_id"], r["study_id"]), "Basis": r["basis"]})[
                r["domain"].replace("overall", "Overall")
            ] = r["judgement"]
        columns = [
            "Trial",
            *[d for d in ("D1", "D2", "D3", "D4", "D5", "D6", "D7") if any(d in g for g in grid.values())],
            "Overall",
            "Basis",
        ]
        frame = pd.DataFrame([{c: g.get(c, "") for c in columns} for g in grid.values()])
        support = pd.DataFrame(
            [
                {
                    "Trial": labels.get(r["study_id"], r["study_id"]),
                    "Domain": r["domain"],
                    "Judgement": r["judgement"],
                    "Support": r["support"],
                }
                for r in rows
            ]
        )
        (out / f"rob_{stem}.md").write_text(markdown_table(frame) + "\n\n", encoding="utf-8")
        (out / f"rob_{stem}_support.md").write_text(markdown_table(support), encoding="utf-8")


def references(studies: list[dict]) -> str:
    """Numbered reference list of the included trials (Vancouver-like), ordered by first author."""
    lines = []
    for i, s in enumerate(sorted(studies, key=lambda s: (s["first_author"], s["year"])), start=1):
        lines.append(
            f"{i}. {escape_markdown(s['first_author'])} et al. {escape_markdown(s['title'])}. "
            f"*{escape_markdown(s['journal'])}* {s['year']}. doi:{escape_markdown(s['doi'])}"
        )
    return "\n".join(lines)


def write_tables(data_dir: Path, results_dir: Path, out_dir: Path) -> list[Path]:
    data = load_review_data(data_dir)
    index = json.loads((results_dir / "index.json").read_text(encoding="utf-8"))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tables-", dir=out_dir.parent))
    try:
        (tmp / "included_trials.md").write_text(included_trials_table(data.studies), encoding="utf-8")
        (tmp / "included_trials_short.md").write_text(included_trials_short(data.studies), encoding="utf-8")
        q = data.review["question"]
        (tmp / "question.md").write_text(
            "\n".join(f"- **{k.capitalize()}:** {escape_markdown(v)}" for k, v in q.items()), encoding="utf-8"
        )
        for entry in index["outcomes"]:
            if not entry.get("analysed"):
                continue
            key = entry["key"]
            result = json.loads((results_dir / f"{key}.json").read_text(encoding="utf-8"))
            (tmp / f"{key}_summary.md").write_text(escape_markdown(plain_language(result)), encoding="utf-8")
            (tmp / f"{key}_pooled_sentence.md").write_text(escape_markdown(pooled_sentence(result)), encoding="utf-8")
            (tmp / f"{key}_studies.md").write_text(
                study_results_table(result) if result["studies"] else "No data.", encoding="utf-8"
            )
            (tmp / f"{key}_pooled.md").write_text(
                pooled_table(result) if result["studies"] else "Nothing pooled.", encoding="utf-8"
            )
            (tmp / f"{key}_not_analysed.md").write_text(not_analysed_table(result), encoding="utf-8")
            (tmp / f"{key}_sensitivity.md").write_text(sensitivity_tables(result), encoding="utf-8")
            (tmp / f"{key}_provenance.md").write_text(escape_markdown(provenance_sentence(result)), encoding="utf-8")
        write_summary_of_findings(data, results_dir, tmp)
        write_screening_tables(data, tmp)
        write_risk_of_bias_tables(data, tmp)
        (tmp / "references.md").write_text(references(data.studies), encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return sorted(out_dir.iterdir())
