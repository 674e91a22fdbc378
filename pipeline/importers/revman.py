"""Read a RevMan 5 review file (``.rm5``, XML) into plain records: studies, outcomes with their
per-study rows and the totals RevMan stored, and risk-of-bias judgements.

Element and attribute names follow the files RevMan 5 writes (see the fixtures in
``tests/fixtures/revman``): ``STUDIES/INCLUDED_STUDIES/STUDY``, ``ANALYSES_AND_DATA/COMPARISON``
with ``DICH_OUTCOME``/``CONT_OUTCOME``/``IV_OUTCOME`` (optionally split into ``*_SUBGROUP``) and
their ``*_DATA`` rows, and ``QUALITY_ITEMS/QUALITY_ITEM/QUALITY_ITEM_DATA_ENTRY``. Nothing is
dropped silently: parts this reader does not use are listed in ``RevManReview.not_imported``, and a
malformed file raises :class:`ValidationError` with one ``FILE:LINE: element/attribute: message``
problem per fault.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from pipeline.importers.safe_xml import ParsedXml, UnsafeXmlError, parse_xml_file
from pipeline.inputs.problems import Problem, ValidationError, display_path

OUTCOME_KINDS = {"DICH_OUTCOME": "DICH", "CONT_OUTCOME": "CONT", "IV_OUTCOME": "IV"}
UNSUPPORTED_OUTCOMES = {
    "IPD_OUTCOME": "O-E and variance (individual patient data) outcome",
    "OTHER_OUTCOME": "other data (text) outcome",
}
REQUIRED_DATA = {
    "DICH": ("EVENTS_1", "TOTAL_1", "EVENTS_2", "TOTAL_2"),
    "CONT": ("MEAN_1", "SD_1", "TOTAL_1", "MEAN_2", "SD_2", "TOTAL_2"),
    "IV": (),
}
COUNT_ATTRIBUTES = ("EVENTS_1", "TOTAL_1", "EVENTS_2", "TOTAL_2")
TOTAL_ATTRIBUTES = (
    "EFFECT_SIZE", "CI_START", "CI_END", "LOG_EFFECT_SIZE", "TAU2", "I2", "CHI2", "DF", "P_CHI2", "Z", "P_Z",
    "Q", "P_Q", "I2_Q", "STUDIES", "EVENTS_1", "EVENTS_2", "TOTAL_1", "TOTAL_2", "ESTIMABLE", "WEIGHT",
)  # fmt: skip
SETTING_ATTRIBUTES = ("EFFECT_MEASURE", "METHOD", "RANDOM", "CI_STUDY", "CI_TOTAL", "TOTALS", "LOG_DATA", "SWAP_EVENTS")
RESULT_WORDS = {"YES": "low", "NO": "high", "UNKNOWN": "unclear"}  # RevMan 5 risk of bias ("Yes" = low risk)
XML_NAME_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


@dataclass(frozen=True)
class Reference:
    title: str
    authors: str
    journal: str
    year: str
    doi: str
    pmid: str
    other_ids: tuple[str, ...]


@dataclass(frozen=True)
class RevManStudy:
    rm_id: str
    name: str
    year: str
    status: str  # included, excluded, awaiting, ongoing
    references: tuple[Reference, ...]
    characteristics: dict[str, str]  # CHAR_METHODS etc. as plain text; for excluded studies CHAR_REASON_FOR_EXCLUSION
    line: int


@dataclass(frozen=True)
class DataRow:
    """One ``DICH_DATA``/``CONT_DATA``/``IV_DATA`` element: a study's result in one outcome."""

    kind: str
    study_rm_id: str
    attributes: dict[str, str]
    subgroup_id: str
    subgroup_name: str
    line: int


@dataclass(frozen=True)
class Subgroup:
    rm_id: str
    name: str
    totals: dict[str, str]
    line: int


@dataclass(frozen=True)
class RevManOutcome:
    rm_id: str
    kind: str  # DICH, CONT or IV
    comparison_id: str
    comparison_name: str
    name: str
    settings: dict[str, str]  # EFFECT_MEASURE, METHOD, RANDOM, CI_STUDY, CI_TOTAL, TOTALS, LOG_DATA (as stored)
    totals: dict[str, str]  # what RevMan stored for the pooled result (EFFECT_SIZE, CI_START, TAU2, ...)
    group_labels: tuple[str, str]
    graph_labels: tuple[str, str]
    subgroups: tuple[Subgroup, ...]
    rows: tuple[DataRow, ...]
    line: int

    @property
    def measure(self) -> str:
        return self.settings.get("EFFECT_MEASURE", "")

    @property
    def method(self) -> str:
        return self.settings.get("METHOD", "")

    @property
    def random_effects(self) -> bool:
        return self.settings.get("RANDOM", "NO") == "YES"


