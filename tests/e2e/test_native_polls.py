"""Native Discord polls end to end: posted, votes from the raw gateway events, votes cast while the bot was
down recovered from the voters lists, ended early from the client, closed through the expire endpoint."""

from __future__ import annotations

import asyncio
import json

from bot.client import Tribune, intents
from db.polls import PollStore
from tests.conftest import FakeClock
from tests.discord_emulator import DiscordEmulator
from tests.e2e.test_articles import post_seed
from tests.e2e.test_polls import create_poll, poll_id_of


async def counts_of(bot: Tribune, poll_id: int) -> dict[int, int]:
    async with bot.db.read() as conn:
        return (await PollStore(conn).counts(poll_id)).per_option


async def until_counts(bot: Tribune, poll_id: int, expected: dict[int, int]) -> None:
    """Gateway events are applied asynchronously: wait (at most 5 s) until the store holds `expected`."""
    for _ in range(250):
        if await counts_of(bot, poll_id) == expected:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"store holds {await counts_of(bot, poll_id)}, expected {expected}")


async def test_native_poll_votes_survive_downtime_and_an_early_end_in_the_client(
    emulator: DiscordEmulator, run_tribune
) -> None:  # type: ignore[no-untyped-def]
    alice, bob = emulator.members["alice"], emulator.members["bob"]
    async with run_tribune(close_loop_seconds=0.1) as bot:
        message = await create_poll(
            emulator, question="Nucléaire : pour ou contre ?", answers="Pour; Contre", mode="native", duration="2h"
        )
        poll = emulator.message(message.id).poll
        assert poll is not None and poll["question"]["text"] == "Nucléaire : pour ou contre ?"
        assert [a["poll_media"]["text"] for a in poll["answers"]] == ["Pour", "Contre"]
        assert not emulator.message(message.id).embeds  # Discord draws it, Tribune never edits it
        poll_id = await poll_id_of(bot, message.id)
        emulator.native_vote(alice, message, 1)
        await until_counts(bot, poll_id, {0: 1})
        emulator.native_vote(alice, message, 2, add=True)  # single choice: the client refuses a second answer
        emulator.native_vote(bob, message, 1)
        await until_counts(bot, poll_id, {0: 2})
        emulator.native_vote(bob, message, 1, add=False)
        await until_counts(bot, poll_id, {0: 1})

    emulator.native_vote(bob, message, 2)  # while the bot is stopped: no session gets these events
    emulator.native_vote(alice, message, 1, add=False)
    async with run_tribune(close_loop_seconds=0.1) as bot:
        await until_counts(bot, poll_id, {1: 1})  # reconciled from the voters lists at start-up

        export = await emulator.invoke(emulator.members["mod"], "poll export", poll=poll_id)
        await export.wait_reply()
        csv = export.attachments[0].data.decode("utf-8-sig")
        assert "Contre,1,100.0" in csv and f"{bob.id},Contre," in csv  # native polls are public
        mine = await emulator.invoke(bob, "mydata export")  # a vote cast while the bot was down is his data too
        await mine.wait_reply()
        assert [v["answer"] for v in json.loads(mine.attachments[0].data)["votes"]] == ["Contre"]

        emulator.finalize_native_poll(message)  # its author ended it early in the Discord client
        cog = bot.polls
        runs = cog.close_runs
        await emulator.wait_for(lambda: cog.close_runs > runs + 1, timeout=5)
        async with bot.db.read() as conn:
            stored = await PollStore(conn).get(poll_id)
        assert stored is not None and stored.status == "closed"
        assert await counts_of(bot, poll_id) == {1: 1}


