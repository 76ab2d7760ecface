"""Did my post go out? The real bot in its own process, SIGKILLed at each step of a claimed post.

Each scenario ends with exactly one scheduled digest for the week (recognised by its claim's marker, never by a
digest a moderator posted by hand), and no second one after further restarts.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.delivery import carries
from db.articles import ArticleStore
from db.polls import PollStore
from tests.conftest import REPO_ROOT, FakeClock
from tests.discord_emulator import DiscordEmulator
from tests.discord_emulator.emulator import RequestRecord
from tests.discord_emulator.state import MessageRecord
from tests.e2e.test_articles import post_seed
from tests.e2e.test_digest import FRIDAY, MONDAY_9H_PARIS, WEEK, seed_week
from tests.e2e.test_feeds import FEED, NEWEST_TWO, NewsSite, site, without_items  # noqa: F401 - site: a fixture

MESSAGES = "/channels/{channel_id}/messages"
START_TIMEOUT = 60.0  # a cold child imports discord.py and matplotlib; CI machines are slow


class ChildBot:
    """`python -m tests.e2e.child_bot` against the test's emulator: started, waited on, killed."""

    def __init__(self, emulator: DiscordEmulator, db_path: Path, now: datetime, log: Path) -> None:
        self.args = [emulator.api_url, emulator.gateway_url, emulator.token, str(db_path), now.isoformat()]
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as err:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.e2e.child_bot",
                *self.args,
                cwd=REPO_ROOT,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
                env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            )

    async def wait_for_line(self, expected: str) -> None:
        assert self.process is not None and self.process.stdout is not None
        while True:
            line = await asyncio.wait_for(self.process.stdout.readline(), START_TIMEOUT)
            if not line:
                raise AssertionError(f"the child bot exited before {expected}:\n{self.log.read_text()[-3000:]}")
            if line.decode().strip() == expected:
                return

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no clean-up code runs
        await self.process.wait()

    async def stop(self) -> None:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


@pytest.fixture
def child_bot(emulator: DiscordEmulator, tribune_db_path: Path, tmp_path: Path) -> Callable[[datetime], Any]:
    children: list[ChildBot] = []

    @asynccontextmanager
    async def run(now: datetime) -> AsyncIterator[ChildBot]:
        child = ChildBot(emulator, tribune_db_path, now, tmp_path / "child.log")
        children.append(child)
        await child.start()
        try:
            yield child
        finally:
            await child.stop()

    return run


def is_digest_request(record: RequestRecord) -> bool:
    return f"Bilan {WEEK}" in json.dumps(record.json, ensure_ascii=False)


def digest_record(db_path: Path) -> dict[str, Any]:
    with sqlite3.connect(db_path) as raw:
        raw.row_factory = sqlite3.Row
        row = raw.execute("SELECT * FROM digests WHERE week = ?", (WEEK,)).fetchone()
    return dict(row) if row else {}


def footers(message: MessageRecord) -> list[str]:
    return [(e.get("footer") or {}).get("text", "") for e in message.embeds]


def week_digests(emulator: DiscordEmulator) -> list[MessageRecord]:
    return [m for m in emulator.messages_in("actualites") if any(f"Bilan {WEEK}" in f for f in footers(m))]


def scheduled(emulator: DiscordEmulator, token: str) -> list[MessageRecord]:
    return [m for m in week_digests(emulator) if any(carries(f, token) for f in footers(m))]


async def wait_posted(emulator: DiscordEmulator, db_path: Path) -> dict[str, Any]:
    await emulator.wait_for(lambda: digest_record(db_path).get("status") == "posted", timeout=START_TIMEOUT)
    return digest_record(db_path)


async def kill_while_posting(
    emulator: DiscordEmulator, child_bot, now: datetime, stage: str, when: Callable[[RequestRecord], bool]
) -> None:  # type: ignore[no-untyped-def]
    """Start the bot at `now`, SIGKILL it while the post `when` accepts is held at `stage`; the post is lost
    (stage "before") or exists without its reply (stage "after"). Later restarts happen after Discord's
    dedupe window, so only what the post carries can tell."""
    with emulator.gate("POST", MESSAGES, stage=stage, when=when) as gate:
        async with child_bot(now) as child:
            await asyncio.wait_for(gate.arrived.wait(), START_TIMEOUT)
            await child.kill()
        gate.release(deliver=False)
    emulator.nonce_window = 0


