"""Per-module summary of the last ``mutmut run`` over chalicelib/domain (``make mutants``).

Survivors listed in tests/unit/equivalent_mutants.txt (one ``name  reason`` a line) count as
equivalent. Exits 1 when a mutant survives unexplained, no test reaches one, or a listed name
no longer survives (mutant numbers shift when the domain code changes, so the list goes stale).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENTS = ROOT / "tests" / "unit" / "equivalent_mutants.txt"
COLUMNS = ("total", "killed", "survived", "equivalent", "no tests", "other")


def read_results(text: str) -> dict[str, str]:
    """``mutmut results --all true`` lines (``name: status``) as name -> status."""
    results: dict[str, str] = {}
    for line in text.splitlines():
        name, separator, status = line.strip().rpartition(": ")
        if separator and name.startswith("chalicelib."):
            results[name] = status
    return results


def read_equivalents(text: str) -> dict[str, str]:
    equivalents: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.strip().partition(" ")
            equivalents[name] = reason.strip()
    return equivalents


def module_of(name: str) -> str:
    # chalicelib.domain.<module>.x_<function>__mutmut_<n>
    return name.split(".")[2]


def tally(results: dict[str, str], equivalents: dict[str, str]) -> dict[str, Counter[str]]:
    rows: dict[str, Counter[str]] = {}
    for name, status in results.items():
        row = rows.setdefault(module_of(name), Counter())
        row["total"] += 1
        if status == "survived":
            row["equivalent" if name in equivalents else "survived"] += 1
        elif status in ("killed", "no tests"):
            row[status] += 1
        else:
            row["other"] += 1  # timeouts, suspicious, skipped: shown, never hidden
    return rows


def render(rows: dict[str, Counter[str]]) -> str:
    total: Counter[str] = Counter()
    lines = [f"{'module':<14}" + "".join(f"{column:>12}" for column in COLUMNS)]
    for module in sorted(rows):
        total.update(rows[module])
        lines.append(f"{module:<14}" + "".join(f"{rows[module][c]:>12}" for c in COLUMNS))
    lines.append(f"{'all':<14}" + "".join(f"{total[c]:>12}" for c in COLUMNS))
    tested = total["total"] - total["equivalent"]
    if tested:
        lines.append(f"killed {total['killed']} of {tested} non-equivalent mutants")
    return "\n".join(lines)


def main() -> int:
    output = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    results = read_results(output)
    equivalents = read_equivalents(EQUIVALENTS.read_text(encoding="utf-8"))
    print(render(tally(results, equivalents)))
    unexplained = [n for n, s in results.items() if s != "killed" and n not in equivalents]
    stale = [n for n in equivalents if results.get(n) != "survived"]
    for name in unexplained:
        print(f"not killed: {name} ({results[name]}); see `mutmut show {name}`")
    for name in stale:
        print(f"listed as equivalent but {results.get(name, 'gone')}: {name}")
    return 1 if unexplained or stale else 0


if __name__ == "__main__":
    sys.exit(main())
