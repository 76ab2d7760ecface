"""`/settings …`: each server's configuration, and the moderators' audit log."""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import replace
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.i18n import t
from bot.i18n.formatting import format_duration
from bot.outgoing import edit_response, reply, send
from bot.polls.durations import parse_poll_duration
from bot.polls.visibility import RESULTS_MODE_NAMES, RESULTS_MODES
from bot.text import CHOICES_MAX, shorten
from bot.web.pages import origins_of
from cogs.common import (
    NO_MENTIONS,
    announce,
    member_language,
    moderator_only,
    record_audit,
    require_permissions,
    settings_of,
)
from cogs.components import TribuneView
from db.audit import AuditEntry, AuditStore
from db.database import DatabaseError
from db.guild_settings import GuildSettings, GuildSettingsStore
from db.public import PublicStore

if TYPE_CHECKING:
    from bot.client import Tribune

log = logging.getLogger(__name__)

ARTICLE_CHANNEL_PERMISSIONS = (
    "view_channel",
    "send_messages",
    "embed_links",
    "create_public_threads",
    "send_messages_in_threads",
)
DIGEST_CHANNEL_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "attach_files")
LOG_CHANNEL_PERMISSIONS = ("view_channel", "send_messages", "embed_links")
AUDIT_PAGE_SIZE = 10
WEEKDAYS = range(7)


@cache
def all_timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def weekday_name(day: int, language: str) -> str:
    return t(f"weekday.{day}", language)


def settings_embed(settings: GuildSettings, language: str) -> discord.Embed:
    def channel(channel_id: int | None) -> str:
        return f"<#{channel_id}>" if channel_id else t("settings.none_current_channel", language)

    def onoff(value: bool) -> str:
        return t("settings.on" if value else "settings.off", language)

    embed = discord.Embed(title=t("settings.title", language), colour=discord.Colour(0x5865F2))
    rows = [
        ("settings.field.articles_channel", channel(settings.articles_channel_id)),
        ("settings.field.digest_channel", channel(settings.digest_channel_id)),
        (
            "settings.field.log_channel",
            f"<#{settings.log_channel_id}>" if settings.log_channel_id else t("settings.none", language),
        ),
        (
            "settings.field.moderator_role",
            f"<@&{settings.moderator_role_id}>"
            if settings.moderator_role_id
            else t("settings.manage_server_only", language),
        ),
        ("settings.field.language", t(f"language.{settings.language}", language)),
        ("settings.field.timezone", settings.timezone),
        (
            "settings.field.digest_schedule",
            t(
                "settings.schedule",
                language,
                day=weekday_name(settings.digest_weekday, language),
                hour=settings.digest_hour,
            ),
        ),
        ("settings.field.digest", onoff(settings.digest_enabled)),
        ("settings.field.digest_empty", onoff(settings.digest_empty_notice)),
        ("settings.field.poll_duration", format_duration(timedelta(seconds=settings.poll_duration_seconds), language)),
        ("settings.field.results_visibility", t(f"results_mode.{settings.results_visibility}", language)),
        ("settings.field.article_poll_mode", t(f"poll_mode.{settings.article_poll_mode}", language)),
    ]
    for key, value in rows:
        embed.add_field(name=t(key, language), value=value, inline=True)
    return embed


def audit_line(entry: AuditEntry, language: str) -> str:
    target = f" · {entry.target}" if entry.target else ""
    return t(
        "audit.line",
        language,
        when=f"<t:{int(entry.created_at.timestamp())}:f>",
        actor=f"<@{entry.actor_id}>",
        action=entry.action,
        target=target,
    )


