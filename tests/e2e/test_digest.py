"""The weekly digest end to end, with time driven by the bot's injectable clock (no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.settings import Settings
from db.database import Database
from db.digests import DigestStore
from tests.conftest import FakeClock
from tests.discord_emulator import DiscordEmulator
from tests.e2e.test_polls import create_poll

FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MONDAY_9H_PARIS = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 9:00 in Paris (UTC+1 in November)
WEEK = "2026-W49"


def digest_messages(emulator: DiscordEmulator, channel: str = "actualites"):  # type: ignore[no-untyped-def]
    return [
        m
        for m in emulator.messages_in(channel)
        if any(WEEK in (e.get("footer") or {}).get("text", "") for e in m.embeds)
    ]


async def seed_week(emulator: DiscordEmulator, clock: FakeClock) -> None:
    """A debate during the week: the digest channel, a poll and three votes."""
    await (
        await emulator.invoke(emulator.members["mod"], "settings digest-channel", options={"channel": "actualites"})
    ).wait_reply()
    poll = await create_poll(emulator, question="Le bilan compte-t-il ce sondage ?")
    for member, answer in (("alice", "Oui"), ("bob", "Oui"), ("admin", "Non")):
        await (await emulator.click(emulator.members[member], poll, answer)).wait_reply()


async def test_the_scheduled_digest_appears_once_and_not_again_after_a_restart(
    emulator: DiscordEmulator, run_tribune, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.now = FRIDAY
    async with run_tribune() as bot:
        await seed_week(emulator, clock)
        cog = bot.digest
        clock.now = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
        assert await cog.run_schedule_pass() == 0  # Monday 8:00 in Paris: not yet
        assert digest_messages(emulator) == []
        clock.now = MONDAY_9H_PARIS.replace(second=30)
        assert await cog.run_schedule_pass() == 1
        [message] = digest_messages(emulator)
        header = message.embeds[0]
        assert header["title"].startswith("🗞️ Bilan de la semaine")
        assert any(
            "Le bilan compte-t-il ce sondage ?" in (e.get("title") or "") + (e.get("description") or "")
            for e in message.embeds
        )
        assert "3 votants" in str(message.embeds)
        [chart] = message.attachments
        assert chart.data.startswith(b"\x89PNG\r\n\x1a\n")
        assert await cog.run_schedule_pass() == 0  # the same week is never posted twice
    clock.now = MONDAY_9H_PARIS.replace(minute=5)
    async with run_tribune() as bot:
        cog = bot.digest
        await emulator.wait_for(lambda: cog.schedule_runs >= 1, timeout=5)
        assert await cog.run_schedule_pass() == 0
        assert len(digest_messages(emulator)) == 1
        async with bot.db.read() as conn:
            record = await DigestStore(conn).get(emulator.guild.id, WEEK)
        assert record is not None and record.status == "posted" and record.message_ids == [message.id]


async def test_catch_up_at_start_when_less_than_24_hours_late(
    emulator: DiscordEmulator, run_tribune, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.now = FRIDAY
    async with run_tribune():
        await seed_week(emulator, clock)
    clock.now = datetime(2026, 11, 30, 19, 0, tzinfo=UTC)  # the bot was down at 9:00, back at 20:00
    async with run_tribune():
        await emulator.wait_for(lambda: len(digest_messages(emulator)) == 1, timeout=5)


async def test_skipped_and_logged_when_more_than_24_hours_late(
    emulator: DiscordEmulator, run_tribune, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    clock.now = FRIDAY
    async with run_tribune():
        await seed_week(emulator, clock)
    clock.now = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # Tuesday 10:30 in Paris: 25 h 30 late
    async with run_tribune() as bot:
        cog = bot.digest
        await emulator.wait_for(lambda: cog.schedule_runs >= 1, timeout=5)
        async with bot.db.read() as conn:
            record = await DigestStore(conn).get(emulator.guild.id, WEEK)
    assert record is not None and record.status == "skipped"
    assert digest_messages(emulator) == []
    assert any(WEEK in r.getMessage() and "more than 24 h late" in r.getMessage() for r in caplog.records)


async def claim_before_start(db_path, channel_id: int, guild_id: int) -> None:  # type: ignore[no-untyped-def]
    """The state a crash between claiming and recording leaves behind."""
    async with Database(Settings.from_env({"DATABASE_URL": f"sqlite:///{db_path}"}).database) as db:
        await db.migrate()
        async with db.transaction() as conn:
            start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
            assert await DigestStore(conn).claim(guild_id, WEEK, start, MONDAY_9H_PARIS, channel_id, MONDAY_9H_PARIS)


async def test_a_crash_after_posting_is_resolved_without_a_second_post(
    emulator: DiscordEmulator, run_tribune, clock: FakeClock, tribune_db_path
) -> None:  # type: ignore[no-untyped-def]
    channel = emulator.channel("actualites")
    await claim_before_start(tribune_db_path, channel.id, emulator.guild.id)
    posted = emulator.add_message(channel, embeds=[{"description": "…", "footer": {"text": f"Bilan {WEEK} · 1/1"}}])
    clock.now = MONDAY_9H_PARIS.replace(minute=10)
    async with run_tribune() as bot:
        cog = bot.digest
        await emulator.wait_for(lambda: cog.schedule_runs >= 1, timeout=5)
        async with bot.db.read() as conn:
            record = await DigestStore(conn).get(emulator.guild.id, WEEK)
    assert record is not None and record.status == "posted" and record.message_ids == [posted.id]
    assert digest_messages(emulator) == [posted]


async def test_a_crash_before_posting_is_resolved_by_posting_once(
    emulator: DiscordEmulator, run_tribune, clock: FakeClock, tribune_db_path
) -> None:  # type: ignore[no-untyped-def]
    channel = emulator.channel("actualites")
    await claim_before_start(tribune_db_path, channel.id, emulator.guild.id)
    clock.now = MONDAY_9H_PARIS.replace(minute=10)
    async with run_tribune() as bot:
        cog = bot.digest
        await emulator.wait_for(lambda: len(digest_messages(emulator)) == 1, timeout=5)
        assert await cog.run_schedule_pass() == 0
    assert len(digest_messages(emulator)) == 1
    assert "Pas de débat cette semaine" in digest_messages(emulator)[0].embeds[0]["description"]


async def test_preview_equals_post(emulator: DiscordEmulator, run_tribune, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    clock.now = FRIDAY
    async with run_tribune():
        await seed_week(emulator, clock)
        clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
        preview = await emulator.invoke(emulator.members["mod"], "digest preview")
        shown = await preview.wait_reply(timeout=10)  # the first followup replaces the "thinking" message
        assert preview.ephemeral
        post = await emulator.invoke(emulator.members["mod"], "digest post")
        confirmation = await post.wait_reply(timeout=10)
        assert "Bilan publié" in confirmation.content
        posted = [
            m for m in emulator.messages_in("actualites") if m.embeds and "Bilan" in (m.embeds[0].get("title") or "")
        ]
        assert len(posted) == 1
        assert shown.embeds == posted[0].embeds
        assert [a.data for a in shown.attachments] == [a.data for a in posted[0].attachments]
        assert posted[0].attachments[0].data.startswith(b"\x89PNG")


async def test_an_empty_week_posts_a_short_notice_or_nothing(
    emulator: DiscordEmulator, run_tribune, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.now = FRIDAY
    async with run_tribune() as bot:
        await (
            await emulator.invoke(emulator.members["mod"], "settings digest-channel", options={"channel": "actualites"})
        ).wait_reply()
        clock.now = MONDAY_9H_PARIS
        assert await bot.digest.run_schedule_pass() == 1
        [notice] = digest_messages(emulator)
        assert notice.embeds[0]["description"].startswith("🗞️ Pas de débat cette semaine")
        await (
            await emulator.invoke(emulator.members["mod"], "settings digest", state="on", empty_week="silent")
        ).wait_reply()
        clock.now = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
        assert await bot.digest.run_schedule_pass() == 0
        async with bot.db.read() as conn:
            silent = await DigestStore(conn).get(emulator.guild.id, "2026-W50")
        assert silent is not None and silent.status == "posted" and silent.message_ids == []
    assert len([m for m in emulator.messages_in("actualites") if m.embeds]) == 1


async def test_digest_off_posts_nothing(emulator: DiscordEmulator, run_tribune, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    clock.now = FRIDAY
    async with run_tribune() as bot:
        await seed_week(emulator, clock)
        await (await emulator.invoke(emulator.members["mod"], "settings digest", state="off")).wait_reply()
        clock.now = MONDAY_9H_PARIS
        assert await bot.digest.run_schedule_pass() == 0
    assert digest_messages(emulator) == []


async def test_a_digest_discord_refused_is_posted_at_a_later_pass_once(
    emulator: DiscordEmulator, run_tribune, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.now = FRIDAY
    async with run_tribune() as bot:
        await seed_week(emulator, clock)
        cog = bot.digest
        emulator.deny_bot("send_messages", channel="actualites")
        clock.now = MONDAY_9H_PARIS.replace(second=30)
        assert await cog.run_schedule_pass() == 0  # refused by Discord: the claim stays open
        async with bot.db.read() as conn:
            record = await DigestStore(conn).get(emulator.guild.id, WEEK)
        assert record is not None and record.status == "claimed" and record.post_token
        emulator.set_overwrite("actualites", emulator.bot, allow=0, deny=0)
        clock.now = MONDAY_9H_PARIS.replace(minute=2)
        await cog.run_schedule_pass()
        await cog.run_schedule_pass()
        [posted] = digest_messages(emulator)
        assert posted.embeds[-1]["footer"]["text"] == f"Bilan {WEEK} · 1/1 · réf. {record.post_token}"
        async with bot.db.read() as conn:
            record = await DigestStore(conn).get(emulator.guild.id, WEEK)
        assert record is not None and record.status == "posted" and record.message_ids == [posted.id]
