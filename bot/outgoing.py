"""The one send path: every message, embed and modal Tribune sends is fitted to Discord's limits here.

Discord rejects a whole message when one field is too long, and the member then sees "This interaction
failed". Cogs call these helpers instead of discord.py's send/edit methods (a test keeps it that way), so no
text, however long, can make a reply undeliverable.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import discord
import discord.http
import yarl

from bot.text import (
    BUTTON_LABEL_MAX,
    CONTENT_MAX,
    INPUT_PLACEHOLDER_MAX,
    INPUT_VALUE_MAX,
    MODAL_TITLE_MAX,
    SELECT_OPTION_MAX,
    SELECT_PLACEHOLDER_MAX,
    fit,
    fit_embed_dicts,
)


def fit_embeds(embeds: list[discord.Embed]) -> list[discord.Embed]:
    """Embeds within Discord's per-field and per-message limits (new objects; the originals are untouched)."""
    fitted = fit_embed_dicts([dict(embed.to_dict()) for embed in embeds])
    return [discord.Embed.from_dict(data) for data in fitted]


def fit_view(view: discord.ui.View) -> discord.ui.View:
    """Button labels and select texts within Discord's limits (changed in place: a view is built per message)."""
    for child in view.children:
        item = getattr(child, "item", child)  # a DynamicItem wraps the button it sends
        if isinstance(item, discord.ui.Button) and item.label:
            item.label = fit(item.label, BUTTON_LABEL_MAX)
        elif isinstance(item, discord.ui.Select):
            if item.placeholder:
                item.placeholder = fit(item.placeholder, SELECT_PLACEHOLDER_MAX)
            for option in item.options:
                option.label = fit(option.label, SELECT_OPTION_MAX)
                if option.description:
                    option.description = fit(option.description, SELECT_OPTION_MAX)
    return view


def fit_message(kwargs: dict[str, Any]) -> dict[str, Any]:
    """discord.py message keyword arguments with content, embeds and view texts within Discord's limits."""
    fitted = dict(kwargs)
    if isinstance(fitted.get("view"), discord.ui.View):
        fit_view(fitted["view"])
    content = fitted.get("content")
    if content is not None:
        fitted["content"] = fit(str(content), CONTENT_MAX)
    if fitted.get("embed") is not None:
        fitted["embed"] = fit_embeds([fitted["embed"]])[0]
    if fitted.get("embeds"):
        fitted["embeds"] = fit_embeds(list(fitted["embeds"]))
    return fitted


def fit_modal(modal: discord.ui.Modal) -> discord.ui.Modal:
    """The modal's title and text inputs within Discord's limits (changed in place, returned for chaining).

    Input labels are catalog strings, shortened where the modal is built (discord.py deprecates reading them).
    """
    modal.title = fit(modal.title, MODAL_TITLE_MAX)
    for item in modal.children:
        if isinstance(item, discord.ui.TextInput):
            if item.placeholder:
                item.placeholder = fit(item.placeholder, INPUT_PLACEHOLDER_MAX)
            limit = min(item.max_length or INPUT_VALUE_MAX, INPUT_VALUE_MAX)
            if item.default and len(item.default) > limit:
                item.default = item.default[:limit]  # a pre-filled value is the member's own text: cut, no "…"
    return modal


def _with_content(content: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    return fit_message({**kwargs, "content": content} if content is not None else kwargs)


async def reply(interaction: discord.Interaction[Any], content: Any = None, **kwargs: Any) -> Any:
    """Answer an interaction: the first response if none was given yet, else a follow-up."""
    fitted = _with_content(content, kwargs)
    if interaction.response.is_done():
        return await interaction.followup.send(**fitted)
    return await interaction.response.send_message(**fitted)


EPHEMERAL = 64  # message flag: only the member who clicked sees the answer
CLICK_ATTEMPTS = 3  # a click's answer retried after a 429, at most this many tries
CLICK_RETRY_MAX_SECONDS = 1.0  # longer waits would miss the interaction's 3-second deadline anyway


async def reply_to_click(http: discord.http.HTTPClient, interaction_id: int, token: str, content: str) -> None:
    """Answer a raw component interaction privately (callback type 4), without discord.py's Interaction.

    The vote path's fast lane: discord.py would build an Interaction, a Message and the whole View for each
    click, and send the callback through its webhook adapter; this is one POST of pre-serialised JSON on the
    bot's own HTTP session. Mentions never ping (as the bot's default), the text is fitted like every reply.
    Raises ``discord.HTTPException`` when Discord refuses it.
    """
    body = {
        "type": 4,
        "data": {"content": fit(content, CONTENT_MAX), "flags": EPHEMERAL, "allowed_mentions": {"parse": []}},
    }
    # Quoted here once, so that the client need not re-encode the whole URL (a tenth of the lane's cost).
    url = yarl.URL(
        f"{discord.http.Route.BASE}/interactions/{int(interaction_id)}/{quote(token, safe='')}/callback", encoded=True
    )
    session = http._HTTPClient__session  # type: ignore[attr-defined]  # discord.py's webhook adapter uses it too
    headers = {"Content-Type": "application/json", "User-Agent": http.user_agent}
    data = discord.utils._to_json(body).encode()
    for attempt in range(CLICK_ATTEMPTS):
        async with session.post(url, data=data, headers=headers) as response:
            if response.status == 429 and attempt + 1 < CLICK_ATTEMPTS:
                # As discord.py's webhook adapter does: wait what Discord asks (the vote is already committed,
                # and the member's answer is due within the interaction's 3 s).
                retry_after = float((await response.json(content_type=None)).get("retry_after", 1.0))
                await asyncio.sleep(min(retry_after, CLICK_RETRY_MAX_SECONDS))
                continue
            if response.status >= 400:
                raise discord.HTTPException(response, await response.text())
            return


async def send(destination: discord.abc.Messageable, content: Any = None, **kwargs: Any) -> discord.Message:
    """Post a message in a channel or thread."""
    return await destination.send(**_with_content(content, kwargs))


async def edit(message: discord.Message | discord.PartialMessage, **kwargs: Any) -> discord.Message:
    """Edit a message Tribune posted."""
    return await message.edit(**fit_message(kwargs))


async def edit_response(interaction: discord.Interaction[Any], **kwargs: Any) -> Any:
    """Answer a component click by editing the message it sits on."""
    return await interaction.response.edit_message(**fit_message(kwargs))


async def edit_original(interaction: discord.Interaction[Any], **kwargs: Any) -> discord.InteractionMessage:
    """Edit the interaction's first answer."""
    return await interaction.edit_original_response(**fit_message(kwargs))


async def send_modal(interaction: discord.Interaction[Any], modal: discord.ui.Modal) -> Any:
    """Open a modal."""
    return await interaction.response.send_modal(fit_modal(modal))
