"""``python -m bench [group ...]``: run benchmark groups, print one table, update ``bench/RESULTS.md``."""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.common import GroupResult, Machine, markdown_table, text_table

# Group name → module; `python -m bench` runs them in this order.
GROUPS: dict[str, str] = {
    "votes": "bench.votes",
    "tally": "bench.tally",
    "startup": "bench.startup",
    "memory": "bench.memory",
    "digest": "bench.digest",
    "summary": "bench.summary",
    "web": "bench.web",
    "quality": "bench.quality",
    "arguments": "bench.arguments",
    "postgres": "bench.postgres",
}
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = """# Benchmark results

Latest figures written by `python -m bench` (run from the repository root; `python -m bench votes` etc. runs
one group and replaces only its section). Benchmarks are not run in CI: they print figures, they assert
nothing. Medians over repeated runs, with min and max; `n` is the number of samples. The real bot, on a real
SQLite file, driven through the project's Discord emulator (tests/discord_emulator) over real HTTP and a
real gateway WebSocket. The bot under measurement always runs in a process of its own (`bench/process.py`; in
`postgres`, the scale-out tests' child bot), the emulator in the bench process, which drives it through its
Python API; only the end-to-end tests put emulator and bot on one event loop.
"""


def title_of(module_name: str) -> str:
    doc = importlib.import_module(module_name).__doc__ or module_name
    return doc.strip().splitlines()[0].rstrip(".")


def section(result: GroupResult, machine: Machine) -> str:
    lines = [
        f"<!-- group:{result.name} -->",
        f"## `{result.name}` — {title_of(GROUPS[result.name])}",
        "",
        f"Measured {machine.date} on {machine.hardware} (load average before the run: {machine.load}); "
        f"the group ran in {result.seconds:.0f} s.",
        "",
        markdown_table(result.figures),
        "",
        *(f"- {note}" for note in result.notes),
        f"<!-- /group:{result.name} -->",
    ]
    return "\n".join(lines)


def write_results(results: Sequence[GroupResult], machine: Machine, path: Path = RESULTS) -> None:
    """Replace the sections of the groups that ran; keep the others; sections in GROUPS order."""
    sections: dict[str, str] = {}
    if path.exists():
        for match in re.finditer(r"<!-- group:(\w+) -->.*?<!-- /group:\1 -->", path.read_text(), re.S):
            sections[match.group(1)] = match.group(0)
    for result in results:
        sections[result.name] = section(result, machine)
    body = [HEADER, f"Machine of the latest run: {machine.hardware} (`nproc` cores, /proc/cpuinfo model name).", ""]
    body += [sections[name] + "\n" for name in GROUPS if name in sections]
    path.write_text("\n".join(body))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("groups", nargs="*", metavar="group", help=f"groups to run (default: all): {', '.join(GROUPS)}")
    parser.add_argument("--list", action="store_true", help="list the groups and exit")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args(argv)
    if args.list:
        for name, module in GROUPS.items():
            print(f"{name:8} {title_of(module)}")
        return 0
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose among {', '.join(GROUPS)}")
    chosen = args.groups or list(GROUPS)
    machine = Machine.here()
    print(f"# Tribune benchmarks — {machine.describe()}", flush=True)
    results: list[GroupResult] = []
    for name in chosen:
        print(f"… {name}: {title_of(GROUPS[name])}", file=sys.stderr, flush=True)
        result: GroupResult = importlib.import_module(GROUPS[name]).run()
        results.append(result)
        print(f"  {name} done in {result.seconds:.1f} s", file=sys.stderr, flush=True)
    figures = [f for r in results for f in r.figures]
    print()
    print(text_table(figures, machine.cores))
    print()
    for result in results:
        print(f"{result.name}: {result.seconds:.1f} s")
        for note in result.notes:
            print(f"  - {note}")
    if not args.no_write:
        write_results(results, machine)
        print(f"\nwritten: {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
