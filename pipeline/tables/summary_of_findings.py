"""The GRADE summary-of-findings table (GRADEpro layout), its compact form for the brief, and the
check of recorded judgements against the rules, as Markdown."""

from __future__ import annotations

from pipeline.grade.certainty import DOMAINS, SofRow
from pipeline.present import numbers as fmt
from pipeline.present.to_markdown import Markdown, md, table, text
from pipeline.review.config import Labels
from pipeline.stats.measures import measure

CERTAINTY_SYMBOLS = {"high": "⊕⊕⊕⊕ High", "moderate": "⊕⊕⊕◯ Moderate", "low": "⊕⊕◯◯ Low", "very low": "⊕◯◯◯ Very low"}
CERTAINTY_WORDS = {"high": "High", "moderate": "Moderate", "low": "Low", "very low": "Very low"}
LETTERS = "abcdefghijklmnopqrstuvwxyz"
DOMAIN_ABBREVIATIONS = {
    "risk of bias": "RoB",
    "inconsistency": "Inc",
    "indirectness": "Ind",
    "imprecision": "Imp",
    "publication bias": "PB",
}


def _fewer_more(value: float) -> str:
    """'12 fewer' / '12 more' (GRADEpro wording for absolute differences)."""
    n = round(value)
    if n == 0:
        return "0 fewer"
    return f"{abs(n):,} {'fewer' if n < 0 else 'more'}"


def absolute_cells(row: SofRow) -> tuple[str, str, str]:
    """Risk with comparator, risk with intervention (95% CI), difference (95% CI)."""
    if row.assumed_per_1000 is not None and row.corresponding_ci_per_1000 and row.difference_ci_per_1000:
        lo, hi = row.corresponding_ci_per_1000
        dlo, dhi = row.difference_ci_per_1000
        return (
            f"{fmt.per_1000(row.assumed_per_1000)} per 1000",
            f"{fmt.per_1000(row.corresponding_per_1000)} per 1000 ({fmt.per_1000(lo)} to {fmt.per_1000(hi)})",
            f"{_fewer_more(row.difference_per_1000 or 0)} per 1000 (from {_fewer_more(dlo)} to {_fewer_more(dhi)})",
        )
    info = measure(row.measure)
    if row.effect is not None and not info.ratio and "continuous" in info.outcome_types:
        unit = f" {row.unit}" if row.unit else ""
        assumed = "—" if row.assumed_mean is None else f"mean {fmt.number(row.assumed_mean, 1)}{unit}"
        return assumed, "—", f"{row.measure} {fmt.effect_ci(row.effect, row.ci_lower, row.ci_upper, False, 'to')}"
    if row.effect is not None and not info.ratio:
        return "—", "—", f"{row.measure} {fmt.effect_ci(row.effect, row.ci_lower, row.ci_upper, False, 'to')}"
    return "—", "—", "—"


def relative_cell(row: SofRow) -> str:
    if row.effect is None or not measure(row.measure).ratio:
        return "—"
    return f"{row.measure} {fmt.effect_ci(row.effect, row.ci_lower, row.ci_upper, True, 'to')}"


def certainty_cell(row: SofRow) -> str:
    if row.effect is None:
        return "—"
    if not row.graded or row.certainty is None:
        return "not graded"
    return CERTAINTY_SYMBOLS[row.certainty]


def footnotes_for(row: SofRow) -> list[str]:
    """Footnotes of a row: each domain rated down, the few-trials rule, the TSA verdict."""
    notes = []
    if row.certainty:
        for domain in DOMAINS:
            if row.judgements.get(domain, "not serious") != "not serious":
                notes.append(f"Rated down for {domain} ({row.judgements[domain]}): {row.reasons.get(domain, '')}")
    if row.few_trials_note:
        notes.append(row.few_trials_note)
    if row.sequential_verdict:
        notes.append(
            f"Trial sequential analysis (secondary display, not used for the rating): {row.sequential_verdict}"
        )
    if row.randomised_only and not row.graded:
        notes.append(
            "Randomised trials only: not graded separately; see the row above for the certainty of the full body of evidence."
        )
    return notes


