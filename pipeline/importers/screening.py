"""``python -m pipeline import screening FILE OUT.csv [--merge]``: screening decisions from Rayyan, Covidence or
RIS (ASReview and most tools) as rows of this project's screening.csv.

Formats (documented sources are named in tests/fixtures/screening/README.md):

- Rayyan CSV (articles.csv of an export): decisions in the ``notes`` column as
  ``RAYYAN-INCLUSION: {"name"=>"Included"} | RAYYAN-LABELS: ... | RAYYAN-EXCLUSION-REASONS: a,b | USER-NOTES: ...``.
- Covidence CSV: one file per list (included, excluded, irrelevant, ...), columns ``Title, Authors, ...,
  DOI, Covidence #, Notes, Tags``; full-text exclusion reasons in Notes as ``Exclusion reason: ...``.
  The list is taken from the file name or given with ``--covidence-list``.
- RIS: ASReview LAB stores its label in N1 as ``ASReview_relevant``/``ASReview_irrelevant``/
  ``ASReview_not_seen``; Rayyan's RIS export carries the Rayyan notes in N1; this project's own RIS
  export carries ``Decision: ...; Reason: ...`` in N1.

Records that share a DOI, PubMed id or trial registration number (NCT, ISRCTN, ChiCTR, IRCT, EudraCT,
CTRI, ...) are kept, with ``duplicate_of`` naming the first one, and listed in the report.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.build_system.errors import BuildError
from pipeline.importers.identifiers import normal_doi, normal_pmid, registration_ids
from pipeline.importers.naming import ascii_words
from pipeline.importers.report import ImportReport
from pipeline.importers.ris import RisFormatError, RisRecord, project_note, read_ris
from pipeline.importers.schema_columns import columns
from pipeline.importers.screening_reasons import map_reasons
from pipeline.inputs.problems import Problem, ValidationError, display_path

MAX_FILE_BYTES = 200_000_000
FORMATS = ("rayyan", "covidence", "ris")
COVIDENCE_LISTS = {  # Covidence list -> (decision, stage)
    "included": ("include", "full text"),
    "excluded": ("exclude", "full text"),
    "irrelevant": ("exclude", "title/abstract"),
    "select": ("awaiting screening", "title/abstract"),
    "screen": ("awaiting screening", "title/abstract"),
    "full_text": ("awaiting classification", "full text"),
}
ASREVIEW_LABELS = {
    "ASReview_relevant": "include",
    "ASReview_irrelevant": "exclude",
    "ASReview_not_seen": "awaiting screening",
}
RAYYAN_VOTES = {"Included": "include", "Excluded": "exclude", "Maybe": "awaiting classification"}


class ScreeningImportError(BuildError):
    """The screening file or the target cannot be used."""


@dataclass
class ScreeningRecord:
    """One record as read from a tool's export, before it becomes a screening.csv row."""

    line: int
    title: str
    first_author: str
    year: str
    journal: str
    doi: str
    pmid: str
    registrations: tuple[str, ...]
    decision: str
    stage: str
    reasons: list[str] = field(default_factory=list)
    quote: str = ""
    notes: list[str] = field(default_factory=list)
    study_id: str = ""


def _surname(authors: str) -> str:
    """First author's surname: ``Alvarez, Maria J.``, ``Alvarez MJ, Chen L`` and ``Alvarez M.J. and Chen L.`` -> ``Alvarez``."""
    first = re.split(r";| and |\n", authors.strip(), maxsplit=1)[0].split(",")[0].strip()
    parts = first.split()
    while len(parts) > 1 and re.fullmatch(r"[A-Z][A-Z.\-]*", parts[-1]):
        parts.pop()
    return " ".join(parts)


def _year(text: str) -> str:
    match = re.search(r"(1[89]\d\d|20\d\d)", text or "")
    return match.group(1) if match else ""


def parse_rayyan_notes(text: str) -> dict[str, object]:
    """Votes, labels, exclusion reasons and user notes from Rayyan's ``notes`` cell (or RIS N1)."""
    found: dict[str, object] = {"votes": {}, "labels": [], "reasons": [], "user_notes": ""}
    for segment in text.split(" | "):
        name, _, value = segment.strip().partition(":")
        value = value.strip()
        if name.endswith("RAYYAN-INCLUSION"):
            found["votes"] = dict(re.findall(r'"([^"]+)"\s*=>\s*"([^"]+)"', value))
        elif name == "RAYYAN-LABELS":
            found["labels"] = [v.strip() for v in value.split(",") if v.strip()]
        elif name == "RAYYAN-EXCLUSION-REASONS":
            found["reasons"] = [v.strip() for v in value.split(",") if v.strip()]
        elif name == "USER-NOTES":
            found["user_notes"] = value
    return found


