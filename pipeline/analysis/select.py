"""Which row of ``outcomes.csv`` each trial contributes to an outcome, and why the others do not.

Rows come from the outcome's own key, or from ``rows_from``. A row is usable when its numbers
are present, its check is not ``unverified`` and its day lies in the outcome's window; rows with
no day count are usable only when the window says ``accept_undated`` and are then taken as
end-of-study counts (longest follow-up). Among usable rows, ``select: closest`` takes the row
nearest ``target_days`` (the earlier on a tie) and ``select: longest`` the latest.
"""

from __future__ import annotations

import math

from pipeline.inputs.load import ReviewData
from pipeline.results.contract import NotAnalysed
from pipeline.review.config import Outcome


def _follow_up(row: dict) -> float:
    return math.inf if row["timepoint_days"] is None else row["timepoint_days"]


def select_rows(data: ReviewData, outcome: Outcome) -> tuple[list[dict], list[NotAnalysed]]:
    """Rows analysed (one per trial, in order of publication) and the trials without usable data."""
    tp = outcome.timepoint
    by_study: dict[str, list[dict]] = {}
    for row in data.outcomes:
        if row["outcome"] == outcome.source_key:
            by_study.setdefault(row["study_id"], []).append(row)
    numbers = "events_t" if outcome.type == "binary" else "n_t"

    def usable(r: dict) -> bool:
        if r[numbers] is None or r["check"] == "unverified":
            return False
        if r["timepoint_days"] is None:
            return tp.accept_undated
        return tp.min_days <= r["timepoint_days"] <= tp.max_days

    chosen: list[dict] = []
    missing: list[NotAnalysed] = []
    for study in data.studies:
        sid = study["study_id"]
        rows = by_study.get(sid, [])
        candidates = [r for r in rows if usable(r)]
        if candidates:
            if tp.select == "longest":
                chosen.append(max(candidates, key=_follow_up))
            else:
                target = tp.target_days or 0
                dated = [r for r in candidates if r["timepoint_days"] is not None]
                pool = dated or candidates
                chosen.append(min(pool, key=lambda r: (abs(_follow_up(r) - target), _follow_up(r))))
            continue
        if not rows:
            missing.append(NotAnalysed(sid, study["label"], "outcome not reported", "not reported"))
        elif all(r[numbers] is None or r["check"] == "unverified" for r in rows):
            notes = "; ".join(r["note"] for r in rows if r.get("note"))
            missing.append(
                NotAnalysed(
                    sid, study["label"], "numbers could not be verified" + (f": {notes}" if notes else ""), "unverified"
                )
            )
        else:
            days = ", ".join(
                "a time point the source does not state"
                if r["timepoint_days"] is None
                else f"day {r['timepoint_days']}"
                for r in rows
                if r[numbers] is not None
            )
            window = f"days {tp.min_days}-{tp.max_days}"
            missing.append(
                NotAnalysed(
                    sid,
                    study["label"],
                    f"reported only at {days}; this analysis needs {window}"
                    + ("" if tp.accept_undated else " (counts without a stated time point are not used)"),
                    "outside window",
                )
            )
    order = {s["study_id"]: (str(s["date_published"]), s["study_id"]) for s in data.studies}
    chosen.sort(key=lambda r: order[r["study_id"]])
    return chosen, missing
