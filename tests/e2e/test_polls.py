"""Polls end to end: the real bot, the emulator, a real SQLite file."""

from __future__ import annotations

import asyncio

from bot.client import Tribune
from db.polls import PollStore
from tests.conftest import FakeClock
from tests.discord_emulator import DiscordEmulator


async def create_poll(emulator: DiscordEmulator, **options: object):  # type: ignore[no-untyped-def]
    record = await emulator.invoke(emulator.members["mod"], "poll create", **options)
    reply = await record.wait_reply()
    assert record.ephemeral, reply.content
    message = emulator.last_message("general")
    assert message is not None
    return message


async def poll_id_of(bot: Tribune, message_id: int) -> int:
    async with bot.db.read() as conn:
        poll = await PollStore(conn).by_message(message_id)
    assert poll is not None
    return poll.id


async def test_vote_change_and_withdraw(emulator: DiscordEmulator, tribune: Tribune) -> None:
    message = await create_poll(emulator, question="Trainium 2 est-il crédible ?")
    embed = message.embeds[0]
    assert embed["title"] == "Trainium 2 est-il crédible ?"
    labels = [c["label"] for c in message.walk_components() if c.get("type") == 2]
    assert labels == ["Oui", "Plutôt oui", "Plutôt non", "Non", "Sans avis", "Résultats"]

    alice = emulator.members["alice"]
    vote = await emulator.click(alice, message, "Plutôt oui")
    reply = await vote.wait_reply()
    assert vote.ephemeral
    assert reply.content == "Vote enregistré : Plutôt oui — cliquez à nouveau pour le retirer."

    change = await emulator.click(alice, message, "Non")
    assert (await change.wait_reply()).content.startswith("Vote enregistré : Non")
    withdraw = await emulator.click(alice, message, "Non")
    assert (await withdraw.wait_reply()).content == "Vote retiré : Non."

    bob = emulator.members["bob"]  # English client: English confirmation
    english = await emulator.click(bob, message, "Oui")
    assert (await english.wait_reply()).content == "Vote recorded: Oui — click again to withdraw it."

    expected = "**Oui**\n▰▰▰▰▰▰▰▰▰▰ 1 · 100\u202f%"
    await emulator.wait_for(lambda: expected in emulator.message(message.id).embeds[0]["description"], timeout=5)
    shown = emulator.message(message.id).embeds[0]["description"]
    assert "\n1 votant\n" in shown
    assert "Score moyen : 100,0/100" in shown
    async with tribune.db.read() as conn:
        counts = await PollStore(conn).counts(await poll_id_of(tribune, message.id))
    assert counts.per_option == {0: 1}


async def test_multiple_choice_toggles(emulator: DiscordEmulator, tribune: Tribune) -> None:
    message = await create_poll(emulator, question="Vos OS ?", answers="Android; iOS; Linux", multiple=True)
    alice = emulator.members["alice"]
    await (await emulator.click(alice, message, "Android")).wait_reply()
    both = await emulator.click(alice, message, "Linux")
    assert "Vos réponses : Android, Linux." in (await both.wait_reply()).content
    await (await emulator.click(alice, message, "Android")).wait_reply()
    async with tribune.db.read() as conn:
        counts = await PollStore(conn).counts(await poll_id_of(tribune, message.id))
    assert counts.per_option == {2: 1}


async def test_closed_poll_refuses_a_late_click_whatever_the_buttons_show(
    emulator: DiscordEmulator, tribune: Tribune, clock: FakeClock
) -> None:
    message = await create_poll(emulator, question="Question courte ?", duration="1h")
    clock.advance(hours=2)  # past the deadline; the loop has not closed it yet and the buttons still work
    late = await emulator.click(emulator.members["alice"], message, "Oui")
    assert (await late.wait_reply()).content == "Ce sondage est clos : les votes ne sont plus acceptés."
    async with tribune.db.read() as conn:
        assert (await PollStore(conn).counts(await poll_id_of(tribune, message.id))).voters == 0


async def test_three_hundred_concurrent_clicks_are_counted_exactly(emulator: DiscordEmulator, tribune: Tribune) -> None:
    message = await create_poll(emulator, question="Grosse affluence ?")
    members = emulator.add_members(300)
    records = await asyncio.gather(
        *(emulator.click(m, message, ["Oui", "Non", "Sans avis"][i % 3]) for i, m in enumerate(members))
    )
    await asyncio.gather(*(r.wait_reply(timeout=10) for r in records))
    assert all(r.ephemeral for r in records)
    async with tribune.db.read() as conn:
        counts = await PollStore(conn).counts(await poll_id_of(tribune, message.id))
    assert counts.per_option == {0: 100, 3: 100, 4: 100}
    await emulator.wait_for(lambda: "300 votants" in emulator.message(message.id).embeds[0]["description"], timeout=10)
    assert emulator.rate_limited_count == 0
