"""Runs every benchmark and prints one table, each figure beside its target.

Usage: .venv/bin/python benchmarks/run_all.py   (a few minutes; loopback only)
Targets are upper bounds unless marked "≥". Figures without a target are context for the
ones with one (a ratio needs both sides).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import certification  # noqa: E402
import learning  # noqa: E402
import outreach  # noqa: E402
import pages  # noqa: E402
import sandbox  # noqa: E402
import throughput  # noqa: E402

SECTIONS = [("Pages", throughput.run), ("Learner pages", pages.run),
            ("Lesson page", learning.run),
            ("Sandbox model", sandbox.run), ("Certificates", certification.run),
            ("Outreach reports", outreach.run)]


def verdict(row: dict) -> str:
    target = row.get("target")
    if target is None:
        return ""
    ok = row["value"] >= target if row.get("higher") else row["value"] <= target
    return "ok" if ok else "MISSED"


def main() -> int:
    rows = []
    for section, run in SECTIONS:
        print(f"running: {section} …", file=sys.stderr, flush=True)
        for row in run():
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
