"""A diff as Markdown: the "What's new" box, the full page, and the brief's one line (through the Markdown writer)."""

from __future__ import annotations

from pipeline.editions.diff import Diff, _fmt
from pipeline.present.to_markdown import Markdown, bullets, join, md, table, text


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


def header(d: Diff) -> Markdown:
    return md(
        "**{}** ({}; last search {}) compared with {} ({}): {}.",
        d.new.label.capitalize(),
        d.new.date,
        d.new.search_date or "not recorded",
        d.old.label,
        d.old.date,
        counts_line(d),
    )


def box(d: Diff) -> Markdown:
    """The overview's "What's new" box (it says so when nothing changed)."""
    if d.nothing_changed:
        body = md("Nothing changed since {} ({}): same trials, data, methods and results.", d.old.label, d.old.date)
        return md("::: {{.whats-new}}\n**What's new.** {}\n:::", body)
    items: list[object] = [verdict_line(d), *(x for x in conclusions_lines(d) if not x.endswith("unchanged."))]
    if d.methods_changes:
        items.append(md("{} methods change(s): see [What's new](whats-new.html).", len(d.methods_changes)))
    if d.adverse_event_signals:
        items.append("New adverse-event signal: " + "; ".join(d.adverse_event_signals))
    return md(
        "::: {{.whats-new}}\n**What's new.** {}\n\n{}\n\nThe full list of changes is on [What's new](whats-new.html).\n:::",
        header(d),
        bullets(items),
    )


def brief_line(d: Diff) -> Markdown:
    if d.nothing_changed:
        return md("*What's new:* nothing since {} ({}).", d.old.label, d.old.date)
    changed = [o.label for o in d.outcomes if [f for f in o.flags if f != "estimate updated"]]
    conclusions = f"conclusions changed for {', '.join(changed)}" if changed else "no conclusion changed"
    return md("*What's new since {}:* {}; {}. {}", d.old.label, counts_line(d), conclusions, verdict_line(d))


def _sentence(lead: str, items: list[str]) -> Markdown:
    return text(lead + "; ".join(items) + ".")


def full(d: Diff) -> Markdown:
    """The What's new page: everything that changed, computed."""
    parts: list[Markdown] = [header(d), md("**{}**", verdict_line(d)), Markdown("## Conclusions per outcome")]
    parts.append(bullets(conclusions_lines(d)))
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
    parts += [
        table(rows) if rows else text("No outcome."),
        Markdown("## New evidence"),
        text(counts_line(d).capitalize() + "."),
    ]
    if d.trials_added:
        parts.append(_sentence("Trials added: ", [", ".join(d.trials_added)]))
    if d.trials_removed:
        parts.append(_sentence("Trials removed: ", [", ".join(d.trials_removed)]))
    if d.rows_added:
        parts.append(_sentence("New result rows for trials already included: ", [" / ".join(k) for k in d.rows_added]))
    if d.rows_removed:
        parts.append(_sentence("Result rows removed: ", [" / ".join(k) for k in d.rows_removed]))
    parts.append(Markdown("## Corrections to trials already included"))
    corrections = [
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
    parts.append(table(corrections) if corrections else text("None."))
    if d.screening_changed:
        parts.append(
            _sentence("Screening decisions changed: ", [f"{c.key[0]} {c.old} to {c.new}" for c in d.screening_changed])
        )
    parts += [Markdown("## Methods changes"), bullets(d.methods_changes) if d.methods_changes else text("None.")]
    parts.append(Markdown("## Adverse-event signals"))
    parts.append(bullets(d.adverse_event_signals) if d.adverse_event_signals else text("No new adverse-event signal."))
    return join("\n\n", parts)
