"""Exclusion reasons of screening tools mapped to the screening schema's list.

The schema (``screening.schema.json``, column ``reason``) has a fixed list. Rayyan's and Covidence's
default reasons and common free-text variants map onto it; anything else is not guessed: the
importer keeps the tool's words in ``note`` and reports the record.
"""

from __future__ import annotations

from pipeline.importers.schema_columns import enum_values

SYNONYMS = {
    "not the population of this review": (
        "wrong population", "wrong patient population", "wrong patients", "population", "wrong indication",
        "wrong sex of patients", "wrong age",
    ),
    "not the intervention of this review": ("wrong intervention", "wrong drug", "wrong dose", "wrong route of administration"),
    "no concurrent control arm": ("no control group", "no control arm", "single arm", "single-arm", "uncontrolled", "wrong comparator"),
    "historical or non-concurrent controls": ("historical control", "historical controls", "non-concurrent control"),
    "not a clinical trial": (
        "not a trial", "not a clinical trial", "background article", "review", "review article", "systematic review",
        "editorial", "commentary", "animal study", "in vitro", "case report", "case series", "wrong publication type",
    ),
    "secondary analysis or follow-up of an included trial": (
        "secondary analysis", "follow-up", "follow up", "duplicate publication", "companion report",
    ),
    "report not available": (
        "full text not available", "no full text", "not able to access full text", "report not available",
        "not retrievable", "cannot retrieve",
    ),
}  # fmt: skip


def _normal(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").split()).strip(" .;:")


def map_reason(text: str) -> str:
    """The schema reason for a tool's exclusion reason, or '' when none fits."""
    wanted = _normal(text)
    if not wanted:
        return ""
    allowed = enum_values("screening", "reason")
    for reason in allowed:
        if wanted == reason:
            return reason
    for reason, words in SYNONYMS.items():
        if reason in allowed and wanted in words:
            return reason
    return ""


def map_reasons(reasons: list[str]) -> tuple[str, list[str]]:
    """The first reason that maps, and the reasons that did not map (kept in note)."""
    mapped = [map_reason(r) for r in reasons]
    chosen = next((m for m in mapped if m), "")
    return chosen, [r for r, m in zip(reasons, mapped, strict=True) if not m]
