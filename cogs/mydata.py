"""`/mydata export` and `/mydata delete`: each member's data on a server, under their control."""

from __future__ import annotations

import io
import json
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.i18n import t
from bot.outgoing import edit_original, edit_response, reply
from bot.polls.voting import voter_key
from cogs.common import member_language
from cogs.components import TribuneView
from db.articles import ArticleStore
from db.audit import AuditStore
from db.opinions import OpinionStore
from db.polls import PollStore

if TYPE_CHECKING:
    from bot.client import Tribune

log = logging.getLogger(__name__)


class DeleteConfirmation(TribuneView):
    """A last confirmation before everything goes (short-lived: an in-memory view is right)."""

    def __init__(self, cog: MyDataCog, language: str) -> None:
        super().__init__(timeout=120)
        self.cog = cog
        self.confirm.label = t("mydata.delete_confirm_button", language)
        self.cancel.label = t("common.cancel", language)

    @discord.ui.button(style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction[Tribune], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await edit_response(interaction, content=t("mydata.deleting", member_language(interaction)), view=None)
        counts = await self.cog.delete_member_data(interaction.guild_id or 0, interaction.user.id)
        await edit_original(interaction, content=t("mydata.deleted", member_language(interaction), **counts))

    @discord.ui.button(style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Tribune], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await edit_response(interaction, content=t("common.cancelled", member_language(interaction)), view=None)


@app_commands.guild_only()
class MyDataCog(commands.GroupCog, name="MyDataCog", group_name="mydata", group_description="Your data on this server"):
    """Export or delete what Tribune stores about you on this server."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        super().__init__()

    async def vote_keys(self, guild_id: int, member_id: int) -> list[tuple[int, str]]:
        """The member's voter key on every poll of the server (their id, or the keyed hash if anonymous)."""
        async with self.bot.db.read() as conn:
            polls = await PollStore(conn).poll_keys_of_guild(guild_id)
        return [(poll_id, voter_key(self.bot.secret, poll_id, member_id, anonymous)) for poll_id, anonymous in polls]

    async def export_data(self, guild_id: int, member_id: int) -> dict[str, Any]:
        """Everything stored about the member on this server, as JSON-ready data."""
        keys = await self.vote_keys(guild_id, member_id)
        async with self.bot.db.read() as conn:
            votes = await PollStore(conn).votes_of(keys)
            opinions = await OpinionStore(conn).of_member_in_guild(guild_id, member_id)
            marks = await OpinionStore(conn).marks_of_member_in_guild(guild_id, member_id)
            titles = {}
            for opinion in opinions:
                article = await ArticleStore(conn).get(opinion.article_id)
                titles[opinion.article_id] = article.title if article else None
        return {
            "server_id": str(guild_id),
            "member_id": str(member_id),
            "exported_at": self.bot.now().isoformat(),
            "votes": [
                {
                    "poll_id": pid,
                    "question": question,
                    "anonymous_poll": anonymous,
                    "answer": label,
                    "voted_at": when.isoformat(),
                }
                for pid, question, anonymous, _, label, when in votes
            ],
            "opinions": [
                {
                    "id": o.id,
                    "article_id": o.article_id,
                    "article_title": titles.get(o.article_id),
                    "text": o.text,
                    "created_at": o.created_at.isoformat(),
                    "updated_at": o.updated_at.isoformat(),
                    "hidden": o.hidden,
                    "useful_marks_received": o.useful,
                }
                for o in opinions
            ],
            "useful_marks_given": [{"opinion_id": oid, "marked_at": when.isoformat()} for oid, when in marks],
        }

    async def delete_member_data(self, guild_id: int, member_id: int) -> dict[str, int]:
        """Remove the member's votes, opinions (with their thread messages) and marks; tallies are re-rendered."""
        keys = await self.vote_keys(guild_id, member_id)
        async with self.bot.db.read() as conn:
            held = await PollStore(conn).votes_of(keys)
            opinions = await OpinionStore(conn).of_member_in_guild(guild_id, member_id)
        touched_polls = sorted({pid for pid, *_ in held})
        async with self.bot.db.transaction() as conn:
            store = PollStore(conn)
            by_poll = dict(keys)
            for poll_id in touched_polls:
                await store.delete_voter(poll_id, by_poll[poll_id])
                await store.mark_render_pending(poll_id)
            marked = await OpinionStore(conn).delete_marks_of_member_in_guild(guild_id, member_id)
            # The audit keeps only that a deletion happened, not what was deleted.
            await AuditStore(conn).record(guild_id, member_id, "mydata.delete", self.bot.now())
        for poll_id in touched_polls:
            self.bot.polls.request_render(poll_id)
        for opinion in opinions:
            await self.bot.opinions.remove(opinion)
        for opinion_id in marked:
            self.bot.opinions.edits.request(opinion_id, 0)
        return {"votes": len(held), "opinions": len(opinions), "marks": len(marked)}

    @app_commands.command(name="export", description="Download everything Tribune stores about you on this server")
    async def export(self, interaction: discord.Interaction[Tribune]) -> None:
        """Download everything Tribune stores about you on this server."""
        language = member_language(interaction)
        data = await self.export_data(interaction.guild_id or 0, interaction.user.id)
        payload = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        await reply(
            interaction,
            t("mydata.exported", language),
            file=discord.File(io.BytesIO(payload), filename="mes-donnees-tribune.json"),
            ephemeral=True,
        )

    @app_commands.command(name="delete", description="Delete your votes, opinions and useful marks on this server")
    async def delete(self, interaction: discord.Interaction[Tribune]) -> None:
        """Delete your votes, opinions and useful marks on this server."""
        language = member_language(interaction)
        await reply(
            interaction, t("mydata.delete_confirm", language), view=DeleteConfirmation(self, language), ephemeral=True
        )


async def setup(bot: Tribune) -> None:
    await bot.add_cog(MyDataCog(bot))