def rayyan_decision(votes: dict[str, str]) -> str:
    """All reviewers agree -> their decision; Maybe or disagreement -> awaiting classification; none -> awaiting screening."""
    decisions = {RAYYAN_VOTES.get(v, "awaiting classification") for v in votes.values()}
    if not decisions:
        return "awaiting screening"
    return decisions.pop() if len(decisions) == 1 else "awaiting classification"


def _from_rayyan_notes(record: ScreeningRecord, notes: str) -> None:
    parsed = parse_rayyan_notes(notes)
    votes: dict[str, str] = parsed["votes"]  # type: ignore[assignment]
    record.decision = rayyan_decision(votes)
    record.reasons = list(parsed["reasons"])  # type: ignore[arg-type]
    shown = ", ".join(f"{name}: {vote}" for name, vote in votes.items())
    record.quote = f"Rayyan decisions: {shown or 'none'}" + (
        f"; exclusion reasons: {', '.join(record.reasons)}" if record.reasons else ""
    )
    if len(set(votes.values())) > 1:
        record.notes.append(f"Rayyan reviewers disagree ({shown})")
    if parsed["labels"]:
        record.notes.append(f"Rayyan labels: {', '.join(parsed['labels'])}")  # type: ignore[arg-type]
    if parsed["user_notes"]:
        record.notes.append(f"Rayyan notes: {parsed['user_notes']}")


