"""`/poll …`: the commands of the polls feature (the feature itself is `bot.polls`, a `PollService`)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.articles.questions import parse_answers, validate_poll_question, yes_no_scale
from bot.errors import UserFacingError
from bot.i18n import t
from bot.outgoing import edit_response, reply
from bot.polls.durations import parse_poll_duration
from bot.polls.export import results_csv
from bot.polls.native import check_native_poll
from bot.polls.visibility import RESULTS_MODE_NAMES, RESULTS_MODES
from bot.text import CHOICE_NAME_MAX, CHOICES_MAX, EMBED_DESCRIPTION_MAX, shorten
from cogs.common import (
    announce,
    audit,
    member_language,
    moderator_only,
    record_audit,
    require_permissions,
    settings_of,
)
from cogs.components import TribuneView
from cogs.polls.publish import publish_poll, unpublish_poll
from cogs.polls.views import DYNAMIC_ITEMS
from db.polls import NewPoll, Poll, PollOption, PollStore

if TYPE_CHECKING:
    from bot.client import Tribune

POST_PERMISSIONS = ("view_channel", "send_messages", "embed_links")
MODE_CHOICES = [
    app_commands.Choice(name="buttons", value="buttons"),
    app_commands.Choice(name="native", value="native"),
]
RESULTS_CHOICES = [app_commands.Choice(name=RESULTS_MODE_NAMES[mode], value=mode) for mode in RESULTS_MODES]


class DeleteConfirmation(TribuneView):
    """An ephemeral yes/no before a poll is deleted (short-lived, so an in-memory view is right)."""

    def __init__(self, cog: PollsCog, poll: Poll, language: str) -> None:
        super().__init__(timeout=120)
        self.cog, self.poll = cog, poll
        self.confirm.label = t("poll.delete_confirm_button", language)
        self.cancel.label = t("common.cancel", language)

    @discord.ui.button(style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction[Tribune], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await self.cog.delete_poll(interaction, self.poll)

    @discord.ui.button(style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Tribune], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await edit_response(interaction, content=t("common.cancelled", member_language(interaction)), view=None)


class PollsCog(
    commands.GroupCog, name="PollsCog", group_name="poll", group_description="Polls: create, results, close"
):
    """Polls with one-click votes, coalesced live tallies and deadlines that hold across restarts."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    # --- commands --------------------------------------------------------------------------------------

    async def poll_autocomplete(
        self, interaction: discord.Interaction[Tribune], current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        async with self.bot.db.read() as conn:
            found = await PollStore(conn).search(interaction.guild_id, current.strip(), limit=CHOICES_MAX)
        language = member_language(interaction)
        return [
            app_commands.Choice(
                name=shorten(f"#{pid} · {question} ({t('poll.status.' + status, language)})", CHOICE_NAME_MAX),
                value=pid,
            )
            for pid, question, status in found
        ]

    @app_commands.command(name="create", description="Create a button poll (moderators)")
    @app_commands.describe(
        question="The question (300 characters at most)",
        answers="Answers separated by ; (default: Oui / Plutôt oui / Plutôt non / Non / Sans avis)",
        duration="How long it stays open: 12h, 3d, 1w (default: the server's setting)",
        multiple="Members may choose several answers",
        anonymous="Only counts are shown, never who voted (default: yes)",
        role="Only members with this role may vote",
        channel="Where to post it (default: this channel)",
        results="Who sees the counts, and when (default: the server's setting)",
        mode="Tribune's buttons, or Discord's native poll (public voters, whole hours)",
    )
    @app_commands.choices(results=RESULTS_CHOICES, mode=MODE_CHOICES)
    @app_commands.guild_only()
    @moderator_only
    async def create(
        self,
        interaction: discord.Interaction[Tribune],
        question: app_commands.Range[str, 1, 300],
        answers: str | None = None,
        duration: str | None = None,
        multiple: bool = False,
        anonymous: bool | None = None,
        role: discord.Role | None = None,
        channel: discord.TextChannel | None = None,
        results: app_commands.Choice[str] | None = None,
        mode: app_commands.Choice[str] | None = None,
    ) -> None:
        """Create a button poll (moderators)."""
        language = member_language(interaction)
        settings = await settings_of(interaction)
        text = validate_poll_question(question)
        if answers:
            labels, scores, kind = parse_answers(answers), None, "choice"
        else:
            labels, scores = yes_no_scale(settings.language)
            kind = "scale"
        span = parse_poll_duration(duration) if duration else timedelta(seconds=settings.poll_duration_seconds)
        native = mode is not None and mode.value == "native"
        visibility = results.value if results else settings.results_visibility
        secret = not native if anonymous is None else anonymous  # a native poll is public unless asked otherwise
        if native:
            if role is not None:  # Discord lets every member who sees the channel vote
                raise UserFacingError("native.role")
            check_native_poll(text, labels, span, anonymous=secret, results_visibility=visibility)
        target = channel or interaction.channel
        if not isinstance(target, discord.TextChannel | discord.Thread):
            raise UserFacingError("poll.channel_invalid")
        require_permissions(target, (*POST_PERMISSIONS, "send_polls") if native else POST_PERMISSIONS, language)
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.now()
        options = [PollOption(i, label, scores[i] if scores else None) for i, label in enumerate(labels)]
        new = NewPoll(
            guild_id=interaction.guild_id or 0,
            question=text,
            kind=kind,
            options=options,
            created_by=interaction.user.id,
            created_at=now,
            closes_at=now + span,
            multiple=multiple,
            anonymous=secret,
            role_id=role.id if role else None,
            channel_id=target.id,
            results_visibility=visibility,
            mode="native" if native else "buttons",
        )
        poll, message = await self.bot.polls.post_poll(target, new)
        await audit(interaction, "poll.create", f"poll:{poll.id}", question=text, results=new.results_visibility)
        await reply(interaction, t("poll.created", language, link=message.jump_url), ephemeral=True)

    @app_commands.command(name="results", description="See a poll's results with a chart")
    @app_commands.describe(poll="The poll")
    @app_commands.autocomplete(poll=poll_autocomplete)
    @app_commands.guild_only()
    async def results(self, interaction: discord.Interaction[Tribune], poll: int) -> None:
        """See a poll's results with a chart."""
        await self.bot.polls.send_results(interaction, poll)

    @app_commands.command(name="close", description="Close a poll now (moderators)")
    @app_commands.describe(poll="The poll")
    @app_commands.autocomplete(poll=poll_autocomplete)
    @app_commands.guild_only()
    @moderator_only
    async def close_command(self, interaction: discord.Interaction[Tribune], poll: int) -> None:
        """Close a poll now (moderators)."""
        language = member_language(interaction)
        target = await self.bot.polls.poll_of_guild(interaction, poll)
        if not await self.bot.polls.close(target.id):
            raise UserFacingError("poll.already_closed", poll=poll)
        await audit(interaction, "poll.close", f"poll:{poll}")
        await reply(interaction, t("poll.closed_done", language, poll=poll), ephemeral=True)

    @app_commands.command(name="reopen", description="Reopen a closed poll (moderators)")
    @app_commands.describe(
        poll="The poll", duration="How long it stays open: 12h, 3d, 1w (default: the server's setting)"
    )
    @app_commands.autocomplete(poll=poll_autocomplete)
    @app_commands.guild_only()
    @moderator_only
    async def reopen(self, interaction: discord.Interaction[Tribune], poll: int, duration: str | None = None) -> None:
        """Reopen a closed poll (moderators)."""
        language = member_language(interaction)
        target = await self.bot.polls.poll_of_guild(interaction, poll)
        if target.mode == "native":
            raise UserFacingError("native.reopen")  # an ended Discord poll cannot be opened again
        settings = await settings_of(interaction)
        span = parse_poll_duration(duration) if duration else timedelta(seconds=settings.poll_duration_seconds)
        async with self.bot.db.transaction() as conn:
            if not await PollStore(conn).reopen(target.id, self.bot.now() + span):
                raise UserFacingError("poll.not_closed", poll=poll)
            entry = await record_audit(
                conn, interaction, "poll.reopen", f"poll:{poll}", seconds=int(span.total_seconds())
            )
        announce(interaction, entry)
        self.bot.polls.request_render(target)
        await reply(interaction, t("poll.reopened", language, poll=poll), ephemeral=True)

    @app_commands.command(name="visibility", description="Change who sees a poll's counts, and when (moderators)")
    @app_commands.describe(poll="The poll", mode="live, after_vote, after_close or moderators")
    @app_commands.choices(mode=RESULTS_CHOICES)
    @app_commands.autocomplete(poll=poll_autocomplete)
    @app_commands.guild_only()
    @moderator_only
    async def visibility(
        self, interaction: discord.Interaction[Tribune], poll: int, mode: app_commands.Choice[str]
    ) -> None:
        """Change who sees a poll's counts, and when (moderators)."""
        language = member_language(interaction)
        target = await self.bot.polls.poll_of_guild(interaction, poll)
        if target.mode == "native" and mode.value == "after_vote":
            raise UserFacingError("native.after_vote")
        async with self.bot.db.transaction() as conn:
            previous = await PollStore(conn).set_results_visibility(target.id, mode.value)
            if previous is None:
                raise UserFacingError("poll.not_found", poll=poll)
            # The audit keeps both modes: members may ask why counts appeared or vanished.
            entry = await record_audit(
                conn, interaction, "poll.visibility", f"poll:{poll}", previous=previous, mode=mode.value
            )
        announce(interaction, entry)
        self.bot.polls.request_render(target)
        await reply(
            interaction,
            t("poll.visibility_changed", language, poll=poll, mode=t(f"results_mode.{mode.value}", language)),
            ephemeral=True,
        )

    @app_commands.command(name="reveal", description="Show a poll's results to everyone (moderators)")
    @app_commands.describe(poll="The poll")
    @app_commands.autocomplete(poll=poll_autocomplete)
    @app_commands.guild_only()
    @moderator_only
    async def reveal(self, interaction: discord.Interaction[Tribune], poll: int) -> None:
        """Show a poll's results to everyone (moderators)."""
        language = member_language(interaction)
        target = await self.bot.polls.poll_of_guild(interaction, poll)
        async with self.bot.db.transaction() as conn:
            if not await PollStore(conn).publish_results(target.id):
                raise UserFacingError("poll.already_published", poll=poll)
            entry = await record_audit(conn, interaction, "poll.reveal", f"poll:{poll}")
        announce(interaction, entry)
        self.bot.polls.request_render(target)
        await reply(interaction, t("poll.published", language, poll=poll), ephemeral=True)

    @app_commands.command(name="delete", description="Delete a poll and its message (moderators)")
    @app_commands.describe(poll="The poll")
    @app_commands.autocomplete(poll=poll_autocomplete)
    @app_commands.guild_only()
    @moderator_only
    async def delete(self, interaction: discord.Interaction[Tribune], poll: int) -> None:
        """Delete a poll and its message (moderators)."""
        language = member_language(interaction)
        target = await self.bot.polls.poll_of_guild(interaction, poll)
        await reply(
            interaction,
            t("poll.delete_confirm", language, question=shorten(target.question, 200)),
            view=DeleteConfirmation(self, target, language),
            ephemeral=True,
        )

    async def delete_poll(self, interaction: discord.Interaction[Tribune], poll: Poll) -> None:
        language = member_language(interaction)
        await self.bot.polls.delete(poll)
        await audit(interaction, "poll.delete", f"poll:{poll.id}", question=poll.question)
        await edit_response(interaction, content=t("poll.deleted", language, poll=poll.id), view=None)

    @app_commands.command(name="export", description="Export a poll's results as CSV (moderators)")
    @app_commands.describe(poll="The poll")
    @app_commands.autocomplete(poll=poll_autocomplete)
    @app_commands.guild_only()
    @moderator_only
    async def export(self, interaction: discord.Interaction[Tribune], poll: int) -> None:
        """Export a poll's results as CSV (moderators)."""
        language = member_language(interaction)
        target = await self.bot.polls.poll_of_guild(interaction, poll)
        snapshot = await self.bot.polls.snapshot(target.id)
        if snapshot is None:
            raise UserFacingError("poll.not_found", poll=poll)
        votes = None
        if not target.anonymous:  # the voters of an anonymous poll are never revealed
            async with self.bot.db.read() as conn:
                stored = await PollStore(conn).votes(target.id)
            labels = {o.position: o.label for o in target.options}
            votes = [(v.voter, labels.get(v.position, "?"), v.voted_at) for v in stored]
        headers = {
            key: t(f"export.{key}", language)
            for key in ("question", "voters", "answer", "count", "percent", "member", "time")
        }
        data = results_csv(target.question, snapshot.tally, votes, headers)
        await audit(interaction, "poll.export", f"poll:{poll}")
        await reply(
            interaction,
            t("poll.exported", language, poll=poll),
            file=discord.File(io.BytesIO(data), filename=f"sondage-{poll}.csv"),
            ephemeral=True,
        )

    @app_commands.command(name="list", description="List the server's polls (moderators)")
    @app_commands.describe(status="Only open or only closed polls")
    @app_commands.choices(
        status=[app_commands.Choice(name="open", value="open"), app_commands.Choice(name="closed", value="closed")]
    )
    @app_commands.guild_only()
    @moderator_only
    async def list_polls(
        self, interaction: discord.Interaction[Tribune], status: app_commands.Choice[str] | None = None
    ) -> None:
        """List the server's polls (moderators)."""
        language = member_language(interaction)
        async with self.bot.db.read() as conn:
            polls = await PollStore(conn).list_for_guild(interaction.guild_id or 0, status.value if status else None)
        if not polls:
            await reply(interaction, t("poll.list_empty", language), ephemeral=True)
            return
        lines = [
            t(
                "poll.list_line",
                language,
                poll=p.id,
                question=shorten(p.question, 80),
                status=t(f"poll.status.{p.status}", language),
                when=f"<t:{int((p.closed_at or p.closes_at).timestamp())}:R>",
            )
            for p in polls
        ]
        embed = discord.Embed(
            title=t("poll.list_title", language), description=shorten("\n".join(lines), EMBED_DESCRIPTION_MAX)
        )
        await reply(interaction, embed=embed, ephemeral=True)

    @app_commands.command(name="publish", description="Publish a poll's live results on the web (moderators)")
    @app_commands.describe(poll="The poll", state="on: publish it (default); off: withdraw it from the web")
    @app_commands.choices(
        state=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
    )
    @app_commands.autocomplete(poll=poll_autocomplete)
    @app_commands.guild_only()
    @moderator_only
    async def publish(
        self, interaction: discord.Interaction[Tribune], poll: int, state: app_commands.Choice[str] | None = None
    ) -> None:
        """Publish a poll's live results on the web (moderators)."""
        target = await self.bot.polls.poll_of_guild(interaction, poll)
        if state is not None and state.value == "off":
            text = await unpublish_poll(interaction, self.bot, target)
        else:
            text = await publish_poll(interaction, self.bot, target)
        await reply(interaction, text, ephemeral=True, suppress_embeds=True)
