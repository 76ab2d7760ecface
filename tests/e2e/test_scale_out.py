"""Two bot processes (shards 0 and 1 of 2) on one PostgreSQL, on the emulator: each sees only its servers,
votes go through both, one is SIGKILLed mid-burst and restarted (no acknowledged vote lost), polls that expire
while a shard is down are closed once by the survivor, and each server gets its digest exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from db.database import Database
from db.guild_settings import GuildSettingsStore
from db.location import DatabaseLocation
from db.polls import PollStore
from tests.conftest import TEST_SECRET, FakeClock
from tests.discord_emulator import DiscordEmulator
from tests.discord_emulator.state import ChannelRecord, GuildRecord, MemberRecord
from tests.e2e.test_crash_recovery import ChildBot
from tests.e2e.test_digest import MONDAY_9H_PARIS, WEEK
from tests.e2e.test_feeds import FEED, NEWEST_TWO, NewsSite, site, without_items  # noqa: F401 - site: a fixture
from tests.postgres_server import PostgresServer, migrated_database_url

T0 = MONDAY_9H_PARIS + timedelta(minutes=1)
VOTERS = 12


def shard_of(guild_id: int) -> int:
    return (guild_id >> 22) % 2


def second_guild(emulator: DiscordEmulator) -> tuple[GuildRecord, ChannelRecord, list[MemberRecord]]:
    """A server on the other shard than the default one, where every member may moderate."""
    world = emulator.world
    while True:
        time.sleep(0.002)  # snowflakes carry milliseconds: the next one may land on the other shard
        guild = world.add_guild("Autre rédaction", locale="fr", everyone_permissions=0x20 | 0x400 | 0x800 | 0x8)
        if shard_of(guild.id) != shard_of(emulator.guild.id):
            break
        del world.guilds[guild.id]
    world.add_role(guild, "Tribune", emulator.bot_role.permissions, managed=True, bot_id=world.bot_user.id)
    channel = world.add_channel(guild, "actualites")
    world.add_member(guild, world.bot_user, [], key="bot-h")
    members = [emulator.add_member(f"h{i}", locale="fr", guild=guild, dispatch=False) for i in range(VOTERS + 1)]
    return guild, channel, members


class ShardChild(ChildBot):
    """The child bot on shards of two (one number, or TRIBUNE_SHARD_IDS text such as `0-1`), on PostgreSQL."""

    def __init__(self, emulator: DiscordEmulator, url: str, shard: int | str, log: Path, minutes: int) -> None:
        super().__init__(emulator, Path("unused"), T0 + timedelta(minutes=minutes), log)
        self.args[3] = url
        self.shard = shard

    async def start(self) -> None:
        os.environ["TRIBUNE_SHARD_COUNT"], os.environ["TRIBUNE_SHARD_IDS"] = "2", str(self.shard)  # read at spawn
        await super().start()


child = ShardChild


@contextlib.asynccontextmanager
async def running(bot: ChildBot) -> AsyncIterator[ChildBot]:
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


def poll_message(emulator: DiscordEmulator, channel: ChannelRecord | str):  # type: ignore[no-untyped-def]
    return next(m for m in emulator.messages_in(channel) if "Pour ou contre" in m.content + str(m.embeds))


def article_posts(emulator: DiscordEmulator, channel: ChannelRecord | str, base: str) -> list[str]:
    return [m.embeds[0]["url"] for m in emulator.messages_in(channel) if m.embeds and base in str(m.embeds[0])]


async def guilds_line(bot: ChildBot) -> set[int]:
    assert bot.process is not None and bot.process.stdout is not None
    while True:
        line = (await asyncio.wait_for(bot.process.stdout.readline(), 60)).decode().strip()
        if line.startswith("GUILDS "):
            return {int(g) for g in line.split()[1].split(",") if g}


async def test_two_shard_processes_share_one_postgresql_store(
    emulator: DiscordEmulator,
    run_tribune,  # type: ignore[no-untyped-def]
    clock: FakeClock,
    postgres_server: PostgresServer,
    tmp_path: Path,
    monkeypatch,  # type: ignore[no-untyped-def]
    site: NewsSite,  # noqa: F811 - the fixture imported from test_feeds
) -> None:
    monkeypatch.setenv("TRIBUNE_SHARD_COUNT", "2")
    monkeypatch.setenv("TRIBUNE_FETCH_ALLOW", "127.0.0.1")
    site.feed = without_items(FEED, NEWEST_TWO)
    url = await migrated_database_url(postgres_server)
    env = {"DATABASE_URL": url, "TRIBUNE_SECRET": TEST_SECRET.decode(), "TRIBUNE_FETCH_ALLOW": "127.0.0.1"}
    other, other_channel, other_members = second_guild(emulator)
    home = emulator.guild
    members = emulator.add_members(VOTERS)

    # One process first (every shard): a public poll on each server, due one hour later.
    clock.now = T0
    async with run_tribune(env=env):
        for who, channel in ((emulator.members["mod"], "actualites"), (other_members[-1], other_channel)):
            done = await emulator.invoke(who, "poll create", channel=channel, question="Pour ou contre ?",
                                         duration="1h", anonymous=False)  # fmt: skip
            await done.wait_response(timeout=10)
            await emulator.wait_for(lambda c=channel: emulator.last_message(c) is not None, timeout=10)
            follow = await emulator.invoke(who, "feed add", channel=channel, url=f"{site.base}/feed.xml",
                                           options={"channel": channel})  # fmt: skip
            await follow.wait_reply(timeout=10)
    site.feed = FEED  # the site publishes two articles: each server's shard owner posts them, once
    posts = {g.id: poll_message(emulator, c) for g, c in ((home, "actualites"), (other, other_channel))}
    assert all(posts.values())
    store = Database(DatabaseLocation.parse(url))
    await store.connect()
    try:
        async with store.transaction() as conn:
            for guild, channel in ((home, emulator.channel("actualites")), (other, other_channel)):
                await GuildSettingsStore(conn).update(guild.id, T0, digest_channel_id=channel.id)
            polls = {g: (await PollStore(conn).by_message(posts[g].id)) for g in posts}  # type: ignore[union-attr]

        shard_home, shard_other = shard_of(home.id), shard_of(other.id)
        log = tmp_path / "children.log"
        # Started together: their IDENTIFYs share the one max_concurrency bucket, so they take turns.
        monkeypatch.setenv("TRIBUNE_TEST_IDENTIFY_INTERVAL", "1.0")
        first_bot = child(emulator, url, shard_home, log, 0)
        second_bot = child(emulator, url, shard_other, log, 0)
        async with running(first_bot) as first, running(second_bot) as second:
            assert home.id in await guilds_line(first)
            seen = await guilds_line(second)
            identified = sorted(at for at, _, count in emulator.gateway.identifies if count == 2)
            assert len(identified) == 2 and identified[1] - identified[0] >= 0.95  # paced through PostgreSQL
            monkeypatch.setenv("TRIBUNE_TEST_IDENTIFY_INTERVAL", "0.1")
            assert other.id in seen and home.id not in seen  # each process sees only its shard's servers
            await first.wait_for_line("SETTLED")
            await second.wait_for_line("SETTLED")

            # A burst of votes on both servers; the process of the other shard is killed in the middle.
            clicks = [emulator.click(m, posts[home.id], "Oui") for m in members]
            clicks += [emulator.click(m, posts[other.id], "Oui") for m in other_members[:VOTERS]]
            started = await asyncio.gather(*clicks)
            await asyncio.sleep(0.05)
            await second.kill()
            answers = await asyncio.gather(*(r.wait_response(timeout=3) for r in started), return_exceptions=True)
            acknowledged: dict[int, set[str]] = {home.id: set(), other.id: set()}
            for answer, member in zip(answers, [*members, *other_members[:VOTERS]], strict=True):
                if not isinstance(answer, BaseException):  # the click was acknowledged to the member
                    acknowledged[home.id if member in members else other.id].add(str(member.user.id))
            assert len(acknowledged[home.id]) == VOTERS  # the survivor's server did not notice

            # A second process for a shard that is running waits: a shard has one owner (shard 0: the DMs).
            survivor = child(emulator, url, shard_home, log, 120)
            await survivor.start()
            ready = asyncio.create_task(survivor.wait_for_line("READY"))
            await asyncio.sleep(1.5)
            assert not ready.done()

        # Later than the deadlines, the other shard's process is still down: the survivor closes both polls.
        try:
            await ready  # the first process is gone: the waiting one takes its shard over
            await survivor.wait_for_line("SETTLED")

            async def closed() -> bool:
                async with store.read() as conn:
                    found = [await PollStore(conn).get(p.id) for p in polls.values()]  # type: ignore[union-attr]
                return all(p is not None and p.status == "closed" for p in found)

            for _ in range(100):
                if await closed():
                    break
                await asyncio.sleep(0.1)
            assert await closed()
            # The other shard comes back: nothing is closed, nor posted, a second time.
            async with running(child(emulator, url, shard_other, log, 121)) as back:
                await back.wait_for_line("SETTLED")
                await asyncio.sleep(0.5)
        finally:
            await survivor.stop()

        async with store.read() as conn:
            for guild_id, poll in polls.items():
                stored = {v.voter for v in await PollStore(conn).votes(poll.id)}  # type: ignore[union-attr]
                assert acknowledged[guild_id] <= stored, guild_id  # no acknowledged vote lost
            async with conn.execute("SELECT guild_id, count(*) FROM digests WHERE week = ? GROUP BY guild_id",
                                    (WEEK,)) as cur:  # fmt: skip
                assert {r[0]: r[1] for r in await cur.fetchall()} == {home.id: 1, other.id: 1}
        articles = sorted(f"{site.base}/articles/{slug}" for slug in NEWEST_TWO)
        for guild_id, channel in ((home.id, "actualites"), (other.id, other_channel)):
            digests = [m for m in emulator.messages_in(channel) if WEEK in str(m.embeds)]
            assert len(digests) == 1, guild_id  # exactly once per server, across kill and restarts
            assert sorted(article_posts(emulator, channel, site.base)) == articles, guild_id  # feed items once
    finally:
        await store.close()
        os.environ.pop("TRIBUNE_SHARD_IDS", None)