def sof_table(rows: list[SofRow], labels: Labels) -> tuple[Markdown, list[Markdown]]:
    """The SoF Markdown table and its lettered footnotes."""
    table_rows, footnotes = [], []
    for row in rows:
        notes = footnotes_for(row)
        marks = [LETTERS[(len(footnotes) + i) % len(LETTERS)] for i in range(len(notes))]
        footnotes += [md("^{}^ {}: {}", mark, row.label, note) for mark, note in zip(marks, notes, strict=True)]
        assumed, corresponding, difference = absolute_cells(row)
        certainty = md("{}{}", certainty_cell(row), Markdown(f" ^{','.join(marks)}^" if marks else ""))
        table_rows.append(
            {
                "Outcome": row.label + (f" ({row.timepoint})" if row.timepoint else ""),
                f"Risk with {labels.comparator}": assumed,
                f"Risk with {labels.intervention} (95% CI)": corresponding,
                "Difference (95% CI)": difference,
                "Relative effect (95% CI)": relative_cell(row),
                "Participants (trials)": f"{fmt.count(row.participants)} ({row.k})",
                "Certainty": certainty,
                "What happens": row.statement,
            }
        )
    return table(table_rows), footnotes


NBSP = "\u00a0"


def _nowrap(text: str) -> str:
    """Numbers and intervals never break across lines (non-breaking spaces)."""
    return text.replace(" ", NBSP)


def sof_table_compact(rows: list[SofRow], labels: Labels) -> Markdown:
    """The SoF for the two-page brief: effects, participants and certainty with the domains rated down.
    Number cells use non-breaking spaces, so an interval is never split across lines."""
    table_rows = []
    for row in rows:
        assumed, corresponding, difference = absolute_cells(row)
        downgrades = []
        for domain, short in DOMAIN_ABBREVIATIONS.items():
            judgement = row.judgements.get(domain, "not serious")
            if row.certainty and judgement != "not serious":
                downgrades.append(short + ("×2" if judgement == "very serious" else ""))
        table_rows.append(
            {
                "Outcome": row.label,
                labels.comparator_title: _nowrap(assumed.replace(" per 1000", "")),
                f"{labels.intervention} (95% CI)": _nowrap(
                    (corresponding if corresponding != "—" else difference).replace(" per 1000", "")
                ),
                "Relative effect": _nowrap(relative_cell(row)),
                "N (trials)": _nowrap(f"{fmt.count(row.participants)} ({row.k})"),
                "Certainty": (
                    CERTAINTY_WORDS.get(row.certainty or "", certainty_cell(row)) if row.graded else certainty_cell(row)
                )
                + (f" ({', '.join(downgrades)})" if downgrades else ""),
            }
        )
    note = (
        "Risks per 1000 participants. Certainty rated down for: RoB risk of bias, Inc inconsistency, Ind indirectness, "
        "Imp imprecision, PB publication bias (×2: two levels). Control risk: median risk in the trials' control arms."
    )
    return md("{}\n\n{}", table(table_rows), note)


def judgement_check_table(rows: list[SofRow]) -> Markdown:
    out = []
    for row in rows:
        if not row.graded:
            continue
        for domain, proposal in row.proposed.items():
            out.append(
                {
                    "Outcome": row.label,
                    "Domain": domain,
                    "Recorded": row.judgements[domain],
                    "Proposed by rule": proposal.judgement,
                    "Basis": proposal.basis,
                    "Agree": "yes" if proposal.agrees else "NO: review the judgement",
                }
            )
        for domain in row.missing_judgements:
            out.append(
                {
                    "Outcome": row.label,
                    "Domain": domain,
                    "Recorded": "not recorded (taken as not serious)",
                    "Proposed by rule": "—",
                    "Basis": "add a row to grade.csv",
                    "Agree": "—",
                }
            )
    return table(out) if out else text("No outcome has a graded pooled estimate yet.")
