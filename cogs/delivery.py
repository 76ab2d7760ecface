"""Did my post go out? The Discord side of `bot.delivery`: find a claimed post after a crash."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import discord

from bot.delivery import carries

log = logging.getLogger(__name__)

RECOVERY_SCAN = 200  # messages created after a claim that are searched for its post
CLOCK_MARGIN = timedelta(minutes=5)  # the bot's clock and Discord's may disagree by a little


def footers_carry(message: discord.Message, token: str) -> bool:
    """Whether one of the message's embed footers holds the claim's marker."""
    return any(carries(embed.footer.text if embed.footer else None, token) for embed in message.embeds)


async def find_claimed_posts(
    channel: discord.abc.Messageable,
    author_id: int,
    claimed_at: datetime,
    matches: Callable[[discord.Message], bool],
) -> list[discord.Message] | None:
    """The author's messages created after the claim that `matches` accepts, oldest first.

    None when the channel's history cannot be read: the caller cannot tell and must not post blindly.
    """
    found: list[discord.Message] = []
    try:
        async for message in channel.history(limit=RECOVERY_SCAN, after=claimed_at - CLOCK_MARGIN, oldest_first=True):
            if message.author.id == author_id and matches(message):
                found.append(message)
    except discord.HTTPException:
        log.warning("Could not read the history of channel %s", getattr(channel, "id", "?"), exc_info=True)
        return None
    return found
