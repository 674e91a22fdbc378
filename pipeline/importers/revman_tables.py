"""Turn a parsed RevMan review into this project's tables (rows as dicts of strings) and a report.

One RevMan outcome becomes one outcome of review.yaml; arm 1 of RevMan is the intervention (``_t``)
and arm 2 the comparator (``_c``). An outcome whose subgroups repeat a study (RevMan allows a study
split across subgroups, and then counts it once per subgroup in the total) becomes one outcome per
subgroup, because this project keys rows by (study, outcome, time point).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from statistics import NormalDist

from pipeline.importers.identifiers import registration_ids
from pipeline.importers.measures import fixed_method, is_ratio, measure_name
from pipeline.importers.naming import outcome_key, study_id
from pipeline.importers.report import ImportReport
from pipeline.importers.revman import DataRow, RevManOutcome, RevManReview, RevManStudy, decode_xml_name
from pipeline.importers.screening_reasons import map_reason

Z_95 = 1.959963984540054  # standard normal 97.5% quantile
KIND_TYPES = {"DICH": "binary", "CONT": "continuous", "IV": "generic"}
ARM_FIELDS = {
    "DICH": (("events_t", "EVENTS_1"), ("n_t", "TOTAL_1"), ("events_c", "EVENTS_2"), ("n_c", "TOTAL_2")),
    "CONT": (
        ("mean_t", "MEAN_1"), ("sd_t", "SD_1"), ("n_t", "TOTAL_1"),
        ("mean_c", "MEAN_2"), ("sd_c", "SD_2"), ("n_c", "TOTAL_2"),
    ),
    "IV": (("n_t", "TOTAL_1"), ("n_c", "TOTAL_2")),
}  # fmt: skip
ROB2_DOMAINS = (  # RoB 1 item names (RevMan 5) -> RoB 2 domains (Sterne et al. 2019, BMJ 366:l4898)
    (("sequence generation", "random sequence", "allocation concealment", "allocation"), ("D1",)),
    (("performance and detection", "blinding?", "blinding (performance bias and detection bias)"), ("D2", "D4")),
    (("participants and personnel", "performance bias"), ("D2",)),
    (("outcome assessment", "detection bias"), ("D4",)),
    (("incomplete outcome", "attrition"), ("D3",)),
    (("selective", "reporting bias"), ("D5",)),
)
ROB_WORDS = {"low": "low", "unclear": "some concerns", "high": "high"}
ROB_ORDER = ("low", "some concerns", "high")


@dataclass
class PlannedOutcome:
    """An outcome of review.yaml and the RevMan rows it holds."""

    key: str
    label: str
    source: RevManOutcome
    rows: list[DataRow]
    subgroup_name: str = ""


@dataclass
class RevManTables:
    studies: list[dict[str, str]] = field(default_factory=list)
    outcomes: list[dict[str, str]] = field(default_factory=list)
    provenance: list[dict[str, str]] = field(default_factory=list)
    risk_of_bias: list[dict[str, str]] = field(default_factory=list)
    screening: list[dict[str, str]] = field(default_factory=list)
    planned: list[PlannedOutcome] = field(default_factory=list)
    study_ids: dict[str, str] = field(default_factory=dict)  # RevMan STUDY ID -> study_id
    derived_studies: list[RevManStudy] = field(default_factory=list)  # with data but not in STUDIES


def _year_of(study: RevManStudy) -> str:
    return study.year if study.year.isdigit() and len(study.year) == 4 else ""


def _first_author(name: str) -> str:
    words = name.split()
    if words and words[-1][:4].isdigit():
        words = words[:-1]
    return " ".join(words) or name


def _referenced_only(review: RevManReview) -> list[RevManStudy]:
    known = {s.rm_id for s in review.studies}
    extra: dict[str, RevManStudy] = {}
    for outcome in review.outcomes:
        for row in outcome.rows:
            if row.study_rm_id and row.study_rm_id not in known and row.study_rm_id not in extra:
                name = decode_xml_name(row.study_rm_id).removeprefix("STD-").replace("-", " ")
                year = name.split()[-1] if name.split() and name.split()[-1][:4].isdigit() else ""
                extra[row.study_rm_id] = RevManStudy(row.study_rm_id, name, year[:4], "included", (), {}, row.line)
    return list(extra.values())


def _arm_sizes(review: RevManReview, rm_id: str) -> tuple[str, str]:
    sizes = {"TOTAL_1": 0, "TOTAL_2": 0}
    for outcome in review.outcomes:
        for row in outcome.rows:
            if row.study_rm_id == rm_id:
                for arm in sizes:
                    try:
                        sizes[arm] = max(sizes[arm], int(float(row.attributes.get(arm, "0") or 0)))
                    except ValueError:
                        pass
    return tuple(str(v) if v >= 1 else "" for v in sizes.values())  # type: ignore[return-value]


def _study_rows(review: RevManReview, tables: RevManTables, report: ImportReport) -> None:
    taken: set[str] = set()
    derived = _referenced_only(review)
    tables.derived_studies = derived
    if derived:
        names = ", ".join(decode_xml_name(s.rm_id) for s in derived[:10])
        report.attention.append(
            f"{len(derived)} studies have data but are not in STUDIES ({names}{', ...' if len(derived) > 10 else ''}); "
            "their name and year were read from the RevMan study id: complete first_author, year and title"
        )
    included = [s for s in review.studies if s.status == "included"] + derived
    no_year = []
    for study in included:
        sid = study_id(study.name, _year_of(study), taken)
        tables.study_ids[study.rm_id] = sid
        ref = next((r for r in study.references if r.title), study.references[0] if study.references else None)
        n_t, n_c = _arm_sizes(review, study.rm_id)
        year = _year_of(study) or re.search(r"(\d{4})[a-z]?$", sid).group(1)
        if year == "0000":
            no_year.append(study.name)
            year = ""
        methods = study.characteristics.get("CHAR_METHODS", "")
        row = {
            "study_id": sid,
            "first_author": _first_author(study.name),
            "year": year,
            "title": (
                ref.title if ref and ref.title else f"{study.name} (RevMan study {decode_xml_name(study.rm_id)})"
            )[:400],
            "journal": (ref.journal if ref else "")[:200],
            "doi": (ref.doi if ref else "").removeprefix("https://doi.org/")[:200],
            "registration": "; ".join(
                i.split(":", 1)[1] for i in (ref.other_ids if ref else ()) if _is_registration(i)
            )[:200],
            "design": "RCT",
            "n_t": n_t,
            "n_c": n_c,
            "date_published": year,
            "source": f"{review.source} STUDIES/{study.rm_id}"[:1000],
            "check": "secondary",
            "note": (
                "Imported from RevMan. design set to RCT (RevMan does not record it; check the methods). "
                "n_t/n_c are the largest arm totals among this study's RevMan outcome rows, not the numbers randomised."
                + (f" RevMan methods: {methods}" if methods else "")
            )[:4000],
        }
        tables.studies.append(row)
        for fld in ("year", "n_t", "n_c"):
            if row[fld]:
                tables.provenance.append(_study_provenance(review, study, row, fld))
    if no_year:
        report.attention.append(f"no year for {', '.join(no_year[:10])}: study ids end in 0000 and year is empty")
    report.attention.append(
        f"design is set to RCT for all {len(included)} studies (RevMan files do not record it); "
        "change non-randomised ones and their risk-of-bias tool"
    )
    report.summary.append(f"{len(included)} included studies -> studies.csv")


def _is_registration(identifier: str) -> bool:
    return bool(registration_ids(identifier))


def _study_provenance(review: RevManReview, study: RevManStudy, row: dict[str, str], fld: str) -> dict[str, str]:
    if fld == "year":
        quote, check, note = f'STUDY ID="{study.rm_id}" NAME="{study.name}" YEAR="{study.year}"', "secondary", ""
    else:
        arm = "TOTAL_1" if fld == "n_t" else "TOTAL_2"
        quote, check = f"largest {arm} among the {decode_xml_name(study.rm_id)} rows of ANALYSES_AND_DATA", "derived"
        note = f"{fld} = max({arm}) over the study's outcome rows in the RevMan file"
    return {
        "study_id": row["study_id"], "outcome": "study", "timepoint_days": "", "field": fld, "value": row[fld],
        "source": review.source[:400], "locator": f"STUDIES/{study.rm_id}"[:300], "quote": quote[:4000],
        "check": check, "note": note,
    }  # fmt: skip


def _split_by_subgroup(outcome: RevManOutcome) -> bool:
    seen = [r.study_rm_id for r in outcome.rows]
    return bool(outcome.subgroups) and len(seen) != len(set(seen))


def _plan_outcomes(review: RevManReview, tables: RevManTables, report: ImportReport) -> None:
    taken: set[str] = set()
    names = [o.name for o in review.outcomes]
    for outcome in review.outcomes:
        label = outcome.name if names.count(outcome.name) == 1 else f"{outcome.name} ({outcome.comparison_name})"
        if _split_by_subgroup(outcome):
            keys = []
            for sub in outcome.subgroups:
                rows = [r for r in outcome.rows if r.subgroup_id == sub.rm_id]
                key = outcome_key(sub.name or f"{outcome.name} {sub.rm_id}", taken)
                keys.append(key)
                tables.planned.append(PlannedOutcome(key, sub.name or f"{label}: {sub.rm_id}", outcome, rows, sub.name))
            report.attention.append(
                f"{outcome.rm_id} ({outcome.name}): a study appears in more than one subgroup, so each subgroup is "
                f"its own outcome ({', '.join(keys)}); RevMan's overall total, which counts such studies once per "
                "subgroup, has no single outcome here"
            )
            continue
        rows = _unique_rows(outcome, report)
        tables.planned.append(PlannedOutcome(outcome_key(outcome.name, taken), label, outcome, rows))
        if outcome.subgroups:
            report.attention.append(
                f"{outcome.rm_id} ({outcome.name}) has {len(outcome.subgroups)} subgroups; each row's note names its "
                "subgroup (to analyse them, add a studies.csv column and list it under subgroups in review.yaml)"
            )


def _unique_rows(outcome: RevManOutcome, report: ImportReport) -> list[DataRow]:
    rows, seen = [], set()
    for row in outcome.rows:
        if row.study_rm_id in seen:
            report.not_imported.append(
                f"{outcome.rm_id} line {row.line}: a second row for {decode_xml_name(row.study_rm_id)} in one outcome; "
                "this project keys rows by study, outcome and time point"
            )
            continue
        seen.add(row.study_rm_id)
        rows.append(row)
    return rows


def _clean_number(value: str) -> str:
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        return ""
    if not math.isfinite(number):
        return ""
    return str(int(number)) if number == int(number) and "." in value and value.endswith(".0") else value


def _quote(row: DataRow, names: tuple[str, ...]) -> str:
    shown = " ".join(f'{n}="{row.attributes[n]}"' for n in names if n in row.attributes)
    return f'{row.kind}_DATA STUDY_ID="{row.study_rm_id}" {shown}'


def _stored_on_natural_scale(estimate: float, se: float, lower: float, upper: float, level: float) -> bool:
    """True when the CI RevMan stored fits ``ln(EFFECT_SIZE) +/- z SE`` and not ``EFFECT_SIZE +/- z SE`` (log scale)."""
    if estimate <= 0 or lower <= 0 or upper <= lower:
        return False
    z = Z_95 if level == 95 else float(NormalDist().inv_cdf(0.5 + level / 200))
    as_log = math.isclose(math.exp(estimate - z * se), lower, rel_tol=1e-3)
    as_natural = math.isclose(math.exp(math.log(estimate) - z * se), lower, rel_tol=1e-3)
    return as_natural and not as_log


def _generic_values(planned: PlannedOutcome, row: DataRow, report: ImportReport) -> dict[str, str]:
    """yi/sei from IV_DATA: RevMan stores EFFECT_SIZE and SE on the log scale when LOG_DATA="YES".

    For a ratio measure whose stored CI shows EFFECT_SIZE is on the natural scale, yi = ln(EFFECT_SIZE)
    (reported, and marked derived in provenance)."""
    attrs = row.attributes
    estimate, se = _clean_number(attrs.get("EFFECT_SIZE", "")), _clean_number(attrs.get("SE", ""))
    lower, upper = _clean_number(attrs.get("CI_START", "")), _clean_number(attrs.get("CI_END", ""))
    level = planned.source.settings.get("CI_STUDY", "95") or "95"
    if estimate and se and float(se) > 0:
        ratio = planned_settings(planned)["ratio"]
        if (
            ratio
            and lower
            and upper
            and _stored_on_natural_scale(float(estimate), float(se), float(lower), float(upper), float(level))
        ):
            report.attention.append(
                f"{planned.source.rm_id} line {row.line}: EFFECT_SIZE {estimate} is on the natural scale (its stored CI "
                f"says so), so yi = ln({estimate})"
            )
            return {"yi": repr(math.log(float(estimate))), "sei": se}
        return {"yi": estimate, "sei": se}
    if estimate and lower and upper and float(upper) > float(lower):
        return {"estimate": estimate, "ci_lower": lower, "ci_upper": upper, "ci_level": level}
    report.attention.append(
        f"{planned.source.rm_id} line {row.line}: {decode_xml_name(row.study_rm_id)} has no usable estimate and SE "
        "(row kept without numbers, check = unverified)"
    )
    return {}


def _outcome_rows(review: RevManReview, tables: RevManTables, report: ImportReport) -> None:
    for planned in tables.planned:
        outcome = planned.source
        for row in planned.rows:
            sid = tables.study_ids[row.study_rm_id]
            pairs = ARM_FIELDS[row.kind]
            values = {fld: _clean_number(row.attributes.get(attr, "")) for fld, attr in pairs}
            for fld in ("n_t", "n_c"):
                if values.get(fld) == "0":
                    values[fld] = ""
            if row.kind == "IV":
                values.update(_generic_values(planned, row, report))
            notes = [f"RevMan {outcome.rm_id} ({outcome.comparison_name})"]
            if row.subgroup_name and not planned.subgroup_name:
                notes.append(f"subgroup {row.subgroup_id}: {row.subgroup_name}")
            if row.attributes.get("ESTIMABLE") == "NO":
                notes.append('RevMan marked this row not estimable (ESTIMABLE="NO")')
            notes.append("no day count in the RevMan file")
            names = tuple(a for _, a in pairs) + (
                ("EFFECT_SIZE", "SE", "CI_START", "CI_END") if row.kind == "IV" else ()
            )
            has_numbers = any(v for k, v in values.items() if k not in ("n_t", "n_c")) or row.kind != "IV"
            line = {
                "study_id": sid, "outcome": planned.key, "timepoint_days": "", **values,
                "source": review.source[:1000], "quote": _quote(row, names)[:4000],
                "check": "secondary" if has_numbers else "unverified", "note": "; ".join(notes)[:4000],
            }  # fmt: skip
            tables.outcomes.append(line)
            locator = f"{outcome.rm_id} {outcome.name[:150]} / {row.kind}_DATA {row.study_rm_id}"
            derived = values.get("yi", "") not in ("", _clean_number(row.attributes.get("EFFECT_SIZE", "")))
            for fld, value in values.items():
                if value and fld != "ci_level":
                    tables.provenance.append({
                        "study_id": sid, "outcome": planned.key, "timepoint_days": "", "field": fld, "value": value,
                        "source": review.source[:400], "locator": locator[:300], "quote": _quote(row, names)[:4000],
                        "check": "derived" if derived and fld == "yi" else "secondary",
                        "note": "yi = ln(EFFECT_SIZE): RevMan stored this ratio on the natural scale" if derived and fld == "yi" else "",
                    })  # fmt: skip
    report.summary.append(f"{len(tables.outcomes)} outcome rows in {len(tables.planned)} outcomes -> outcomes.csv")
    report.summary.append(f"{len(tables.provenance)} values with their RevMan source -> provenance.csv")


def _rob_domains(item_name: str) -> tuple[str, ...]:
    name = item_name.lower()
    for needles, domains in ROB2_DOMAINS:
        if any(n in name for n in needles):
            return domains
    return ()


def _risk_of_bias(review: RevManReview, tables: RevManTables, report: ImportReport) -> None:
    if not tables.planned or not review.risk_of_bias:
        return
    outcome = tables.planned[0].key
    cells: dict[tuple[str, str], list[str]] = {}
    judged: dict[tuple[str, str], str] = {}
    unmapped: set[str] = set()
    unknown = sorted(
        {decode_xml_name(j.study_rm_id) for j in review.risk_of_bias if j.study_rm_id not in tables.study_ids}
    )
    if unknown:
        report.not_imported.append(
            f"risk-of-bias entries of {len(unknown)} studies that are not included studies with data: {', '.join(unknown[:10])}"
        )
    for j in review.risk_of_bias:
        sid = tables.study_ids.get(j.study_rm_id)
        domains = _rob_domains(j.item_name)
        if not domains:
            unmapped.add(j.item_name)
        if sid is None or not domains:
            continue
        word = ROB_WORDS[j.result]
        text = f"{j.item_name}{' (' + j.group_name + ')' if j.group_name else ''}: {j.result} risk" + (
            f" - {j.support}" if j.support else ""
        )
        for domain in domains:
            key = (sid, domain)
            cells.setdefault(key, []).append(text)
            if ROB_ORDER.index(word) >= ROB_ORDER.index(judged.get(key, "low")):
                judged[key] = word
    for (sid, domain), texts in sorted(cells.items()):
        tables.risk_of_bias.append(_rob_row(sid, outcome, domain, judged[(sid, domain)], " | ".join(texts)))
    for sid in sorted({s for s, _ in cells}):
        worst = max((judged[k] for k in judged if k[0] == sid), key=ROB_ORDER.index)
        tables.risk_of_bias.append(
            _rob_row(sid, outcome, "overall", worst, "Worst of the domains mapped from RevMan's risk-of-bias table")
        )
    report.summary.append(f"{len(tables.risk_of_bias)} risk-of-bias judgements -> risk_of_bias.csv (outcome {outcome})")
    report.attention.append(
        "risk of bias: RevMan 5 holds Cochrane RoB 1 items (low / high / unclear); they were mapped to RoB 2 domains "
        "(sequence generation and allocation concealment -> D1, blinding -> D2/D4, incomplete data -> D3, selective "
        "reporting -> D5; unclear -> some concerns; worst item wins; overall = worst domain). This is an "
        "approximation: reassess with RoB 2"
    )
    if unmapped:
        report.not_imported.append(f"risk-of-bias items with no RoB 2 domain: {', '.join(sorted(unmapped))}")


def _rob_row(sid: str, outcome: str, domain: str, judgement: str, support: str) -> dict[str, str]:
    return {
        "study_id": sid, "outcome": outcome, "tool": "RoB 2", "domain": domain, "judgement": judgement,
        "support": support[:2000], "basis": "secondary sources",
    }  # fmt: skip


def _screening(review: RevManReview, tables: RevManTables, report: ImportReport) -> None:
    taken: set[str] = set()
    unmapped = []
    for study in [*review.studies, *tables.derived_studies]:
        if study.status == "ongoing":
            report.not_imported.append(f"ongoing study {study.name}: add it to ongoing.csv with its registration")
            continue
        sid = tables.study_ids.get(study.rm_id, "")
        record = study_id(study.name, _year_of(study), taken) if not sid else sid + "a"
        taken.add(record)
        ref = study.references[0] if study.references else None
        decision = {"included": "include", "excluded": "exclude", "awaiting": "awaiting classification"}[study.status]
        why = study.characteristics.get("CHAR_REASON_FOR_EXCLUSION", "")
        reason = map_reason(why) if decision == "exclude" else ""
        if decision == "exclude" and not reason:
            unmapped.append(f"{study.name} ('{why[:80]}')")
        quote = {
            "include": f"Listed as an included study of the RevMan review ({review.path.name})",
            "exclude": f"Reason for exclusion (RevMan): {why}" if why else "Listed as excluded in the RevMan review",
            "awaiting classification": "Listed as awaiting classification in the RevMan review",
        }[decision]
        tables.screening.append({
            "record_id": record[:60], "citation": f"{study.name}{', ' + ref.journal if ref and ref.journal else ''}"[:600],
            "doi": (ref.doi if ref and ref.doi else "not found")[:200], "identified_via": "published review",
            "duplicate_of": "", "stage": "full text", "decision": decision, "reason": reason,
            "study_id": sid if decision == "include" else "", "quote": quote[:4000],
            "note": (f"RevMan reason: {why}" if why and not reason else "")[:4000],
        })  # fmt: skip
    report.summary.append(f"{len(tables.screening)} screening records -> screening.csv")
    if unmapped:
        report.attention.append(
            f"{len(unmapped)} excluded studies have a reason that matches none of the schema's reasons "
            f"(kept in note; choose one): {'; '.join(unmapped[:10])}"
        )


def build_tables(review: RevManReview, report: ImportReport) -> RevManTables:
    tables = RevManTables()
    _study_rows(review, tables, report)
    _plan_outcomes(review, tables, report)
    _outcome_rows(review, tables, report)
    _risk_of_bias(review, tables, report)
    _screening(review, tables, report)
    return tables


def planned_settings(planned: PlannedOutcome) -> dict[str, str | bool]:
    """The type, measure and model of one outcome as RevMan recorded them."""
    outcome = planned.source
    measure = measure_name(outcome.measure)
    if outcome.kind == "DICH" and outcome.method.upper() == "PETO":
        measure = "OR"
    return {
        "type": KIND_TYPES[outcome.kind],
        "measure": measure,
        "ratio": is_ratio(measure, outcome.settings.get("LOG_DATA", "")),
        "fixed": fixed_method(outcome.kind, outcome.method),
        "random": outcome.random_effects,
    }
