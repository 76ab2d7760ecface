"""What every cog shares: who is a moderator, which language to answer in, safe text for Discord."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiosqlite
import discord
from discord import app_commands

from bot.errors import UserFacingError
from bot.i18n import language_of
from db.audit import AuditEntry, AuditStore
from db.guild_settings import GuildSettings, GuildSettingsStore

if TYPE_CHECKING:
    from bot.client import Tribune

NO_MENTIONS = discord.AllowedMentions.none()

# Discord's permission flag names → the French/English names members see in their client.
PERMISSION_NAMES = {
    "view_channel": ("Voir le salon", "View Channel"),
    "send_messages": ("Envoyer des messages", "Send Messages"),
    "send_messages_in_threads": ("Envoyer des messages dans les fils", "Send Messages in Threads"),
    "create_public_threads": ("Créer des fils publics", "Create Public Threads"),
    "embed_links": ("Intégrer des liens", "Embed Links"),
    "attach_files": ("Joindre des fichiers", "Attach Files"),
    "read_message_history": ("Voir les anciens messages", "Read Message History"),
    "manage_messages": ("Gérer les messages", "Manage Messages"),
    "manage_threads": ("Gérer les fils", "Manage Threads"),
    "send_polls": ("Créer des sondages", "Create Polls"),
}


def permission_label(flag: str, language: str) -> str:
    """`« Créer des fils publics »` / `"Create Public Threads"`."""
    french, english = PERMISSION_NAMES.get(flag, (flag, flag))
    return f"« {french} »" if language == "fr" else f'"{english}"'


def member_language(interaction: discord.Interaction[Tribune]) -> str:
    """Ephemeral replies follow the member's client language."""
    return language_of(str(interaction.locale))


async def settings_of(interaction: discord.Interaction[Tribune]) -> GuildSettings:
    if interaction.guild_id is None:
        raise UserFacingError("error.guild_only")
    async with interaction.client.db.read() as conn:
        return await GuildSettingsStore(conn).get(interaction.guild_id)


def is_moderator_member(member: discord.Member, settings: GuildSettings) -> bool:
    """Manage Server, or the server's configured moderator role."""
    if member.guild_permissions.manage_guild or member.guild_permissions.administrator:
        return True
    return settings.moderator_role_id is not None and any(r.id == settings.moderator_role_id for r in member.roles)


class Refused(app_commands.CheckFailure):
    """A check that did not pass, carrying why (a refusal or an unexpected error) to the error handler.

    discord.py only routes AppCommandErrors raised by checks to the tree's handler; anything else would
    leave the member without an answer.
    """

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.original = error


async def ensure_moderator(interaction: discord.Interaction[Tribune]) -> bool:
    """The one server-side moderator check (Discord's default_permissions can be changed by admins)."""
    if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
        raise Refused(UserFacingError("error.guild_only"))
    try:
        settings = await settings_of(interaction)
    except Exception as exc:
        raise Refused(exc) from exc
    if not is_moderator_member(interaction.user, settings):
        raise Refused(UserFacingError("error.not_moderator"))
    return True


# Decorator for every moderator command: the server-side check, found by the tree-wide test.
moderator_only = app_commands.check(ensure_moderator)


def missing_permissions(channel: discord.abc.GuildChannel | discord.Thread, needed: tuple[str, ...]) -> list[str]:
    """The permission flags Tribune lacks in `channel`, among `needed`."""
    me = channel.guild.me
    permissions = channel.permissions_for(me)
    return [flag for flag in needed if not getattr(permissions, flag)]


def require_permissions(
    channel: discord.abc.GuildChannel | discord.Thread, needed: tuple[str, ...], language: str
) -> None:
    """Refuse early, naming the missing permission, instead of failing half-way through a post."""
    missing = missing_permissions(channel, needed)
    if missing:
        raise UserFacingError(
            "error.bot_missing_permissions",
            permissions=", ".join(permission_label(flag, language) for flag in missing),
            channel=getattr(channel, "mention", f"#{channel.name}"),
        )


async def record_audit(
    conn: aiosqlite.Connection,
    interaction: discord.Interaction[Tribune],
    action: str,
    target: str | None = None,
    **details: object,
) -> AuditEntry:
    """Record a moderator action inside the caller's transaction (the action and its trace commit together)."""
    assert interaction.guild_id is not None
    return await AuditStore(conn).record(
        interaction.guild_id,
        interaction.user.id,
        action,
        interaction.client.now(),
        target=target,
        details=dict(details),
    )


def announce(interaction: discord.Interaction[Tribune], entry: AuditEntry) -> None:
    """After commit: the settings cog mirrors the entry to the log channel."""
    interaction.client.dispatch("tribune_audit", entry)


async def audit(
    interaction: discord.Interaction[Tribune], action: str, target: str | None = None, **details: object
) -> None:
    """Record a moderator action in its own transaction, then announce it."""
    async with interaction.client.db.transaction() as conn:
        entry = await record_audit(conn, interaction, action, target, **details)
    announce(interaction, entry)
