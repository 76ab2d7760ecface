"""Articles as a feature: from a fetched page, a file or pasted text to one post with its polls and thread.

Discord-aware but without commands: the bot builds it in `setup_hook` (`bot.articles`); `/article`, the feeds and
the opinions (for the debate thread) call it. Posting the message itself is the poll service's (`post_message`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot.articles.extract import Article as ExtractedArticle
from bot.articles.extract import extract_file
from bot.articles.pipeline import Analysis, analyse_async
from bot.articles.preview import Overrides, resolve_polls
from bot.articles.questions import PollSpec
from bot.delivery import new_token
from bot.errors import UserFacingError
from bot.i18n import t
from bot.net.fetch import SafeFetcher, article_from_fetch
from bot.net.llm import LLMConfig, LLMSummarizer
from bot.polls.card import PollCard
from bot.polls.durations import parse_poll_duration
from bot.polls.native import check_native_poll
from bot.services.polls import article_card
from bot.text import EMBED_TITLE_MAX, THREAD_NAME_MAX, message_url, shorten
from cogs.common import member_language, require_permissions
from cogs.delivery import find_claimed_posts
from cogs.polls.views import message_embeds
from db.articles import Article, ArticleStore, DuplicateArticle, NewArticle
from db.guild_settings import GuildSettings, GuildSettingsStore
from db.polls import NewPoll, PollOption, PollStore

if TYPE_CHECKING:
    from bot.client import Tribune

log = logging.getLogger(__name__)

POST_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "create_public_threads", "send_messages_in_threads")
FILE_SUFFIXES = (".txt", ".md", ".html", ".htm")
MAX_FILE_BYTES = 2 * 1024 * 1024
THREAD_ARCHIVE_MINUTES = 10080  # a week, like the default poll


@dataclass(frozen=True)
class Prepared:
    """An analysed article and the poll it will carry, ready to post (or to preview)."""

    analysis: Analysis
    url: str | None
    polls: tuple[PollSpec, ...]
    duration: timedelta

    @property
    def poll(self) -> PollSpec:
        """The first poll (the moderator's, when given)."""
        return self.polls[0]


def thread_name(title: str, language: str) -> str:
    return shorten(t("article.thread_name", language, title=title), THREAD_NAME_MAX)


class ArticlePublisher:
    """Turns an article into a post with its summary, its polls, an opinion prompt and a debate thread."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        settings = bot.settings
        self.fetcher = SafeFetcher(
            allow=settings.fetch_allow, timeout=settings.fetch_timeout, max_bytes=settings.fetch_max_bytes
        )
        config = None
        if settings.llm_url and settings.llm_model:
            config = LLMConfig(url=settings.llm_url, key=settings.llm_key, model=settings.llm_model)
        self.summarizer = LLMSummarizer(config)
        self.recovery_lock = asyncio.Lock()
        self.recovered = False  # articles left unposted by a crash were settled (see resolve_unposted)

    async def start(self) -> None:
        """Once connected, articles a crash left unposted are settled."""
        self.bot.add_listener(self.resolve_unposted, "on_ready")

    async def stop(self) -> None:
        self.bot.remove_listener(self.resolve_unposted, "on_ready")

    # --- preparing --------------------------------------------------------------------------------------

    async def fetch_article(self, url: str) -> ExtractedArticle:
        result = await self.fetcher.fetch(url.strip())
        return await asyncio.to_thread(article_from_fetch, result)

    async def read_attachment(self, attachment: discord.Attachment) -> ExtractedArticle:
        if not attachment.filename.lower().endswith(FILE_SUFFIXES):
            raise UserFacingError("extract.unsupported_file", name=attachment.filename[:100])
        if attachment.size > MAX_FILE_BYTES:
            raise UserFacingError("article.file_too_large", max_mb=MAX_FILE_BYTES // (1024 * 1024))
        data = await attachment.read()  # through discord.py: attachments come from Discord's CDN
        return await asyncio.to_thread(extract_file, attachment.filename, data)

    async def prepare(
        self, article: ExtractedArticle, url: str | None, overrides: Overrides, settings: GuildSettings
    ) -> Prepared:
        analysis = await analyse_async(article, self.summarizer)
        polls = tuple(resolve_polls(analysis, overrides))
        if overrides.duration:
            duration = parse_poll_duration(overrides.duration)
        else:
            duration = timedelta(seconds=settings.poll_duration_seconds)
        return Prepared(analysis, url or article.url, polls, duration)

    def target_channel(
        self, interaction: discord.Interaction[Tribune], channel_id: int | None, settings: GuildSettings
    ) -> discord.TextChannel:
        """The channel given, else the server's articles channel, else the current one."""
        wanted = channel_id or settings.articles_channel_id
        channel = interaction.guild.get_channel(wanted) if (wanted and interaction.guild) else interaction.channel
        if not isinstance(channel, discord.TextChannel):
            raise UserFacingError("article.channel_invalid")
        require_permissions(channel, POST_PERMISSIONS, member_language(interaction))
        return channel

    async def refuse_duplicate(self, guild_id: int, url: str | None, content_hash: str) -> None:
        async with self.bot.db.read() as conn:
            existing = await ArticleStore(conn).find_duplicate(guild_id, url, content_hash)
        if existing is not None:
            raise UserFacingError(
                "article.duplicate", link=message_url(guild_id, existing.channel_id, existing.message_id)
            )

    def preview_embeds(self, prepared: Prepared, language: str) -> list[discord.Embed]:
        """Exactly the embeds the post will carry, drawn from the cards of what is about to be stored."""
        new_article, _ = self.new_rows(prepared, 0, 0, self.bot.now())
        closes_at = self.bot.now() + prepared.duration
        polls = [PollCard.from_spec(spec, closes_at) for spec in prepared.polls]
        return message_embeds(polls, article_card(new_article), language)

    def new_rows(
        self, prepared: Prepared, guild_id: int, member_id: int, now: datetime
    ) -> tuple[NewArticle, list[NewPoll]]:
        analysis, source = prepared.analysis, prepared.analysis.article
        new_article = NewArticle(
            guild_id=guild_id,
            content_hash=analysis.content_hash,
            title=shorten(source.title or analysis.summary.text[:80] or "Article", EMBED_TITLE_MAX),
            summary=analysis.summary.text,
            opinion_prompt=analysis.questions.opinion_prompt,
            posted_by=member_id,
            created_at=now,
            url=prepared.url,
            author=source.author,
            published_at=source.date,
            site_name=source.site_name,
            description=source.description,
            image_url=source.image,
            language=analysis.language,
            keywords=list(analysis.keywords),
            questions=[{"text": q.text, "kind": q.kind} for q in analysis.questions.questions],
        )
        new_polls = [
            NewPoll(
                guild_id=guild_id,
                question=spec.question,
                kind=spec.kind,
                options=[PollOption(i, answer, spec.scores[i]) for i, answer in enumerate(spec.answers)],
                created_by=member_id,
                created_at=now,
                closes_at=now + prepared.duration,
            )
            for spec in prepared.polls
        ]
        return new_article, new_polls

    # --- publishing --------------------------------------------------------------------------------------

    async def article_id_of(self, message_id: int) -> int | None:
        async with self.bot.db.read() as conn:
            article = await ArticleStore(conn).by_message(message_id)
        return article.id if article else None

    async def publish(
        self, channel: discord.TextChannel, prepared: Prepared, member_id: int, feed_id: int | None = None
    ) -> discord.Message:
        """Store the article and its polls, post one message, open its thread. A failure leaves nothing behind."""
        guild_id = channel.guild.id
        new_article, new_polls = self.new_rows(prepared, guild_id, member_id, self.bot.now())
        token = new_token()
        # Written before the message is sent, with where it goes: a crash in between is settled at start-up.
        new_article = replace(new_article, feed_id=feed_id, channel_id=channel.id, post_token=token)
        try:
            async with self.bot.db.transaction() as conn:
                article = await ArticleStore(conn).create(new_article)
                # Article polls take the server's results mode and poll mode (read in the insert's transaction).
                # A message carries one native poll at most: an article with several polls keeps buttons.
                settings = await GuildSettingsStore(conn).get(guild_id)
                native_allowed = len(new_polls) == 1
                polls = [
                    await PollStore(conn).create(
                        article_poll(new_poll, article.id, channel.id, settings, native_allowed)
                    )
                    for new_poll in new_polls
                ]
        except DuplicateArticle as duplicate:
            existing = duplicate.existing
            raise UserFacingError(
                "article.duplicate", link=message_url(guild_id, existing.channel_id, existing.message_id)
            ) from None
        try:
            # The polls as stored (mode, results) are what is posted, by the poll service like any poll.
            message = await self.bot.polls.post_message(channel, [poll.id for poll in polls], token)
        except BaseException:
            async with self.bot.db.transaction() as conn:
                await ArticleStore(conn).delete(article.id)
                for poll in polls:
                    await PollStore(conn).forget(poll.id)
            raise
        async with self.bot.db.transaction() as conn:
            await ArticleStore(conn).set_message(article.id, channel.id, message.id)
            for poll in polls:
                await PollStore(conn).set_message(poll.id, channel.id, message.id)
        thread = await self.open_thread(message, article.title, settings.language)
        if thread is not None:
            async with self.bot.db.transaction() as conn:
                await ArticleStore(conn).set_thread(article.id, thread.id)
                await PollStore(conn).set_thread_of_article(article.id, thread.id)
        return message

    async def resolve_unposted(self) -> None:
        """Articles left without a message id by a crash: the post is found by its buttons, or the rows go.

        The buttons name the article's polls, ids no other message can carry. A post that never went out leaves
        nothing behind, so a feed posts its item again and a moderator can post the article again. Runs once,
        before the feeds are checked.
        """
        async with self.recovery_lock:
            if self.recovered:
                return
            async with self.bot.db.read() as conn:
                unposted = await ArticleStore(conn).unposted()
            for article in unposted:
                await self.resolve_article(article)
            self.recovered = True

    async def resolve_article(self, article: Article) -> None:
        async with self.bot.db.read() as conn:
            poll_ids = await PollStore(conn).ids_of_article(article.id)
        marks = {f"tribune:opinion:{article.id}"} | {f"tribune:results:{p}" for p in poll_ids}
        vote_prefixes = tuple(f"tribune:vote:{p}:" for p in poll_ids) or ("tribune:vote:-",)

        def matches(message: discord.Message) -> bool:
            ids = [
                getattr(c, "custom_id", None) or "" for row in message.components for c in getattr(row, "children", ())
            ]
            return any(i in marks or i.startswith(votes) for i in ids for votes in vote_prefixes)

        channel = self.bot.get_channel(article.channel_id) if article.channel_id else None
        found: list[discord.Message] | None = []
        if isinstance(channel, discord.TextChannel):
            found = await find_claimed_posts(channel, getattr(self.bot.user, "id", 0), article.created_at, matches)
        if found is None:
            return  # the history is unreadable now: the rows stay, the next start looks again
        if not found:
            async with self.bot.db.transaction() as conn:
                for poll_id in poll_ids:
                    await PollStore(conn).forget(poll_id)
                await ArticleStore(conn).delete(article.id)
            log.warning("Article %s was never posted before a restart; forgotten so it can be posted again", article.id)
            return
        message = found[0]
        async with self.bot.db.transaction() as conn:
            await ArticleStore(conn).set_message(article.id, message.channel.id, message.id)
            for poll_id in poll_ids:
                await PollStore(conn).set_message(poll_id, message.channel.id, message.id)
        log.info("Article %s was posted before a restart (message %s); recorded it", article.id, message.id)
        try:
            thread = await self.bot.fetch_channel(message.id)  # a thread started on a message has its id
        except discord.HTTPException:
            thread = None
        if isinstance(thread, discord.Thread):
            async with self.bot.db.transaction() as conn:
                await ArticleStore(conn).set_thread(article.id, thread.id)
                await PollStore(conn).set_thread_of_article(article.id, thread.id)
        else:
            await self.thread_for(replace(article, channel_id=message.channel.id, message_id=message.id))

    async def open_thread(self, message: discord.Message, title: str, language: str) -> discord.Thread | None:
        """The debate thread on the post; the post stands even if Discord refuses the thread."""
        try:
            return await message.create_thread(
                name=thread_name(title, language), auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
        except discord.HTTPException:
            log.warning("Could not open the debate thread on message %s", message.id, exc_info=True)
            return None

    async def thread_for(self, article: Article) -> discord.Thread | None:
        """The article's debate thread: unarchived if archived, re-created if deleted."""
        if article.thread_id:
            try:
                thread = self.bot.get_channel(article.thread_id) or await self.bot.fetch_channel(article.thread_id)
            except discord.NotFound:
                thread = None
            if isinstance(thread, discord.Thread):
                if thread.archived:
                    try:
                        thread = await thread.edit(archived=False)
                    except discord.HTTPException:
                        return None
                return thread
        if not article.channel_id or not article.message_id:
            return None
        async with self.bot.db.read() as conn:
            language = (await GuildSettingsStore(conn).get(article.guild_id)).language
        try:
            channel = self.bot.get_channel(article.channel_id) or await self.bot.fetch_channel(article.channel_id)
            if not isinstance(channel, discord.TextChannel):
                return None
            message = channel.get_partial_message(article.message_id)
            thread = await message.create_thread(
                name=thread_name(article.title, language), auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
        except discord.HTTPException:
            log.warning("Could not re-create the thread of article %s", article.id, exc_info=True)
            return None
        async with self.bot.db.transaction() as conn:
            await ArticleStore(conn).set_thread(article.id, thread.id)
            await PollStore(conn).set_thread_of_article(article.id, thread.id)
        return thread


def article_poll(
    new_poll: NewPoll, article_id: int, channel_id: int, settings: GuildSettings, native_allowed: bool = True
) -> NewPoll:
    """The one place article polls take the server's defaults: results mode, and buttons or native poll.

    A native poll has public voters. Nobody is there to be told (a feed posts on its own), so a poll that
    Discord would refuse as native keeps buttons, and so do the polls of an article that has several
    (`native_allowed` False: a message carries one native poll at most).
    """
    base = replace(
        new_poll, article_id=article_id, channel_id=channel_id, results_visibility=settings.results_visibility
    )
    if settings.article_poll_mode != "native":
        return base
    if not native_allowed:
        log.info("Article %s has several polls: they keep buttons (one native poll per message)", article_id)
        return base
    try:
        check_native_poll(
            base.question,
            [o.label for o in base.options],
            base.closes_at - base.created_at,
            anonymous=False,
            results_visibility=base.results_visibility,
        )
    except UserFacingError as refusal:
        log.warning("Article %s: its poll keeps buttons, a native poll refuses it (%s)", article_id, refusal.key)
        return base
    return replace(base, mode="native", anonymous=False)
