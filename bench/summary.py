"""Figure 5: summarising articles (the seed article and a 5,000-word one) and importing the article pipeline.

Timed: ``bot.articles.summary.summarize`` (the extractive summary alone) and
``bot.articles.pipeline.analyse`` (what the bot runs on every article: normalisation, reader questions,
summary, keywords, content hash), on the seed article (``00-trainium2``, as received) and on a 5,000-word
French article made of the French fixture articles' bodies, then the same paragraphs again in reverse order,
cut at 5,000 words. Warm runs in this process (after one unmeasured call), plus the first call in a fresh
process. Import time of ``bot.articles.pipeline``: ``python -X importtime`` (sum of the ``bot*`` top-level
entries) and a stopwatch around the import, each in fresh subprocesses.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from bench.common import FIXTURES, REPO_ROOT, Figure, GroupResult, Stopwatch, timed_group

NAME = "summary"
RUNS = 15
SUBPROCESS_RUNS = 5
LONG_WORDS = 5000
ARTICLES = FIXTURES / "articles"
SEED = ARTICLES / "00-trainium2" / "article.txt"


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def long_article(words: int = LONG_WORDS) -> tuple[str, str]:
    """(title, text): the French fixtures' bodies, then again in reverse paragraph order, cut at ``words``."""
    paragraphs: list[str] = []
    for folder in sorted(ARTICLES.iterdir()):
        expected = folder / "expected.json"
        if not folder.is_dir() or folder.name == "00-trainium2" or not expected.exists():
            continue
        if json.loads(expected.read_text(encoding="utf-8")).get("language") != "fr":
            continue
        _, _, body = (folder / "article.txt").read_text(encoding="utf-8").partition("\n\n")
        paragraphs += [p.strip() for p in body.split("\n\n") if p.strip()]
    pool = paragraphs + paragraphs[::-1]
    kept: list[str] = []
    count = 0
    while count < words:
        paragraph = pool[len(kept) % len(pool)]
        take = paragraph.split()
        if count + len(take) > words:
            take = take[: words - count]
            paragraph = " ".join(take).rstrip(",;:") + "."
        kept.append(paragraph)
        count += len(take)
    return "Dossier : une semaine d'actualité technologique en un seul article", "\n\n".join(kept)


def timed_runs(call: Callable[[], object], runs: int = RUNS) -> list[float]:
    call()  # warm: compiled regexes, caches
    out = []
    for _ in range(runs):
        with Stopwatch() as sw:
            call()
        out.append(sw.seconds * 1000)
    return out


def child() -> dict[str, float]:
    """In a fresh process: import the pipeline, then one first analysis of the seed article."""
    started = time.perf_counter()
    from bot.articles.extract import Article
    from bot.articles.pipeline import analyse

    imported = time.perf_counter() - started
    with Stopwatch() as first:
        analyse(Article(title=None, text=seed_text()))
    return {"import": imported, "first": first.seconds}


def importtime_ms() -> float:
    """``python -X importtime -c 'import bot.articles.pipeline'``: sum of the top-level ``bot*`` entries."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import bot.articles.pipeline"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    total = 0
    for line in completed.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if match and match.group(2).startswith("bot"):
            total += int(match.group(1))
    return total / 1000


def run_child() -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.summary", "--child"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure() -> GroupResult:
    from bot.articles.extract import Article
    from bot.articles.pipeline import analyse
    from bot.articles.summary import summarize

    seed = seed_text()
    title, long_text = long_article()
    seed_article = Article(title=None, text=seed)
    long_one = Article(title=title, text=long_text)
    long_label = f"{LONG_WORDS:_}-word article".replace("_", " ")
    cases: list[tuple[str, Callable[[], object]]] = [
        ("summarize(), seed article", lambda: summarize(seed)),
        ("analyse(), seed article", lambda: analyse(seed_article)),
        (f"summarize(), {long_label}", lambda: summarize(long_text, title=title)),
        (f"analyse(), {long_label}", lambda: analyse(long_one)),
    ]
    figures = [
        Figure(NAME, label, timed_runs(call), "ms", 1).judge(lambda v: v <= 100, "≤ 100 ms") for label, call in cases
    ]
    children = [run_child() for _ in range(SUBPROCESS_RUNS)]
    figures += [
        Figure(NAME, "analyse(), seed, first call in a fresh process", [c["first"] * 1000 for c in children], "ms", 1),
        Figure(NAME, "import bot.articles.pipeline (stopwatch)", [c["import"] * 1000 for c in children], "ms", 1),
        Figure(NAME, "import bot.articles.pipeline (-X importtime)", [importtime_ms() for _ in range(3)], "ms", 1),
    ]
    summary = analyse(long_one).summary
    notes = [
        f"Seed: {len(seed.split())} words, no title (as received). Long: {len(long_text.split())} words from the "
        f"French fixtures; its summary has {len(summary.sentences)} sentences. {RUNS} warm runs each; "
        f"{SUBPROCESS_RUNS} fresh processes for the first call and the stopwatch import, 3 for -X importtime.",
    ]
    return GroupResult(NAME, figures, notes)


def run() -> GroupResult:
    return timed_group(measure)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.summary")
    parser.add_argument("--child", action="store_true", help="time the import and a first analysis, print JSON")
    args, rest = parser.parse_known_args(argv)
    if not args.child:
        from bench.__main__ import main as bench_main

        return bench_main([NAME, *rest])
    print(json.dumps(child()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
