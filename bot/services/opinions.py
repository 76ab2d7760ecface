"""Opinions as a feature: the form, the thread message, useful marks, deletion, re-rendering after moderation.

Discord-aware but without commands: the bot builds it in `setup_hook` (`bot.opinions`); the 💬 / 👍 / 🗑️ buttons,
`/opinion` and `/mydata` call it directly.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import TYPE_CHECKING

import discord

from bot.edits import EditCoalescer, RetryLater
from bot.errors import UserFacingError
from bot.i18n import t
from bot.opinions import MAX_CHARS, MIN_CHARS, Cooldown
from bot.outgoing import edit, edit_response, reply, send, send_modal
from bot.polls.voting import voter_key
from bot.text import DISCORD_OLD_MESSAGE_EDIT_QUOTA
from cogs.common import NO_MENTIONS, member_language
from cogs.opinions.views import DeleteOwnButton, OpinionModal, opinion_embed, opinion_view
from db.articles import Article, ArticleStore
from db.guild_settings import GuildSettingsStore
from db.opinions import Opinion, OpinionStore
from db.polls import PollStore

if TYPE_CHECKING:
    from bot.client import Tribune

log = logging.getLogger(__name__)


class OpinionService:
    """Members' written answers to an article's open question, posted in its debate thread."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        self.cooldown = Cooldown()
        self.edits = EditCoalescer(
            self._apply_render, interval=bot.tally_edit_interval, first_retry=bot.edit_retry_seconds
        )

    async def stop(self) -> None:
        """Flush the pending edits of useful counts."""
        await self.edits.close()

    # --- giving an opinion -------------------------------------------------------------------------------

    def check_cooldown(self, member_id: int) -> None:
        wait = self.cooldown.retry_after(member_id)
        if wait > 0:
            raise UserFacingError("opinion.cooldown", seconds=max(1, round(wait)))

    async def open_modal(self, interaction: discord.Interaction[Tribune], article_id: int) -> None:
        self.check_cooldown(interaction.user.id)
        async with self.bot.db.read() as conn:
            article = await ArticleStore(conn).get(article_id)
            current = await OpinionStore(conn).of_member(article_id, interaction.user.id) if article else None
        if article is None or article.guild_id != interaction.guild_id:
            raise UserFacingError("opinion.article_missing")
        language = member_language(interaction)
        await send_modal(interaction, OpinionModal(article, current.text if current else None, language))

    async def submit(self, interaction: discord.Interaction[Tribune], article: Article, text: str) -> None:
        """Store first (nothing is lost), then post or edit the thread message, then confirm privately."""
        language = member_language(interaction)
        text = text.strip()
        if not MIN_CHARS <= len(text) <= MAX_CHARS:
            raise UserFacingError("opinion.length", min=MIN_CHARS, max=MAX_CHARS)
        self.check_cooldown(interaction.user.id)
        self.cooldown.record(interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if not await self.article_post_exists(article):
            raise UserFacingError("opinion.article_gone")
        async with self.bot.db.transaction() as conn:
            opinion = await OpinionStore(conn).upsert(
                article.guild_id, article.id, interaction.user.id, text, self.bot.now()
            )
        posted = await self.publish(opinion, interaction.user)
        key = "opinion.updated" if opinion.edited else "opinion.saved"
        message = t(key, language)
        if not posted:
            message += "\n" + t("opinion.not_posted", language)
        view = discord.ui.View(timeout=None)
        view.add_item(DeleteOwnButton(opinion.id, t("opinion.delete_button", language)))
        await reply(interaction, message, view=view, ephemeral=True)

    async def article_post_exists(self, article: Article) -> bool:
        """False once the article's post was deleted (a modal opened before can still be submitted after).

        Tribune gets no message events (no message intent), so Discord is asked; on any other error the
        opinion is taken rather than lost.
        """
        if article.channel_id is None or article.message_id is None:
            return True
        try:
            await self.bot.get_partial_messageable(article.channel_id).fetch_message(article.message_id)
        except discord.NotFound:
            return False
        except discord.HTTPException:
            log.warning("Could not check article %s's post", article.id, exc_info=True)
        return True

    async def stance(self, article_id: int, member_id: int) -> tuple[str, ...] | None:
        """The member's current answers, only when the article's poll is public (anonymous votes stay secret)."""
        async with self.bot.db.read() as conn:
            store = PollStore(conn)
            poll = await store.by_article(article_id)
            if poll is None or poll.anonymous:
                return None
            positions = await store.choices_of(poll.id, voter_key(self.bot.secret, poll.id, member_id, anonymous=False))
        labels = {o.position: o.label for o in poll.options}
        return tuple(labels[p] for p in sorted(positions) if p in labels)

    async def language_of_guild(self, guild_id: int) -> str:
        async with self.bot.db.read() as conn:
            return (await GuildSettingsStore(conn).get(guild_id)).language

    def thread_message(self, opinion: Opinion) -> discord.PartialMessage | None:
        """The opinion's message in the debate thread, when it was posted."""
        if not opinion.thread_id or not opinion.message_id:
            return None
        return self.bot.get_partial_messageable(opinion.thread_id).get_partial_message(opinion.message_id)

    async def publish(self, opinion: Opinion, author: discord.abc.User) -> bool:
        """Post the opinion in the thread, or edit its message in place; False if Discord refused."""
        async with self.bot.db.read() as conn:
            article = await ArticleStore(conn).get(opinion.article_id)
        if article is None:
            return False
        language = await self.language_of_guild(opinion.guild_id)
        embed = opinion_embed(opinion, author, await self.stance(article.id, opinion.member_id), language)
        view = opinion_view(opinion, language)
        message = self.thread_message(opinion)
        if message is not None:
            try:
                await edit(message, embed=embed, view=view, allowed_mentions=NO_MENTIONS)
                return True
            except discord.NotFound:
                pass  # the message or its thread is gone: post it again below
            except discord.HTTPException:
                log.warning("Could not edit opinion %s", opinion.id, exc_info=True)
                return False
        thread = await self.bot.articles.thread_for(article)
        if thread is None:
            return False
        try:
            sent = await send(thread, embed=embed, view=view, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("Could not post opinion %s in thread %s", opinion.id, thread.id, exc_info=True)
            return False
        async with self.bot.db.transaction() as conn:
            await OpinionStore(conn).set_message(opinion.id, thread.id, sent.id)
        return True

    # --- useful marks ------------------------------------------------------------------------------------

    async def toggle_useful(self, interaction: discord.Interaction[Tribune], opinion_id: int) -> None:
        language = member_language(interaction)
        async with self.bot.db.read() as conn:
            opinion = await OpinionStore(conn).get(opinion_id)
        if opinion is None or opinion.hidden:
            raise UserFacingError("opinion.missing")
        if opinion.member_id == interaction.user.id:
            raise UserFacingError("opinion.useful_own")
        async with self.bot.db.transaction() as conn:
            marked = await OpinionStore(conn).toggle_mark(opinion_id, interaction.user.id, self.bot.now())
        await reply(
            interaction, t("opinion.useful_marked" if marked else "opinion.useful_unmarked", language), ephemeral=True
        )
        self.edits.request(opinion_id, opinion.thread_id or 0)

    async def _apply_render(self, key: Hashable) -> None:
        assert isinstance(key, int)
        opinion_id = key
        async with self.bot.db.read() as conn:
            opinion = await OpinionStore(conn).get(opinion_id)
        message = self.thread_message(opinion) if opinion is not None else None
        if opinion is None or message is None:
            return
        language = await self.language_of_guild(opinion.guild_id)
        try:
            # Only the button changes: the embed (author, text) stays as posted.
            await edit(message, view=opinion_view(opinion, language))
        except discord.NotFound:
            pass
        except discord.HTTPException as exc:
            if exc.code == DISCORD_OLD_MESSAGE_EDIT_QUOTA:
                raise RetryLater() from exc
            raise
        async with self.bot.db.transaction() as conn:
            await OpinionStore(conn).mark_rendered(opinion_id)

    # --- deletion by the author --------------------------------------------------------------------------

    async def delete_own(self, interaction: discord.Interaction[Tribune], opinion_id: int) -> None:
        language = member_language(interaction)
        async with self.bot.db.read() as conn:
            opinion = await OpinionStore(conn).get(opinion_id)
        if opinion is None:
            raise UserFacingError("opinion.missing")
        if opinion.member_id != interaction.user.id:
            raise UserFacingError("opinion.not_yours")
        await self.remove(opinion)
        await edit_response(interaction, content=t("opinion.deleted", language), view=None)

    async def remove(self, opinion: Opinion) -> None:
        """Delete an opinion and its thread message (used by the author's button and /mydata delete)."""
        async with self.bot.db.transaction() as conn:
            await OpinionStore(conn).delete(opinion.id)
        message = self.thread_message(opinion)
        if message is not None:
            try:
                await message.delete()
            except discord.HTTPException:
                log.info("Thread message of opinion %s already gone", opinion.id)

    async def opinion_of_guild(self, interaction: discord.Interaction[Tribune], opinion_id: int) -> Opinion:
        async with self.bot.db.read() as conn:
            opinion = await OpinionStore(conn).get(opinion_id)
        if opinion is None or opinion.guild_id != interaction.guild_id:
            raise UserFacingError("opinion.not_found", opinion=opinion_id)
        return opinion

    async def rerender(self, opinion_id: int) -> None:
        """Rebuild the whole thread message (hide/restore change the embed, not only the button)."""
        async with self.bot.db.read() as conn:
            opinion = await OpinionStore(conn).get(opinion_id)
        if opinion is None:
            return
        author = self.bot.get_user(opinion.member_id)
        if author is None:
            try:
                author = await self.bot.fetch_user(opinion.member_id)
            except discord.HTTPException:
                author = None
        if opinion.hidden:
            language = await self.language_of_guild(opinion.guild_id)
            message = self.thread_message(opinion)
            if message is not None:
                try:
                    await edit(message, embed=opinion_embed(opinion, None, None, language), view=None)
                except discord.HTTPException:
                    log.warning("Could not mask opinion %s", opinion.id, exc_info=True)
            return
        if author is not None:
            await self.publish(opinion, author)
