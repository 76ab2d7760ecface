"""Figure 6: grouping a debate's opinions into arguments (purity on the invented fixture, time for 10,000).

Purity: share of the grouped opinions that belong to their group's majority argument, on the 58 invented
opinions of ``tests/fixtures/opinions/trainium2.json``; coverage: share of the on-topic ones that are grouped
at all (without it, leaving everything alone would be "pure"). Speed: `find_arguments` on 1,000 and 10,000
opinions spliced from the fixture's own texts (first half of one opinion, second half of another of the same
argument; seeded, so every run grades the same debate).
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from collections.abc import Sequence

from bench.common import FIXTURES, Figure, GroupResult, Stopwatch, timed_group

NAME = "arguments"
FIXTURE = FIXTURES / "opinions" / "trainium2.json"
RUNS = 5
SIZES = (1_000, 10_000)
OFF_TOPIC = "hors_sujet"


def rows() -> list[dict[str, object]]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["opinions"]


def spliced(count: int, seed: int = 19) -> list[object]:
    from bot.digest.arguments import OpinionText

    rng = random.Random(seed)
    by_group: dict[str, list[dict[str, object]]] = {}
    for row in rows():
        by_group.setdefault(str(row["group"]), []).append(row)
    groups = sorted(by_group)
    opinions = []
    for number in range(1, count + 1):
        group = by_group[rng.choice(groups)]
        first, second = rng.choice(group), rng.choice(group)
        a, b = str(first["text"]).split(), str(second["text"]).split()
        text = " ".join(a[: len(a) // 2] + b[len(b) // 2 :])
        opinions.append(OpinionText(id=number, text=text, useful=rng.randint(0, 5), stance=first["side"]))  # type: ignore[arg-type]
    return opinions


def quality() -> tuple[float, float, int, int]:
    """Purity, coverage, groups shown, off-topic opinions quoted."""
    from bot.digest.arguments import OpinionText, find_arguments

    data = rows()
    opinions = [
        OpinionText(id=n, text=str(r["text"]), useful=int(r["useful"]), stance=r["side"])  # type: ignore[arg-type, call-overload]
        for n, r in enumerate(data, start=1)
    ]
    expected = {n: str(r["group"]) for n, r in enumerate(data, start=1)}
    arguments = find_arguments(opinions)
    grouped = [i for a in arguments for i in a.opinion_ids]
    majority = sum(Counter(expected[i] for i in a.opinion_ids).most_common(1)[0][1] for a in arguments)
    on_topic = sum(1 for g in expected.values() if g != OFF_TOPIC)
    covered = sum(1 for i in grouped if expected[i] != OFF_TOPIC)
    quoted_off_topic = sum(1 for a in arguments if expected[a.opinion_id] == OFF_TOPIC)
    return majority / max(1, len(grouped)), covered / on_topic, len(arguments), quoted_off_topic


def measure() -> GroupResult:
    from bot.digest.arguments import find_arguments

    purity, coverage, shown, off_topic = quality()
    figures = [
        Figure(NAME, "purity of the groups, invented debate (58 opinions)", [purity], "", 2).judge(
            lambda v: v >= 0.8, "≥ 0.80"
        ),
        Figure(NAME, "on-topic opinions grouped (coverage)", [coverage], "", 2),
        Figure(NAME, "off-topic opinions chosen as quotes", [float(off_topic)], "", 0).judge(lambda v: v == 0, "0"),
    ]
    for size in SIZES:
        opinions = spliced(size)
        find_arguments(opinions)  # warm
        samples = []
        for _ in range(RUNS):
            with Stopwatch() as sw:
                find_arguments(opinions)
            samples.append(sw.seconds * 1000)
        figure = Figure(NAME, "find_arguments(), " + f"{size:,} opinions".replace(",", " "), samples, "ms", 0)
        figures.append(figure.judge(lambda v: v <= 1000, "≤ 1 000 ms") if size == 10_000 else figure)
    notes = [
        f"{shown} groups shown on the invented debate (six arguments written, four off-topic messages, three "
        f"copies). {RUNS} warm runs per size; spliced opinions keep the fixture's vocabulary.",
    ]
    return GroupResult(NAME, figures, notes)


def run() -> GroupResult:
    return timed_group(measure)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.arguments")
    _, rest = parser.parse_known_args(argv)
    from bench.__main__ import main as bench_main

    return bench_main([NAME, *rest])


if __name__ == "__main__":
    raise SystemExit(main())
