"""Runs every benchmark and prints one table, each figure beside its target.

Usage: .venv/bin/python benchmarks/run_all.py   (a few minutes; loopback only)
Targets are upper bounds unless marked "≥". Figures without a target are context for the
ones with one (a ratio needs both sides).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# Each section runs in a fresh interpreter: what an earlier one left behind (a trained model, a
# few hundred MiB of heap that forked PDF workers would inherit, its threads) must not weigh on
# the next one's figures. Run together in one process, the certificate export measured twice
# its floor alone and its workers twice their memory.
SECTIONS = [("Pages", "throughput"), ("Learner pages", "pages"), ("Lesson page", "learning"),
            ("Sandbox model", "sandbox"), ("Certificates", "certification"),
            ("Outreach reports", "outreach")]
MARK = "run_all rows: "


def run_section(module: str) -> list[dict]:
    """One benchmark module's run(), in its own interpreter; its rows."""
    code = (f"import json, sys; sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'benchmarks')!r}]; "
            f"import {module}; print({MARK!r} + json.dumps({module}.run(), default=float))")
    done = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                          check=True)
    lines = done.stdout.splitlines()
    print(*(x for x in lines if not x.startswith(MARK)), sep="\n", file=sys.stderr)
    return json.loads(next(x for x in reversed(lines) if x.startswith(MARK)).removeprefix(MARK))


def verdict(row: dict) -> str:
    target = row.get("target")
    if target is None:
        return ""
    ok = row["value"] >= target if row.get("higher") else row["value"] <= target
    return "ok" if ok else "MISSED"


def main() -> int:
    rows = []
    for section, module in SECTIONS:
        print(f"running: {section} …", file=sys.stderr, flush=True)
        for row in run_section(module):
            name = row.get("name") or row.get("figure")
            unit = row.get("unit", "")
            rows.append((section, f"{name}{f' ({unit})' if unit and unit not in name else ''}",
                         row["value"], row.get("target"), verdict(row)))
    width = max(len(r[1]) for r in rows)
    print(f"\n{'area':<18} {'figure':<{width}} {'value':>10} {'target':>10}  result")
    for section, name, value, target, result in rows:
        shown = "" if target is None else f"{target:g}"
        print(f"{section:<18} {name:<{width}} {value:>10.4g} {shown:>10}  {result}")
    return 1 if any(r[4] == "MISSED" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
