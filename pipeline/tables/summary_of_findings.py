"""The GRADE summary-of-findings table (GRADEpro layout) and the judgement check table, as Markdown."""

from __future__ import annotations

import pandas as pd

from pipeline.grade import DOMAINS
from pipeline.report.markdown_text import escape_markdown, markdown_table

CERTAINTY_SYMBOLS = {"high": "⊕⊕⊕⊕ High", "moderate": "⊕⊕⊕◯ Moderate", "low": "⊕⊕◯◯ Low", "very low": "⊕◯◯◯ Very low"}
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _fmt(value: float, digits: int = 0) -> str:
    return f"{value:.{digits}f}"


def _signed(value: float) -> str:
    """'12 fewer' / '12 more' (GRADEpro wording for absolute differences)."""
    return f"{_fmt(abs(value))} {'fewer' if value < 0 else 'more'}"


def _per1000(row: dict) -> tuple[str, str, str]:
    if "assumed_per_1000" in row:
        lo, hi = row["corresponding_ci_per_1000"]
        dlo, dhi = row["difference_ci_per_1000"]
        diff = row["difference_per_1000"]
        return (
            f"{_fmt(row['assumed_per_1000'])} per 1000",
            f"{_fmt(row['corresponding_per_1000'])} per 1000 ({_fmt(lo)} to {_fmt(hi)})",
            f"{_signed(diff)} per 1000 (from {_signed(dlo)} to {_signed(dhi)})",
        )
    if "assumed_mean" in row:
        return (
            f"mean {_fmt(row['assumed_mean'], 1)}",
            "—",
            f"MD {row['effect']:.1f} ({row['ci_lower']:.1f} to {row['ci_upper']:.1f})",
        )
    return "—", "—", "—"


def sof_table(rows: list[dict]) -> tuple[str, list[str]]:
    """The SoF Markdown table and its footnotes (one per downgraded domain, lettered in order)."""
    table_rows, footnotes = [], []
    for row in rows:
        marks = []
        if row.get("certainty"):
            for domain in DOMAINS:
                if row["judgements"][domain] != "not serious":
                    letter = LETTERS[len(footnotes) % len(LETTERS)]
                    footnotes.append(
                        f"^{letter}^ {row['label']}: downgraded for {domain} ({row['judgements'][domain]}): "
                        f"{row['reasons'][domain]}"
                    )
                    marks.append(letter)
        assumed, corresponding, difference = _per1000(row)
        relative = "—"
        if row.get("certainty"):
            relative = f"{row['measure']} {row['effect']:.2f} ({row['ci_lower']:.2f} to {row['ci_upper']:.2f})"
            if row["measure"] == "MD":
                relative = "—"
        certainty = CERTAINTY_SYMBOLS.get(row.get("certainty"), "—")
        if marks:
            certainty += " ^" + ",".join(marks) + "^"
        table_rows.append(
            {
                "Outcome": escape_markdown(row["label"]),
                "Risk with control": assumed,
                "Risk with MSC (95% CI)": corresponding,
                "Difference (95% CI)": difference,
                "Relative effect (95% CI)": relative,
                "Participants (trials)": f"{row['participants']} ({row['k']})",
                "Certainty": certainty,
                "What happens": escape_markdown(row["statement"]),
            }
        )
    # cells are built here from numbers and escaped text: only the footnote marks are Markdown
    table = markdown_table(pd.DataFrame(table_rows), escape_columns=[])
    return table, [escape_markdown(f).replace("\\^", "^") for f in footnotes]


def judgement_check_table(rows: list[dict]) -> str:
    """Recorded judgement against the rule-based proposal, per outcome and computable domain."""
    out = []
    for row in rows:
        for domain, proposal in row.get("proposed", {}).items():
            out.append(
                {
                    "Outcome": row["label"],
                    "Domain": domain,
                    "Recorded": row["judgements"][domain],
                    "Proposed by rule": proposal["judgement"],
                    "Basis": proposal["basis"],
                    "Agree": "yes" if proposal["agrees"] else "NO — review the judgement",
                }
            )
        for domain in row.get("missing_judgements", []):
            out.append(
                {
                    "Outcome": row["label"],
                    "Domain": domain,
                    "Recorded": "not recorded (taken as not serious)",
                    "Proposed by rule": "—",
                    "Basis": "add a row to data/grade.csv",
                    "Agree": "—",
                }
            )
    return markdown_table(pd.DataFrame(out)) if out else "No outcome has a pooled estimate yet."


DOMAIN_ABBREVIATIONS = {
    "risk of bias": "RoB",
    "inconsistency": "Inc",
    "indirectness": "Ind",
    "imprecision": "Imp",
    "publication bias": "PB",
}


def sof_table_compact(rows: list[dict]) -> str:
    """The SoF table for the two-page brief: effects, participants and certainty with the domains rated
    down (x2 = two levels); the full footnotes are on the website."""
    table_rows = []
    for row in rows:
        assumed, corresponding, difference = _per1000(row)
        downgrades = []
        for domain, short in DOMAIN_ABBREVIATIONS.items():
            judgement = (row.get("judgements") or {}).get(domain, "not serious")
            if judgement != "not serious":
                downgrades.append(short + ("×2" if judgement == "very serious" else ""))
        certainty = CERTAINTY_SYMBOLS.get(row.get("certainty"), "—")
        relative = (
            "—"
            if not row.get("certainty") or row["measure"] == "MD"
            else (f"{row['measure']} {row['effect']:.2f} ({row['ci_lower']:.2f} to {row['ci_upper']:.2f})")
        )
        table_rows.append(
            {
                "Outcome": escape_markdown(row["label"]),
                "Control": assumed,
                "MSC (95% CI)": corresponding if corresponding != "—" else difference,
                "Relative effect": relative,
                "N (trials)": f"{row['participants']} ({row['k']})",
                "Certainty": certainty + (f" ({', '.join(downgrades)})" if downgrades else ""),
            }
        )
    note = (
        "Certainty rated down for: RoB risk of bias, Inc inconsistency, Ind indirectness, Imp imprecision, "
        "PB publication bias (×2: two levels). Control: median risk in the trials' control arms."
    )
    return markdown_table(pd.DataFrame(table_rows), escape_columns=[]) + "\n\n" + escape_markdown(note)
