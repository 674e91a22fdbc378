"""Safe, unique keys: outcome keys for review.yaml, study ids for studies.csv, record ids for screening.csv."""

from __future__ import annotations

import re
import unicodedata

OUTCOME_KEY_MAX = 40  # review.schema.json: outcomes[].key maxLength
STUDY_ID_MAX = 60  # studies.schema.json: study_id maxLength


def ascii_words(text: str) -> list[str]:
    """Lower-case ASCII words of ``text`` (accents dropped: ``Krőber`` -> ``krober``)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.findall(r"[a-z0-9]+", folded)


def unique(candidate: str, taken: set[str], separator: str = "_") -> str:
    """``candidate`` or ``candidate_2``, ``candidate_3``...; the result is added to ``taken``."""
    key, n = candidate, 2
    while key in taken:
        key = f"{candidate}{separator}{n}"
        n += 1
    taken.add(key)
    return key


def outcome_key(label: str, taken: set[str]) -> str:
    """``^[a-z][a-z0-9_]*$``, at most 40 characters, unique among ``taken``."""
    words = ascii_words(label) or ["outcome"]
    if not words[0][0].isalpha():
        words.insert(0, "o")
    key = ""
    for word in words:
        longer = f"{key}_{word}" if key else word
        if len(longer) > OUTCOME_KEY_MAX - 3:  # room for a _N suffix
            break
        key = longer
    return unique(key or words[0][: OUTCOME_KEY_MAX - 3], taken)


def study_id(name: str, year: str, taken: set[str]) -> str:
    """``surname`` + ``year`` (+ letter when taken): ``Brink 1951`` -> ``brink1951``, ``ISIS-2`` 1988 -> ``isis_2_1988``.

    Matches studies.schema.json's ``^[a-z][a-z0-9_]*[0-9]{4}[a-z]?$``; ``0000`` stands in for an unknown year.
    """
    match = re.search(r"(1[89]\d\d|20\d\d)([a-z]?)\s*$", name.strip())
    suffix = ""
    if match:
        year = year or match.group(1)
        suffix = match.group(2)
        name = name[: match.start()]
    words = ascii_words(name) or ["study"]
    if not words[0][0].isalpha():
        words.insert(0, "s")
    stem = "_".join(words)[: STUDY_ID_MAX - 6]
    year_digits = year if re.fullmatch(r"\d{4}", year or "") else "0000"
    glue = "_" if stem[-1].isdigit() else ""
    base = f"{stem}{glue}{year_digits}"
    candidate = base + suffix
    for letter in "abcdefghijklmnopqrstuvwxyz":
        if candidate not in taken:
            break
        candidate = base + letter
    taken.add(candidate)
    return candidate
