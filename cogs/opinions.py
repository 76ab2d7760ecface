"""Opinions: members' written answers to an article's open question, posted in its debate thread."""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import report_error
from bot.edits import EditCoalescer, RetryLater
from bot.errors import UserFacingError
from bot.i18n import t
from bot.outgoing import edit, edit_response, reply, send, send_modal
from bot.polls.voting import voter_key
from bot.text import shorten
from cogs.common import (
    NO_MENTIONS,
    announce,
    component_id,
    member_language,
    moderator_only,
    record_audit,
    reports_errors,
)
from cogs.polls.cog import PollsCog, PollSnapshot
from db.articles import Article, ArticleStore
from db.guild_settings import GuildSettingsStore
from db.opinions import Opinion, OpinionStore
from db.polls import PollStore

if TYPE_CHECKING:
    from bot.client import Tribune

log = logging.getLogger(__name__)

MIN_CHARS, MAX_CHARS = 10, 1500
MODAL_TITLE_MAX, INPUT_LABEL_MAX, PLACEHOLDER_MAX = 45, 45, 100
COOLDOWN_COUNT, COOLDOWN_SECONDS = 3, 60.0
OPINION_COLOUR = discord.Colour(0x57F287)
HIDDEN_COLOUR = discord.Colour(0x4E5058)
MASKED_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(\s*<?(https?://[^)\s>]+)>?\s*\)")
DISCORD_OLD_MESSAGE_EDIT_QUOTA = 30046
PAGE_SIZE = 10


def unmask_links(text: str) -> str:
    """`[texte](https://x)` → `texte (https://x)`: members always see where a link really goes."""
    return MASKED_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)


class Cooldown:
    """At most `count` submissions per `seconds` per member; memory holds only recent submitters."""

    def __init__(self, count: int = COOLDOWN_COUNT, seconds: float = COOLDOWN_SECONDS) -> None:
        self.count, self.seconds = count, seconds
        self._recent: dict[int, deque[float]] = {}

    def retry_after(self, member_id: int, now: float | None = None) -> float:
        """Seconds to wait before the member may submit again (0: now)."""
        now = time.monotonic() if now is None else now
        stamps = self._recent.get(member_id)
        if not stamps:
            return 0.0
        while stamps and now - stamps[0] >= self.seconds:
            stamps.popleft()
        if not stamps:
            del self._recent[member_id]
            return 0.0
        return self.seconds - (now - stamps[0]) if len(stamps) >= self.count else 0.0

    def record(self, member_id: int, now: float | None = None) -> None:
        self._recent.setdefault(member_id, deque()).append(time.monotonic() if now is None else now)


def opinions_cog(interaction: discord.Interaction) -> OpinionsCog:
    cog = interaction.client.get_cog("OpinionsCog")  # type: ignore[attr-defined]
    assert cog is not None, "the opinions extension is not loaded"
    return cog  # type: ignore[return-value]


class OpinionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tribune:opinion:(?P<article>\d+)"):
    """💬 Donner mon avis: opens the modal, pre-filled with the member's current opinion."""

    def __init__(self, article_id: int, label: str = "Donner mon avis") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, emoji="💬", style=discord.ButtonStyle.success, custom_id=f"tribune:opinion:{article_id}"
            )
        )
        self.article_id = article_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> OpinionButton:
        return cls(component_id(match["article"]), label=item.label or "Donner mon avis")

    @reports_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        await opinions_cog(interaction).open_modal(interaction, self.article_id)


class UsefulButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tribune:useful:(?P<opinion>\d+)"):
    """👍 Utile (n): one mark per member, never on one's own opinion."""

    def __init__(self, opinion_id: int, label: str = "Utile", *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="👍",
                style=discord.ButtonStyle.secondary,
                custom_id=f"tribune:useful:{opinion_id}",
                disabled=disabled,
            )
        )
        self.opinion_id = opinion_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> UsefulButton:
        return cls(component_id(match["opinion"]), label=item.label or "Utile")

    @reports_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        await opinions_cog(interaction).toggle_useful(interaction, self.opinion_id)


class DeleteOwnButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tribune:opinion-delete:(?P<opinion>\d+)"
):
    """On the private confirmation: the author deletes their own opinion."""

    def __init__(self, opinion_id: int, label: str = "Supprimer mon avis") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="🗑️",
                style=discord.ButtonStyle.danger,
                custom_id=f"tribune:opinion-delete:{opinion_id}",
            )
        )
        self.opinion_id = opinion_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> DeleteOwnButton:
        return cls(component_id(match["opinion"]), label=item.label or "Supprimer mon avis")

    @reports_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        await opinions_cog(interaction).delete_own(interaction, self.opinion_id)


DYNAMIC_ITEMS = (OpinionButton, UsefulButton, DeleteOwnButton)


class OpinionModal(discord.ui.Modal):
    """One paragraph, 10–1,500 characters, titled with the article's open question."""

    def __init__(self, cog: OpinionsCog, article: Article, current: str | None, language: str) -> None:
        super().__init__(title=shorten(article.opinion_prompt, MODAL_TITLE_MAX), timeout=1800)
        self.cog, self.article = cog, article
        self.text: discord.ui.TextInput[OpinionModal] = discord.ui.TextInput(
            label=shorten(t("opinion.input_label", language), INPUT_LABEL_MAX),
            placeholder=shorten(article.opinion_prompt, PLACEHOLDER_MAX),
            style=discord.TextStyle.paragraph,
            min_length=MIN_CHARS,
            max_length=MAX_CHARS,
            default=current,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.cog.submit(interaction, self.article, self.text.value)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report_error(interaction, error)


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class OpinionsCog(commands.GroupCog, name="OpinionsCog", group_name="opinion", group_description="Moderate opinions"):
    """Opinions in the debate thread, their useful marks, and their moderation."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        self.cooldown = Cooldown()
        self.edits = EditCoalescer(
            self._apply_render, interval=bot.tally_edit_interval, first_retry=bot.edit_retry_seconds
        )
        super().__init__()

    @property
    def polls(self) -> PollsCog:
        cog = self.bot.get_cog("PollsCog")
        assert isinstance(cog, PollsCog), "the polls extension must be loaded before the opinions one"
        return cog

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.polls.extra_items.append(self.opinion_button_for)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        polls = self.bot.get_cog("PollsCog")
        if isinstance(polls, PollsCog) and self.opinion_button_for in polls.extra_items:
            polls.extra_items.remove(self.opinion_button_for)
        await self.edits.close()

    def opinion_button_for(self, snapshot: PollSnapshot) -> discord.ui.Item[Any] | None:
        """The 💬 button on an article's post (plain polls have no opinion prompt)."""
        if snapshot.article is None:
            return None
        return OpinionButton(snapshot.article.id, t("opinion.button", snapshot.language))

    # --- giving an opinion -------------------------------------------------------------------------------

    def check_cooldown(self, member_id: int) -> None:
        wait = self.cooldown.retry_after(member_id)
        if wait > 0:
            raise UserFacingError("opinion.cooldown", seconds=max(1, round(wait)))

    async def open_modal(self, interaction: discord.Interaction, article_id: int) -> None:
        self.check_cooldown(interaction.user.id)
        async with self.bot.db.read() as conn:
            article = await ArticleStore(conn).get(article_id)
            current = await OpinionStore(conn).of_member(article_id, interaction.user.id) if article else None
        if article is None or article.guild_id != interaction.guild_id:
            raise UserFacingError("opinion.article_missing")
        language = member_language(interaction)
        await send_modal(interaction, OpinionModal(self, article, current.text if current else None, language))

    async def submit(self, interaction: discord.Interaction, article: Article, text: str) -> None:
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

    def opinion_embed(
        self, opinion: Opinion, author: discord.abc.User | None, stance: tuple[str, ...] | None, language: str
    ) -> discord.Embed:
        if opinion.hidden:
            return discord.Embed(description=t("opinion.hidden_public", language), colour=HIDDEN_COLOUR)
        embed = discord.Embed(description=unmask_links(opinion.text), colour=OPINION_COLOUR)
        if author is not None:
            embed.set_author(name=shorten(author.display_name, 256), icon_url=author.display_avatar.url)
        else:
            embed.set_author(name=f"#{opinion.member_id}")
        if stance:
            embed.add_field(name=t("opinion.stance", language, answers=", ".join(stance)), value="\u200b", inline=False)
        footer = t("opinion.footer_edited" if opinion.edited else "opinion.footer", language, opinion=opinion.id)
        embed.set_footer(text=footer)
        return embed

    def opinion_view(self, opinion: Opinion, language: str) -> discord.ui.View | None:
        if opinion.hidden:
            return None
        view = discord.ui.View(timeout=None)
        view.add_item(UsefulButton(opinion.id, t("opinion.useful", language, count=opinion.useful)))
        return view

    async def publish(self, opinion: Opinion, author: discord.abc.User) -> bool:
        """Post the opinion in the thread, or edit its message in place; False if Discord refused."""
        articles = self.bot.get_cog("ArticlesCog")
        async with self.bot.db.read() as conn:
            article = await ArticleStore(conn).get(opinion.article_id)
        if article is None or articles is None:
            return False
        language = await self.language_of_guild(opinion.guild_id)
        embed = self.opinion_embed(opinion, author, await self.stance(article.id, opinion.member_id), language)
        view = self.opinion_view(opinion, language)
        if opinion.message_id and opinion.thread_id:
            try:
                message = self.bot.get_partial_messageable(opinion.thread_id).get_partial_message(opinion.message_id)
                await edit(message, embed=embed, view=view, allowed_mentions=NO_MENTIONS)
                return True
            except discord.NotFound:
                pass  # the message or its thread is gone: post it again below
            except discord.HTTPException:
                log.warning("Could not edit opinion %s", opinion.id, exc_info=True)
                return False
        thread = await articles.thread_for(article)  # type: ignore[attr-defined]
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

    async def toggle_useful(self, interaction: discord.Interaction, opinion_id: int) -> None:
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
        opinion_id = int(key)  # type: ignore[call-overload]
        async with self.bot.db.read() as conn:
            opinion = await OpinionStore(conn).get(opinion_id)
        if opinion is None or not opinion.message_id or not opinion.thread_id:
            return
        language = await self.language_of_guild(opinion.guild_id)
        message = self.bot.get_partial_messageable(opinion.thread_id).get_partial_message(opinion.message_id)
        try:
            # Only the button changes: the embed (author, text) stays as posted.
            await edit(message, view=self.opinion_view(opinion, language))
        except discord.NotFound:
            pass
        except discord.HTTPException as exc:
            if exc.code == DISCORD_OLD_MESSAGE_EDIT_QUOTA:
                raise RetryLater() from exc
            raise
        async with self.bot.db.transaction() as conn:
            await OpinionStore(conn).mark_rendered(opinion_id)

    # --- deletion by the author --------------------------------------------------------------------------

    async def delete_own(self, interaction: discord.Interaction, opinion_id: int) -> None:
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
        if opinion.thread_id and opinion.message_id:
            try:
                await (
                    self.bot.get_partial_messageable(opinion.thread_id).get_partial_message(opinion.message_id).delete()
                )
            except discord.HTTPException:
                log.info("Thread message of opinion %s already gone", opinion.id)

    # --- moderation commands -----------------------------------------------------------------------------

    async def opinion_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        async with self.bot.db.read() as conn:
            found = await OpinionStore(conn).search(interaction.guild_id, current.strip(), limit=25)
        return [app_commands.Choice(name=shorten(f"#{o.id} · {o.text}", 100), value=o.id) for o in found]

    async def article_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        async with self.bot.db.read() as conn:
            found = await ArticleStore(conn).search(interaction.guild_id, current.strip(), limit=25)
        return [app_commands.Choice(name=shorten(f"#{aid} · {title}", 100), value=aid) for aid, title in found]

    async def opinion_of_guild(self, interaction: discord.Interaction, opinion_id: int) -> Opinion:
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
            if opinion.message_id and opinion.thread_id:
                message = self.bot.get_partial_messageable(opinion.thread_id).get_partial_message(opinion.message_id)
                try:
                    await edit(message, embed=self.opinion_embed(opinion, None, None, language), view=None)
                except discord.HTTPException:
                    log.warning("Could not mask opinion %s", opinion.id, exc_info=True)
            return
        if author is not None:
            await self.publish(opinion, author)

    @app_commands.command(name="hide", description="Hide an opinion from the thread and the digests")
    @app_commands.describe(opinion="The opinion", reason="Why (visible to moderators only)")
    @app_commands.autocomplete(opinion=opinion_autocomplete)
    @moderator_only
    async def hide(
        self, interaction: discord.Interaction, opinion: int, reason: app_commands.Range[str, 1, 300]
    ) -> None:
        """Hide an opinion from the thread and the digests."""
        language = member_language(interaction)
        target = await self.opinion_of_guild(interaction, opinion)
        async with self.bot.db.transaction() as conn:
            if not await OpinionStore(conn).set_hidden(target.id, True, interaction.user.id, self.bot.now(), reason):
                raise UserFacingError("opinion.already_hidden", opinion=opinion)
            entry = await record_audit(conn, interaction, "opinion.hide", f"opinion:{opinion}", reason=reason)
        announce(interaction, entry)
        await reply(interaction, t("opinion.hidden_done", language, opinion=opinion), ephemeral=True)
        await self.rerender(target.id)

    @app_commands.command(name="restore", description="Show a hidden opinion again")
    @app_commands.describe(opinion="The opinion")
    @app_commands.autocomplete(opinion=opinion_autocomplete)
    @moderator_only
    async def restore(self, interaction: discord.Interaction, opinion: int) -> None:
        """Show a hidden opinion again."""
        language = member_language(interaction)
        target = await self.opinion_of_guild(interaction, opinion)
        async with self.bot.db.transaction() as conn:
            if not await OpinionStore(conn).set_hidden(target.id, False, interaction.user.id, self.bot.now()):
                raise UserFacingError("opinion.not_hidden", opinion=opinion)
            entry = await record_audit(conn, interaction, "opinion.restore", f"opinion:{opinion}")
        announce(interaction, entry)
        await reply(interaction, t("opinion.restored", language, opinion=opinion), ephemeral=True)
        await self.rerender(target.id)

    @app_commands.command(name="list", description="List an article's opinions, hidden ones included")
    @app_commands.describe(article="The article", page="Page number")
    @app_commands.autocomplete(article=article_autocomplete)
    @moderator_only
    async def list_opinions(
        self, interaction: discord.Interaction, article: int, page: app_commands.Range[int, 1, 1000] = 1
    ) -> None:
        """List an article's opinions, hidden ones included."""
        language = member_language(interaction)
        async with self.bot.db.read() as conn:
            found = await ArticleStore(conn).get(article)
            if found is None or found.guild_id != interaction.guild_id:
                raise UserFacingError("opinion.article_missing")
            opinions = await OpinionStore(conn).for_article(article, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
            total = await OpinionStore(conn).count_for_article(article)
        lines = []
        for o in opinions:
            status = t("opinion.list_hidden", language, reason=o.hidden_reason or "—") if o.hidden else ""
            lines.append(
                t("opinion.list_line", language, opinion=o.id, member=f"<@{o.member_id}>", useful=o.useful,
                  text=shorten(o.text, 150), status=status)
            )  # fmt: skip
        embed = discord.Embed(
            title=shorten(t("opinion.list_title", language, title=found.title), 256),
            description=shorten("\n".join(lines), 4096) if lines else t("opinion.list_empty", language),
        )
        embed.set_footer(text=t("audit.page", language, page=page, pages=max(1, -(-total // PAGE_SIZE))))
        await reply(interaction, embed=embed, ephemeral=True)


async def setup(bot: Tribune) -> None:
    await bot.add_cog(OpinionsCog(bot))
