"""`/poll publish`: give a poll (and its article) public ids and hand moderators the links to paste."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.errors import UserFacingError
from bot.i18n import t
from bot.web.links import article_url, new_public_id, poll_urls
from bot.web.pages import iframe_snippet
from cogs.common import announce, member_language, record_audit
from db.polls import Poll
from db.public import PublicStore

if TYPE_CHECKING:
    from bot.client import Tribune


def public_base(bot: Tribune) -> str | None:
    """Where readers reach the service: TRIBUNE_PUBLIC_URL, else the address the bot's own service listens on."""
    if bot.settings.public_url:
        return bot.settings.public_url
    return bot.web.base_url if bot.web is not None else None


def forget_cached(bot: Tribune) -> None:
    """The bot's own web service trusts its cache; tell it whenever what is published changes."""
    if bot.web is not None:
        bot.web.invalidate()


async def publish_poll(interaction: discord.Interaction[Tribune], bot: Tribune, poll: Poll) -> str:
    """Publish the poll and its article; the reply lists the URLs and a ready-to-paste iframe."""
    language = member_language(interaction)
    now = bot.now()
    async with bot.db.transaction() as conn:
        store = PublicStore(conn)
        if not (await store.settings(poll.guild_id)).enabled:
            raise UserFacingError("web.server_off")
        link = await store.publish("poll", poll.id, poll.guild_id, new_public_id(), now)
        article = None
        if poll.article_id is not None:
            article = await store.publish("article", poll.article_id, poll.guild_id, new_public_id(), now)
        entry = await record_audit(conn, interaction, "poll.publish", f"poll:{poll.id}")
    announce(interaction, entry)
    forget_cached(bot)
    base = public_base(bot)
    urls = poll_urls(base or "", link.public_id)
    text = t(
        "web.published",
        language,
        poll=poll.id,
        page=urls["page"],
        json=urls["json"],
        embed=urls["embed"],
        snippet=iframe_snippet(urls["embed"], poll.question, len(poll.options)),
    )
    if article is not None:
        text += "\n" + t("web.published_article", language, url=article_url(base or "", article.public_id))
    if base is None:
        text += "\n" + t("web.no_public_url", language)
    return text


async def unpublish_poll(interaction: discord.Interaction[Tribune], bot: Tribune, poll: Poll) -> str:
    """Withdraw the poll from the web: its addresses answer 404 from now on (its article page stays)."""
    async with bot.db.transaction() as conn:
        if not await PublicStore(conn).unpublish("poll", poll.id):
            raise UserFacingError("web.not_published", poll=poll.id)
        entry = await record_audit(conn, interaction, "poll.unpublish", f"poll:{poll.id}")
    announce(interaction, entry)
    forget_cached(bot)
    return t("web.unpublished", member_language(interaction), poll=poll.id)
