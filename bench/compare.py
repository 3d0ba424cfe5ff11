"""Print a Markdown table of blogsite's medians in two bench results, before and after.

    python3 bench/compare.py bench/results/before.json bench/results/after.json

Both files come from bench/run.py (run back to back on the same machine for the
comparison to mean anything); peers are shown from the second file when it has them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from run import CASE_TITLES  # bench/ is on the path when this script runs


def _cell(summary: dict | None, key: str, unit: str) -> str:
    value = (summary or {}).get(key)
    if value is None:
        return ""
    return f"{value:.2f} {unit}" if unit == "s" else f"{value:.0f} {unit}"


def table(before: dict, after: dict) -> str:
    rows = [
        "| posts | case | before: wall | after: wall | after ÷ before "
        "| before: peak memory | after: peak memory |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size in after["results"]:
        for case, label in CASE_TITLES.items():
            a = after["results"][size].get("blogsite", {}).get(case)
            b = before["results"].get(size, {}).get("blogsite", {}).get(case)
            if a is None:
                continue
            ratio = ""
            if b and a.get("median_wall_s") and b.get("median_wall_s"):
                ratio = f"×{a['median_wall_s'] / b['median_wall_s']:.2f}"
            rows.append(
                f"| {int(size):,} | {label} | {_cell(b, 'median_wall_s', 's')} | "
                f"{_cell(a, 'median_wall_s', 's')} | {ratio} | {_cell(b, 'median_peak_mb', 'MB')} | "
                f"{_cell(a, 'median_peak_mb', 'MB')} |"
            )
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in argv)
    print(table(before, after))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
