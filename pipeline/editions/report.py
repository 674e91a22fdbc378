"""A diff as Markdown: the "What's new" box, the full page, and the brief's one line."""

from __future__ import annotations

from pipeline.editions.diff import Diff, _fmt
from pipeline.present.to_markdown import escape_markdown, markdown_table


def _e(text: object) -> str:
    return escape_markdown(text)


def counts_line(d: Diff) -> str:
    new = d.screening_new
    parts = [
        f"{len(d.trials_added)} new included {'trial' if len(d.trials_added) == 1 else 'trials'}",
        f"{new.get('exclude', 0)} newly excluded",
        f"{new.get('awaiting classification', 0)} newly awaiting classification",
    ]
    if d.trials_removed:
        parts.append(f"{len(d.trials_removed)} removed")
    return ", ".join(parts)


def verdict_line(d: Diff) -> str:
    if d.republish:
        return "Republish: yes, because " + "; ".join(d.triggers) + "."
    return "Republish: no trigger met (no change in the findings or certainty of a critical outcome, the scope, or the adverse-event picture)."


def conclusions_lines(d: Diff) -> list[str]:
    lines = []
    for o in d.outcomes:
        important = [f for f in o.flags if f != "estimate updated"]
        if important:
            lines.append(f"{o.label}: {'; '.join(important)} ({_fmt(o.before)} to {_fmt(o.after)}).")
        elif "estimate updated" in o.flags:
            lines.append(f"{o.label}: estimate updated, conclusion unchanged ({_fmt(o.before)} to {_fmt(o.after)}).")
        else:
            lines.append(f"{o.label}: unchanged.")
    return lines


def header(d: Diff) -> str:
    search = d.new.search_date or "not recorded"
    return (
        f"**{_e(d.new.label.capitalize())}** ({_e(d.new.date)}; last search {_e(search)}) compared with "
        f"{_e(d.old.label)} ({_e(d.old.date)}): {_e(counts_line(d))}."
    )


def box(d: Diff) -> str:
    """The overview's "What's new" box (it says so when nothing changed)."""
    if d.nothing_changed:
        body = f"Nothing changed since {_e(d.old.label)} ({_e(d.old.date)}): same trials, data, methods and results."
        return f"::: {{.whats-new}}\n**What's new.** {body}\n:::"
    lines = [header(d), "", "- " + _e(verdict_line(d))]
    lines += ["- " + _e(x) for x in conclusions_lines(d) if not x.endswith("unchanged.")]
    if d.methods_changes:
        lines.append(f"- {len(d.methods_changes)} methods change(s): see [What's new](whats-new.html).")
    if d.adverse_event_signals:
        lines.append("- New adverse-event signal: " + _e("; ".join(d.adverse_event_signals)))
    lines.append("\nThe full list of changes is on [What's new](whats-new.html).")
    return "::: {.whats-new}\n**What's new.** " + "\n".join(lines) + "\n:::"


def brief_line(d: Diff) -> str:
    if d.nothing_changed:
        return f"*What's new:* nothing since {_e(d.old.label)} ({_e(d.old.date)})."
    changed = [o.label for o in d.outcomes if [f for f in o.flags if f != "estimate updated"]]
    conclusions = f"conclusions changed for {', '.join(changed)}" if changed else "no conclusion changed"
    return f"*What's new since {_e(d.old.label)}:* {_e(counts_line(d))}; {_e(conclusions)}. {_e(verdict_line(d))}"


def full(d: Diff) -> str:
    """The What's new page: everything that changed, computed."""
    parts = [header(d), "", f"**{_e(verdict_line(d))}**", "", "## Conclusions per outcome", ""]
    parts += ["- " + _e(x) for x in conclusions_lines(d)]
    rows = []
    for o in d.outcomes:
        b, a = o.before, o.after
        rows.append(
            {
                "Outcome": o.label,
                "Before": _fmt(b),
                "After": _fmt(a),
                "Trials (participants)": f"{b.k if b else 0} ({b.participants if b else 0}) to {a.k if a else 0} ({a.participants if a else 0})",
                "Certainty": f"{(b.certainty if b else None) or '—'} to {(a.certainty if a else None) or '—'}",
                "Flags": "; ".join(o.flags) or "none",
            }
        )
    parts += ["", markdown_table(rows) if rows else "No outcome."]
    parts += ["", "## New evidence", ""]
    parts.append(_e(counts_line(d).capitalize() + "."))
    if d.trials_added:
        parts += ["", "Trials added: " + _e(", ".join(d.trials_added)) + "."]
    if d.trials_removed:
        parts += ["", "Trials removed: " + _e(", ".join(d.trials_removed)) + "."]
    if d.rows_added:
        parts += [
            "",
            "New result rows for trials already included: " + _e("; ".join(" / ".join(k) for k in d.rows_added)) + ".",
        ]
    if d.rows_removed:
        parts += ["", "Result rows removed: " + _e("; ".join(" / ".join(k) for k in d.rows_removed)) + "."]
    parts += ["", "## Corrections to trials already included", ""]
    if d.corrections:
        parts.append(
            markdown_table(
                [
                    {
                        "Table": c.table,
                        "Row": " / ".join(c.key),
                        "Field": c.column,
                        "Old": c.old,
                        "New": c.new,
                        "Note of the new row": c.note,
                    }
                    for c in d.corrections
                ]
            )
        )
    else:
        parts.append("None.")
    if d.screening_changed:
        parts += [
            "",
            "Screening decisions changed: "
            + _e("; ".join(f"{c.key[0]} {c.old} to {c.new}" for c in d.screening_changed))
            + ".",
        ]
    parts += ["", "## Methods changes", ""]
    parts += ["- " + _e(m) for m in d.methods_changes] if d.methods_changes else ["None."]
    parts += ["", "## Adverse-event signals", ""]
    parts += (
        ["- " + _e(s) for s in d.adverse_event_signals] if d.adverse_event_signals else ["No new adverse-event signal."]
    )
    return "\n".join(parts)
