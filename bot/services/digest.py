"""The weekly digest as a feature: built, posted once per server and week on schedule, caught up after downtime.

Discord-aware but without commands: the bot builds it in `setup_hook` (`bot.digest`); one pass of the schedule is
`run_schedule_pass()`; `/digest` previews or posts the digest of the last 7 days through it.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord.ext import tasks

from bot.delivery import marker, new_token, nonce
from bot.digest.build import Digest
from bot.digest.render import CHART_FILENAME, DigestMessage, chart_png, render_digest
from bot.digest.schedule import catch_up_decision, digest_period, latest_schedule
from bot.outgoing import send
from bot.services.digest_reads import prepare_digest
from cogs.common import NO_MENTIONS
from cogs.delivery import find_claimed_posts, footers_carry
from db.digests import DigestRecord, DigestStore
from db.guild_settings import GuildSettings, GuildSettingsStore

if TYPE_CHECKING:
    from bot.client import Tribune

log = logging.getLogger(__name__)

SCHEDULE_LOOP_SECONDS = 60.0
DIGEST_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "attach_files")
NAME_LOOKUPS = 25  # members fetched for display names; the others are shown as mentions


def digest_marker(claim: DigestRecord, language: str) -> str | None:
    """The footer marker of a scheduled digest (claims made before the tokens existed have none)."""
    return marker(claim.post_token, language) if claim.post_token else None


class DigestService:
    """Schedules, builds and posts each server's weekly digest exactly once."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        self.schedule_runs = 0  # completed passes of the schedule (tests wait on it instead of sleeping)
        self.schedule_lock = asyncio.Lock()

    async def start(self) -> None:
        self.schedule_loop.change_interval(seconds=self.bot.digest_loop_seconds)
        self.schedule_loop.start()

    async def stop(self) -> None:
        self.schedule_loop.cancel()

    # --- building -----------------------------------------------------------------------------------------

    async def build(self, guild: discord.Guild, settings: GuildSettings, scheduled: datetime) -> Digest:
        async def names(ids: Iterable[int]) -> dict[int, str]:
            found: dict[int, str] = {}
            for lookups, member_id in enumerate(sorted(ids)):
                member = guild.get_member(member_id)
                if member is None and lookups < NAME_LOOKUPS:
                    try:
                        member = await guild.fetch_member(member_id)
                    except discord.HTTPException:
                        member = None
                if member is not None:
                    found[member_id] = member.display_name
            return found

        async with self.bot.db.read() as conn:
            return await prepare_digest(conn, settings, scheduled, names)

    async def render(self, digest: Digest, marker: str | None = None) -> tuple[list[DigestMessage], bytes | None]:
        messages = render_digest(digest, marker)
        chart = None
        if any(m.attach_chart for m in messages):
            chart = await asyncio.to_thread(chart_png, digest)  # matplotlib takes a fraction of a second
        return messages, chart

    @staticmethod
    def message_kwargs(message: DigestMessage, chart: bytes | None) -> dict[str, object]:
        kwargs: dict[str, object] = {
            "embeds": [discord.Embed.from_dict(e.to_dict()) for e in message.embeds],
            "allowed_mentions": NO_MENTIONS,
        }
        if message.content:
            kwargs["content"] = message.content
        if message.attach_chart and chart is not None:
            kwargs["file"] = discord.File(io.BytesIO(chart), filename=CHART_FILENAME)
        return kwargs

    def digest_channel(self, guild: discord.Guild, settings: GuildSettings) -> discord.TextChannel | None:
        """The digest channel, else the articles channel, else the server's system channel."""
        for channel_id in (settings.digest_channel_id, settings.articles_channel_id):
            channel = guild.get_channel(channel_id) if channel_id else None
            if isinstance(channel, discord.TextChannel):
                return channel
        return guild.system_channel

    async def send(
        self,
        channel: discord.abc.Messageable,
        messages: list[DigestMessage],
        chart: bytes | None,
        token: str | None = None,
        first_part: int = 1,
    ) -> list[int]:
        """Post `messages` in order; with a claim's token, each carries its nonce (part numbers from 1)."""
        ids = []
        for part, message in enumerate(messages, start=first_part):
            kwargs = self.message_kwargs(message, chart)
            if token is not None:
                kwargs["nonce"] = nonce(token, part)
            sent = await send(channel, **kwargs)
            ids.append(sent.id)
        return ids

    # --- the schedule -------------------------------------------------------------------------------------

    @tasks.loop(seconds=SCHEDULE_LOOP_SECONDS)
    async def schedule_loop(self) -> None:
        await self.run_schedule_pass()

    @schedule_loop.before_loop
    async def _before_schedule(self) -> None:
        await self.bot.wait_until_ready()

    @schedule_loop.error
    async def _schedule_error(self, error: BaseException) -> None:
        log.exception("The digest loop failed; it restarts", exc_info=error)
        self.schedule_loop.restart()

    async def settings_of(self, guild_id: int) -> GuildSettings:
        async with self.bot.db.read() as conn:
            return await GuildSettingsStore(conn).get(guild_id)

    async def run_schedule_pass(self) -> int:
        """Post every digest that is due; returns how many were posted. Safe to call at any time."""
        async with self.schedule_lock:  # one pass at a time: a claim in progress is never taken for a crashed one
            await self.resolve_unfinished()
            posted = 0
            for guild in list(self.bot.guilds):
                settings = await self.settings_of(guild.id)
                if settings.digest_enabled and await self.run_for(guild, settings):
                    posted += 1
            self.schedule_runs += 1
            return posted

    async def run_for(self, guild: discord.Guild, settings: GuildSettings) -> bool:
        now = self.bot.now()
        scheduled = latest_schedule(now, settings.digest_weekday, settings.digest_hour, settings.timezone)
        period = digest_period(scheduled, settings.timezone, settings.digest_hour)
        async with self.bot.db.read() as conn:
            if await DigestStore(conn).get(guild.id, period.week) is not None:
                return False  # this week is claimed already: posted, skipped, or being resolved
        channel = self.digest_channel(guild, settings)
        if channel is None:
            # Not claimed: a channel configured later the same day still gets this week's digest.
            log.debug("Digest %s of guild %s waits for a channel", period.week, guild.id)
            return False
        async with self.bot.db.transaction() as conn:
            claim = await DigestStore(conn).claim(
                guild.id, period.week, period.start, period.end, channel.id, now, post_token=new_token()
            )
            if claim is None:
                return False
            if catch_up_decision(now, scheduled) == "skip":
                await DigestStore(conn).mark_skipped(claim.id, now)
                log.warning(
                    "Digest %s of guild %s skipped: due at %s, more than 24 h late",
                    period.week,
                    guild.id,
                    scheduled.isoformat(),
                )
                return False
        return await self.post_claim(guild, settings, claim, channel)

    async def post_claim(
        self,
        guild: discord.Guild,
        settings: GuildSettings,
        claim: DigestRecord,
        channel: discord.TextChannel,
        delivered: list[int] | None = None,
    ) -> bool:
        """Build and post a claimed digest, then record its messages (the claim came first: no double post).

        `delivered`: the ids of the parts a crashed run had already posted; only the rest is sent.
        """
        delivered = delivered or []
        digest = await self.build(guild, settings, claim.period_end)
        marker = digest_marker(claim, digest.language)
        messages, chart = await self.render(digest, marker)
        try:
            ids = delivered + await self.send(
                channel, messages[len(delivered) :], chart, claim.post_token, first_part=len(delivered) + 1
            )
        except discord.HTTPException:
            # The claim stays open: the next pass looks for what went out and posts the rest.
            log.exception("Digest %s of guild %s could not be posted in channel %s", claim.week, guild.id, channel.id)
            return False
        async with self.bot.db.transaction() as conn:
            await DigestStore(conn).mark_posted(claim.id, channel.id, ids, digest.totals_json(), self.bot.now())
        log.info("Digest %s posted in guild %s (%d message(s))", claim.week, guild.id, len(ids))
        return len(ids) > len(delivered)

    async def resolve_unfinished(self) -> None:
        """Claims left without a recorded post (a crash, or Discord refused it) are finished without a second post.

        The parts that went out are recognised by the claim's marker among the bot's messages created after the
        claim; the missing parts are posted while the 24 h catch-up window lasts, otherwise the week is skipped.
        """
        async with self.bot.db.read() as conn:
            claims = await DigestStore(conn).unresolved_claims()
        for claim in claims:
            guild = self.bot.get_guild(claim.guild_id)
            if guild is None:
                continue
            settings = await self.settings_of(guild.id)
            channel = guild.get_channel(claim.channel_id) if claim.channel_id else None
            delivered: list[int] | None = []
            if isinstance(channel, discord.TextChannel):
                delivered = await self.find_posted(channel, claim)
                if delivered is None:
                    continue  # the history could not be read: try again at the next pass
            now = self.bot.now()
            if isinstance(channel, discord.TextChannel) and catch_up_decision(now, claim.period_end) == "post":
                if delivered:
                    log.info(
                        "Digest %s of guild %s: %d part(s) went out before a restart",
                        claim.week,
                        guild.id,
                        len(delivered),
                    )
                await self.post_claim(guild, settings, claim, channel, delivered)
            elif delivered:
                async with self.bot.db.transaction() as conn:
                    await DigestStore(conn).mark_posted(claim.id, claim.channel_id, delivered, {}, now)
                log.info("Digest %s of guild %s was posted before a restart; recorded it", claim.week, guild.id)
            else:
                async with self.bot.db.transaction() as conn:
                    await DigestStore(conn).mark_skipped(claim.id, now)
                log.warning("Digest %s of guild %s skipped after a restart (too late)", claim.week, guild.id)

    async def find_posted(self, channel: discord.TextChannel, claim: DigestRecord) -> list[int] | None:
        """Ids of the claim's own messages in the channel, in posting order (None: history unreadable).

        Only messages created after the claim that carry its marker count: a digest a moderator posted by hand
        during the week names the same week but never the token.
        """
        bot_id = getattr(self.bot.user, "id", 0)
        token = claim.post_token
        if token is None:  # a claim made before the tokens existed: its week in the footer is all there is
            week = claim.week

            def matches(message: discord.Message) -> bool:
                return any(week in (e.footer.text or "") for e in message.embeds if e.footer)
        else:

            def matches(message: discord.Message) -> bool:
                return footers_carry(message, token)

        found = await find_claimed_posts(channel, bot_id, claim.claimed_at, matches)
        return None if found is None else [m.id for m in found]

    async def digest_now(self, guild: discord.Guild) -> tuple[Digest, list[DigestMessage], bytes | None]:
        """The digest of the 7 days ending now: what `/digest post` posts and `/digest preview` shows."""
        settings = await self.settings_of(guild.id)
        digest = await self.build(guild, settings, self.bot.now())
        messages, chart = await self.render(digest)
        return digest, messages, chart
