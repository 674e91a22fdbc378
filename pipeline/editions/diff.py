"""What changed between two states of the review (two editions, or the last edition and the current
build): computed from the data, the settings and the results, never typed.

The update triggers follow the Cochrane living systematic review guidance as COVID-NMA's protocol
(Boutron et al., Cochrane Database Syst Rev 2020, CD013769) states them: republish when new evidence
changes the findings or the certainty for a critical outcome, changes the question's scope, or
changes the picture of serious adverse events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.editions.state import OutcomeNumbers, ReviewState

# review.yaml sections whose change is a change of protocol (methods), with a name for people
PROTOCOL_SECTIONS = {
    "outcomes": "outcomes and time windows",
    "analysis": "analysis models",
    "subgroups": "subgroup analyses",
    "grade": "GRADE settings",
    "sequential": "trial sequential analysis settings",
    "summary_of_findings": "summary-of-findings settings",
    "risk_of_bias": "risk-of-bias settings",
    "primary_outcome": "primary outcome",
}


@dataclass(frozen=True)
class FieldChange:
    table: str
    key: tuple
    column: str
    old: str
    new: str
    note: str  # the new row's note (why it changed)


@dataclass(frozen=True)
class OutcomeChange:
    key: str
    label: str
    before: OutcomeNumbers | None
    after: OutcomeNumbers | None
    flags: list[str]


@dataclass
class Diff:
    old: ReviewState
    new: ReviewState
    trials_added: list[str] = field(default_factory=list)
    trials_removed: list[str] = field(default_factory=list)
    corrections: list[FieldChange] = field(default_factory=list)  # changes to trials in both states
    rows_added: list[tuple] = field(default_factory=list)  # outcome rows of trials already included
    rows_removed: list[tuple] = field(default_factory=list)
    screening_new: dict[str, int] = field(default_factory=dict)  # decision -> records new in the log
    screening_changed: list[FieldChange] = field(default_factory=list)
    methods_changes: list[str] = field(default_factory=list)
    question_changed: bool = False
    outcomes: list[OutcomeChange] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)
    adverse_event_signals: list[str] = field(default_factory=list)

    @property
    def nothing_changed(self) -> bool:
        return not (
            self.trials_added
            or self.trials_removed
            or self.corrections
            or self.rows_added
            or self.rows_removed
            or self.screening_new
            or self.screening_changed
            or self.methods_changes
            or self.question_changed
            or any(o.flags for o in self.outcomes)
        )

    @property
    def republish(self) -> bool:
        return bool(self.triggers)


def _row_changes(table: str, old: dict, new: dict) -> list[FieldChange]:
    changes = []
    for key in sorted(set(old) & set(new), key=str):
        a, b = old[key], new[key]
        for column in sorted(set(a) | set(b)):
            if column == "note":
                continue
            if a.get(column, "") != b.get(column, ""):
                changes.append(FieldChange(table, key, column, a.get(column, ""), b.get(column, ""), b.get("note", "")))
    return changes


def _fmt(n: OutcomeNumbers | None) -> str:
    return "not pooled" if n is None else n.estimate_text()


def outcome_flags(before: OutcomeNumbers | None, after: OutcomeNumbers | None) -> list[str]:
    """What a reader must not miss about an outcome between two states."""
    flags = []
    if before is None and after is not None:
        return ["new outcome"]
    if after is None and before is not None:
        return ["outcome removed"]
    assert before is not None and after is not None
    if before.pooled != after.pooled:
        flags.append("now pooled" if after.pooled else "no longer pooled")
    if before.pooled and after.pooled:
        if before.direction != after.direction and "none" not in (before.direction, after.direction):
            flags.append(f"direction of effect changed ({before.direction} to {after.direction})")
        if not before.excludes_null and after.excludes_null:
            flags.append("the 95% CI newly excludes no effect")
        if before.excludes_null and not after.excludes_null:
            flags.append("the 95% CI newly includes no effect")
    if (before.certainty or "") != (after.certainty or ""):
        flags.append(f"certainty moved ({before.certainty or 'not graded'} to {after.certainty or 'not graded'})")
    if (
        before.sequential_verdict
        and after.sequential_verdict
        and before.sequential_verdict.split(":")[0] != after.sequential_verdict.split(":")[0]
    ):
        flags.append(
            f"sequential-analysis verdict changed ({before.sequential_verdict.split(':')[0]} to {after.sequential_verdict.split(':')[0]})"
        )
    if (before.k, before.participants) != (after.k, after.participants) or _fmt(before) != _fmt(after):
        flags.append("estimate updated")
    return flags


def _methods_changes(old: dict, new: dict, since: str) -> list[str]:
    changes = []
    for section, name in PROTOCOL_SECTIONS.items():
        if old.get(section) == new.get(section):
            continue
        if section == "outcomes":
            before = {o["key"]: o for o in old.get("outcomes", [])}
            after = {o["key"]: o for o in new.get("outcomes", [])}
            for key in sorted(set(after) - set(before)):
                changes.append(f"Outcome added: {after[key]['label']} ({since}).")
            for key in sorted(set(before) - set(after)):
                changes.append(f"Outcome removed: {before[key]['label']} ({since}).")
            for key in sorted(set(before) & set(after)):
                for field_name in sorted(set(before[key]) | set(after[key])):
                    if before[key].get(field_name) != after[key].get(field_name):
                        changes.append(
                            f"Outcome {key}: {field_name} changed from {before[key].get(field_name)!r} to {after[key].get(field_name)!r} ({since})."
                        )
        else:
            changes.append(f"Changed {name}: {old.get(section)!r} to {new.get(section)!r} ({since}).")
    return changes


def compute_diff(old: ReviewState, new: ReviewState) -> Diff:
    d = Diff(old, new)
    since = f"since {old.label}, {old.date}"
    s_old, s_new = old.tables.get("studies", {}), new.tables.get("studies", {})
    d.trials_added = sorted(k[0] for k in set(s_new) - set(s_old))
    d.trials_removed = sorted(k[0] for k in set(s_old) - set(s_new))
    kept = {k[0] for k in set(s_old) & set(s_new)}
    d.corrections = _row_changes("studies", s_old, s_new)
    o_old, o_new = old.tables.get("outcomes", {}), new.tables.get("outcomes", {})
    d.corrections += [c for c in _row_changes("outcomes", o_old, o_new) if c.key[0] in kept]
    d.rows_added = sorted((k for k in set(o_new) - set(o_old) if k[0] in kept), key=str)
    d.rows_removed = sorted((k for k in set(o_old) - set(o_new) if k[0] in kept), key=str)
    r_old, r_new = old.tables.get("screening", {}), new.tables.get("screening", {})
    for key in set(r_new) - set(r_old):
        decision = r_new[key].get("decision", "")
        d.screening_new[decision] = d.screening_new.get(decision, 0) + 1
    d.screening_changed = [c for c in _row_changes("screening", r_old, r_new) if c.column == "decision"]
    d.methods_changes = _methods_changes(old.review, new.review, since)
    d.question_changed = old.review.get("question") != new.review.get("question")
    keys = list(dict.fromkeys([*new.outcomes, *old.outcomes]))
    for key in keys:
        before, after = old.outcomes.get(key), new.outcomes.get(key)
        label = (after or before).label  # type: ignore[union-attr]
        d.outcomes.append(OutcomeChange(key, label, before, after, outcome_flags(before, after)))
    for change in d.outcomes:
        now = change.after or change.before
        if now is None:
            continue
        serious = [f for f in change.flags if f != "estimate updated" and f not in ("new outcome", "outcome removed")]
        if now.critical and serious:
            what = "certainty" if all(f.startswith("certainty") for f in serious) else "findings"
            d.triggers.append(f"the {what} for the critical outcome '{change.label}' changed ({'; '.join(serious)})")
        if now.safety and change.after is not None:
            before = change.before
            harm_now = change.after.excludes_null and change.after.direction == "harm"
            harm_before = before is not None and before.excludes_null and before.direction == "harm"
            moved_to_harm = before is not None and before.direction == "benefit" and change.after.direction == "harm"
            if (harm_now and not harm_before) or moved_to_harm:
                signal = f"{change.label}: {_fmt(before)} to {_fmt(change.after)}"
                d.adverse_event_signals.append(signal)
                d.triggers.append(f"the picture of adverse events changed ({signal})")
    if d.question_changed:
        d.triggers.append("the review question's scope changed (review.yaml question)")
    return d
