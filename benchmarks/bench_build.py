"""Build benchmark: cold build, no-op, one-number edit and peak memory, for the real review and synthetic
reviews of 100, 300 and 1,000 trials, with the growth per added trial. Measured, never asserted.

    python benchmarks/bench_build.py --out build/bench-build.md [--sizes 100 300 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"


def run_make(tmp: Path, data: Path) -> tuple[float, float]:
    """Seconds and peak resident memory (MB, the largest process) of one ``make``."""
    code = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "e = time.perf_counter() - t\n"
        "if p.returncode: print(p.stdout[-2000:], p.stderr[-2000:], file=sys.stderr); sys.exit(1)\n"
        "print(e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    )
    cmd = [
        sys.executable,
        "-c",
        code,
        "make",
        "-C",
        str(ROOT),
        f"DATA={data}",
        f"BUILD={tmp / 'build'}",
        f"SITE={tmp / '_site'}",
        f"EDITIONS={tmp / 'editions'}",
        "RENDERER=embedded",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def edit_one_number(data: Path) -> None:
    """Change one count of one outcome row (and its provenance row), as a reviewer correcting a number."""
    path = data / "outcomes.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    h = rows[0]
    i = next(
        i
        for i, r in enumerate(rows)
        if i
        and r[h.index("events_c")]
        and r[h.index("check")] != "unverified"
        and int(r[h.index("events_c")]) < int(r[h.index("n_c")])
    )
    old = int(rows[i][h.index("events_c")])
    new = old + 1 if old + 1 <= int(rows[i][h.index("n_c")]) and old % 2 == 0 else max(old - 1, 0)
    rows[i][h.index("events_c")] = str(new)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    prov = data / "provenance.csv"
    if prov.exists():
        prows = list(csv.reader(prov.open(encoding="utf-8")))
        ph = prows[0]
        key = (
            rows[i][h.index("study_id")],
            rows[i][h.index("outcome")],
            rows[i][h.index("timepoint_days")],
            "events_c",
        )
        for r in prows[1:]:
            if (
                r[ph.index("study_id")],
                r[ph.index("outcome")],
                r[ph.index("timepoint_days")],
                r[ph.index("field")],
            ) == key:
                r[ph.index("value")] = str(new)
        with open(prov, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(prows)


def measure(name: str, source: Path, repeat: int) -> dict:
    cold, noop, edit, memory = [], [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
            tmp = Path(scratch)
            data = tmp / "data"
            shutil.copytree(source, data)
            seconds, mb = run_make(tmp, data)
            cold.append(seconds)
            memory.append(mb)
            noop.append(run_make(tmp, data)[0])
            edit_one_number(data)
            seconds, mb = run_make(tmp, data)
            edit.append(seconds)
            memory.append(mb)
    trials = sum(1 for _ in csv.DictReader((source / "studies.csv").open(encoding="utf-8")))
    return {
        "name": name,
        "trials": trials,
        "cold": statistics.median(cold),
        "noop": statistics.median(noop),
        "edit": statistics.median(edit),
        "memory": max(memory),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="build/bench-build.md")
    parser.add_argument("--sizes", nargs="*", type=int, default=[100, 300, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rows = [measure("real review (data/)", ROOT / "data", args.repeat)]
    with tempfile.TemporaryDirectory(prefix="synth-") as scratch:
        for n in args.sizes:
            folder = Path(scratch) / f"synth{n}"
            subprocess.run(
                [str(PYTHON), "-m", "pipeline", "synth", str(n), str(folder)], check=True, cwd=ROOT, capture_output=True
            )
            rows.append(measure(f"synthetic, {n} trials", folder, 1 if n >= 1000 else args.repeat))
    lines = [
        f"# Build benchmark ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, median of {args.repeat} runs; 1,000 trials: 1 run)",
        "",
        "| review | trials | cold build (s) | no-op (s) | one-number edit (s) | peak memory (MB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['name']} | {r['trials']} | {r['cold']:.1f} | {r['noop']:.2f} | {r['edit']:.1f} | {r['memory']:.0f} |"
        for r in rows
    ]
    synth = [r for r in rows if r["name"].startswith("synthetic")]
    if len(synth) >= 2:
        a, b = synth[0], synth[-1]
        per_trial_cold = (b["cold"] - a["cold"]) / (b["trials"] - a["trials"])
        per_trial_edit = (b["edit"] - a["edit"]) / (b["trials"] - a["trials"])
        lines += [
            "",
            f"Growth from {a['trials']} to {b['trials']} trials: {1000 * per_trial_cold:.0f} ms per added trial (cold build), "
            f"{1000 * per_trial_edit:.0f} ms per added trial (one-number edit).",
        ]
        if len(synth) >= 3:
            mid = synth[1]
            predicted = a["cold"] + per_trial_cold * (mid["trials"] - a["trials"])
            lines.append(
                f"Linear check: {mid['trials']} trials took {mid['cold']:.1f} s cold; the straight line from the ends predicts {predicted:.1f} s."
            )
    text = "\n".join(lines) + "\n"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
