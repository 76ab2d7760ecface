"""Results visibility end to end: no count reaches anyone the poll's mode does not allow, on any path."""

from __future__ import annotations

import json

from bot.client import Tribune
from db.polls import PollStore
from tests.conftest import FakeClock
from tests.discord_emulator import DiscordEmulator
from tests.e2e.test_articles import post_seed
from tests.e2e.test_polls import create_poll, poll_id_of

BAR = "▰"  # a count bar: its presence means counts are shown


def description(emulator: DiscordEmulator, message_id: int) -> str:
    return emulator.message(message_id).embeds[-1]["description"]


async def test_after_vote_shows_the_tally_to_voters_only_until_the_close(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    message = await create_poll(emulator, question="Voir après avoir voté ?", results="after_vote")
    alice, bob = emulator.members["alice"], emulator.members["bob"]

    vote = await emulator.click(alice, message, "Oui")
    ack = (await vote.wait_reply()).content
    assert ack.startswith("Vote enregistré : Oui") and f"**Oui**\n{BAR * 10} 1" in ack  # privately, right away

    await emulator.wait_for(lambda: "1 votant" in description(emulator, message.id), timeout=5)
    public = description(emulator, message.id)
    assert BAR not in public and "100" not in public and "après votre vote" in public

    before = await emulator.click(bob, message, "Résultats")  # bob has not voted
    reply = await before.wait_reply()
    assert BAR not in str(reply.embeds) and not before.attachments

    after = await emulator.click(alice, message, "Résultats")  # alice has
    reply = await after.wait_reply()
    assert f"**Oui**\n{BAR * 10} 1" in reply.embeds[0]["description"]
    assert after.attachments[0].data.startswith(b"\x89PNG")

    withdraw = await emulator.click(alice, message, "Oui")  # withdrawn: no tally in the ack
    assert BAR not in (await withdraw.wait_reply()).content

    await (await emulator.click(bob, message, "Non")).wait_reply()
    close = await emulator.invoke(emulator.members["mod"], "poll close", poll=await poll_id_of(tribune, message.id))
    await close.wait_reply()
    await emulator.wait_for(lambda: f"**Non**\n{BAR * 10} 1" in description(emulator, message.id), timeout=5)


async def test_after_close_hides_counts_from_members_not_from_moderators(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    message = await create_poll(emulator, question="Surprise à la clôture ?", results="after_close")
    poll_id = await poll_id_of(tribune, message.id)
    alice, mod = emulator.members["alice"], emulator.members["mod"]
    vote = await emulator.click(alice, message, "Non")
    assert BAR not in (await vote.wait_reply()).content
    async with tribune.db.read() as conn:
        assert (await PollStore(conn).counts(poll_id)).voters == 1
    await tribune.polls.edits.wait_idle()
    public = description(emulator, message.id)
    assert BAR not in public and "votant" not in public and "à la clôture" in public

    member = await emulator.invoke(alice, "poll results", poll=poll_id)
    reply = await member.wait_reply()
    assert BAR not in str(reply.embeds) and "votant" not in str(reply.embeds) and not member.attachments

    moderator = await emulator.invoke(mod, "poll results", poll=poll_id)
    reply = await moderator.wait_reply()
    assert f"**Non**\n{BAR * 10} 1" in reply.embeds[0]["description"] and moderator.attachments

    export = await emulator.invoke(mod, "poll export", poll=poll_id)  # the export stays for moderators
    await export.wait_reply()
    assert "Non,1,100.0" in export.attachments[0].data.decode("utf-8-sig")

    mydata = await emulator.invoke(alice, "mydata export")  # her own vote, never the poll's counts
    await mydata.wait_reply()
    data = json.loads(mydata.attachments[0].data)
    assert [v["answer"] for v in data["votes"]] == ["Non"]
    assert "count" not in json.dumps(data) and "voters" not in json.dumps(data)

    await (await emulator.invoke(mod, "poll close", poll=poll_id)).wait_reply()
    await emulator.wait_for(lambda: f"**Non**\n{BAR * 10} 1" in description(emulator, message.id), timeout=5)
    after = await emulator.invoke(alice, "poll results", poll=poll_id)
    assert f"**Non**\n{BAR * 10} 1" in (await after.wait_reply()).embeds[0]["description"]


async def test_moderators_mode_from_the_server_default_until_published(
    emulator: DiscordEmulator, tribune: Tribune, clock: FakeClock
) -> None:
    mod, alice = emulator.members["mod"], emulator.members["alice"]
    setting = await emulator.invoke(mod, "settings results-visibility", mode="moderators")
    assert "modération seulement" in str((await setting.wait_reply()).embeds)
    await (await post_seed(emulator)).wait_reply(timeout=10)
    post = emulator.last_message("general")
    poll_id = await poll_id_of(tribune, post.id)
    async with tribune.db.read() as conn:
        poll = await PollStore(conn).get(poll_id)
    assert poll is not None and poll.results_visibility == "moderators"  # article polls take the default

    await (await emulator.click(alice, post, "Crédible et pertinente")).wait_reply()
    await (await emulator.invoke(mod, "poll close", poll=poll_id)).wait_reply()
    thread = emulator.thread_of(post)
    await emulator.wait_for(
        lambda: any("Résultats définitifs" in m.content for m in emulator.messages_in(thread)), timeout=5
    )
    [final] = [m for m in emulator.messages_in(thread) if "Résultats définitifs" in m.content]
    assert not final.attachments and BAR not in str(final.embeds) and "modération" in str(final.embeds)
    await tribune.polls.edits.wait_idle()
    assert BAR not in description(emulator, post.id)  # closed, yet still hidden

    clock.advance(days=1)  # the preview covers the 7 days up to the latest digest hour: today's poll is in
    digest = await emulator.invoke(mod, "digest preview")
    shown = await digest.wait_reply(timeout=10)
    assert BAR not in str(shown.embeds) and "Résultats masqués" in str(shown.embeds)
    assert not shown.attachments  # no chart: the only poll's counts are hidden

    publish = await emulator.invoke(mod, "poll reveal", poll=poll_id)
    assert "visibles par tous" in (await publish.wait_reply()).content
    await emulator.wait_for(lambda: f"{BAR * 10} 1" in description(emulator, post.id), timeout=5)
    again = await emulator.invoke(mod, "poll reveal", poll=poll_id)
    assert "déjà publiés" in (await again.wait_reply()).content


async def test_changing_the_mode_of_a_running_poll_is_audited_and_applied(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    mod = emulator.members["mod"]
    message = await create_poll(emulator, question="Changer en cours ?")
    poll_id = await poll_id_of(tribune, message.id)
    await (await emulator.click(emulator.members["alice"], message, "Oui")).wait_reply()
    await emulator.wait_for(lambda: BAR in description(emulator, message.id), timeout=5)

    change = await emulator.invoke(mod, "poll visibility", poll=poll_id, mode="after_close")
    assert "à la clôture" in (await change.wait_reply()).content
    await emulator.wait_for(lambda: BAR not in description(emulator, message.id), timeout=5)
    async with tribune.db.read() as conn:
        async with conn.execute(
            "SELECT details FROM audit_log WHERE action = 'poll.visibility' AND target = ?", (f"poll:{poll_id}",)
        ) as cur:
            [row] = await cur.fetchall()
    assert json.loads(row[0]) == {"previous": "live", "mode": "after_close"}

    refused = await emulator.invoke(emulator.members["alice"], "poll visibility", poll=poll_id, mode="live")
    await refused.wait_reply()
    assert refused.ephemeral and BAR not in description(emulator, message.id)
