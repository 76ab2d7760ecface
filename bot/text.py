"""Text that has to fit Discord: its length rule, shortening at a word, and message links."""

from __future__ import annotations

ELLIPSIS = "…"
# Discord's message layout: action rows per message, buttons per row.
MAX_ACTION_ROWS = 5
BUTTONS_PER_ROW = 5


def discord_len(text: str | None) -> int:
    """Length as Discord counts it (UTF-16 code units: an emoji may count twice), so limits are never crossed."""
    return len(text.encode("utf-16-le")) // 2 if text else 0


def shorten(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word boundary and ended with "…" when it had to be cut."""
    text = text.strip()
    if discord_len(text) <= limit:
        return text
    budget = limit - 1
    while budget > 0:
        cut = text[:budget]
        space = cut.rfind(" ")
        if space > budget // 2:  # a word boundary not too far back; otherwise cut inside the long word
            cut = cut[:space]
        cut = cut.rstrip(" ,;:.-–—") + ELLIPSIS
        if discord_len(cut) <= limit:
            return cut
        budget -= 1
    return ELLIPSIS[:limit]


def message_url(guild_id: int, channel_id: int | None, message_id: int | None) -> str | None:
    """A jump link to a message, when both ids are known."""
    if channel_id is None or message_id is None:
        return None
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"