async def restart_twice(child_bot, now: datetime) -> None:  # type: ignore[no-untyped-def]
    """Two more runs of the bot, each until its background loops made a full pass."""
    for minutes in (1, 20):
        async with child_bot(now + timedelta(minutes=minutes)) as child:
            await child.wait_for_line("SETTLED")


@pytest.mark.parametrize("manual_digest", [True, False], ids=["manual-digest-earlier", "no-manual-digest"])
@pytest.mark.parametrize("step", ["claimed-not-sent", "in-flight-dropped-then-delivered", "created-not-recorded"])
async def test_a_killed_bot_posts_the_scheduled_digest_exactly_once(
    emulator: DiscordEmulator,
    run_tribune,  # type: ignore[no-untyped-def]
    clock: FakeClock,
    tribune_db_path: Path,
    child_bot,  # type: ignore[no-untyped-def]
    step: str,
    manual_digest: bool,
) -> None:
    clock.now = FRIDAY
    async with run_tribune():
        await seed_week(emulator, clock)
        if manual_digest:
            clock.now = MONDAY_9H_PARIS - timedelta(hours=1)  # Monday 8:00 in Paris: the week's key already
            reply = await (await emulator.invoke(emulator.members["mod"], "digest post")).wait_reply(timeout=10)
            assert "Bilan publié" in reply.content
    manual = week_digests(emulator)
    assert len(manual) == (1 if manual_digest else 0)

    due = MONDAY_9H_PARIS + timedelta(minutes=1)
    stage = "after" if step == "created-not-recorded" else "before"
    with emulator.gate("POST", MESSAGES, stage=stage, when=is_digest_request) as gate:
        async with child_bot(due) as child:
            await child.wait_for_line("READY")
            await asyncio.wait_for(gate.arrived.wait(), START_TIMEOUT)
            claim = digest_record(tribune_db_path)
            assert claim["status"] == "claimed" and claim["post_token"]  # claimed (committed) before the request
            await child.kill()
        if step == "claimed-not-sent":
            gate.release(deliver=False)
        else:
            gate.release()
            await emulator.wait_for(lambda: len(scheduled(emulator, claim["post_token"])) == 1, timeout=10)
    token = claim["post_token"]
    emulator.nonce_window = 0  # restarted after Discord's dedupe window: only the marker can tell
    assert week_digests(emulator)[: len(manual)] == manual

    async with child_bot(due + timedelta(minutes=2)) as child:
        await child.wait_for_line("SETTLED")
        record = await wait_posted(emulator, tribune_db_path)
    [ours] = scheduled(emulator, token)
    assert json.loads(record["message_ids"]) == [ours.id]
    assert ours.id not in {m.id for m in manual}
    assert "3 votants" in str(ours.embeds)

    async with child_bot(due + timedelta(minutes=4)) as child:  # and no second one after another restart
        await child.wait_for_line("SETTLED")
    assert scheduled(emulator, token) == [ours]
    assert len(week_digests(emulator)) == len(manual) + 1
    assert json.loads(digest_record(tribune_db_path)["message_ids"]) == [ours.id]


async def test_a_retried_request_with_the_same_nonce_is_not_posted_twice(
    emulator: DiscordEmulator,
    tribune,  # type: ignore[no-untyped-def]
) -> None:
    """What the nonce buys: a send repeated after a lost response returns the message Discord already made."""
    channel = tribune.get_channel(emulator.channel("actualites").id)
    first = await channel.send("Bilan", nonce="abcdefghij.1")
    again = await channel.send("Bilan", nonce="abcdefghij.1")
    assert again.id == first.id
    assert len([m for m in emulator.messages_in("actualites") if m.content == "Bilan"]) == 1
    fetched = emulator.world.message_payload(emulator.message(first.id))
    assert "nonce" not in fetched  # like Discord: never stored, so history cannot be searched by nonce


