"""A synthetic review of N trials: a valid data folder for benchmarks and scale tests.

Trials are drawn from a fixed random seed: arm sizes 20-400, a true log risk ratio of -0.2 with
between-trial SD 0.3 for two binary outcomes, a continuous outcome with means and SDs (every fifth
trial reporting a median and IQR instead), two designs and three sources for subgroups, and
risk-of-bias, screening and GRADE tables, so every page and figure of the site is exercised.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import yaml

from pipeline.commands.scaffold import FILES

OUTCOMES = [
    {"key": "death", "label": "Death", "short_label": "Death", "type": "binary", "measure": "RR", "lower_is_better": True, "critical": True,
     "timepoint": {"label": "Day 28", "target_days": 28, "min_days": 14, "max_days": 31, "select": "closest"}},
    {"key": "harm", "label": "Serious adverse events", "short_label": "Serious adverse events", "type": "binary", "measure": "RR",
     "lower_is_better": True, "critical": True, "safety": True,
     "timepoint": {"label": "End of follow-up", "min_days": 0, "max_days": 365, "select": "longest", "accept_undated": True}},
    {"key": "stay", "label": "Length of stay (days)", "short_label": "Length of stay", "type": "continuous", "measure": "MD",
     "lower_is_better": True, "critical": False, "unit": "days",
     "timepoint": {"label": "Until discharge", "min_days": 0, "max_days": 365, "select": "longest", "accept_undated": True}},
]  # fmt: skip
SOURCES = ("source A", "source B", "source C")


def _write_csv(path: Path, rows: list[dict], fields: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, restval="")
        writer.writeheader()
        writer.writerows(rows)


def write_synthetic_review(n: int, target: Path, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(FILES / "schema", target / "schema")
    studies_schema = json.loads((target / "schema" / "studies.schema.json").read_text(encoding="utf-8"))
    fields = [f["name"] for f in studies_schema["fields"]]
    studies_schema["fields"].insert(
        fields.index("n_t"),
        {
            "name": "source_group",
            "type": "string",
            "title": "Source",
            "constraints": {"required": True, "enum": list(SOURCES)},
        },
    )
    (target / "schema" / "studies.schema.json").write_text(json.dumps(studies_schema, indent=1), encoding="utf-8")
    study_fields = [f["name"] for f in studies_schema["fields"]]
    outcome_fields = [f["name"] for f in json.loads((target / "schema" / "outcomes.schema.json").read_text())["fields"]]
    studies, outcomes, screening, rob, grade = [], [], [], [], []
    for i in range(n):
        sid = f"trial{i:05d}x{2000 + i % 25}"
        year = 2000 + i % 25
        design = "RCT" if rng.random() < 0.7 else "non-randomised controlled"
        n_t, n_c = (int(x) for x in rng.integers(20, 400, size=2))
        studies.append(
            {
                "study_id": sid, "first_author": f"Author{i:05d} A", "year": year, "title": f"Synthetic trial {i}",
                "journal": "Synthetic Journal", "doi": f"10.0000/synth.{i}", "registration": "not reported", "country": "Nowhere",
                "design": design, "source_group": SOURCES[i % 3], "n_t": n_t, "n_c": n_c, "follow_up_days": 28,
                "date_published": f"{year}-{1 + i % 12:02d}", "source": "synthetic", "check": "primary", "note": "",
            }
        )  # fmt: skip
        theta = -0.2 + rng.normal(0, 0.3)
        for key, base in (("death", 0.25), ("harm", 0.15)):
            pc = base * rng.uniform(0.6, 1.4)
            pt = min(0.95, pc * np.exp(theta))
            outcomes.append(
                {
                    "study_id": sid, "outcome": key, "timepoint_days": 28, "events_t": int(rng.binomial(n_t, pt)), "n_t": n_t,
                    "events_c": int(rng.binomial(n_c, pc)), "n_c": n_c, "source": "synthetic", "quote": "synthetic", "check": "primary", "note": "",
                }
            )  # fmt: skip
        row = {"study_id": sid, "outcome": "stay", "timepoint_days": "", "n_t": n_t, "n_c": n_c, "source": "synthetic",
               "quote": "synthetic", "check": "primary", "note": "until discharge"}  # fmt: skip
        if i % 5 == 4:
            for arm, shift in (("t", -1.0), ("c", 0.0)):
                m = 14 + shift + rng.normal(0, 1)
                row.update(
                    {f"median_{arm}": round(m, 1), f"q1_{arm}": round(m - 3.0, 1), f"q3_{arm}": round(m + 3.2, 1)}
                )
        else:
            for arm, shift in (("t", -1.0), ("c", 0.0)):
                row.update(
                    {f"mean_{arm}": round(15 + shift + rng.normal(0, 1), 2), f"sd_{arm}": round(rng.uniform(4, 7), 2)}
                )
        outcomes.append(row)
        screening.append(
            {"record_id": f"{sid}r", "citation": f"Author{i:05d} {year}", "doi": f"10.0000/synth.{i}", "identified_via": "database search",
             "duplicate_of": "", "stage": "full text", "decision": "include", "reason": "", "study_id": sid, "quote": "synthetic", "note": ""}
        )  # fmt: skip
        tool, words = (
            ("RoB 2", ("low", "some concerns", "high"))
            if design == "RCT"
            else ("ROBINS-I", ("low", "moderate", "serious"))
        )
        domains = ["D1", "D2", "D3", "D4", "D5"] + (["D6", "D7"] if tool == "ROBINS-I" else [])
        for d in [*domains, "overall"]:
            rob.append({"study_id": sid, "outcome": "death", "tool": tool, "domain": d, "judgement": words[int(rng.integers(0, 3))],
                        "support": "synthetic", "basis": "full text"})  # fmt: skip
    for j in range(max(3, n // 10)):
        screening.append(
            {"record_id": f"excluded{j:05d}", "citation": f"Excluded record {j}", "doi": "not found", "identified_via": "database search",
             "duplicate_of": "", "stage": "title/abstract", "decision": "exclude", "reason": "no concurrent control arm",
             "study_id": "", "quote": "synthetic", "note": ""}
        )  # fmt: skip
    for o in ("death", "harm", "stay"):
        for d in ("risk of bias", "inconsistency", "indirectness", "imprecision", "publication bias"):
            grade.append(
                {
                    "outcome": o,
                    "domain": d,
                    "judgement": "not serious" if d != "risk of bias" else "serious",
                    "reason": "synthetic",
                }
            )
    _write_csv(target / "studies.csv", studies, study_fields)
    _write_csv(target / "outcomes.csv", outcomes, outcome_fields)
    _write_csv(
        target / "screening.csv",
        screening,
        [f["name"] for f in json.loads((target / "schema" / "screening.schema.json").read_text())["fields"]],
    )
    _write_csv(
        target / "risk_of_bias.csv",
        rob,
        [f["name"] for f in json.loads((target / "schema" / "risk_of_bias.schema.json").read_text())["fields"]],
    )
    _write_csv(target / "grade.csv", grade, ["outcome", "domain", "judgement", "reason"])
    review = {
        "title": f"Synthetic review of {n} trials",
        "short_title": f"Synthetic {n}",
        "question": {"population": "Synthetic", "intervention": "Treatment", "comparator": "Control"},
        "labels": {"intervention": "Treatment", "comparator": "control"},
        "primary_outcome": "death",
        "outcomes": OUTCOMES,
        "summary_of_findings": {"outcomes": ["death", "harm", "stay"]},
        "analysis": {"fixed": "MH", "random": "REML", "hksj": True, "convention": "metafor"},
        "subgroups": [{"column": "design", "title": "design"}, {"column": "source_group", "title": "source"}],
        "risk_of_bias": {"outcome": "death"},
        "sequential": {
            "defaults": {"alpha": 0.05, "power": 0.8, "relative_risk_reduction": 0.2},
            "outcomes": {"death": {}},
        },
    }
    (target / "review.yaml").write_text(yaml.safe_dump(review, sort_keys=False), encoding="utf-8")
    return target
