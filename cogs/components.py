"""The one error path members meet, and the bases of Tribune's buttons, views and modals built on it."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar, Self

import discord
from discord import app_commands

from bot.errors import UserFacingError
from bot.i18n import language_of, t
from bot.outgoing import reply
from bot.text import BUTTON_LABEL_MAX, shorten

if TYPE_CHECKING:
    from bot.client import Tribune

log = logging.getLogger(__name__)

DISCORD_UNKNOWN_INTERACTION = 10062
SQLITE_MAX_INTEGER = 2**63 - 1
UNKNOWN_ID = 0  # no row has it: SQLite ids start at 1
NEVER = r"(?!)"  # the bases' own template: they are never registered, only their subclasses


def component_id(digits: str) -> int:
    """An id parsed from a custom_id. Anyone can forge one; beyond SQLite's integer range it would raise
    OverflowError in the store, so it reads as an id that matches nothing and the member hears "unknown"."""
    value = int(digits)
    return value if 0 < value <= SQLITE_MAX_INTEGER else UNKNOWN_ID


async def report_error(interaction: discord.Interaction[Tribune], error: Exception) -> None:
    """Tell the member what went wrong in their language; log what was not expected."""
    original = getattr(error, "original", error)
    language = language_of(str(interaction.locale))
    if isinstance(original, UserFacingError):
        message = original.render(language)
    elif isinstance(original, app_commands.NoPrivateMessage):
        message = t("error.guild_only", language)
    elif isinstance(original, app_commands.CommandOnCooldown):
        message = t("error.cooldown", language, seconds=f"{original.retry_after:.0f}")
    elif isinstance(original, app_commands.BotMissingPermissions):
        message = t(
            "error.bot_missing_permissions",
            language,
            permissions=", ".join(original.missing_permissions),
            channel=getattr(interaction.channel, "mention", "?"),
        )
    elif isinstance(original, discord.NotFound) and original.code == DISCORD_UNKNOWN_INTERACTION:
        # Discord gave up on the interaction (answered too late): nobody is left to tell.
        log.warning(
            "Interaction %s expired before it was answered (command %s, guild %s)",
            interaction.id,
            getattr(interaction.command, "qualified_name", None),
            interaction.guild_id,
        )
        return
    else:
        log.exception(
            "Unexpected error in interaction %s (command %s, guild %s, channel %s, user %s)",
            interaction.id,
            getattr(interaction.command, "qualified_name", None),
            interaction.guild_id,
            interaction.channel_id,
            interaction.user.id,
            exc_info=original,
        )
        message = t("error.unexpected", language)
    await send_ephemeral(interaction, message)


async def send_ephemeral(interaction: discord.Interaction[Tribune], content: str, **kwargs: object) -> None:
    """Answer privately whether or not the interaction was already acknowledged."""
    try:
        await reply(interaction, content, ephemeral=True, **kwargs)
    except discord.HTTPException:
        log.warning("Could not deliver an error message for interaction %s", interaction.id, exc_info=True)


class TribuneButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=NEVER):
    """A button that survives restarts: `tribune:<action>:<id>…`, its state reloaded from the store.

    Subclasses give their template (its groups are the ids, read in order with range checks), `action`, their
    look, a constructor taking the ids then `label`, and `clicked`; errors reach the member through
    `report_error`, like command errors.
    """

    action: ClassVar[str]
    fallback_label: ClassVar[str] = "?"  # when a message comes back without its label (never in practice)
    emoji: ClassVar[str | None] = None
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary

    def __init__(self, *ids: int, label: str, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=shorten(label, BUTTON_LABEL_MAX),
                emoji=self.emoji,
                style=self.style,
                custom_id=":".join(("tribune", self.action, *map(str, ids))),
                disabled=disabled,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        ids = [component_id(group) for group in match.groups()]
        return cls(*ids, label=getattr(item, "label", None) or cls.fallback_label)

    # discord.py types the base methods for any client; the interactions Tribune gets are its own.
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.clicked(interaction)
        except Exception as exc:
            await report_error(interaction, exc)

    async def clicked(self, interaction: discord.Interaction[Tribune]) -> None:
        raise NotImplementedError


class TribuneView(discord.ui.View):
    """A short-lived view (confirmations, pages): any error in its buttons goes through `report_error`."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await report_error(interaction, error)


class TribuneModal(discord.ui.Modal):
    """A modal whose submission errors go through `report_error`; subclasses say what `submitted` does."""

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await self.submitted(interaction)

    async def submitted(self, interaction: discord.Interaction[Tribune]) -> None:
        raise NotImplementedError

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:
        await report_error(interaction, error)