def _ids_text(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def read_rayyan_csv(rows: list[dict[str, str]], lines: list[int], stage: str) -> list[ScreeningRecord]:
    records = []
    for row, line in zip(rows, lines, strict=True):
        get = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        doi = normal_doi(get.get("doi", "")) or normal_doi(get.get("url", ""))
        record = ScreeningRecord(
            line=line, title=get.get("title", ""), first_author=_surname(get.get("authors", "")),
            year=_year(get.get("year", "")), journal=get.get("journal", ""), doi=doi,
            pmid=normal_pmid(get.get("pubmed_id", "")),
            registrations=registration_ids(_ids_text(get.get("title", ""), get.get("abstract", ""), get.get("notes", ""))),
            decision="awaiting screening", stage=stage,
        )  # fmt: skip
        _from_rayyan_notes(record, get.get("notes", ""))
        records.append(record)
    return records


def covidence_list(path: Path, given: str | None) -> str:
    if given:
        return given
    name = path.name.lower()
    for candidate in ("irrelevant", "excluded", "included", "full_text", "select", "screen"):
        if candidate in name:
            return candidate
    raise ScreeningImportError(
        f"{path.name}: cannot tell which Covidence list this export is (included, excluded, irrelevant, select, "
        "full_text); give it with --covidence-list"
    )


def read_covidence_csv(rows: list[dict[str, str]], lines: list[int], list_name: str) -> list[ScreeningRecord]:
    decision, stage = COVIDENCE_LISTS[list_name]
    records = []
    for row, line in zip(rows, lines, strict=True):
        get = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        notes, tags = get.get("Notes", ""), get.get("Tags", "")
        reasons = re.findall(r"Exclusion reason:\s*([^;]+)", notes)
        this_decision = "awaiting classification" if "awaiting classification" in tags.lower() else decision
        record = ScreeningRecord(
            line=line, title=get.get("Title", ""), first_author=_surname(get.get("Authors", "")),
            year=_year(get.get("Published Year", "")), journal=get.get("Journal", ""), doi=normal_doi(get.get("DOI", "")),
            pmid=normal_pmid(get.get("Accession Number", "")),
            registrations=registration_ids(_ids_text(get.get("Title", ""), get.get("Abstract", ""), notes, get.get("Accession Number", ""))),
            decision=this_decision, stage=stage, reasons=[r.strip() for r in reasons],
            quote=f"Covidence list '{list_name}' (Covidence #{get.get('Covidence #', '?').lstrip('#')})"
            + (f"; {notes}" if notes else ""),
        )  # fmt: skip
        if tags:
            record.notes.append(f"Covidence tags: {tags}")
        records.append(record)
    return records


def _ris_decision(record: ScreeningRecord, ris: RisRecord) -> None:
    notes = ris.all("N1")
    labels = [label for note in notes for label in ASREVIEW_LABELS if re.search(rf"\b{label}\b", note)]
    ours = project_note(notes)
    rayyan = next((n for n in notes if "RAYYAN-INCLUSION" in n), "")
    if labels:
        record.decision = ASREVIEW_LABELS[labels[0]]
        record.quote = f"ASReview label {labels[0]} (RIS N1)"
    elif rayyan:
        _from_rayyan_notes(record, rayyan)
    elif ours:
        record.decision = ours["Decision"]
        record.reasons = [ours["Reason"]] if ours.get("Reason") else []
        record.stage = ours.get("Stage", record.stage)
        record.study_id = ours.get("study_id", "")
        record.quote = f"RIS note: {'; '.join(notes)}"
    else:
        record.quote = "RIS record without a screening decision"


def read_ris_records(text: str, stage: str) -> list[ScreeningRecord]:
    records = []
    for ris in read_ris(text):
        authors = ris.all("AU", "A1")
        title = ris.first("TI", "T1", "CT")
        record = ScreeningRecord(
            line=ris.line, title=title, first_author=_surname(authors[0]) if authors else "",
            year=_year(ris.first("PY", "Y1", "DA")), journal=ris.first("JO", "T2", "JF", "JA"),
            doi=normal_doi(ris.first("DO")) or normal_doi(" ".join(ris.all("UR"))),
            pmid=next((normal_pmid(a.replace("PMID:", "")) for a in ris.all("AN") if a.upper().startswith("PMID")), ""),
            registrations=registration_ids(_ids_text(title, ris.first("AB", "N2"), *ris.all("N1"))),
            decision="awaiting screening", stage=stage,
        )  # fmt: skip
        _ris_decision(record, ris)
        records.append(record)
    return records


@dataclass
class Deduplicator:
    """Union of records that share any identifier; the first record seen is the one kept."""

    owner: dict[str, str] = field(default_factory=dict)  # identifier -> record_id

    @staticmethod
    def keys(doi: str, pmid: str, registrations: tuple[str, ...]) -> list[str]:
        return [k for k in (f"doi:{doi}" if doi else "", f"pmid:{pmid}" if pmid else "") if k] + [
            f"registration:{r.upper()}" for r in registrations
        ]

    def claim(self, record_id: str, keys: list[str]) -> tuple[str, str]:
        """('', '') for a new record, else (record_id it duplicates, the identifier shared)."""
        for key in keys:
            if key in self.owner and self.owner[key] != record_id:
                first = self.owner[key]
                for other in keys:
                    self.owner.setdefault(other, first)
                return first, key
        for key in keys:
            self.owner.setdefault(key, record_id)
        return "", ""


def _record_id(record: ScreeningRecord, taken: set[str]) -> str:
    stem = "".join(ascii_words(record.first_author))[:40] or "record"
    if not stem[0].isalpha():
        stem = "r" + stem
    base = f"{stem}{record.year or 'nd'}"
    for letter in "abcdefghijklmnopqrstuvwxyz":
        if base + letter not in taken:
            taken.add(base + letter)
            return base + letter
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    taken.add(f"{base}_{n}")
    return f"{base}_{n}"


def _citation(record: ScreeningRecord) -> str:
    who = f"{record.first_author} et al." if record.first_author else "Unknown author"
    parts = [f"{who} {record.year}".strip(), record.journal]
    text = ", ".join(p for p in parts if p)
    return (f"{text}: {record.title}" if record.title else text)[:600]


def _row(record: ScreeningRecord, record_id: str, via: str) -> tuple[dict[str, str], list[str]]:
    reason, unmapped = map_reasons(record.reasons) if record.decision == "exclude" else ("", [])
    notes = list(record.notes)
    if unmapped:
        notes.append(f"tool's exclusion reason(s) not in the schema list: {', '.join(unmapped)}")
    if record.decision != "exclude" and record.reasons:
        notes.append(f"tool's reasons: {', '.join(record.reasons)}")
    doi = record.doi or (record.registrations[0] if record.registrations else "") or "not found"
    row = {
        "record_id": record_id, "citation": _citation(record), "doi": doi[:200], "identified_via": via,
        "duplicate_of": "", "stage": record.stage, "decision": record.decision, "reason": reason,
        "study_id": record.study_id if record.decision == "include" else "", "quote": (record.quote or "-")[:4000],
        "note": "; ".join(notes)[:4000],
    }  # fmt: skip
    return row, unmapped


def _read_text(path: Path) -> str:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ScreeningImportError(f"{path.name} is larger than {MAX_FILE_BYTES:,} bytes; not a screening export")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _csv_rows(text: str) -> tuple[list[dict[str, str]], list[int]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows, lines, start = [], [], 2
    for row in reader:
        rows.append(row)
        lines.append(start)
        start = reader.line_num + 1
    return rows, lines


def detect_format(path: Path, text: str) -> str:
    head = text.lstrip("\ufeff")[:4000]
    if re.search(r"^TY  -", head, re.MULTILINE):
        return "ris"
    header = next(csv.reader(io.StringIO(head)), [])
    names = [c.strip().lower() for c in header]
    if "covidence #" in names:
        return "covidence"
    if "notes" in names:
        return "rayyan"
    raise ScreeningImportError(
        f"{path.name}: not a Rayyan CSV, Covidence CSV or RIS file; give the format with --format"
    )


def read_records(path: Path, fmt: str | None, stage: str, covidence: str | None) -> list[ScreeningRecord]:
    text = _read_text(path)
    fmt = fmt or detect_format(path, text)
    if fmt == "ris":
        try:
            return read_ris_records(text, stage)
        except RisFormatError as err:
            raise ValidationError([Problem(display_path(path), err.line, "-", str(err))]) from None
    rows, lines = _csv_rows(text)
    if fmt == "covidence":
        return read_covidence_csv(rows, lines, covidence_list(path, covidence))
    return read_rayyan_csv(rows, lines, stage)


def _existing(target: Path) -> list[dict[str, str]]:
    rows, _ = _csv_rows(_read_text(target))
    header = columns("screening")
    if rows and set(header) - set(rows[0]):
        missing = ", ".join(sorted(set(header) - set(rows[0])))
        raise ScreeningImportError(f"{target}: not a screening.csv of this project (missing {missing})")
    return [{c: (r.get(c) or "") for c in header} for r in rows]


def _existing_keys(row: dict[str, str]) -> list[str]:
    doi = normal_doi(row["doi"])
    regs = registration_ids(" ".join((row["doi"], row["citation"], row["note"])))
    return Deduplicator.keys(doi, "", regs)


def import_screening(
    source: Path,
    target: Path,
    merge: bool = False,
    fmt: str | None = None,  # rayyan, covidence or ris; None: detected from the content
    stage: str = "title/abstract",  # Rayyan and RIS exports do not say which stage they come from
    covidence: str | None = None,  # Covidence list; None: from the file name
    identified_via: str = "database search",
) -> ImportReport:
    """Write (or with ``merge`` extend) ``target`` with the records of ``source``; returns the report."""
    source, target = Path(source), Path(target)
    if target.exists() and not merge:
        raise ScreeningImportError(f"{target} exists; use --merge to add the records to it")
    existing = _existing(target) if merge and target.exists() else []
    records = read_records(source, fmt, stage, covidence)
    report = ImportReport(f"Screening import of {source.name}", display_path(source))
    dedupe = Deduplicator()
    taken = {r["record_id"] for r in existing}
    for row in existing:
        dedupe.claim(row["record_id"], _existing_keys(row))
    new_rows = _new_rows(records, source, dedupe, taken, identified_via, report, existing)
    _write_csv(target, existing + new_rows)
    counts = {
        d: sum(r["decision"] == d for r in new_rows)
        for d in ("include", "exclude", "awaiting classification", "awaiting screening")
    }
    report.summary.append(
        f"{len(new_rows)} records from {source.name} -> {target}"
        + (f" (added to {len(existing)} existing)" if existing else "")
        + ": " + ", ".join(f"{n} {d}" for d, n in counts.items() if n)
    )  # fmt: skip
    return report


def _new_rows(records, source, dedupe, taken, via, report, existing) -> list[dict[str, str]]:
    by_id = {r["record_id"]: r for r in existing}
    rows = []
    for record in records:
        record_id = _record_id(record, taken)
        row, unmapped = _row(record, record_id, via)
        first, shared = dedupe.claim(record_id, Deduplicator.keys(record.doi, record.pmid, record.registrations))
        if first:
            row["duplicate_of"] = first
            original = by_id[first]
            if original["decision"] == "include" and row["decision"] == "include":
                row["study_id"] = original["study_id"]
            clash = (
                f"; decisions differ ({original['decision']} vs {row['decision']})"
                if original["decision"] != row["decision"]
                else ""
            )
            report.attention.append(
                f"{source.name}:{record.line}: {record_id} duplicates {first} (same {shared}){clash}"
            )
        if record.decision == "exclude" and not row["reason"]:
            report.attention.append(
                f"{source.name}:{record.line}: {record_id} excluded without a reason from the schema list"
                + (f" (tool's words kept in note: {', '.join(unmapped)})" if unmapped else " (the tool gave none)")
            )
        if row["decision"] == "include" and not row["study_id"]:
            report.attention.append(f"{source.name}:{record.line}: {record_id} included: give its trial's study_id")
        by_id[record_id] = row
        rows.append(row)
    return rows


def _write_csv(target: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns("screening"), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(buffer.getvalue())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
