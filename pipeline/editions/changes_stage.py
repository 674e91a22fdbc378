"""Editions stage: the edition log -> ``build/<review>/changes/`` (what the pages show about editions).

Writes the edition line, the "What's new" box and page, the brief's one line, the editions list,
the methods-change log, the Atom feed and each edition's permalink folder. "What's new" compares
the current build with the last edition; when the current data are exactly those of the last
edition, it shows what that edition changed compared with the one before.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import date
from pathlib import Path

from pipeline.build_system.output_files import write_if_changed
from pipeline.editions import report
from pipeline.editions.diff import compute_diff
from pipeline.editions.numbers import current_state
from pipeline.editions.state import ReviewState, list_editions, load_edition
from pipeline.inputs.load import ReviewData, read_review_json
from pipeline.present import to_html, to_xml
from pipeline.present.to_markdown import Markdown, bullets, code, join, md, text


def edition_line(data: ReviewData, last: ReviewState | None, current_is_last: bool) -> Markdown:
    version, trials = data.data_hash[:12], f"{len(data.studies)} trials"
    if last is None:
        return md("*No edition published yet (working version) · data version {} · {}*", code(version), trials)
    if current_is_last:
        return md(
            "*Edition {:03d} of {} · last search {} · data version {} · {}*",
            last.number,
            last.date,
            last.search_date or "not recorded",
            code(version),
            trials,
        )
    return md(
        "*Working version after edition {:03d} of {} (not yet published as an edition) · data version {} · {}*",
        last.number,
        last.date,
        code(version),
        trials,
    )


def editions_list(states: list[ReviewState], manifests: list[dict]) -> Markdown:
    if not states:
        return text(
            'No edition has been published yet. make edition NOTE="..." freezes the current build as edition 001.'
        )
    blocks = []
    for state, m in reversed(list(zip(states, manifests, strict=True))):
        numbers = "; ".join(
            f"{o.label} {o.estimate_text()}, {o.k} trials" for o in state.outcomes.values() if o.pooled and o.critical
        )
        n = f"{state.number:03d}"
        blocks.append(
            md(
                "### Edition {n}, {date}\n\n{note}\n\n- Key numbers: {numbers}\n"
                "- [Brief (PDF)](editions/{n}/brief.pdf) · [Data and results](editions/{n}/) · last search {search} · "
                "data version {version}\n- How to cite: {citation}",
                n=Markdown(n),
                date=state.date,
                note=m["note"],
                numbers=numbers or "no pooled critical outcome",
                search=state.search_date or "not recorded",
                version=code(state.data_hash[:12]),
                citation=m["citation"],
            )
        )
    return join("\n\n", blocks)


def atom_feed(title: str, url: str, states: list[ReviewState], manifests: list[dict]) -> str:
    """Atom 1.0 (RFC 4287), one entry per edition, newest first (through the XML writer)."""
    el = to_xml.element
    base = url.rstrip("/")
    feed_id = base + "/feed.xml" if base else "urn:living-review:" + title.replace(" ", "-").lower()
    updated = max((m["date"] for m in manifests), default=date.today().isoformat())
    entries = []
    for state, m in reversed(list(zip(states, manifests, strict=True))):
        n = f"{state.number:03d}"
        summary = (
            m["note"]
            + " Key numbers: "
            + "; ".join(f"{o.label} {o.estimate_text()}" for o in state.outcomes.values() if o.pooled and o.critical)
        )
        entries.append(
            el(
                "entry",
                el("title", f"Edition {n}: {m['note']}"),
                el("id", f"{feed_id}#edition-{n}"),
                el("link", rel="alternate", href=f"{base}/editions/{n}/" if base else f"editions/{n}/"),
                el("updated", f"{m['date']}T00:00:00Z"),
                el("summary", summary),
            )
        )
    feed = el(
        "feed",
        el("title", f"{title}: editions"),
        el("id", feed_id),
        el("updated", f"{updated}T00:00:00Z"),
        el("link", rel="self", href=base + "/feed.xml" if base else "feed.xml"),
        el("author", el("name", f"{title} team")),
        *entries,
        xmlns="http://www.w3.org/2005/Atom",
    )
    return to_xml.document(feed)


def permalink_page(title: str, m: dict, files: list[str]) -> str:
    h = to_html.html
    items = to_html.join("\n", (h('<li><a href="{0}">{0}</a></li>', f) for f in files))
    return h(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Edition {number}: {title}</title>"
        '<link rel="stylesheet" href="../../style.css"></head><body><main>'
        "<h1>{title}: edition {number}</h1><p>{date}: {note}</p><p><strong>How to cite:</strong> {citation}</p>"
        "<p>Last search {search} · git commit <code>{commit}</code> · data version <code>{version}</code>{dirty}</p>"
        '<p><a href="brief.pdf">The brief of this edition (PDF)</a> · <a href="manifest.json">manifest</a> · '
        '<a href="../../editions.html">all editions</a></p>'
        "<h2>Frozen data and results</h2><ul>{items}</ul></main></body></html>\n",
        number=f"{m['number']:03d}",
        title=title,
        date=m["date"],
        note=m["note"],
        citation=m["citation"],
        search=str(m.get("last_search") or "not recorded"),
        commit=m["commit"][:12],
        version=m["data_hash"][:12],
        dirty=" · built from uncommitted data (--allow-dirty)" if m.get("data_dirty") else "",
        items=items,
    )


def write_changes(review_json: Path, results_dir: Path, tables_dir: Path, editions_dir: Path, out: Path) -> list[Path]:
    start = time.perf_counter()
    data = read_review_json(review_json)
    folders = list_editions(editions_dir)
    states = [load_edition(f) for f in folders]
    manifests = [json.loads((f / "manifest.json").read_text(encoding="utf-8")) for f in folders]
    today = date.today().isoformat()
    current = current_state(data, results_dir, tables_dir, today)
    last = states[-1] if states else None
    current_is_last = last is not None and last.data_hash == data.data_hash
    frags: dict[str, str] = {}
    if last is None:
        frags["whats_new_box.md"] = Markdown(
            "::: {.whats-new}\n**What's new.** No edition has been published yet: this is the working version.\n:::"
        )
        frags["whats_new_full.md"] = text("No edition has been published yet, so there is nothing to compare with.")
        frags["brief_whats_new.md"] = text("")
    elif current_is_last and len(states) < 2:
        frags["whats_new_box.md"] = md(
            "::: {{.whats-new}}\n**What's new.** Edition {:03d} ({}) is the first edition: nothing to compare with.\n:::",
            last.number,
            last.date,
        )
        frags["whats_new_full.md"] = text(f"Edition {last.number:03d} is the first edition: nothing to compare with.")
        frags["brief_whats_new.md"] = md("*What's new:* edition {:03d} is the first edition.", last.number)
    else:
        old, new = (states[-2], states[-1]) if current_is_last else (last, current)
        d = compute_diff(old, new)
        frags["whats_new_box.md"] = report.box(d)
        frags["whats_new_full.md"] = report.full(d)
        frags["brief_whats_new.md"] = report.brief_line(d)
    frags["edition_line.md"] = edition_line(data, last, current_is_last)
    frags["editions_list.md"] = editions_list(states, manifests)
    methods = []
    for a, b in zip(states, states[1:], strict=False):
        methods += compute_diff(a, b).methods_changes
    if last is not None and not current_is_last:
        methods += [m + " Not yet in an edition." for m in compute_diff(last, current).methods_changes]
    fixed = data.config.sequential_settings_fixed
    intro = (
        f"Protocol settings changed between editions (trial sequential analysis settings fixed on {fixed})."
        if fixed
        else "Protocol settings changed between editions."
    )
    frags["methods_changes.md"] = md("{}\n\n{}", intro, bullets(methods) if methods else text("None so far."))
    info = {
        "edition": last.number if (last and current_is_last) else None,
        "last_edition": last.number if last else None,
        "citation": manifests[-1]["citation"] if (last and current_is_last) else "",
    }
    frags["current.json"] = json.dumps(info)
    frags["feed.xml"] = atom_feed(data.config.title, data.config.citation_url, states, manifests)
    out.mkdir(parents=True, exist_ok=True)
    changed = [n for n, t in frags.items() if write_if_changed(out / n, t + ("" if t.endswith("\n") else "\n"))]
    site_editions = out / "editions"
    if site_editions.exists():
        shutil.rmtree(site_editions)
    for folder, m in zip(folders, manifests, strict=True):
        target = site_editions / folder.name
        shutil.copytree(folder, target)
        files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
        (target / "index.html").write_text(permalink_page(data.config.title, m, files), encoding="utf-8")
    print(
        f"editions: {len(states)} edition(s); {len(changed)} of {len(frags)} fragments changed ({time.perf_counter() - start:.1f} s)"
    )
    return sorted(out / n for n in frags)