@dataclass(frozen=True)
class RobJudgement:
    item_id: str
    item_name: str
    study_rm_id: str
    result: str  # low, high or unclear
    support: str
    group_name: str  # for outcome-group items (e.g. "All outcomes"); empty for study-level items
    line: int


@dataclass(frozen=True)
class RevManReview:
    path: Path
    title: str
    doi: str
    revman_version: str
    authors: tuple[str, ...]
    last_search: str  # YYYY-MM-DD or empty
    studies: tuple[RevManStudy, ...]
    outcomes: tuple[RevManOutcome, ...]
    risk_of_bias: tuple[RobJudgement, ...]
    not_imported: tuple[str, ...]  # parts of the file this reader does not turn into data

    @property
    def source(self) -> str:
        """The provenance ``source`` of every value: file name plus the review's DOI when it has one."""
        return f"{self.path.name} (RevMan file of doi:{self.doi})" if self.doi else f"{self.path.name} (RevMan file)"


def decode_xml_name(value: str) -> str:
    """RevMan writes ids as XML names, escaping characters as ``_xHHHH_`` (``STD-ISIS_x002d_2`` = ``STD-ISIS-2``)."""
    return XML_NAME_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)


def plain_text(element: ET.Element | None) -> str:
    """All text under ``element`` on one line (RevMan keeps paragraphs as ``<P>`` children)."""
    if element is None:
        return ""
    return " ".join(" ".join(element.itertext()).split())


class _Reader:
    def __init__(self, path: Path, parsed: ParsedXml):
        self.path = path
        self.shown = display_path(path)
        self.parsed = parsed
        self.problems: list[Problem] = []
        self.not_imported: list[str] = []

    def problem(self, element: ET.Element, column: str, message: str) -> None:
        self.problems.append(Problem(self.shown, self.parsed.line(element), column, message))

    def line(self, element: ET.Element) -> int:
        return self.parsed.line(element)


def _reference(element: ET.Element) -> Reference:
    ids = {"DOI": "", "PUBMED": ""}
    others: list[str] = []
    for ident in element.iter("IDENTIFIER"):
        kind, value = ident.get("TYPE", "").upper(), ident.get("VALUE", "").strip()
        if kind in ids and value and not ids[kind]:
            ids[kind] = value
        elif value:
            others.append(f"{kind}:{value}")
    return Reference(
        title=plain_text(element.find("TI")),
        authors=plain_text(element.find("AU")),
        journal=plain_text(element.find("SO")),
        year=plain_text(element.find("YR")),
        doi=ids["DOI"],
        pmid=ids["PUBMED"],
        other_ids=tuple(others),
    )


def _characteristics(root: ET.Element) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for tag in ("INCLUDED_CHAR", "EXCLUDED_CHAR", "AWAITING_CHAR", "ONGOING_CHAR"):
        for char in root.iter(tag):
            texts = {child.tag: plain_text(child) for child in char if plain_text(child)}
            found[char.get("STUDY_ID", "")] = texts
    return found