class AuditPages(TribuneView):
    """◀ ▶ through the audit log, privately (short-lived, so an in-memory view is right)."""

    def __init__(self, bot: Tribune, guild_id: int, actor_id: int | None, language: str, total: int) -> None:
        super().__init__(timeout=300)
        self.bot, self.guild_id, self.actor_id, self.language = bot, guild_id, actor_id, language
        self.page, self.pages = 0, max(1, -(-total // AUDIT_PAGE_SIZE))
        self.previous.label = t("common.previous", language)
        self.next.label = t("common.next", language)
        self.sync_buttons()

    def sync_buttons(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1

    async def embed(self) -> discord.Embed:
        async with self.bot.db.read() as conn:
            entries = await AuditStore(conn).latest(
                self.guild_id, self.actor_id, limit=AUDIT_PAGE_SIZE, offset=self.page * AUDIT_PAGE_SIZE
            )
        lines = [audit_line(e, self.language) for e in entries] or [t("audit.empty", self.language)]
        embed = discord.Embed(title=t("audit.title", self.language), description=shorten("\n".join(lines), 4096))
        embed.set_footer(text=t("audit.page", self.language, page=self.page + 1, pages=self.pages))
        return embed

    @discord.ui.button(emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[Tribune], button: discord.ui.Button[Any]) -> None:
        self.page = max(0, self.page - 1)
        self.sync_buttons()
        await edit_response(interaction, embed=await self.embed(), view=self)

    @discord.ui.button(emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Tribune], button: discord.ui.Button[Any]) -> None:
        self.page = min(self.pages - 1, self.page + 1)
        self.sync_buttons()
        await edit_response(interaction, embed=await self.embed(), view=self)


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class SettingsCog(
    commands.GroupCog, name="SettingsCog", group_name="settings", group_description="Server settings (moderators)"
):
    """Per-server configuration; every command is for moderators and confirmed privately."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        super().__init__()

    async def change(self, interaction: discord.Interaction[Tribune], action: str, **changes: Any) -> GuildSettings:
        """Store the change, audit it, confirm it privately."""
        assert interaction.guild_id is not None
        async with self.bot.db.transaction() as conn:
            updated = await GuildSettingsStore(conn).update(interaction.guild_id, self.bot.now(), **changes)
            entry = await record_audit(
                conn, interaction, f"settings.{action}", None, **{k: str(v) for k, v in changes.items()}
            )
        announce(interaction, entry)
        language = member_language(interaction)
        await reply(interaction, t("settings.saved", language), embed=settings_embed(updated, language), ephemeral=True)
        return updated

    @app_commands.command(name="show", description="Show this server's Tribune settings")
    @moderator_only
    async def show(self, interaction: discord.Interaction[Tribune]) -> None:
        """Show this server's Tribune settings."""
        language = member_language(interaction)
        settings = await settings_of(interaction)
        await reply(interaction, embed=settings_embed(settings, language), ephemeral=True)

    @app_commands.command(name="articles-channel", description="Channel where articles are posted")
    @app_commands.describe(channel="The channel")
    @moderator_only
    async def articles_channel(self, interaction: discord.Interaction[Tribune], channel: discord.TextChannel) -> None:
        """Channel where articles are posted."""
        require_permissions(channel, ARTICLE_CHANNEL_PERMISSIONS, member_language(interaction))
        await self.change(interaction, "articles_channel", articles_channel_id=channel.id)

    @app_commands.command(name="digest-channel", description="Channel where the weekly digest is posted")
    @app_commands.describe(channel="The channel")
    @moderator_only
    async def digest_channel(self, interaction: discord.Interaction[Tribune], channel: discord.TextChannel) -> None:
        """Channel where the weekly digest is posted."""
        require_permissions(channel, DIGEST_CHANNEL_PERMISSIONS, member_language(interaction))
        await self.change(interaction, "digest_channel", digest_channel_id=channel.id)

    @app_commands.command(name="log-channel", description="Channel that receives every moderator action (empty: none)")
    @app_commands.describe(channel="The channel; leave empty to stop logging")
    @moderator_only
    async def log_channel(
        self, interaction: discord.Interaction[Tribune], channel: discord.TextChannel | None = None
    ) -> None:
        """Channel that receives every moderator action (empty: none)."""
        if channel is not None:
            require_permissions(channel, LOG_CHANNEL_PERMISSIONS, member_language(interaction))
        await self.change(interaction, "log_channel", log_channel_id=channel.id if channel else None)

    @app_commands.command(name="moderator-role", description="Role whose members may use moderator commands")
    @app_commands.describe(role="The role; leave empty to rely on Manage Server only")
    @moderator_only
    async def moderator_role(self, interaction: discord.Interaction[Tribune], role: discord.Role | None = None) -> None:
        """Role whose members may use moderator commands."""
        if role is not None and role.is_default():
            raise UserFacingError("settings.role_everyone")
        await self.change(interaction, "moderator_role", moderator_role_id=role.id if role else None)

    @app_commands.command(name="language", description="Language of everything Tribune posts publicly")
    @app_commands.describe(language="French or English")
    @app_commands.choices(
        language=[app_commands.Choice(name="Français", value="fr"), app_commands.Choice(name="English", value="en")]
    )
    @moderator_only
    async def language(self, interaction: discord.Interaction[Tribune], language: app_commands.Choice[str]) -> None:
        """Language of everything Tribune posts publicly."""
        await self.change(interaction, "language", language=language.value)

    @app_commands.command(name="timezone", description="Time zone for deadlines and the digest")
    @app_commands.describe(name="An IANA time zone, e.g. Europe/Paris")
    @moderator_only
    async def timezone(self, interaction: discord.Interaction[Tribune], name: str) -> None:
        """Time zone for deadlines and the digest."""
        name = name.strip()
        if name not in all_timezones():
            raise UserFacingError("settings.timezone_unknown", name=name)
        await self.change(interaction, "timezone", timezone=name)

    @timezone.autocomplete("name")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[Tribune], current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.strip().lower().replace(" ", "_")
        found = [tz for tz in all_timezones() if needle in tz.lower()]
        found.sort(key=lambda tz: (not tz.lower().startswith(needle), not tz.startswith("Europe/"), tz))
        return [app_commands.Choice(name=tz, value=tz) for tz in found[:CHOICES_MAX]]

    @app_commands.command(name="digest-schedule", description="Day and hour of the weekly digest")
    @app_commands.describe(day="Day of the week", hour="Hour (0–23), in the server's time zone")
    @app_commands.choices(
        day=[
            app_commands.Choice(name=name, value=i)
            for i, name in enumerate(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])
        ]
    )
    @moderator_only
    async def digest_schedule(
        self,
        interaction: discord.Interaction[Tribune],
        day: app_commands.Choice[int],
        hour: app_commands.Range[int, 0, 23],
    ) -> None:
        """Day and hour of the weekly digest."""
        await self.change(interaction, "digest_schedule", digest_weekday=day.value, digest_hour=hour)

    @app_commands.command(name="poll-duration", description="Default duration of new polls")
    @app_commands.describe(duration="12h, 3d, 1w… (between 1 hour and 32 days)")
    @moderator_only
    async def poll_duration(self, interaction: discord.Interaction[Tribune], duration: str) -> None:
        """Default duration of new polls."""
        span = parse_poll_duration(duration)
        await self.change(interaction, "poll_duration", poll_duration_seconds=int(span.total_seconds()))

    @app_commands.command(name="results-visibility", description="Who sees the counts of new polls, and when")
    @app_commands.describe(mode="live, after_vote, after_close or moderators (article polls too)")
    @app_commands.choices(
        mode=[app_commands.Choice(name=RESULTS_MODE_NAMES[mode], value=mode) for mode in RESULTS_MODES]
    )
    @moderator_only
    async def results_visibility(
        self, interaction: discord.Interaction[Tribune], mode: app_commands.Choice[str]
    ) -> None:
        """Who sees the counts of new polls, and when."""
        await self.change(interaction, "results_visibility", results_visibility=mode.value)

    @app_commands.command(name="article-poll-mode", description="Article polls as buttons or as Discord's native polls")
    @app_commands.describe(mode="buttons (anonymous by default) or native (Discord shows who voted)")
    @app_commands.choices(
        mode=[app_commands.Choice(name="buttons", value="buttons"), app_commands.Choice(name="native", value="native")]
    )
    @moderator_only
    async def article_poll_mode(
        self, interaction: discord.Interaction[Tribune], mode: app_commands.Choice[str]
    ) -> None:
        """Article polls as buttons or as Discord's native polls."""
        await self.change(interaction, "article_poll_mode", article_poll_mode=mode.value)

    @app_commands.command(name="digest", description="Turn the weekly digest on or off")
    @app_commands.describe(state="on or off", empty_week="On a week without debate: a short notice, or nothing")
    @app_commands.choices(
        state=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")],
        empty_week=[
            app_commands.Choice(name="notice", value="notice"),
            app_commands.Choice(name="silent", value="silent"),
        ],
    )
    @moderator_only
    async def digest(
        self,
        interaction: discord.Interaction[Tribune],
        state: app_commands.Choice[str],
        empty_week: app_commands.Choice[str] | None = None,
    ) -> None:
        """Turn the weekly digest on or off."""
        changes: dict[str, Any] = {"digest_enabled": state.value == "on"}
        if empty_week is not None:
            changes["digest_empty_notice"] = empty_week.value == "notice"
        await self.change(interaction, "digest", **changes)

    @app_commands.command(name="publish-results", description="Let moderators publish poll results on the web")
    @app_commands.describe(
        state="on or off (off: every published page and JSON answers 404)",
        opinions="Also show the most useful opinions on article pages",
        origins="Sites allowed to embed the results, e.g. https://www.journal.fr (space-separated; - for none)",
    )
    @app_commands.choices(
        state=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
    )
    @moderator_only
    async def publish_results(
        self,
        interaction: discord.Interaction[Tribune],
        state: app_commands.Choice[str],
        opinions: bool | None = None,
        origins: str | None = None,
    ) -> None:
        """Let moderators publish poll results on the web."""
        assert interaction.guild_id is not None
        language = member_language(interaction)
        async with self.bot.db.transaction() as conn:
            store = PublicStore(conn)
            current = await store.settings(interaction.guild_id)
            allowed = current.embed_origins
            if origins is not None:
                try:
                    allowed = () if origins.strip() == "-" else tuple(origins_of(origins))
                except ValueError as exc:
                    raise UserFacingError("web.origin_invalid", origin=shorten(str(exc), 100)) from exc
            updated = await store.save_settings(
                replace(
                    current,
                    enabled=state.value == "on",
                    show_opinions=current.show_opinions if opinions is None else opinions,
                    embed_origins=allowed,
                ),
                self.bot.now(),
            )
            entry = await record_audit(
                conn,
                interaction,
                "settings.publish_results",
                None,
                enabled=str(updated.enabled),
                opinions=str(updated.show_opinions),
                origins=" ".join(updated.embed_origins),
            )
        announce(interaction, entry)
        if self.bot.web is not None:
            self.bot.web.invalidate()  # its cache must not outlive a decision to stop publishing

        def onoff(value: bool) -> str:
            return t("settings.on" if value else "settings.off", language)

        await reply(
            interaction,
            t(
                "web.settings_saved",
                language,
                state=onoff(updated.enabled),
                opinions=onoff(updated.show_opinions),
                origins=" ".join(updated.embed_origins) or t("web.origins_none", language),
            ),
            ephemeral=True,
        )

    @app_commands.command(name="audit", description="Latest moderator actions")
    @app_commands.describe(member="Only this moderator's actions")
    @moderator_only
    async def audit_log(self, interaction: discord.Interaction[Tribune], member: discord.Member | None = None) -> None:
        """Latest moderator actions."""
        assert interaction.guild_id is not None
        language = member_language(interaction)
        actor = member.id if member else None
        async with self.bot.db.read() as conn:
            total = await AuditStore(conn).count(interaction.guild_id, actor)
        pages = AuditPages(self.bot, interaction.guild_id, actor, language, total)
        await reply(interaction, embed=await pages.embed(), view=pages, ephemeral=True)

    @commands.Cog.listener()
    async def on_tribune_audit(self, entry: AuditEntry) -> None:
        """Mirror each moderator action to the server's log channel, when it has one."""
        if self.bot.is_closed():
            return  # shutting down: the action is in the audit table, the mirror is best effort
        try:
            async with self.bot.db.read() as conn:
                settings = await GuildSettingsStore(conn).get(entry.guild_id)
        except (DatabaseError, ValueError):  # the store closed under us during shutdown
            return
        if settings.log_channel_id is None:
            return
        try:
            await send(
                self.bot.get_partial_messageable(settings.log_channel_id),
                audit_line(entry, settings.language),
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException:
            log.warning("Could not post to the log channel %s of guild %s", settings.log_channel_id, entry.guild_id)


async def setup(bot: Tribune) -> None:
    await bot.add_cog(SettingsCog(bot))
