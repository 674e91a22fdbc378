"""The numbers in each box of the PRISMA 2020 flow diagram, computed from the screening log.

Apart from the drawing (:mod:`pipeline.figures.prisma`) so that planning figures and writing tables
do not import matplotlib. Boxes after Page MJ et al. (2021) BMJ 372:n71, figure 1.
"""

from __future__ import annotations

from collections import Counter

NOT_RETRIEVED = "report not available"


def prisma_counts(screening: list[dict]) -> dict:
    """The numbers in each PRISMA 2020 box, from screening.csv rows."""
    duplicates = [r for r in screening if r.get("duplicate_of")]
    not_screened = [r for r in screening if not r.get("duplicate_of") and r["decision"] == "awaiting screening"]
    unique = [r for r in screening if not r.get("duplicate_of") and r["decision"] != "awaiting screening"]
    excluded_screening = [
        r
        for r in unique
        if r["decision"] == "exclude" and r["stage"] == "title/abstract" and r.get("reason") != NOT_RETRIEVED
    ]
    sought = [r for r in unique if r not in excluded_screening]
    not_retrieved = [r for r in sought if r["decision"] == "exclude" and r.get("reason") == NOT_RETRIEVED]
    assessed = [r for r in sought if r not in not_retrieved]
    excluded_full = [r for r in assessed if r["decision"] == "exclude"]
    awaiting = [r for r in assessed if r["decision"] == "awaiting classification"]
    included = [r for r in assessed if r["decision"] == "include"]
    return {
        "identified": len(screening),
        "identified_by_source": dict(sorted(Counter(r["identified_via"] for r in screening).items())),
        "removed_before_screening": len(duplicates),
        "removed_before_screening_reasons": {"duplicate records": len(duplicates)} if duplicates else {},
        "awaiting_screening": len(not_screened),
        "screened": len(unique),
        "excluded_screening": len(excluded_screening),
        "excluded_screening_reasons": dict(Counter(r["reason"] for r in excluded_screening).most_common()),
        "sought": len(sought),
        "not_retrieved": len(not_retrieved),
        "assessed": len(assessed),
        "excluded_full_text": len(excluded_full),
        "excluded_full_text_reasons": dict(Counter(r["reason"] for r in excluded_full).most_common()),
        "awaiting": len(awaiting),
        "included_reports": len(included),
        "included_studies": len({r["study_id"] for r in included}),
    }
