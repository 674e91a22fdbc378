"""``make surveil``: new records since the last search, not yet in the screening log.

Lists every record of ClinicalTrials.gov and PubMed (searched with the strategy in review.yaml, for
records newer than ``search.last_search``) that ``screening.csv`` does not already hold (matched by
registration number, DOI or PMID), in ``build/<review>/surveillance.md`` and on the console. With
``--append`` the new records are added to the screening log as "awaiting screening" and the registry
status of trials in ``ongoing.csv`` is refreshed; without it nothing in the data folder changes. Any
failure prints one line and changes nothing.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from datetime import date
from pathlib import Path

from pipeline.inputs.load import load_review_data
from pipeline.inputs.problems import ValidationError
from pipeline.surveillance.sources import Fetch, Record, SurveillanceError, clinicaltrials_gov, pubmed, urllib_fetch

AWAITING = "awaiting screening"


def known_identifiers(screening: list[dict], ongoing: list[dict]) -> set[str]:
    """Every registration number, DOI and PMID that the screening log or the ongoing table mentions."""
    import re

    text = " ".join(" ".join(str(v) for v in r.values() if v) for r in [*screening, *ongoing])
    found = {m.upper() for m in re.findall(r"NCT\d{8}", text, flags=re.I)}
    found |= {m.lower() for m in re.findall(r"10\.\d{4,9}/[^\s,;)\"']+", text)}
    found |= {f"PMID:{m}" for m in re.findall(r"PMID:?\s*(\d{5,9})", text, flags=re.I)}
    return found


def is_known(record: Record, known: set[str]) -> bool:
    for ident in record.identifiers:
        if ident.upper() in known or ident.lower() in known or ident in known:
            return True
    return False


def report(new: list[Record], since: str, total: int) -> str:
    lines = [
        f"# Surveillance, {date.today().isoformat()}",
        "",
        f"Records found since {since or 'the start'}: {total}; not yet in the screening log: {len(new)}.",
        "",
    ]
    for r in new:
        extra = f" · {r.status}" if r.status else ""
        extra += f" · enrolment {r.enrolment}" if r.enrolment is not None else ""
        lines.append(
            f"- **{r.identifier}** ({r.source}, {r.date}{extra}): {r.title}" + (f" doi:{r.doi}" if r.doi else "")
        )
    return "\n".join(lines) + "\n"


def _identified_via(data_dir: Path) -> str:
    import json

    schema = json.loads((data_dir / "schema" / "screening.schema.json").read_text(encoding="utf-8"))
    values = next(f["constraints"].get("enum", []) for f in schema["fields"] if f["name"] == "identified_via")
    for preferred in ("registry search", "database search", "search"):
        if preferred in values:
            return preferred
    return values[0] if values else "search"


def append_records(data_dir: Path, new: list[Record], ct_records: list[Record]) -> None:
    """Add the new records to screening.csv (awaiting screening); refresh ongoing.csv's registry status."""
    path = data_dir / "screening.csv"
    text = path.read_text(encoding="utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    via = _identified_via(data_dir)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", restval="")
    for r in new:
        writer.writerow(
            {
                "record_id": f"surveil-{r.identifier.lower().replace(':', '')}",
                "citation": f"{r.title} ({r.source}, {r.date})"[:590],
                "doi": r.doi or (r.identifier if r.source == "ClinicalTrials.gov" else f"PMID:{r.identifier}"),
                "identified_via": via,
                "stage": "title/abstract",
                "decision": AWAITING,
                "quote": r.title[:3900] or "(no title)",
                "note": f"Found by make surveil on {date.today().isoformat()}; not yet screened.",
            }
        )
    separator = "" if text.endswith("\n") else "\n"
    path.write_text(text + separator + out.getvalue(), encoding="utf-8")
    ongoing = data_dir / "ongoing.csv"
    if ongoing.exists() and ct_records:
        by_id = {r.identifier: r for r in ct_records}
        rows = list(csv.DictReader(io.StringIO(ongoing.read_text(encoding="utf-8-sig"))))
        fields = list(rows[0]) if rows else []
        for row in rows:
            found = by_id.get(row["registration"].strip())
            if found is None:
                continue
            row["status"] = found.status or row["status"]
            row["has_results"] = "yes" if found.has_results else "no"
            if found.enrolment is not None:
                row["enrolment"] = str(found.enrolment)
                row["enrolment_type"] = found.enrolment_type
            row["last_checked"] = date.today().isoformat()
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        ongoing.write_text(buf.getvalue(), encoding="utf-8")


def run_surveillance(
    data_dir: Path,
    out: Path,
    append: bool = False,
    timeout: float = 20.0,
    fetch: Fetch = urllib_fetch,
    sleep=time.sleep,
) -> int:
    try:
        data = load_review_data(data_dir)
    except ValidationError as err:
        print(
            f"surveil: the data are invalid ({len(err.problems)} problem(s)); run make validate first", file=sys.stderr
        )
        return 1
    search = data.config.search
    since = search.last_search or ""
    if not search.clinicaltrials_gov and not search.pubmed:
        print(
            "surveil: review.yaml has no search strategy (search.clinicaltrials_gov, search.pubmed); nothing to do",
            file=sys.stderr,
        )
        return 1
    try:
        ct = (
            clinicaltrials_gov(search.clinicaltrials_gov, since, fetch, timeout, sleep)
            if search.clinicaltrials_gov
            else []
        )
        pm = pubmed(search.pubmed, since, fetch, timeout, sleep)
    except SurveillanceError as err:
        print(f"surveil: {err}; nothing changed", file=sys.stderr)
        return 1
    known = known_identifiers([*data.table("screening"), *data.studies], data.table("ongoing"))
    found = [*ct, *pm]
    new = [r for r in found if not is_known(r, known)]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report(new, since, len(found)), encoding="utf-8")
    if not found:
        print(f"surveil: no records since {since or 'the start'}; nothing changed")
        return 0
    print(
        f"surveil: {len(found)} records since {since or 'the start'}, {len(new)} not yet in the screening log (see {out})"
    )
    for r in new:
        print(f"  {r.identifier}  {r.source}  {r.title[:100]}")
    if append and (new or ct):
        append_records(Path(data_dir), new, ct)
        print(f"surveil: added {len(new)} record(s) to {Path(data_dir) / 'screening.csv'} as '{AWAITING}'")
    return 0
