"""RIS: a reader for screening imports (ASReview, Rayyan and most reference tools write it) and a writer
that turns this project's included studies and excluded/awaiting records into one RIS file.

RIS lines are ``TAG  - value`` (two capital letters or a letter and a digit, two spaces, a hyphen);
``TY`` opens a record and ``ER`` closes it. The writer escapes nothing (RIS has no escapes) but
removes line breaks and control characters from values, which would otherwise start new lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NOTE_DECISION = re.compile(r"\bDecision: (include|exclude|awaiting classification|awaiting screening)\b")
NOTE_FIELD = re.compile(r"\b(Reason|Stage|study_id|record_id|Registration): ([^;]+)")


@dataclass
class RisRecord:
    line: int  # line of the TY tag
    tags: dict[str, list[str]] = field(default_factory=dict)

    def first(self, *names: str) -> str:
        for name in names:
            if self.tags.get(name):
                return self.tags[name][0]
        return ""

    def all(self, *names: str) -> list[str]:
        return [v for name in names for v in self.tags.get(name, [])]


class RisFormatError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def read_ris(text: str) -> list[RisRecord]:
    """Records of a RIS text; a value continued on the next line (no tag) is joined to the previous one."""
    records: list[RisRecord] = []
    current: RisRecord | None = None
    last_tag = ""
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.rstrip()
        match = RIS_LINE.match(line)
        if match is None:
            if current is not None and last_tag and line.strip():
                values = current.tags[last_tag]
                values[-1] = f"{values[-1]} {line.strip()}".strip()
            elif line.strip():
                raise RisFormatError(number, f"'{line[:40]}' is not a RIS line (TAG  - value) outside a record")
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag == "TY":
            current = RisRecord(number)
            records.append(current)
        elif current is None:
            raise RisFormatError(number, f"{tag} before the first TY: a RIS record starts with TY")
        if tag == "ER":
            current, last_tag = None, ""
            continue
        current.tags.setdefault(tag, []).append(value)
        last_tag = tag
    if current is not None:
        raise RisFormatError(current.line, "the last record has no ER line (the file may be cut short)")
    return records


def clean_value(value: str) -> str:
    """One line: control characters and line breaks become spaces, runs of spaces one."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", str(value)).split())


def _record(tags: list[tuple[str, str]]) -> list[str]:
    lines = [f"{tag}  - {clean_value(value)}" for tag, value in tags if clean_value(value) or tag == "TY"]
    return [*lines, "ER  - ", ""]


def _note(parts: list[tuple[str, str]]) -> str:
    return "; ".join(f"{name}: {clean_value(value)}" for name, value in parts if clean_value(value))


def _study_record(row: dict[str, str]) -> list[str]:
    note = _note(
        [("Decision", "include"), ("study_id", row.get("study_id", "")), ("Registration", row.get("registration", ""))]
    )
    return _record(
        [
            ("TY", "JOUR"),
            ("TI", row.get("title", "")),
            ("AU", row.get("first_author", "")),
            ("PY", row.get("year", "")),
            ("JO", row.get("journal", "")),
            ("DO", row.get("doi", "")),
            ("N1", note),
        ]
    )


def _screening_record(row: dict[str, str]) -> list[str]:
    doi = row.get("doi", "")
    note = _note(
        [
            ("Decision", row.get("decision", "")),
            ("Reason", row.get("reason", "")),
            ("Stage", row.get("stage", "")),
            ("record_id", row.get("record_id", "")),
            ("Registration", "" if doi.startswith("10.") or doi == "not found" else doi),
        ]
    )
    return _record(
        [("TY", "JOUR"), ("TI", row.get("citation", "")), ("DO", doi if doi.startswith("10.") else ""), ("N1", note)]
    )


def review_ris(studies: list[dict[str, str]], screening: list[dict[str, str]]) -> str:
    """Included studies (studies.csv rows) and excluded or awaiting records (screening.csv rows, duplicates
    left out) as one RIS text; N1 carries the decision and the reason."""
    lines: list[str] = []
    for row in studies:
        lines += _study_record(row)
    for row in screening:
        if row.get("decision", "") != "include" and not row.get("duplicate_of", "").strip():
            lines += _screening_record(row)
    return "\n".join(lines)


def project_note(notes: list[str]) -> dict[str, str]:
    """Decision, Reason, Stage, study_id... from N1 notes written by :func:`review_ris`."""
    found: dict[str, str] = {}
    for note in notes:
        match = NOTE_DECISION.search(note)
        if match:
            found["Decision"] = match.group(1)
            found.update({name: value.strip() for name, value in NOTE_FIELD.findall(note)})
    return found
