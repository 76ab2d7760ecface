"""Each member's data on a server, under their control: what `/mydata export` hands over and `/mydata delete` removes.

Part of the shell: it reads and deletes across features (votes, opinions, marks) and asks the poll and opinion
services to update the messages that showed them. The bot builds it in `setup_hook` (`bot.mydata`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.polls.voting import voter_key
from db.articles import ArticleStore
from db.audit import AuditStore
from db.opinions import OpinionStore
from db.polls import PollStore

if TYPE_CHECKING:
    from bot.client import Tribune


class MemberDataService:
    """Export or delete what Tribune stores about one member on one server."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot

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