def _studies(reader: _Reader, root: ET.Element) -> tuple[RevManStudy, ...]:
    chars = _characteristics(root)
    studies: list[RevManStudy] = []
    groups = {"INCLUDED_STUDIES": "included", "EXCLUDED_STUDIES": "excluded", "AWAITING_STUDIES": "awaiting"}
    groups["ONGOING_STUDIES"] = "ongoing"
    for group_tag, status in groups.items():
        for group in root.iter(group_tag):
            for study in group.iter("STUDY"):
                rm_id = study.get("ID", "")
                if not rm_id:
                    reader.problem(study, "STUDY/ID", "a study has no ID attribute")
                    continue
                studies.append(
                    RevManStudy(
                        rm_id=rm_id,
                        name=" ".join(study.get("NAME", "").split()) or decode_xml_name(rm_id).removeprefix("STD-"),
                        year=study.get("YEAR", "").strip().rstrip("."),
                        status=status,
                        references=tuple(_reference(ref) for ref in study.iter("REFERENCE")),
                        characteristics=chars.get(rm_id, {}),
                        line=reader.line(study),
                    )
                )
    return tuple(studies)


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _check_row(reader: _Reader, element: ET.Element, kind: str) -> None:
    tag = element.tag
    if not element.get("STUDY_ID"):
        reader.problem(element, f"{tag}/STUDY_ID", "the row names no study")
    for name in REQUIRED_DATA[kind]:
        value = element.get(name)
        if value is None or not value.strip():
            reader.problem(element, f"{tag}/{name}", f"missing; every {tag} needs {', '.join(REQUIRED_DATA[kind])}")
        elif _number(value) is None:
            reader.problem(element, f"{tag}/{name}", f"'{value[:40]}' is not a number")
    for name in COUNT_ATTRIBUTES:
        value = element.get(name, "").strip()
        number = _number(value) if value else None
        if number is not None and (number < 0 or number != int(number)):
            reader.problem(element, f"{tag}/{name}", f"{value} is not a count (a whole number, 0 or more)")
    for arm in ("1", "2"):
        events, total = (
            _number(element.get(f"EVENTS_{arm}", "") or "x"),
            _number(element.get(f"TOTAL_{arm}", "") or "x"),
        )
        if kind == "DICH" and events is not None and total is not None and events > total:
            reader.problem(element, f"{tag}/EVENTS_{arm}", f"{events:g} events among {total:g} participants")
        sd = _number(element.get(f"SD_{arm}", "") or "x")
        if kind == "CONT" and sd is not None and sd < 0:
            reader.problem(element, f"{tag}/SD_{arm}", f"a standard deviation cannot be negative ({sd:g})")


def _data_rows(reader: _Reader, outcome: ET.Element, kind: str) -> tuple[tuple[DataRow, ...], tuple[Subgroup, ...]]:
    data_tag, subgroup_tag = f"{kind}_DATA", f"{kind}_SUBGROUP"
    rows: list[DataRow] = []
    subgroups: list[Subgroup] = []
    containers = [(outcome, "", "")]
    for sub in outcome.findall(subgroup_tag):
        name = plain_text(sub.find("NAME"))
        subgroups.append(Subgroup(sub.get("ID", ""), name, _totals(sub), reader.line(sub)))
        containers.append((sub, sub.get("ID", ""), name))
    for container, sub_id, sub_name in containers:
        for element in container.findall(data_tag):
            _check_row(reader, element, kind)
            rows.append(
                DataRow(kind, element.get("STUDY_ID", ""), dict(element.attrib), sub_id, sub_name, reader.line(element))
            )
    return tuple(rows), tuple(subgroups)


def _totals(element: ET.Element) -> dict[str, str]:
    return {name: element.get(name, "") for name in TOTAL_ATTRIBUTES if element.get(name) is not None}


def _settings(element: ET.Element) -> dict[str, str]:
    settings = {name: element.get(name, "") for name in SETTING_ATTRIBUTES if element.get(name) is not None}
    if not settings.get("EFFECT_MEASURE"):  # IV and IPD outcomes keep the measure as a child element
        settings["EFFECT_MEASURE"] = plain_text(element.find("EFFECT_MEASURE"))
    for name in ("TAU2_METHOD", "RANDOM_EFFECTS_METHOD", "TAU2_ESTIMATOR"):
        if element.get(name):
            settings["TAU2_METHOD"] = element.get(name, "")
    return settings


def _outcomes(reader: _Reader, root: ET.Element) -> tuple[RevManOutcome, ...]:
    outcomes: list[RevManOutcome] = []
    for comparison in root.iter("COMPARISON"):
        comparison_name = plain_text(comparison.find("NAME"))
        for element in comparison:
            if element.tag in UNSUPPORTED_OUTCOMES:
                reader.not_imported.append(
                    f"{element.get('ID', '?')} ({plain_text(element.find('NAME'))}): {UNSUPPORTED_OUTCOMES[element.tag]}"
                    f" at line {reader.line(element)}; this project has no such data type"
                )
            if element.tag not in OUTCOME_KINDS:
                continue
            kind = OUTCOME_KINDS[element.tag]
            rows, subgroups = _data_rows(reader, element, kind)
            outcomes.append(
                RevManOutcome(
                    rm_id=element.get("ID", ""),
                    kind=kind,
                    comparison_id=comparison.get("ID", ""),
                    comparison_name=comparison_name,
                    name=plain_text(element.find("NAME")) or element.get("ID", "outcome"),
                    settings=_settings(element),
                    totals=_totals(element),
                    group_labels=(plain_text(element.find("GROUP_LABEL_1")), plain_text(element.find("GROUP_LABEL_2"))),
                    graph_labels=(plain_text(element.find("GRAPH_LABEL_1")), plain_text(element.find("GRAPH_LABEL_2"))),
                    subgroups=subgroups,
                    rows=rows,
                    line=reader.line(element),
                )
            )
    return tuple(outcomes)


