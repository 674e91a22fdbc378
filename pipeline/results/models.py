"""The named fits of every outcome, and how each is spoken of: one table, read by analysis and presentation.

Every outcome is pooled by the review's fixed-effect method and its random-effects model; with
``hksj: true`` also with the Hartung-Knapp-Sidik-Jonkman adjustment, untruncated (metafor
``test="knha"``) and with the ad hoc truncation (metafor ``test="adhoc"``: never narrower than the
z-based interval), which is then the usual headline. ``{fixed}`` and ``{random}`` in the labels
stand for the review's method codes (``MH``, ``REML``), ``{fixed_words}`` and ``{random_words}`` for
their names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pipeline.stats.measures import METHOD_WORDS

ModelName = Literal["fixed", "random", "random_hksj", "random_hksj_adhoc"]


@dataclass(frozen=True)
class Model:
    name: ModelName
    random: bool
    hksj: bool
    truncate: bool  # the HKSJ ad hoc truncation (metafor test="adhoc")
    label: str  # a forest plot's or table's total row (RevMan: "Total (95% CI)")
    words: str  # in a sentence

    def label_for(self, methods: dict[str, str]) -> str:
        return self.label.format(fixed=methods["fixed"], random=methods["random"])

    def words_for(self, methods: dict[str, str]) -> str:
        fixed = METHOD_WORDS["FE" if methods["fixed"] not in ("MH", "PETO") else methods["fixed"]]
        return self.words.format(fixed_words=fixed, random=methods["random"])


MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        Model("fixed", False, False, False, "Total, fixed ({fixed})", "{fixed_words} fixed effect"),
        Model("random", True, False, False, "Total, random ({random})", "{random} random effects"),
        Model(
            "random_hksj",
            True,
            True,
            False,
            "Total, random ({random}+HKSJ, untruncated)",
            "{random} random effects with the Hartung-Knapp-Sidik-Jonkman adjustment, untruncated",
        ),
        Model(
            "random_hksj_adhoc",
            True,
            True,
            True,
            "Total, random ({random}+HKSJ)",
            "{random} random effects with the Hartung-Knapp-Sidik-Jonkman adjustment",
        ),
    )
}
FIXED: ModelName = "fixed"
RANDOM: ModelName = "random"


def model(name: str) -> Model:
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}: one of {', '.join(MODELS)}") from None


def usual_random_model(hksj: bool) -> ModelName:
    """The random-effects fit a review reports: HKSJ with the ad hoc truncation when it asks for HKSJ."""
    return next(name for name, m in MODELS.items() if m.random and m.hksj == hksj and m.truncate == hksj)


def fitted_models(hksj: bool) -> tuple[ModelName, ...]:
    """The fits every outcome gets, in the order they are stored and shown."""
    return tuple(MODELS) if hksj else tuple(name for name, m in MODELS.items() if not m.hksj)
