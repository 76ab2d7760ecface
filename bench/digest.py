"""Figure 4: building one server's weekly digest from 100 polls, 1M votes and 10k opinions.

The store is a migrated SQLite file filled with ``executemany`` in one transaction: 100 articles, one poll
each (scale and choice, a tenth multiple-choice, a third closed during the week, mostly anonymous), 10,000
vote rows per poll cast during the week (1M), 100 opinions per article (10k, 2 % hidden) with ~25k "useful"
marks, and last week's posted digest (so the week-over-week comparison runs too).

Timed through the real ``Database`` reader connection, as the cog does it: ``bot.services.digest_reads.prepare_digest``
(the store queries of ``db.digests.DigestQueries`` + the pure ``build_digest``), then
``bot.digest.render.render_digest`` (the messages). The chart (``chart_png``, matplotlib) is shown apart.
Each figure: one unmeasured warm-up, then repeated runs.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import POLL_LABELS_FR, Figure, GroupResult, Stopwatch, timed_group

NAME = "digest"
GUILD = 4242
POLLS = 100
VOTES_PER_POLL = 10_000
OPINIONS_PER_ARTICLE = 100
RUNS = 7
# Monday 23 November 2026, 9:00 in Paris: the digest's scheduled instant (fixed for reproducible data).
SCHEDULED = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SCALE_SCORES = (100.0, 66.7, 33.3, 0.0, None)
CHOICES = ("Choix A", "Choix B", "Choix C", "Choix D")


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _voter(poll_id: int, member: int, anonymous: bool) -> str:
    if not anonymous:
        return str(10**17 + member)
    return f"{((poll_id * 1_000_003 + member) * 0x9E3779B97F4A7C15) % 2**256:064x}"  # 64 hex, like the HMAC


def build_store(path: Path, start: datetime, end: datetime) -> dict[str, int]:
    """Fill a migrated store; returns what was inserted."""
    week = _ts(end) - _ts(start)
    created = _ts(start) - 2 * 86400
    conn = sqlite3.connect(path, isolation_level=None)
    counts: dict[str, int] = {}
    try:
        for setting in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {setting}").fetchall()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO guild_settings (guild_id, language, updated_at) VALUES (?, 'fr', ?)", (GUILD, created)
        )
        conn.executemany(
            "INSERT INTO articles (id, guild_id, url, content_hash, title, language, summary, opinion_prompt, "
            "channel_id, message_id, thread_id, posted_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, 'fr', ?, ?, ?, ?, ?, 1, ?)",
            (
                (
                    a,
                    GUILD,
                    f"https://actu.example/{a}",
                    f"{a:064x}",
                    f"Article n° {a} : une annonce à débattre",
                    "Un résumé de trois phrases. " * 5,
                    "Quel est votre avis sur le sujet ?",
                    777,
                    10**15 + a,
                    2 * 10**15 + a,
                    created,
                )
                for a in range(1, POLLS + 1)
            ),
        )
        polls = [
            (p, p % 4 != 0, p % 10 == 0, p % 7 != 0)  # id, scale?, multiple?, anonymous?
            for p in range(1, POLLS + 1)
        ]
        conn.executemany(
            "INSERT INTO polls (id, guild_id, article_id, question, kind, multiple, anonymous, channel_id, message_id, "
            "thread_id, created_by, created_at, closes_at) VALUES (?, ?, ?, ?, ?, ?, ?, 777, ?, ?, 1, ?, ?)",
            (
                (
                    p,
                    GUILD,
                    p,
                    f"Question n° {p} : cette annonce est-elle crédible ?",
                    "scale" if scale else "choice",
                    int(multiple),
                    int(anonymous),
                    3 * 10**15 + p,
                    2 * 10**15 + p,
                    created,
                    _ts(end) + 7 * 86400,
                )
                for p, scale, multiple, anonymous in polls
            ),
        )
        conn.executemany(
            "INSERT INTO poll_options (poll_id, position, label, score) VALUES (?, ?, ?, ?)",
            (
                (p, i, label, SCALE_SCORES[i] if scale else None)
                for p, scale, _, _ in polls
                for i, label in enumerate(POLL_LABELS_FR if scale else CHOICES)
            ),
        )

        def votes() -> Iterator[tuple[int, str, int, int]]:
            for p, scale, multiple, anonymous in polls:
                answers = 5 if scale else 4
                per_voter = 2 if multiple else 1
                for n in range(VOTES_PER_POLL):
                    member, k = divmod(n, per_voter)
                    # Skewed, deterministic choices; a multiple-choice voter holds two different answers.
                    position = ((member * 7 + p) % (answers + 3)) % answers
                    if k:
                        position = (position + 1) % answers
                    at = _ts(start) + 60 + (n * week // VOTES_PER_POLL + p * 37) % (week - 120)
                    yield p, _voter(p, member, anonymous), position, at

        conn.executemany("INSERT INTO votes (poll_id, voter, position, voted_at) VALUES (?, ?, ?, ?)", votes())
        closed = [p for p, *_ in polls if p % 3 == 0]
        conn.executemany(
            "UPDATE polls SET status = 'closed', closes_at = ?, closed_at = ? WHERE id = ?",
            ((_ts(end) - 3600, _ts(end) - 3600, p) for p in closed),
        )
        conn.executemany(
            "INSERT INTO opinions (id, guild_id, article_id, member_id, text, thread_id, message_id, hidden, "
            "hidden_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    (a - 1) * OPINIONS_PER_ARTICLE + j + 1,
                    GUILD,
                    a,
                    10**17 + j,
                    f"Avis n° {j} sur l'article {a} : l'annonce me paraît crédible, mais le calendrier est serré. "
                    * (1 + j % 3),
                    2 * 10**15 + a,
                    4 * 10**15 + (a - 1) * OPINIONS_PER_ARTICLE + j,
                    int(j % 50 == 49),
                    1 if j % 50 == 49 else None,
                    _ts(start) + 3600 + (j * 5000 + a * 17) % (week - 7200),
                    _ts(start) + 3600 + (j * 5000 + a * 17) % (week - 7200),
                )
                for a in range(1, POLLS + 1)
                for j in range(OPINIONS_PER_ARTICLE)
            ),
        )
        conn.executemany(
            "INSERT INTO opinion_marks (opinion_id, member_id, marked_at) VALUES (?, ?, ?)",
            (
                ((a - 1) * OPINIONS_PER_ARTICLE + j + 1, 2 * 10**17 + m, _ts(end) - 7200)
                for a in range(1, POLLS + 1)
                for j in range(OPINIONS_PER_ARTICLE)
                for m in range((j * 7 + a) % 6)
            ),
        )
        previous_totals = {"version": 1, "polls": 80, "votes": 700_000, "participations": 650_000, "opinions": 8000}
        conn.execute(
            "INSERT INTO digests (guild_id, week, period_start, period_end, status, totals, claimed_at, posted_at) "
            "VALUES (?, ?, ?, ?, 'posted', ?, ?, ?)",
            (
                GUILD,
                "2026-W47",
                _ts(start) - week,
                _ts(start),
                json.dumps({**previous_totals, "scale_mean": 55.5}),
                _ts(start),
                _ts(start),
            ),
        )
        conn.execute("COMMIT")
        for table in ("polls", "votes", "opinions", "opinion_marks"):
            counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        conn.execute("PRAGMA optimize").fetchall()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()
    return counts


async def names_of(ids: frozenset[int]) -> Mapping[int, str]:
    """The cog resolves display names through Discord; here they are at hand."""
    return {member: f"Membre {member % 10_000}" for member in ids}


async def measure() -> GroupResult:
    from bot.digest.render import CHART_MAX_POLLS, chart_png, render_digest
    from bot.digest.schedule import digest_period
    from bot.services.digest_reads import prepare_digest
    from db.database import Database
    from db.digests import DigestQueries
    from db.guild_settings import GuildSettingsStore

    period = digest_period(SCHEDULED, "Europe/Paris", 9)
    timings: dict[str, list[float]] = {"queries": [], "prepare": [], "render": [], "total": [], "chart": []}
    with tempfile.TemporaryDirectory(prefix="tribune-bench-") as name:
        path = Path(name) / "digest.db"
        async with Database.from_path(path) as db:
            await db.migrate()
        with Stopwatch() as fill:
            counts = build_store(path, period.start, period.end)
        async with Database.from_path(path) as db:
            digest: Any = None
            messages: list[Any] = []
            for run in range(RUNS + 1):
                async with db.read() as conn:
                    with Stopwatch() as queries:
                        await DigestQueries(conn).activity(GUILD, period.start, period.end, 2)
                    with Stopwatch() as total:
                        with Stopwatch() as prepare:
                            settings = await GuildSettingsStore(conn).get(GUILD)
                            digest = await prepare_digest(conn, settings, SCHEDULED, names_of)
                        with Stopwatch() as render:
                            messages = render_digest(digest)
                with Stopwatch() as chart:
                    chart_png(digest)
                if run:  # the first run warms the connection's page cache and the imports
                    for key, sw in (
                        ("queries", queries),
                        ("prepare", prepare),
                        ("render", render),
                        ("total", total),
                        ("chart", chart),
                    ):
                        timings[key].append(sw.seconds * 1000)
    ms = "ms"
    figures = [
        Figure(NAME, "digest build: prepare_digest + render_digest", timings["total"], ms, 1).judge(
            lambda v: v <= 200, "≤ 200 ms"
        ),
        Figure(NAME, "  of which store queries (DigestQueries.activity)", timings["queries"], ms, 1),
        Figure(NAME, "  prepare_digest (queries + build_digest)", timings["prepare"], ms, 1),
        Figure(NAME, "  render_digest (messages)", timings["render"], ms, 1),
        Figure(NAME, f"digest chart_png ({CHART_MAX_POLLS} polls, matplotlib), apart", timings["chart"], ms, 1).judge(
            lambda v: v <= 300, "≤ 300 ms"
        ),
    ]
    notes = [
        f"Store: {counts['polls']} polls, {counts['votes']:_} votes, {counts['opinions']:_} opinions, "
        f"{counts['opinion_marks']:_} useful marks, filled in {fill.seconds:.1f} s (not timed in the figures).".replace(
            "_", " "
        ),
        f"Digest: {len(digest.sections)} poll sections, {digest.totals.votes:_} votes in the week, "
        f"{digest.totals.opinions:_} opinions, {len(messages)} message(s). {RUNS} runs after one warm-up run; "
        "`store queries` is timed on its own before each build (the build runs the same queries again).".replace(
            "_", " "
        ),
        "Entry points used: bot.services.digest_reads.prepare_digest(conn, settings, scheduled_utc, names) and "
        "bot.digest.render.render_digest(digest) / chart_png(digest), as found on "
        f"{time.strftime('%Y-%m-%d')} (the digest feature was being written at the same time).",
    ]
    return GroupResult(NAME, figures, notes)


def run() -> GroupResult:
    return timed_group(measure)


if __name__ == "__main__":
    import sys

    from bench.__main__ import main

    raise SystemExit(main([NAME, *sys.argv[1:]]))
