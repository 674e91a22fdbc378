"""The review's settings (``review.yaml``) as typed values, with every default stated here.

``review.yaml`` is checked against ``review.schema.json`` first (see
:mod:`pipeline.inputs.review_file`); this module turns the checked mapping into frozen
dataclasses so that no later stage looks a setting up by a string key or re-decides a
default. Every default is in a dataclass field below, with the source of the choice where
it is one (as metafor documents its defaults in the signature).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.stats.measures import Measure, measure


@dataclass(frozen=True)
class Timepoint:
    min_days: int
    max_days: int
    label: str = ""
    target_days: int | None = None
    select: str = "closest"  # closest (to target_days) | longest
    accept_undated: bool = False  # rows without a day count are taken as end-of-study counts


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str
    type: str  # binary | continuous
    measure: str  # RR | OR | RD | MD | SMD
    lower_is_better: bool
    timepoint: Timepoint
    short_label: str = ""
    unit: str = ""
    rows_from: str = ""  # re-use another outcome's rows of outcomes.csv
    critical: bool = True  # GRADE importance: critical outcomes drive the living-review triggers
    safety: bool = False  # an adverse-event outcome: its changes are "new adverse-event signals"

    @property
    def source_key(self) -> str:
        return self.rows_from or self.key

    @property
    def measure_info(self) -> Measure:
        return measure(self.measure)

    @property
    def short(self) -> str:
        return self.short_label or self.label

    @property
    def slug(self) -> str:
        """The page name of the outcome (``outcome-<key>.html``)."""
        return "outcome-" + self.key.replace("_", "-")


@dataclass(frozen=True)
class Labels:
    intervention: str
    comparator: str
    intervention_is_plural: bool = False

    @property
    def comparator_title(self) -> str:
        return self.comparator[:1].upper() + self.comparator[1:]


@dataclass(frozen=True)
class FewTrialsRule:
    """Cochrane Handbook v6.4, 10.10.4: with very few studies tau^2 is poorly estimated; Bender et al.
    (2018, Res Synth Methods 9:382) advise a fixed-effect analysis or no pooling for k = 2."""

    max_k: int = 3
    headline: str = "fixed"  # fixed | random | none


@dataclass(frozen=True)
class MedianConversion:
    """metafor ``conv.fivenum`` defaults: test for skewness first (Shi et al. 2023), do not convert skewed arms."""

    skewness_test: bool = True
    convert_skewed: bool = False


@dataclass(frozen=True)
class AnalysisSettings:
    fixed: str = "MH"  # metafor rma.mh
    random: str = "REML"  # metafor rma.uni default
    hksj: bool = True  # metafor test="knha" (headline: test="adhoc")
    convention: str = "metafor"
    few_trials: FewTrialsRule = field(default_factory=FewTrialsRule)
    median_conversion: MedianConversion = field(default_factory=MedianConversion)


@dataclass(frozen=True)
class Subgroup:
    column: str
    title: str
    groups: dict[str, list[str]] = field(default_factory=dict)  # group label -> column values
    other: str = ""  # label of values not listed in groups; empty: the value itself is the group

    @property
    def key(self) -> str:
        return self.column

    def group_of(self, value: object) -> str:
        text = "" if value is None else str(value)
        for label, values in self.groups.items():
            if text in [str(v) for v in values]:
                return label
        return self.other or text or "not reported"


@dataclass(frozen=True)
class SummaryOfFindings:
    outcomes: list[str] = field(default_factory=list)  # empty: the first seven outcomes
    assumed_risk: dict[str, dict[str, Any]] = field(default_factory=dict)
    randomised_only: bool = False


@dataclass(frozen=True)
class GradeSettings:
    starting_level: str = "guideline-18"  # Schünemann et al. 2019, J Clin Epidemiol 111:105
    ois_events: int = 300  # Guyatt et al. 2011, J Clin Epidemiol 64:1283 (rule of thumb)
    ois_participants: int = 400


@dataclass(frozen=True)
class SequentialSettings:
    """Trial sequential analysis settings for one outcome (Wetterslev et al. 2008, J Clin Epidemiol 61:64)."""

    alpha: float = 0.05  # two-sided
    power: float = 0.80
    relative_risk_reduction: float = 0.20
    control_event_proportion: float | str = "pooled"
    heterogeneity: float | str = "diversity"


@dataclass(frozen=True)
class SearchSettings:
    last_search: str | None = None
    clinicaltrials_gov: dict[str, str] = field(default_factory=dict)
    pubmed: str = ""


@dataclass(frozen=True)
class CharacteristicColumn:
    heading: str
    value: str  # a template of studies.csv columns, e.g. "{country} ({centres})"


@dataclass(frozen=True)
class ReviewConfig:
    title: str
    question: dict[str, str]
    labels: Labels
    primary_outcome: str
    outcomes: list[Outcome]
    analysis: AnalysisSettings
    short_title: str = ""
    subtitle: str = ""
    citation_authors: list[str] = field(default_factory=list)
    citation_url: str = ""
    summary_of_findings: SummaryOfFindings = field(default_factory=SummaryOfFindings)
    subgroups: list[Subgroup] = field(default_factory=list)
    risk_of_bias_outcome: str = ""  # empty: the primary outcome
    grade: GradeSettings = field(default_factory=GradeSettings)
    sequential: dict[str, SequentialSettings] = field(default_factory=dict)
    sequential_settings_fixed: str | None = None
    characteristics: list[CharacteristicColumn] = field(default_factory=list)
    characteristics_short: list[str] = field(default_factory=list)
    search: SearchSettings = field(default_factory=SearchSettings)

    def outcome(self, key: str) -> Outcome:
        for o in self.outcomes:
            if o.key == key:
                return o
        raise KeyError(key)

    @property
    def primary(self) -> Outcome:
        return self.outcome(self.primary_outcome)

    @property
    def rob_outcome(self) -> str:
        return self.risk_of_bias_outcome or self.primary_outcome

    @property
    def sof_outcomes(self) -> list[str]:
        return self.summary_of_findings.outcomes or [o.key for o in self.outcomes][:7]

    @property
    def name(self) -> str:
        return self.short_title or self.title

    def to_dict(self) -> dict:
        return asdict(self)


def _sequential(raw: dict | None) -> tuple[dict[str, SequentialSettings], str | None]:
    if not raw:
        return {}, None
    defaults = raw.get("defaults") or {}
    out = {}
    for key, override in (raw.get("outcomes") or {}).items():
        out[key] = SequentialSettings(**{**defaults, **(override or {})})
    fixed = raw.get("settings_fixed")
    return out, None if fixed is None else str(fixed)


def review_config(raw: dict) -> ReviewConfig:
    """Typed settings from a ``review.yaml`` mapping that has passed the schema check."""
    analysis = dict(raw["analysis"])
    few = FewTrialsRule(**(analysis.pop("few_trials", None) or {}))
    conversion = MedianConversion(**(analysis.pop("median_conversion", None) or {}))
    sof = raw.get("summary_of_findings") or {}
    grade = raw.get("grade") or {}
    ois = grade.get("optimal_information_size") or {}
    sequential, fixed_on = _sequential(raw.get("sequential"))
    search = raw.get("search") or {}
    characteristics = raw.get("trial_characteristics") or {}
    citation = raw.get("citation") or {}
    return ReviewConfig(
        title=raw["title"],
        short_title=raw.get("short_title", ""),
        subtitle=raw.get("subtitle", ""),
        question={k: str(v) for k, v in raw["question"].items()},
        labels=Labels(**raw["labels"]),
        primary_outcome=raw["primary_outcome"],
        outcomes=[
            Outcome(**{**o, "timepoint": Timepoint(**o["timepoint"])})  # type: ignore[arg-type]
            for o in raw["outcomes"]
        ],
        analysis=AnalysisSettings(**analysis, few_trials=few, median_conversion=conversion),
        citation_authors=list(citation.get("authors") or []),
        citation_url=citation.get("url", ""),
        summary_of_findings=SummaryOfFindings(
            outcomes=list(sof.get("outcomes") or []),
            assumed_risk=dict(sof.get("assumed_risk") or {}),
            randomised_only=bool(sof.get("randomised_only", False)),
        ),
        subgroups=[
            Subgroup(
                column=s["column"],
                title=s["title"],
                groups={k: [str(v) for v in vals] for k, vals in (s.get("groups") or {}).items()},
                other=s.get("other", ""),
            )
            for s in raw.get("subgroups") or []
        ],
        risk_of_bias_outcome=(raw.get("risk_of_bias") or {}).get("outcome", ""),
        grade=GradeSettings(
            starting_level=grade.get("starting_level", "guideline-18"),
            ois_events=ois.get("events", 300),
            ois_participants=ois.get("participants", 400),
        ),
        sequential=sequential,
        sequential_settings_fixed=fixed_on,
        characteristics=[CharacteristicColumn(**c) for c in characteristics.get("columns") or []],
        characteristics_short=list(characteristics.get("short") or []),
        search=SearchSettings(
            last_search=None if search.get("last_search") is None else str(search["last_search"]),
            clinicaltrials_gov=dict(search.get("clinicaltrials_gov") or {}),
            pubmed=search.get("pubmed", ""),
        ),
    )


def config_from_dict(d: dict) -> ReviewConfig:
    """Rebuild a :class:`ReviewConfig` from :meth:`ReviewConfig.to_dict` output (``build/review.json``)."""
    return ReviewConfig(
        title=d["title"],
        short_title=d["short_title"],
        subtitle=d["subtitle"],
        question=d["question"],
        labels=Labels(**d["labels"]),
        primary_outcome=d["primary_outcome"],
        outcomes=[Outcome(**{**o, "timepoint": Timepoint(**o["timepoint"])}) for o in d["outcomes"]],
        analysis=AnalysisSettings(
            **{k: v for k, v in d["analysis"].items() if k not in ("few_trials", "median_conversion")},
            few_trials=FewTrialsRule(**d["analysis"]["few_trials"]),
            median_conversion=MedianConversion(**d["analysis"]["median_conversion"]),
        ),
        citation_authors=d["citation_authors"],
        citation_url=d["citation_url"],
        summary_of_findings=SummaryOfFindings(**d["summary_of_findings"]),
        subgroups=[Subgroup(**s) for s in d["subgroups"]],
        risk_of_bias_outcome=d["risk_of_bias_outcome"],
        grade=GradeSettings(**d["grade"]),
        sequential={k: SequentialSettings(**v) for k, v in d["sequential"].items()},
        sequential_settings_fixed=d["sequential_settings_fixed"],
        characteristics=[CharacteristicColumn(**c) for c in d["characteristics"]],
        characteristics_short=d["characteristics_short"],
        search=SearchSettings(**d["search"]),
    )