async def test_closing_a_native_poll_ends_it_on_discord_and_counts_the_voters_pages(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    message = await create_poll(emulator, question="Plus de cent votants ?", answers="Oui; Non", mode="native")
    poll_id = await poll_id_of(tribune, message.id)
    crowd = emulator.add_members(130)  # more than one page of 100 voters
    for member in crowd:
        emulator.native_vote(member, message, 1)
    await (await emulator.invoke(emulator.members["mod"], "poll close", poll=poll_id)).wait_reply()
    assert await counts_of(tribune, poll_id) == {0: 130}
    ended = emulator.message(message.id).poll
    assert ended is not None and ended["results"]["is_finalized"]
    assert any(r.route.endswith("/expire") for r in emulator.requests_matching("POST"))
    pages = [r for r in emulator.requests_matching("GET") if "/polls/" in r.route]
    assert len(pages) >= 2
    assert any(m.type == 46 for m in emulator.messages_in("general"))  # Discord's result message


async def test_what_a_native_poll_cannot_be_is_refused_clearly(emulator: DiscordEmulator, tribune: Tribune) -> None:
    cases = [
        ({"anonymous": True}, "ne peut pas être anonyme"),
        ({"results": "after_vote"}, "jusqu'au vote"),
        ({"duration": "90m"}, "nombre entier d'heures"),
        ({"role": emulator.add_role("Abonnés")}, "réservé à un rôle"),
    ]
    before = len(emulator.messages_in("general"))
    for options, fragment in cases:
        record = await emulator.invoke(
            emulator.members["mod"], "poll create", question="Natif ?", mode="native", **options
        )
        reply = await record.wait_reply()
        assert record.ephemeral and fragment in reply.content, (options, reply.content)
    assert len(emulator.messages_in("general")) == before

    message = await create_poll(emulator, question="Natif et clos ?", mode="native")
    poll_id = await poll_id_of(tribune, message.id)
    to_after_vote = await emulator.invoke(emulator.members["mod"], "poll visibility", poll=poll_id, mode="after_vote")
    assert "jusqu'au vote" in (await to_after_vote.wait_reply()).content
    await (await emulator.invoke(emulator.members["mod"], "poll close", poll=poll_id)).wait_reply()
    reopen = await emulator.invoke(emulator.members["mod"], "poll reopen", poll=poll_id)
    assert "ne peut pas être rouvert" in (await reopen.wait_reply()).content
    async with tribune.db.read() as conn:
        stored = await PollStore(conn).get(poll_id)
    assert stored is not None and stored.status == "closed" and stored.results_visibility == "live"


async def test_an_article_posted_with_a_native_poll_counts_votes_and_closes_with_final_results(
    emulator: DiscordEmulator, tribune: Tribune, clock: FakeClock
) -> None:
    mod, alice = emulator.members["mod"], emulator.members["alice"]
    setting = await emulator.invoke(mod, "settings article-poll-mode", mode="native")
    assert "sondage natif Discord" in str((await setting.wait_reply()).embeds)
    await (await post_seed(emulator)).wait_reply(timeout=10)
    post = emulator.message(emulator.last_message("general"))
    assert post.poll is not None and post.embeds[0]["title"] == "Amazon prépare Trainium 2"  # card and poll, one post
    ids = [c.get("custom_id", "") for c in post.walk_components()]
    assert not any(i.startswith("tribune:vote:") for i in ids) and any(i.startswith("tribune:opinion:") for i in ids)
    poll_id = await poll_id_of(tribune, post.id)
    async with tribune.db.read() as conn:
        stored = await PollStore(conn).get(poll_id)
    assert stored is not None and stored.mode == "native" and not stored.anonymous

    first = post.poll["answers"][0]["poll_media"]["text"]
    emulator.native_vote(alice, post, 1)
    await until_counts(tribune, poll_id, {0: 1})
    results = await emulator.click(alice, post, "Résultats")  # 📊 reads Tribune's store, like for buttons
    assert f"**{first}**\n▰▰▰▰▰▰▰▰▰▰ 1" in (await results.wait_reply()).embeds[0]["description"]

    await (await emulator.invoke(mod, "poll close", poll=poll_id)).wait_reply()
    assert emulator.message(post.id).poll["results"]["is_finalized"]  # type: ignore[index]
    thread = emulator.thread_of(post)
    await emulator.wait_for(lambda: any(m.attachments for m in emulator.messages_in(thread)), timeout=5)
    [final] = [m for m in emulator.messages_in(thread) if m.attachments]
    assert f"**{first}**\n▰▰▰▰▰▰▰▰▰▰ 1" in final.embeds[0]["description"]

    clock.advance(days=1)  # the preview covers the 7 days up to the latest digest hour
    digest = await emulator.invoke(mod, "digest preview")
    assert "Sondage natif Discord" in str((await digest.wait_reply(timeout=10)).embeds)


def test_the_bot_asks_for_poll_votes_and_still_no_privileged_intent() -> None:
    asked = intents()
    assert asked.guilds and asked.guild_polls
    assert not (asked.members or asked.message_content or asked.presences or asked.guild_messages)


def test_article_polls_keep_buttons_when_an_article_has_several() -> None:
    """A message carries one native poll at most: with several polls, none becomes native."""
    from datetime import UTC, datetime, timedelta

    from bot.services.articles import article_poll
    from db.guild_settings import GuildSettings
    from db.polls import NewPoll, PollOption

    start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    new = NewPoll(1, "Trouvez-vous cette décision judicieuse ?", "choice", [PollOption(0, "Oui"), PollOption(1, "Non")],
                  7, start, start + timedelta(days=7))  # fmt: skip
    settings = GuildSettings(guild_id=1, article_poll_mode="native")
    assert article_poll(new, 5, 6, settings).mode == "native"
    assert article_poll(new, 5, 6, settings, native_allowed=False).mode == "buttons"
