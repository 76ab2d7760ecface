"""Polls as a feature: the vote path, live tallies, deadlines, native polls, final results and posting.

Discord-aware but without commands: the bot builds it in `setup_hook` (`bot.polls`), and the `/poll` commands,
the vote buttons, the article publisher and `/mydata` call it directly.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord.ext import tasks

from bot.charts import BarGroup, bar_chart_png
from bot.delivery import marker, new_token, nonce
from bot.digest.arguments import Argument
from bot.digest.render import arguments_text
from bot.edits import EditCoalescer, RetryLater
from bot.errors import UserFacingError
from bot.i18n import language_of, t
from bot.outgoing import edit, reply, reply_to_click, send
from bot.polls.card import ArticleCard, PollCard, debated_questions
from bot.polls.native import position_of
from bot.polls.tally import Tally, compute_tally, render_tally
from bot.polls.visibility import Audience, Shown, results_shown
from bot.polls.voting import voter_key
from bot.services.digest_reads import poll_arguments
from bot.services.recorder import VoteOutcome, VoteRecorder, VoteRequest
from bot.text import (
    DISCORD_OLD_MESSAGE_EDIT_QUOTA,
    DISCORD_UNKNOWN_MESSAGE,
    EMBED_DESCRIPTION_MAX,
    EMBED_TITLE_MAX,
    discord_len,
    shorten,
)
from cogs.common import NO_MENTIONS, is_moderator_member, member_language, settings_of
from cogs.components import component_id
from cogs.delivery import find_claimed_posts, footers_carry
from cogs.opinions.views import OpinionButton
from cogs.polls.views import VoteButton, message_embeds, message_view, results_block
from db.articles import Article, ArticleStore, NewArticle
from db.guild_settings import GuildSettingsStore
from db.polls import CLOSE_CLAIM_SECONDS, NewPoll, Poll, PollStore

if TYPE_CHECKING:
    from bot.client import Tribune

log = logging.getLogger(__name__)

CLOSE_LOOP_SECONDS = 30.0
VOTERS_LIMIT = 10**9  # no cap: voters are read 100 a page until Discord returns an empty page
RESULTS_RETRY_WINDOW = timedelta(hours=24)  # final results still owed after this are not posted any more


@dataclass(frozen=True)
class PollSnapshot:
    """Everything a poll message shows, read from the store in one go."""

    poll: Poll
    tally: Tally
    article: Article | None
    language: str
    # Every poll of the article's message, this one included, when it carries more than one.
    siblings: tuple[tuple[Poll, Tally], ...] = ()

    @property
    def card(self) -> PollCard:
        return poll_card(self.poll, self.tally)


def poll_card(poll: Poll, tally: Tally) -> PollCard:
    """The card of a stored poll (a preview's come from specs: `PollCard.from_spec`)."""
    return PollCard(
        question=poll.question,
        answers=tuple((option.position, option.label) for option in poll.options),
        tally=tally,
        closes_at=poll.closes_at,
        poll_id=poll.id,
        closed=poll.status != "open",
        anonymous=poll.anonymous,
        multiple=poll.multiple,
        native=poll.mode == "native",
        results_visibility=poll.results_visibility,
        results_published=poll.results_published,
    )


def article_card(article: Article | NewArticle) -> ArticleCard:
    """The card of a stored article (or of one about to be stored, for a preview)."""
    return ArticleCard(
        title=article.title,
        summary=article.summary,
        url=article.url,
        source=tuple(part for part in (article.site_name, article.author) if part),
        published_at=article.published_at,
        image_url=article.image_url,
        debated=debated_questions(article.questions or ()),
        keywords=tuple(article.keywords or ()),
        article_id=article.id if isinstance(article, Article) else None,
    )


def article_extras(card: ArticleCard | None, language: str) -> list[discord.ui.Item[Any]]:
    """What an article's post carries beside its polls: 💬 Donner mon avis (a plain poll has no prompt)."""
    if card is None or card.article_id is None:
        return []
    return [OpinionButton(card.article_id, t("opinion.button", language))]


def poll_message_parts(
    polls: Sequence[PollCard], article: ArticleCard | None, language: str
) -> tuple[list[discord.Embed], discord.ui.View]:
    """Embeds and buttons of a poll message, the 💬 of an article's post composed in."""
    return message_embeds(polls, article, language), message_view(polls, language, article_extras(article, language))


def vote_click(data: dict[str, Any]) -> tuple[int, int] | None:
    """(poll id, answer) when an INTERACTION_CREATE payload is a member's click on a vote button, else None."""
    if data.get("type") != 3 or "guild_id" not in data or "member" not in data:
        return None
    component = data.get("data") or {}
    if component.get("component_type") != 2:
        return None
    match = VoteButton.__discord_ui_compiled_template__.fullmatch(str(component.get("custom_id", "")))
    if match is None:
        return None
    return component_id(match["poll"]), component_id(match["option"])


class PollService:
    """Polls with one-click votes, coalesced live tallies and deadlines that hold across restarts."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        self.recorder = VoteRecorder(bot.db, bot.secret, bot.now)
        self.edits = EditCoalescer(
            self._apply_render, interval=bot.tally_edit_interval, first_retry=bot.edit_retry_seconds
        )
        self.delivering: set[int] = set()  # polls whose final results this process is posting now
        self.close_runs = 0  # completed passes of the deadline loop (tests wait on it instead of sleeping)
        self._slow_parse: Callable[[dict[str, Any]], None] | None = None  # discord.py's INTERACTION_CREATE parser
        self._fast_votes: set[asyncio.Task[None]] = set()
        self.fast_lane_clicks = 0  # vote clicks taken from the raw gateway payload (see `fast_vote`)

    async def start(self) -> None:
        """The vote writer, the native-vote listeners and the deadline loop."""
        self.recorder.start()
        self.install_fast_lane()
        self.bot.add_listener(self.on_raw_poll_vote_add)
        self.bot.add_listener(self.on_raw_poll_vote_remove)
        self.close_due_polls_loop.change_interval(seconds=self.bot.close_loop_seconds)
        self.close_due_polls_loop.start()

    async def stop(self) -> None:
        """Stop the loop, flush the votes and the pending edits."""
        self.close_due_polls_loop.cancel()
        self.remove_fast_lane()
        await asyncio.gather(*self._fast_votes, return_exceptions=True)
        self.bot.remove_listener(self.on_raw_poll_vote_add)
        self.bot.remove_listener(self.on_raw_poll_vote_remove)
        await self.recorder.stop()
        await self.edits.close()

    # --- rendering -------------------------------------------------------------------------------------

    async def snapshot(self, poll_id: int, together: Sequence[int] = ()) -> PollSnapshot | None:
        """The poll as its message shows it. An article's post may carry several polls: they are read from
        the message (or given in ``together``, in order, before the message exists)."""
        async with self.bot.db.read() as conn:
            store = PollStore(conn)
            poll = await store.get(poll_id)
            if poll is None:
                return None
            counts = await store.counts(poll_id)
            article = await ArticleStore(conn).get(poll.article_id) if poll.article_id else None
            settings = await GuildSettingsStore(conn).get(poll.guild_id)
            carried: list[Poll] = []
            if together:
                carried = [p for p in [await store.get(i) for i in together] if p is not None]
            elif article is not None and poll.message_id is not None:
                carried = await store.of_message(poll.message_id)
            siblings: list[tuple[Poll, Tally]] = []
            if len(carried) > 1:
                for other in carried:
                    other_counts = await store.counts(other.id)
                    siblings.append((other, compute_tally(other.options, other_counts.per_option, other_counts.voters)))
        tally = compute_tally(poll.options, counts.per_option, counts.voters)
        return PollSnapshot(poll, tally, article, settings.language, tuple(siblings))

    def message_parts(self, snapshot: PollSnapshot) -> tuple[list[discord.Embed], discord.ui.View]:
        """The poll's message as it should look now: every poll it carries, and its article's card and 💬."""
        polls = [poll_card(poll, tally) for poll, tally in snapshot.siblings] or [snapshot.card]
        article = article_card(snapshot.article) if snapshot.article is not None else None
        return poll_message_parts(polls, article, snapshot.language)

    def request_render(self, poll: Poll | int, channel_id: int | None = None) -> None:
        """Schedule a coalesced edit of the poll's message."""
        poll_id = poll if isinstance(poll, int) else poll.id
        channel = channel_id if channel_id is not None else getattr(poll, "channel_id", None)
        self.edits.request(poll_id, channel or 0)

    async def _apply_render(self, key: Hashable) -> None:
        assert isinstance(key, int)
        poll_id = key
        async with self.bot.db.read() as conn:  # read before the snapshot: the render is at least this new
            version, _ = await PollStore(conn).tally_version(poll_id)
        snapshot = await self.snapshot(poll_id)
        poll = snapshot.poll if snapshot is not None else None
        if snapshot is None or poll is None or poll.status == "deleted" or poll.message_id is None:
            return
        if poll.mode == "native":  # Discord draws a native poll itself: there is nothing to edit
            async with self.bot.db.transaction() as conn:
                await PollStore(conn).mark_rendered(poll_id)
            return
        embeds, view = self.message_parts(snapshot)
        message = self.bot.get_partial_messageable(poll.channel_id or 0).get_partial_message(poll.message_id)
        try:
            await edit(message, embeds=embeds, view=view, allowed_mentions=NO_MENTIONS)
        except discord.NotFound as exc:
            if exc.code != DISCORD_UNKNOWN_MESSAGE:
                raise
            log.info("Poll %s: its message is gone; nothing to update", poll_id)
        except discord.HTTPException as exc:
            if exc.code == DISCORD_OLD_MESSAGE_EDIT_QUOTA:
                raise RetryLater() from exc  # the coalescer backs off and keeps the final state pending
            if isinstance(exc, discord.Forbidden):
                log.warning("Poll %s: no right to edit its message in channel %s", poll_id, poll.channel_id)
            else:
                raise
        async with self.bot.db.transaction() as conn:
            if not await PollStore(conn).mark_rendered(poll_id, version):
                self.request_render(poll)  # a newer render landed meanwhile: ours was older, put the newest back

    async def resume_pending_renders(self) -> None:
        """Polls whose last tally never reached Discord (crash, shutdown) are edited again."""
        async with self.bot.db.read() as conn:
            store = PollStore(conn)
            for poll_id in await store.render_pending():
                poll = await store.get(poll_id)
                if poll is not None:
                    self.request_render(poll)

    # --- voting ----------------------------------------------------------------------------------------

    async def vote(self, interaction: discord.Interaction[Tribune], poll_id: int, position: int) -> None:
        """A click on an answer: committed first, acknowledged after, tally edited later (coalesced)."""
        roles = getattr(interaction.user, "roles", [])
        request = VoteRequest(poll_id, interaction.user.id, position, frozenset(r.id for r in roles))
        outcome = await self.recorder.submit(request)
        await reply(interaction, await self.vote_answer(outcome, member_language(interaction)), ephemeral=True)
        if outcome.accepted:
            self.request_render(poll_id, outcome.channel_id)

    async def vote_answer(self, outcome: VoteOutcome, language: str) -> str:
        """The private answer to a vote click: the refusal, or what the member now holds."""
        if not outcome.accepted:
            assert outcome.refusal is not None
            return t(outcome.refusal, language, role=f"<@&{outcome.role_id}>")
        if outcome.added is not None:
            text = t("vote.recorded", language, answer=outcome.added)
        else:
            text = t("vote.withdrawn", language, answer=", ".join(outcome.removed))
        if len(outcome.choices) > 1:
            text += "\n" + t("vote.current_choices", language, answers=", ".join(outcome.choices))
        if outcome.results_visibility == "after_vote" and outcome.choices:
            # The member just voted: they may now see the tally, privately (the public message shows voters only).
            snapshot = await self.snapshot(outcome.poll_id)
            if snapshot is not None:
                text += "\n\n" + render_tally(snapshot.tally, language)
        return text

    # --- the vote clicks' fast lane ----------------------------------------------------------------------

    def install_fast_lane(self) -> None:
        """Take vote clicks straight from the gateway's INTERACTION_CREATE (see `fast_vote`); the rest, and
        every click if the polls extension did not load, stays on discord.py's path."""
        parsers = self.bot._connection.parsers
        if self._slow_parse is None and "cogs.polls" in self.bot.extensions:
            self._slow_parse = parsers["INTERACTION_CREATE"]
            parsers["INTERACTION_CREATE"] = self._parse_interaction

    def remove_fast_lane(self) -> None:
        if self._slow_parse is not None:
            self.bot._connection.parsers["INTERACTION_CREATE"] = self._slow_parse
            self._slow_parse = None

    def _parse_interaction(self, data: dict[str, Any]) -> None:
        assert self._slow_parse is not None
        click = vote_click(data)
        if click is None:
            self._slow_parse(data)
            return
        task = asyncio.get_running_loop().create_task(self.fast_vote(data, *click), name="fast-vote")
        self._fast_votes.add(task)
        task.add_done_callback(self._fast_votes.discard)

    async def fast_vote(self, data: dict[str, Any], poll_id: int, position: int) -> None:
        """The vote click as `vote` handles it, from the raw payload.

        Profile of the vote path (bench/profile.py): for each click discord.py built an Interaction, the
        clicked Message twice and the message's whole View (~40 % of the bot's CPU per click), then sent the
        callback through its webhook adapter (~40 %); the vote itself was under 10 %. Here: the payload's
        ids, roles and locale, the same recorder, the same answer, one POST.
        """
        self.fast_lane_clicks += 1
        member = data["member"]
        roles = frozenset(int(role) for role in member.get("roles", ()))
        request = VoteRequest(poll_id, int(member["user"]["id"]), position, roles)
        try:
            outcome = await self.recorder.submit(request)
        except Exception:
            # Nothing was committed: discord.py's path takes the click again and reports any error as usual.
            if self._slow_parse is not None:
                self._slow_parse(data)
            return
        text = await self.vote_answer(outcome, language_of(data.get("locale")))
        try:
            await reply_to_click(self.bot.http, int(data["id"]), data["token"], text)
        except (discord.HTTPException, aiohttp.ClientError):
            log.warning("Could not answer vote click %s on poll %s", data.get("id"), poll_id, exc_info=True)
        if outcome.accepted:
            self.request_render(poll_id, outcome.channel_id)

    async def arguments(self, snapshot: PollSnapshot) -> tuple[Argument, ...]:
        """What the members said, once the poll is closed: the debate of its article, grouped."""
        if snapshot.poll.status != "closed" or snapshot.article is None:
            return ()
        async with self.bot.db.read() as conn:
            return await poll_arguments(conn, snapshot.poll.id, snapshot.language)

    async def results_text(self, snapshot: PollSnapshot, language: str) -> str:
        """The tally, then "Ce que disent les membres" after the close, within an embed description."""
        tally = render_tally(snapshot.tally, language)
        debate = arguments_text(
            await self.arguments(snapshot), language, EMBED_DESCRIPTION_MAX - discord_len(tally) - 2
        )
        return f"{tally}\n\n{debate}" if debate else tally

    async def send_results(self, interaction: discord.Interaction[Tribune], poll_id: int) -> None:
        """Results with a chart, privately; only counts, never who voted (and the arguments once closed)."""
        language = member_language(interaction)
        snapshot = await self.snapshot(poll_id)
        if snapshot is None or snapshot.poll.status == "deleted" or snapshot.poll.guild_id != interaction.guild_id:
            raise UserFacingError("vote.poll_missing")
        poll = snapshot.poll
        shown = results_shown(
            poll.results_visibility,
            closed=poll.status != "open",
            published=poll.results_published,
            audience=await self.audience(interaction, poll),
        )
        if shown is not Shown.FULL:  # no chart, no counts: only what this member may know
            embed = discord.Embed(
                title=shorten(poll.question, EMBED_TITLE_MAX),
                description=results_block(snapshot.card, snapshot.tally, language, shown),
            )
            await reply(interaction, embed=embed, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        chart = results_chart(snapshot, language)
        embed = discord.Embed(
            title=shorten(snapshot.poll.question, EMBED_TITLE_MAX),
            description=await self.results_text(snapshot, language),
        )
        embed.set_image(url="attachment://resultats.png")
        await reply(interaction, embed=embed, file=chart, ephemeral=True)

    async def audience(self, interaction: discord.Interaction[Tribune], poll: Poll) -> Audience:
        """Who asks for the results: a moderator, a member who voted, or one who did not."""
        if poll.results_visibility == "live" or poll.results_published:
            return Audience()  # everyone sees everything: no need to look the member up
        settings = await settings_of(interaction)
        if isinstance(interaction.user, discord.Member) and is_moderator_member(interaction.user, settings):
            return Audience(moderator=True)
        voter = voter_key(self.bot.secret, poll.id, interaction.user.id, poll.anonymous)
        async with self.bot.db.read() as conn:
            held = await PollStore(conn).choices_of(poll.id, voter)
        return Audience(voted=bool(held))

    # --- deadlines -------------------------------------------------------------------------------------

    @tasks.loop(seconds=CLOSE_LOOP_SECONDS)
    async def close_due_polls_loop(self) -> None:
        await self.close_due_polls()

    @close_due_polls_loop.before_loop
    async def _before_close_loop(self) -> None:
        await self.bot.wait_until_ready()
        await self.resume_pending_renders()
        await self.reconcile_open_native()

    @close_due_polls_loop.error
    async def _close_loop_error(self, error: BaseException) -> None:
        log.exception("The poll deadline loop failed; it restarts", exc_info=error)
        self.close_due_polls_loop.restart()

    async def close_due_polls(self) -> list[int]:
        """Close every open poll past its deadline (including those that expired while the bot was down)."""
        await self.resolve_pending_results()
        now = self.bot.now()
        async with self.bot.db.transaction() as conn:  # claimed: another process skips these (db/leases.py)
            due = await PollStore(conn).claim_due(now, self.bot.holder, max(10, int(self.bot.close_loop_seconds)))
        closed = []
        for poll_id in due:
            if await self.close(poll_id):
                closed.append(poll_id)
        closed += await self.close_ended_native()
        self.close_runs += 1
        return closed

    async def close(self, poll_id: int) -> bool:
        """Close one poll: store first, then the message (final tally, disabled buttons) and the thread.

        A native poll is ended on Discord first and its votes read back, so the store closes on Discord's count.
        """
        token = new_token()
        # Marked before the commit: a pass of the deadline loop meanwhile must not take these results as owed.
        self.delivering.add(poll_id)
        try:
            async with self.bot.db.read() as conn:
                before = await PollStore(conn).get(poll_id)
            if before is not None and before.mode == "native" and before.status == "open":
                await self.end_native(before)
            async with self.bot.db.transaction() as conn:
                closing = PollStore(conn).close(poll_id, self.bot.now(), results_token=token, holder=self.bot.holder)
                if not await closing:
                    return False
            self.recorder.forget_poll(poll_id)
            snapshot = await self.snapshot(poll_id)
            if snapshot is None:
                return True
            self.request_render(snapshot.poll)
            await self.deliver_final_results(snapshot, token)
            return True
        finally:
            self.delivering.discard(poll_id)

    # --- native polls ----------------------------------------------------------------------------------

    def native_message(self, poll: Poll) -> discord.PartialMessage:
        return self.bot.get_partial_messageable(poll.channel_id or 0).get_partial_message(poll.message_id or 0)

    async def on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
        await self.native_vote(payload, add=True)

    async def on_raw_poll_vote_remove(self, payload: discord.RawPollVoteActionEvent) -> None:
        await self.native_vote(payload, add=False)

    async def native_vote(self, payload: discord.RawPollVoteActionEvent, *, add: bool) -> None:
        """A vote event of a native poll: the raw event, since the cached one misses uncached messages."""
        if self.bot.is_closed():
            return  # shutting down: the next start-up reconciles this vote from Discord's voter lists
        async with self.bot.db.transaction() as conn:
            store = PollStore(conn)
            poll = await store.by_message(payload.message_id)
            if poll is None or poll.mode != "native":
                return
            voter = voter_key(self.bot.secret, poll.id, payload.user_id, poll.anonymous)
            changed = await store.set_native_vote(
                poll.id, voter, position_of(payload.answer_id), self.bot.now(), add=add
            )
        if changed:
            log.debug("Native poll %s: vote %s by %s", poll.id, "added" if add else "removed", payload.user_id)

    async def reconcile_native(self, poll: Poll) -> discord.Message | None:
        """Read every answer's voters from Discord (paged) and make the store hold exactly them.

        Returns the fetched message (None when it cannot be read: the store keeps what it has).
        """
        try:
            message = await self.native_message(poll).fetch()
            if message.poll is None:
                return None
            held: set[tuple[str, int]] = set()
            for answer in message.poll.answers:
                # discord.py stops at the answer's vote count, which Discord says may lag: page until empty.
                async for user in answer.voters(limit=VOTERS_LIMIT):
                    held.add((voter_key(self.bot.secret, poll.id, user.id, poll.anonymous), position_of(answer.id)))
        except discord.HTTPException:
            log.warning("Native poll %s: could not read its votes from Discord", poll.id, exc_info=True)
            return None
        async with self.bot.db.transaction() as conn:
            added, removed = await PollStore(conn).replace_native_votes(poll.id, held, self.bot.now())
        if added or removed:
            log.info("Native poll %s reconciled with Discord: %d vote(s) added, %d removed", poll.id, added, removed)
        return message

    async def end_native(self, poll: Poll) -> None:
        """End the poll on Discord (unless it already ended there), then take its final votes."""
        try:
            message = await self.native_message(poll).fetch()
            if message.poll is not None and not message.poll.is_finalized():
                await message.end_poll()
        except discord.HTTPException:
            log.warning("Native poll %s: could not end it on Discord", poll.id, exc_info=True)
        await self.reconcile_native(poll)

    async def reconcile_open_native(self) -> None:
        """At start-up: votes cast while the bot was away are counted; a poll ended meanwhile is closed."""
        async with self.bot.db.read() as conn:
            ids = await PollStore(conn).open_native()
        for poll_id in ids:
            try:
                async with self.bot.db.read() as conn:
                    poll = await PollStore(conn).get(poll_id)
                if poll is None:
                    continue
                message = await self.reconcile_native(poll)
                if message is not None and message.poll is not None and message.poll.is_finalized():
                    await self.close(poll_id)
            except Exception:  # one poll must not stop the deadline loop from starting; the close reconciles again
                log.exception("Native poll %s could not be reconciled at start-up", poll_id)

    async def close_ended_native(self) -> list[int]:
        """Native polls ended from the Discord client (their author ended them early): closed here too.

        The bot has no message intent, so it looks: one fetch per open native poll and pass of the loop.
        """
        async with self.bot.db.read() as conn:
            ids = await PollStore(conn).open_native()
        ended = []
        for poll_id in ids:
            async with self.bot.db.read() as conn:
                poll = await PollStore(conn).get(poll_id)
            if poll is None:
                continue
            try:
                message = await self.native_message(poll).fetch()
            except discord.HTTPException:
                continue
            if message.poll is not None and message.poll.is_finalized() and await self.close(poll_id):
                ended.append(poll_id)
        return ended

    async def resolve_pending_results(self) -> None:
        """Final results owed by polls closed before a crash: recorded if they went out, else posted once."""
        async with self.bot.db.transaction() as conn:  # owed results no live process is posting
            pending = await PollStore(conn).claim_pending_results(self.bot.now(), self.bot.holder, CLOSE_CLAIM_SECONDS)
        for owed in pending:
            if owed.poll_id in self.delivering:
                continue  # being posted right now by this process
            snapshot = await self.snapshot(owed.poll_id)
            if snapshot is None:
                continue
            if self.bot.now() - owed.closed_at > RESULTS_RETRY_WINDOW:
                log.warning("Final results of poll %s given up: closed more than a day ago", owed.poll_id)
                await self.record_results(owed.poll_id, None)
                continue
            self.delivering.add(owed.poll_id)
            try:
                await self.deliver_final_results(snapshot, owed.token, claimed_at=owed.closed_at)
            finally:
                self.delivering.discard(owed.poll_id)

    async def record_results(self, poll_id: int, message_id: int | None) -> None:
        async with self.bot.db.transaction() as conn:
            await PollStore(conn).results_delivered(poll_id, message_id)

    async def deliver_final_results(
        self, snapshot: PollSnapshot, token: str, claimed_at: datetime | None = None
    ) -> None:
        """Post the final results in the debate thread exactly once, then record them.

        `claimed_at` (after a restart): the thread is first searched for the message of this close. Callers put
        the poll in `delivering` meanwhile, so that a pass of the deadline loop does not post it too.
        """
        poll = snapshot.poll
        thread_id = poll.thread_id or (snapshot.article.thread_id if snapshot.article else None)
        if not thread_id:
            await self.record_results(poll.id, None)
            return
        thread = self.bot.get_partial_messageable(thread_id)
        if claimed_at is not None:
            bot_id = getattr(self.bot.user, "id", 0)
            found = await find_claimed_posts(thread, bot_id, claimed_at, lambda m: footers_carry(m, token))
            if found is None:
                return  # unreadable for now: the next pass tries again
            if found:
                await self.record_results(poll.id, found[0].id)
                log.info("Final results of poll %s were posted before a restart; recorded them", poll.id)
                return
        try:
            message = await self.post_final_results(thread, snapshot, token)
        except (discord.NotFound, discord.Forbidden):
            log.warning("Could not post the final results of poll %s in thread %s", poll.id, thread_id)
            await self.record_results(poll.id, None)  # the thread is gone or closed to the bot
            return
        except discord.HTTPException:
            log.warning("Final results of poll %s not posted yet; retried later", poll.id, exc_info=True)
            return
        await self.record_results(poll.id, message.id)

    async def post_final_results(
        self, thread: discord.abc.Messageable, snapshot: PollSnapshot, token: str
    ) -> discord.Message:
        language = snapshot.language
        text = t("poll.final_results", language, question=shorten(snapshot.poll.question, 300))
        shown = snapshot.card.public_shown
        if shown is not Shown.FULL:  # a 'moderators' poll: the close is announced, its counts (and sides) are not
            embed = discord.Embed(description=results_block(snapshot.card, snapshot.tally, language, shown))
            embed.set_footer(text=marker(token, language))
            return await send(thread, text, embed=embed, allowed_mentions=NO_MENTIONS, nonce=nonce(token))
        embed = discord.Embed(description=await self.results_text(snapshot, language))
        embed.set_image(url="attachment://resultats.png")
        embed.set_footer(text=marker(token, language))
        return await send(
            thread,
            text,
            embed=embed,
            file=results_chart(snapshot, language),
            allowed_mentions=NO_MENTIONS,
            nonce=nonce(token),
        )

    # --- posting (also the article publisher's) -------------------------------------------------------

    async def post_message(
        self, channel: discord.abc.Messageable, poll_ids: Sequence[int], token: str | None = None
    ) -> discord.Message:
        """Post the message carrying these stored polls (an article's post: its card and 💬 too), as they are
        stored (mode, results). With a claim's token the request carries its nonce (see `bot.delivery`)."""
        snapshot = await self.snapshot(poll_ids[0], together=poll_ids if len(poll_ids) > 1 else ())
        assert snapshot is not None, "the polls were stored just before"
        embeds, view = self.message_parts(snapshot)
        extra: dict[str, Any] = {"nonce": nonce(token)} if token is not None else {}
        return await send(
            channel, embeds=embeds, view=view, allowed_mentions=NO_MENTIONS, **native_parts(snapshot.poll), **extra
        )

    async def post_poll(self, channel: discord.abc.Messageable, new: NewPoll) -> tuple[Poll, discord.Message]:
        """Store the poll, post its message, record the message id. Nothing half-done stays behind."""
        async with self.bot.db.transaction() as conn:
            poll = await PollStore(conn).create(new)
        try:
            message = await self.post_message(channel, [poll.id])
        except BaseException:
            async with self.bot.db.transaction() as conn:
                await PollStore(conn).forget(poll.id)
            raise
        async with self.bot.db.transaction() as conn:
            await PollStore(conn).set_message(poll.id, message.channel.id, message.id)
        return poll, message

    async def poll_of_guild(self, interaction: discord.Interaction[Tribune], poll_id: int) -> Poll:
        """The poll a member named, if it belongs to their server and was not deleted."""
        async with self.bot.db.read() as conn:
            poll = await PollStore(conn).get(poll_id)
        if poll is None or poll.guild_id != interaction.guild_id or poll.status == "deleted":
            raise UserFacingError("poll.not_found", poll=poll_id)
        return poll

    async def delete(self, poll: Poll) -> bool:
        """Delete the poll; its message goes too, unless it carries the article's other polls (re-rendered)."""
        async with self.bot.db.transaction() as conn:
            deleted = await PollStore(conn).mark_deleted(poll.id, self.bot.now())
        remaining: list[Poll] = []
        if deleted and poll.message_id:
            async with self.bot.db.read() as conn:
                remaining = await PollStore(conn).of_message(poll.message_id)
        if remaining:
            self.request_render(remaining[0])  # the article's other polls stay: the message loses this one
        elif deleted and poll.message_id and poll.channel_id:
            try:
                await self.bot.get_partial_messageable(poll.channel_id).get_partial_message(poll.message_id).delete()
            except discord.NotFound:
                pass
        self.recorder.forget_poll(poll.id)
        return deleted


def native_parts(poll: Poll) -> dict[str, Any]:
    """What a poll's message carries beyond embeds and buttons: Discord's poll for a native one."""
    return {"poll": native_poll(poll)} if poll.mode == "native" else {}


def native_poll(poll: Poll) -> discord.Poll:
    """Discord's poll for a stored native poll: its answers in position order (answer ids 1, 2, …)."""
    hours = max(1, round((poll.closes_at - poll.created_at).total_seconds() / 3600))
    native = discord.Poll(question=poll.question, duration=timedelta(hours=hours), multiple=poll.multiple)
    # Positions are 0, 1, … and Discord numbers answers 1, 2, … in the order sent: answer_id() maps them back.
    for option in sorted(poll.options, key=lambda o: o.position):
        native.add_answer(text=option.label)
    return native


def results_chart(snapshot: PollSnapshot, language: str) -> discord.File:
    bars: Sequence[tuple[str, int]] = [(a.label, a.count) for a in snapshot.tally.answers]
    png = bar_chart_png([BarGroup(snapshot.poll.question, bars)], language)
    return discord.File(io.BytesIO(png), filename="resultats.png")
