"""Text that has to fit Discord: its limits (one table), its length rule, shortening, and message links."""

from __future__ import annotations

import unicodedata
from typing import Any

ELLIPSIS = "…"
# Discord's message layout: action rows per message, buttons per row.
MAX_ACTION_ROWS = 5
BUTTONS_PER_ROW = 5

# Discord's limits, in one table (https://discord.com/developers/docs/resources/message#embed-object-embed-limits
# and the component reference). `bot.outgoing` applies them to everything Tribune sends.
CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000  # titles, descriptions, field names and values, footers and authors of one message
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
MODAL_TITLE_MAX = 45
INPUT_LABEL_MAX = 45
INPUT_PLACEHOLDER_MAX = 100
INPUT_VALUE_MAX = 4000
BUTTON_LABEL_MAX = 80
SELECT_PLACEHOLDER_MAX = 150
SELECT_OPTION_MAX = 100  # an option's label and its description
THREAD_NAME_MAX = 100
CHOICE_NAME_MAX = 100  # an autocomplete choice
CHOICES_MAX = 25  # autocomplete choices per answer
# Discord's JSON error codes Tribune reacts to.
DISCORD_UNKNOWN_MESSAGE = 10008
DISCORD_OLD_MESSAGE_EDIT_QUOTA = 30046  # too many edits of a message older than an hour: wait, then retry
# Member text quoted inside a message (a refused answer, a duration…): enough to recognise it, never a wall.
QUOTED_MAX = 400


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


def fit(text: str, limit: int) -> str:
    """`text` unchanged when it fits, else shortened with "…" (unlike `shorten`, a fitting text is not stripped)."""
    return text if discord_len(text) <= limit else shorten(text, limit)


def _embed_size(embed: dict[str, Any]) -> int:
    fields = embed.get("fields") or []
    return (
        discord_len(embed.get("title"))
        + discord_len(embed.get("description"))
        + sum(discord_len(f.get("name")) + discord_len(f.get("value")) for f in fields)
        + discord_len((embed.get("footer") or {}).get("text"))
        + discord_len((embed.get("author") or {}).get("name"))
    )


def fit_embed_dicts(embeds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Embeds (as Discord's JSON) within every per-field limit and the 6,000-character total of one message.

    Over the total, descriptions are shortened from the last embed back, then the last embeds are dropped,
    then the first embed's last fields: the first embed (the title of what is posted) matters most.
    """
    fitted: list[dict[str, Any]] = []
    for raw in embeds[:EMBEDS_MAX]:
        embed = dict(raw)
        for key, limit in (("title", EMBED_TITLE_MAX), ("description", EMBED_DESCRIPTION_MAX)):
            if isinstance(embed.get(key), str):
                embed[key] = fit(embed[key], limit)
        for key, inner, limit in (("footer", "text", EMBED_FOOTER_MAX), ("author", "name", EMBED_AUTHOR_MAX)):
            if isinstance(embed.get(key), dict) and isinstance(embed[key].get(inner), str):
                embed[key] = {**embed[key], inner: fit(embed[key][inner], limit)}
        if embed.get("fields"):
            embed["fields"] = [
                {
                    **f,
                    "name": fit(str(f.get("name", "")), EMBED_FIELD_NAME_MAX),
                    "value": fit(str(f.get("value", "")), EMBED_FIELD_VALUE_MAX),
                }
                for f in embed["fields"][:EMBED_FIELDS_MAX]
            ]
        fitted.append(embed)
    excess = sum(_embed_size(e) for e in fitted) - EMBED_TOTAL_MAX
    for embed in reversed(fitted):
        if excess <= 0:
            break
        description = embed.get("description")
        if isinstance(description, str) and description:
            keep = max(discord_len(description) - excess, 0)
            embed["description"] = shorten(description, keep) if keep > 1 else None
            excess -= discord_len(description) - discord_len(embed["description"])
    while excess > 0 and len(fitted) > 1:
        excess -= _embed_size(fitted.pop())
    fields = fitted[0].get("fields") if fitted else None
    while excess > 0 and fields:
        field = fields.pop()
        excess -= discord_len(field["name"]) + discord_len(field["value"])
    return fitted


_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp", "Zs", "Mn", "Me"})


def visible_text(text: str) -> str:
    """`text` without invisible and control characters (zero-width, direction marks, spaces, lone accents).

    A question or an answer that is empty once these are removed would be posted as a blank.
    """
    return "".join(char for char in text if unicodedata.category(char) not in _INVISIBLE_CATEGORIES)