@pytest.mark.parametrize("stage", ["before", "after"], ids=["killed-before-delivery", "killed-after-creation"])
async def test_a_poll_closed_by_a_killed_bot_gets_its_final_results_once(
    emulator: DiscordEmulator,
    run_tribune,  # type: ignore[no-untyped-def]
    clock: FakeClock,
    tribune_db_path: Path,
    child_bot,  # type: ignore[no-untyped-def]
    stage: str,
) -> None:
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    async with run_tribune():
        await (await post_seed(emulator, duration="1h")).wait_reply(timeout=10)
        message = emulator.last_message("general")
        await (await emulator.click(emulator.members["alice"], message, "Sans avis")).wait_reply()
    thread = emulator.thread_of(message)
    assert thread is not None

    def final_results(record: RequestRecord) -> bool:
        return record.params.get("channel_id") == str(thread.id)

    after_deadline = clock.now + timedelta(hours=2)
    await kill_while_posting(emulator, child_bot, after_deadline, stage, final_results)
    await restart_twice(child_bot, after_deadline)
    posted = [m for m in emulator.messages_in(thread) if "Résultats définitifs" in m.content or m.attachments]
    assert len(posted) == 1, [m.content for m in emulator.messages_in(thread)]
    with sqlite3.connect(tribune_db_path) as raw:
        pending, recorded = raw.execute("SELECT results_pending, results_message_id FROM polls").fetchone()
    assert (pending, recorded) == (0, posted[0].id)


@pytest.mark.parametrize("stage", ["before", "after"], ids=["killed-before-delivery", "killed-after-creation"])
async def test_feed_items_whose_post_was_interrupted_are_posted_once(
    emulator: DiscordEmulator,
    run_tribune,  # type: ignore[no-untyped-def]
    clock: FakeClock,
    tribune_db_path: Path,
    child_bot,  # type: ignore[no-untyped-def]
    site: NewsSite,  # noqa: F811 - the fixture imported from test_feeds
    monkeypatch: pytest.MonkeyPatch,
    stage: str,
) -> None:
    monkeypatch.setenv("TRIBUNE_FETCH_ALLOW", "127.0.0.1")
    site.feed = without_items(FEED, NEWEST_TWO)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    async with run_tribune(env={"TRIBUNE_FETCH_ALLOW": "127.0.0.1"}):
        add = await emulator.invoke(
            emulator.members["mod"], "feed add", url=f"{site.base}/feed.xml", options={"channel": "actualites"}
        )
        await add.wait_reply(timeout=10)
    site.feed = FEED  # the site publishes two articles
    actualites = emulator.channel("actualites")

    def article_post(record: RequestRecord) -> bool:
        return record.params.get("channel_id") == str(actualites.id)

    def posts() -> list[MessageRecord]:
        return [m for m in emulator.messages_in(actualites) if m.embeds]

    later = clock.now + timedelta(minutes=16)
    await kill_while_posting(emulator, child_bot, later, stage, article_post)
    assert len(posts()) == (1 if stage == "after" else 0)
    await restart_twice(child_bot, later)
    urls = [p.embeds[0]["url"] for p in posts()]
    assert sorted(urls) == sorted(f"{site.base}/articles/{slug}" for slug in NEWEST_TWO)
    with sqlite3.connect(tribune_db_path) as raw:
        recorded = raw.execute("SELECT message_id FROM articles ORDER BY message_id").fetchall()
        polls = raw.execute("SELECT message_id FROM polls ORDER BY message_id").fetchall()
    assert [r[0] for r in recorded] == sorted(p.id for p in posts())
    assert sorted({r[0] for r in polls}) == sorted(p.id for p in posts())  # an article may carry several polls
    assert all(emulator.thread_of(p) is not None for p in posts())


async def test_a_loop_pass_during_a_close_does_not_post_the_final_results_twice(
    emulator: DiscordEmulator,
    tribune,  # type: ignore[no-untyped-def]
) -> None:
    await (await post_seed(emulator)).wait_reply(timeout=10)
    message = emulator.last_message("general")
    thread = emulator.thread_of(message)
    cog = tribune.polls
    async with tribune.db.read() as conn:
        [poll_id] = await PollStore(conn).ids_of_article((await ArticleStore(conn).by_message(message.id)).id)
    snapshot = cog.snapshot
    passes: list[asyncio.Task[None]] = []

    async def snapshot_after_a_loop_pass(*args, **kwargs):  # type: ignore[no-untyped-def]
        # The close is committed here and its results not yet posted: the worst moment for a loop pass.
        if not passes:
            passes.append(asyncio.create_task(cog.resolve_pending_results()))
            await asyncio.sleep(0.2)
        return await snapshot(*args, **kwargs)

    emulator.nonce_window = 0  # the nonce would hide a second post: the process itself must not send one
    cog.snapshot = snapshot_after_a_loop_pass
    try:
        assert await cog.close(poll_id)
        await asyncio.gather(*passes)
    finally:
        cog.snapshot = snapshot
    await cog.resolve_pending_results()
    assert len([m for m in emulator.messages_in(thread) if m.attachments]) == 1
