"""Tables about the review as a whole: trials, references, screening, risk of bias, provenance, ongoing trials."""

from __future__ import annotations

import string
from collections import Counter

from pipeline.inputs.load import ReviewData
from pipeline.present import numbers as fmt
from pipeline.present import to_html
from pipeline.present.outcome_text import CHECK_WORDS
from pipeline.present.to_markdown import Markdown, md, raw_html, table, text

NOT_ASSESSED = "Not assessed: this review has no {what} ({file})."


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _cell(template: str, study: dict) -> str:
    values = _Blank({k: ("not stated" if v is None else v) for k, v in study.items()})
    return string.Formatter().vformat(template, (), values)


def characteristics(data: ReviewData, short: bool = False) -> list[dict]:
    """One row per trial in order of publication; columns from review.yaml (default: every column titled
    in the studies schema)."""
    columns = [(c.heading, c.value) for c in data.config.characteristics]
    if not columns:
        skip = {"study_id", "first_author", "year", "title", "source", "check", "note", "label", "groups"}
        columns = [(data.field_titles.get(k, k), "{" + k + "}") for k in data.field_titles if k not in skip]
    if short and data.config.characteristics_short:
        wanted = set(data.config.characteristics_short)
        columns = [c for c in columns if c[0] in wanted]
    rows = []
    for s in sorted(data.studies, key=lambda s: (str(s.get("date_published") or ""), s["study_id"])):
        row = {"Trial": s["label"]}
        for heading, template in columns:
            row[heading] = _cell(template, s)
        rows.append(row)
    return rows


def characteristics_table(data: ReviewData, short: bool = False) -> Markdown:
    rows = characteristics(data, short)
    return table(rows) if rows else text("No trials are included yet.")


BRIEF_MAX_REFERENCES = 20  # the two-page brief lists the trials up to this many; beyond, it points to the site


def brief_references(data: ReviewData) -> Markdown:
    """The brief's trial list: every reference while they fit on the two pages, else where to find them."""
    if len(data.studies) <= BRIEF_MAX_REFERENCES:
        return references(data)
    return text(
        f"The references of all {len(data.studies):,} included trials are on the website's Trials page, "
        "with each trial's characteristics, risk of bias and the source of every number."
    )


def references(data: ReviewData) -> Markdown:
    """Numbered reference list of the included trials (Vancouver-like), ordered by first author."""
    lines = []
    for i, s in enumerate(sorted(data.studies, key=lambda s: (s.get("first_author") or "", s.get("year") or 0)), 1):
        journal = s.get("journal")
        doi = s.get("doi")
        parts = [md("{} et al. {}.", text(s.get("first_author"), 100), text(s.get("title"), 300))]
        if journal:
            parts.append(md("*{}*", text(journal, 150)))
        parts.append(text(f"{s.get('year') or ''}."))
        if doi:
            parts.append(md("doi:{}", text(doi, 100)))
        lines.append(Markdown(f"{i}. ") + Markdown(" ".join(parts)))
    return Markdown("\n".join(lines)) if lines else text("No trials are included yet.")


def screening_tables(data: ReviewData) -> dict[str, Markdown]:
    if not data.has_table("screening"):
        missing = text(NOT_ASSESSED.format(what="screening log", file="screening.csv"))
        return {"excluded": missing, "awaiting": missing}
    log = data.table("screening")
    excluded = [r for r in log if r["decision"] == "exclude"]
    awaiting = [r for r in log if r["decision"] == "awaiting classification"]
    return {
        "excluded": table(
            [{"Record": r["citation"], "Reason for exclusion": r["reason"], "Evidence": r["quote"]} for r in excluded]
        )
        if excluded
        else text("No record was excluded."),
        "awaiting": table(
            [
                {"Record": r["citation"], "Identifier": r["doi"], "Why not yet classified": r.get("note") or r["quote"]}
                for r in awaiting
            ]
        )
        if awaiting
        else text("None: every record found has been classified."),
    }