def _risk_of_bias(reader: _Reader, root: ET.Element) -> tuple[RobJudgement, ...]:
    judgements: list[RobJudgement] = []
    for item in root.iter("QUALITY_ITEM"):
        groups = {g.get("ID", ""): plain_text(g.find("NAME")) for g in item.iter("QUALITY_ITEM_DATA_ENTRY_GROUP")}
        for entry in item.iter("QUALITY_ITEM_DATA_ENTRY"):
            result = entry.get("RESULT", "")
            if result not in RESULT_WORDS:
                reader.problem(entry, "QUALITY_ITEM_DATA_ENTRY/RESULT", f"'{result[:20]}' is not YES, NO or UNKNOWN")
                continue
            judgements.append(
                RobJudgement(
                    item_id=item.get("ID", ""),
                    item_name=plain_text(item.find("NAME")),
                    study_rm_id=entry.get("STUDY_ID", ""),
                    result=RESULT_WORDS[result],
                    support=plain_text(entry.find("DESCRIPTION")),
                    group_name=groups.get(entry.get("GROUP_ID", ""), ""),
                    line=reader.line(entry),
                )
            )
    return tuple(judgements)


def _last_search(root: ET.Element) -> str:
    date = root.find("./COVER_SHEET/DATES/LAST_SEARCH/DATE")
    if date is None:
        return ""
    try:
        year, month, day = (int(date.get(k, "")) for k in ("YEAR", "MONTH", "DAY"))
    except ValueError:
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


def _authors(root: ET.Element) -> tuple[str, ...]:
    names = []
    for person in root.iterfind("./COVER_SHEET/CREATORS/PERSON"):
        name = " ".join(plain_text(person.find(t)) for t in ("FIRST_NAME", "MIDDLE_INITIALS", "LAST_NAME")).split()
        if name:
            names.append(" ".join(name))
    return tuple(names)


def _unused_parts(root: ET.Element) -> list[str]:
    notes = []
    for tag, what in (("SOF_TABLE", "summary-of-findings table"), ("ADDITIONAL_TABLE", "additional table")):
        count = len(list(root.iter(tag)))
        if count:
            notes.append(f"{count} {what}(s): text tables, not data; rebuild them from the imported outcomes")
    if root.find(".//MAIN_TEXT/BODY") is not None:
        notes.append("the review's text (MAIN_TEXT): not data; this project writes its own pages")
    return notes


def read_revman(path: Path) -> RevManReview:
    """Parse a RevMan 5 file; raises :class:`ValidationError` listing every fault, and reads nothing partially."""
    path = Path(path)
    shown = display_path(path)
    try:
        parsed = parse_xml_file(path)
    except UnsafeXmlError as err:
        raise ValidationError([Problem(shown, err.line, "-", str(err))]) from None
    root = parsed.root
    if root.tag != "COCHRANE_REVIEW":
        problem = f"the root element is <{root.tag[:40]}>; a RevMan 5 file starts with <COCHRANE_REVIEW>"
        raise ValidationError([Problem(shown, parsed.line(root), root.tag[:40], problem)])
    reader = _Reader(path, parsed)
    studies = _studies(reader, root)
    outcomes = _outcomes(reader, root)
    rob = _risk_of_bias(reader, root)
    if reader.problems:
        raise ValidationError(reader.problems)
    title = plain_text(root.find("./COVER_SHEET/TITLE")) or path.stem
    return RevManReview(
        path=path,
        title=title,
        doi=root.get("DOI", "").strip(),
        revman_version=root.get("REVMAN_SUB_VERSION", root.get("REVMAN_VERSION", "")).strip(),
        authors=_authors(root),
        last_search=_last_search(root),
        studies=studies,
        outcomes=outcomes,
        risk_of_bias=rob,
        not_imported=tuple(reader.not_imported + _unused_parts(root)),
    )
