"""Record identifiers used to find duplicates: DOI, PubMed id and trial registration numbers."""

from __future__ import annotations

import re

DOI_PATTERN = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
PMID_PATTERN = re.compile(r"^\s*(?:pmid:?\s*)?(\d{1,9})\s*$", re.IGNORECASE)
# WHO ICTRP primary registries and EU CTR; the forms reviewers meet in titles, abstracts and notes
REGISTRATION_PATTERNS = (
    re.compile(r"\bNCT\s?\d{8}\b", re.IGNORECASE),
    re.compile(r"\bISRCTN\s?\d{8}\b", re.IGNORECASE),
    re.compile(r"\bChiCTR[-\s]?(?:[A-Z]{2,4}-?)?\d{6,12}\b", re.IGNORECASE),
    re.compile(r"\bIRCT\d{8,14}N\d{1,3}\b", re.IGNORECASE),
    re.compile(r"\b(?:EudraCT\s*(?:No\.?|number)?:?\s*)?\d{4}-\d{6}-\d{2}\b", re.IGNORECASE),
    re.compile(r"\bCTRI/\d{4}/\d{2,3}/\d{4,6}\b", re.IGNORECASE),
    re.compile(r"\bACTRN\d{14}\b", re.IGNORECASE),
    re.compile(r"\bDRKS\d{8}\b", re.IGNORECASE),
    re.compile(r"\bEUCTR\d{4}-\d{6}-\d{2}(?:-[A-Z]{2})?\b", re.IGNORECASE),
)


def normal_doi(text: str) -> str:
    """The DOI in ``text`` in lower case without ``https://doi.org/`` or trailing punctuation; '' if none."""
    match = DOI_PATTERN.search(text or "")
    return match.group(1).rstrip(".,;)]").lower() if match else ""


def normal_pmid(text: str) -> str:
    match = PMID_PATTERN.match(text or "")
    return match.group(1).lstrip("0") if match else ""


def registration_ids(text: str) -> tuple[str, ...]:
    """Every trial registration number in ``text`` as written, without spaces, 'EudraCT No' or the EUCTR prefix."""
    found: list[str] = []
    for pattern in REGISTRATION_PATTERNS:
        for match in pattern.finditer(text or ""):
            value = re.sub(r"^(EUDRACT\s*(NO\.?|NUMBER)?:?\s*)", "", match.group(0), flags=re.IGNORECASE).replace(
                " ", ""
            )
            value = value[5:19] if value.upper().startswith("EUCTR") else value
            if value.upper() not in (f.upper() for f in found):
                found.append(value)
    return tuple(found)