def risk_of_bias_tables(data: ReviewData) -> dict[str, Markdown]:
    """Per tool: a judgement grid (trial x domain) and the support text of every judgement."""
    out = {}
    labels = {s["study_id"]: s["label"] for s in data.studies}
    outcome = data.config.rob_outcome
    for tool, stem in (("RoB 2", "rob2"), ("ROBINS-I", "robins_i")):
        if not data.has_table("risk_of_bias"):
            out[f"rob_{stem}"] = text(NOT_ASSESSED.format(what="risk-of-bias assessment", file="risk_of_bias.csv"))
            out[f"rob_{stem}_support"] = text("")
            continue
        rows = [r for r in data.table("risk_of_bias") if r["tool"] == tool and r["outcome"] == outcome]
        if not rows:
            out[f"rob_{stem}"] = text(f"No trial was assessed with {tool}.")
            out[f"rob_{stem}_support"] = text("")
            continue
        grid: dict[str, dict[str, str]] = {}
        for r in rows:
            grid.setdefault(r["study_id"], {"Trial": labels.get(r["study_id"], r["study_id"]), "Basis": r["basis"]})[
                "Overall" if r["domain"] == "overall" else r["domain"]
            ] = r["judgement"]
        domains = [d for d in ("D1", "D2", "D3", "D4", "D5", "D6", "D7") if any(d in g for g in grid.values())]
        columns = ["Trial", *domains, "Overall", "Basis"]
        out[f"rob_{stem}"] = table([{c: g.get(c, "") for c in columns} for g in grid.values()])
        out[f"rob_{stem}_support"] = table(
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
    return out


def ongoing_table(data: ReviewData) -> Markdown:
    if not data.has_table("ongoing"):
        return text(NOT_ASSESSED.format(what="register of ongoing trials", file="ongoing.csv"))
    rows = [r for r in data.table("ongoing") if r.get("has_results") != "yes"]
    if not rows:
        return text("No registered trial without published results is known.")
    return table(
        [
            {
                "Registration": r["registration"],
                "Title": r["title"],
                "Status": r["status"],
                "Planned enrolment": "not stated" if r.get("enrolment") is None else f"{r['enrolment']:,}",
                "Last checked": r.get("last_checked") or "",
            }
            for r in sorted(rows, key=lambda r: (-(r.get("enrolment") or 0), r["registration"]))
        ]
    )


def provenance_counts(data: ReviewData) -> Counter:
    """How each number of the included trials was checked (per-field provenance if present, else per row)."""
    if data.has_table("provenance"):
        return Counter(r["check"] for r in data.table("provenance") if r["outcome"] != "study")
    counts: Counter = Counter()
    for r in data.outcomes:
        given = sum(
            1
            for k, v in r.items()
            if v is not None and k.split("_")[0] in ("events", "n", "mean", "sd", "median", "q1", "q3", "min", "max")
        )
        counts[r["check"]] += given
    return counts


def provenance_footnote(data: ReviewData) -> Markdown:
    counts = provenance_counts(data)
    total = sum(counts.values())
    if not total:
        return text("")
    parts = [
        f"{counts.get(k, 0)} {CHECK_WORDS[k] if k != 'primary' else 'from the trial report or registry'}"
        for k in ("primary", "secondary", "derived")
    ]
    return text(f"Of the {total} numbers extracted, " + ", ".join(parts) + ".")


def trial_numbers_html(data: ReviewData) -> Markdown:
    """Per trial, an expandable list of every number with its source, locator, quote and check level
    (raw HTML; every string escaped)."""
    rows_by_trial: dict[str, list[dict]] = {}
    if data.has_table("provenance"):
        for r in data.table("provenance"):
            rows_by_trial.setdefault(r["study_id"], []).append(r)
    else:
        for r in data.outcomes:
            for key, value in r.items():
                if value is None or key.split("_")[0] not in (
                    "events",
                    "n",
                    "mean",
                    "sd",
                    "median",
                    "q1",
                    "q3",
                    "min",
                    "max",
                ):
                    continue
                rows_by_trial.setdefault(r["study_id"], []).append(
                    {
                        "outcome": r["outcome"],
                        "timepoint_days": r["timepoint_days"],
                        "field": key,
                        "value": value,
                        "source": r["source"],
                        "locator": "",
                        "quote": r["quote"],
                        "check": r["check"],
                    }
                )
    blocks = []
    for s in sorted(data.studies, key=lambda s: s["label"]):
        rows = rows_by_trial.get(s["study_id"], [])
        checks = Counter(r["check"] for r in rows)
        summary = ", ".join(f"{n} {CHECK_WORDS.get(c, c)}" for c, n in sorted(checks.items())) or "no numbers"
        body = to_html.join(
            "",
            (
                to_html.element(
                    "tr",
                    *(
                        to_html.element("td", v)
                        for v in (
                            r["outcome"],
                            "" if r.get("timepoint_days") is None else r["timepoint_days"],
                            r["field"],
                            r["value"],
                            CHECK_WORDS.get(r["check"], r["check"]),
                        )
                    ),
                    to_html.element(
                        "td",
                        to_html.element(
                            "span",
                            r["source"] + (f", {r['locator']}" if r.get("locator") else ""),
                            title=r.get("quote"),
                        ),
                    ),
                )
                for r in rows
            ),
        )
        blocks.append(
            to_html.html(
                '<details class="trial-numbers" id="numbers-{}"><summary>{}: {}</summary>'
                '<div class="table-scroll"><table><thead><tr><th>Outcome</th><th>Day</th><th>Field</th><th>Value</th>'
                "<th>Check</th><th>Source (hover for the quote)</th></tr></thead><tbody>{}</tbody></table></div></details>",
                s["study_id"],
                s["label"],
                summary,
                body,
            )
        )
    return raw_html(to_html.join("\n", blocks)) if blocks else text("No trials are included yet.")


def included_count_sentence(data: ReviewData) -> Markdown:
    designs = Counter(s.get("design") for s in data.studies)
    if not data.studies:
        return text("No trials yet: the review has no included trial.")
    parts = [f"{n} {'randomised' if d == 'RCT' else 'non-randomised controlled'}" for d, n in sorted(designs.items())]
    total = sum(int(s.get("n_t") or 0) + int(s.get("n_c") or 0) for s in data.studies)
    return text(
        f"{fmt.spell_count(len(data.studies), 'trial')} included ({', '.join(parts)}), {total:,} participants allocated."
    )
