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


async def test_burst_is_coalesced_to_one_edit_per_interval_and_ends_exact(
    emulator: DiscordEmulator, run_tribune
) -> None:  # type: ignore[no-untyped-def]
    async with run_tribune(tally_edit_interval=0.5) as bot:
        message = await create_poll(emulator, question="Rafale de votes ?")
        edits_before = emulator.edits_of(message.id)
        members = emulator.add_members(200)
        records = await asyncio.gather(*(emulator.click(m, message, "Oui") for m in members))
        await asyncio.gather(*(r.wait_reply(timeout=10) for r in records))
        started = asyncio.get_running_loop().time()
        await emulator.wait_for(
            lambda: "200 votants" in emulator.message(message.id).embeds[0]["description"], timeout=10
        )
        elapsed = asyncio.get_running_loop().time() - started
        edits = emulator.edits_of(message.id) - edits_before
        await bot.polls.edits.wait_idle()
    assert edits <= 6, edits  # 200 votes in well under 3 s → a handful of edits, not 200
    assert elapsed < 2.0
    assert emulator.rate_limited_count == 0


async def test_old_message_edit_quota_is_retried_later_and_the_final_state_lands(
    emulator: DiscordEmulator, run_tribune
) -> None:  # type: ignore[no-untyped-def]
    async with run_tribune(edit_retry_seconds=0.3) as bot:
        message = await create_poll(emulator, question="Vieux message ?")
        emulator.age_message(message.id, 7200)
        emulator.fail_old_message_edits = True
        await (await emulator.click(emulator.members["alice"], message, "Non")).wait_reply()
        cog = bot.polls
        await emulator.wait_for(lambda: cog.edits.stats.retries >= 1, timeout=5)
        refused = [r for r in emulator.requests_matching("PATCH") if r.status == 400]
        assert refused, "the emulator never refused an edit"
        assert "1 votant" not in emulator.message(message.id).embeds[0]["description"]
        emulator.fail_old_message_edits = False  # Discord's quota came back
        await emulator.wait_for(
            lambda: "\n1 votant\n" in emulator.message(message.id).embeds[0]["description"], timeout=5
        )
        assert cog.edits.stats.retries <= 3  # backed off, no retry storm


async def test_restart_mid_poll_old_buttons_still_work(emulator: DiscordEmulator, run_tribune) -> None:  # type: ignore[no-untyped-def]
    async with run_tribune():
        message = await create_poll(emulator, question="Survivra-t-il au redémarrage ?")
        await (await emulator.click(emulator.members["alice"], message, "Oui")).wait_reply()
    async with run_tribune() as bot:
        vote = await emulator.click(emulator.members["bob"], message, "Non")
        assert (await vote.wait_reply()).content.startswith("Vote recorded: Non")
        async with bot.db.read() as conn:
            counts = await PollStore(conn).counts(await poll_id_of(bot, message.id))
        assert counts.per_option == {0: 1, 3: 1}


async def test_poll_expired_while_the_bot_was_down_is_closed_at_start(
    emulator: DiscordEmulator, run_tribune, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    async with run_tribune():
        message = await create_poll(emulator, question="Clos pendant la panne ?", duration="1h")
        await (await emulator.click(emulator.members["alice"], message, "Oui")).wait_reply()
    clock.advance(hours=3)
    async with run_tribune() as bot:
        await emulator.wait_for(
            lambda: "Sondage clos" in emulator.message(message.id).embeds[0]["description"], timeout=5
        )
        closed = emulator.message(message.id)
        votes = [c for c in closed.walk_components() if c.get("custom_id", "").startswith("tribune:vote:")]
        assert votes and all(c.get("disabled") for c in votes)
        async with bot.db.read() as conn:
            poll = await PollStore(conn).by_message(message.id)
        assert poll is not None and poll.status == "closed" and poll.closed_at == clock.now


async def test_role_restricted_poll(emulator: DiscordEmulator, tribune: Tribune) -> None:
    role = emulator.add_role("Abonnés")
    message = await create_poll(emulator, question="Réservé aux abonnés ?", role=role)
    refused = await emulator.click(emulator.members["alice"], message, "Oui")
    assert (await refused.wait_reply()).content == f"Ce sondage est réservé aux membres ayant le rôle <@&{role.id}>."
    emulator.set_member_roles(emulator.members["alice"], [role])
    accepted = await emulator.click(emulator.members["alice"], message, "Oui")
    assert (await accepted.wait_reply()).content.startswith("Vote enregistré")


async def test_create_validation_errors_are_clear_and_post_nothing(emulator: DiscordEmulator, tribune: Tribune) -> None:
    cases = [
        ({"answers": "Oui"}, "au moins 2"),
        ({"answers": "Oui; oui ; Non"}, "apparaît plusieurs fois"),
        ({"answers": "; ".join(f"R{i}" for i in range(11))}, "au plus 10 réponses"),
        ({"answers": "Oui; " + "x" * 56}, "dépasse 55 caractères"),
        ({"duration": "30m"}, "entre 1 heure et 32 jours"),
        ({"duration": "33d"}, "entre 1 heure et 32 jours"),
        ({"duration": "bientôt"}, "illisible"),
    ]
    before = len(emulator.messages_in("general"))
    for options, fragment in cases:
        record = await emulator.invoke(emulator.members["mod"], "poll create", question="Valide ?", **options)
        reply = await record.wait_reply()
        assert record.ephemeral and fragment in reply.content, (options, reply.content)
    assert len(emulator.messages_in("general")) == before
    async with tribune.db.read() as conn, conn.execute("SELECT count(*) FROM polls") as cur:
        assert (await cur.fetchone())[0] == 0


async def test_results_button_shows_a_chart_to_anyone(emulator: DiscordEmulator, tribune: Tribune) -> None:
    message = await create_poll(emulator, question="Résultats visibles ?")
    await (await emulator.click(emulator.members["alice"], message, "Oui")).wait_reply()
    results = await emulator.click(emulator.members["bob"], message, "Résultats")
    reply = await results.wait_reply()
    assert results.ephemeral
    assert reply.embeds[0]["title"] == "Résultats visibles ?"
    png = results.attachments[0]
    assert png.filename == "resultats.png" and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert str(emulator.members["alice"].id) not in str(reply.embeds)


async def test_anonymous_poll_never_reveals_voters_public_poll_exports_them(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    alice = emulator.members["alice"]
    anonymous = await create_poll(emulator, question="Anonyme ?")
    await (await emulator.click(alice, anonymous, "Oui")).wait_reply()
    public = await create_poll(emulator, question="Public ?", anonymous=False)
    await (await emulator.click(alice, public, "Non")).wait_reply()

    anon_id, public_id = await poll_id_of(tribune, anonymous.id), await poll_id_of(tribune, public.id)
    exports = {}
    for poll_id in (anon_id, public_id):
        record = await emulator.invoke(emulator.members["mod"], "poll export", poll=poll_id)
        await record.wait_reply()
        assert record.ephemeral
        exports[poll_id] = record.attachments[0].data.decode("utf-8-sig")
    assert "Oui,1,100.0" in exports[anon_id]
    assert str(alice.id) not in exports[anon_id] and "Membre" not in exports[anon_id]
    assert f"{alice.id},Non," in exports[public_id]
    for message in (anonymous, public):
        assert str(alice.id) not in str(emulator.message(message.id).embeds)
    async with tribune.db.read() as conn, conn.execute("SELECT voter FROM votes WHERE poll_id = ?", (anon_id,)) as cur:
        assert str(alice.id) not in [row[0] for row in await cur.fetchall()]


async def test_moderator_close_reopen_list_and_delete(emulator: DiscordEmulator, tribune: Tribune) -> None:
    mod = emulator.members["mod"]
    message = await create_poll(emulator, question="Cycle de vie ?")
    poll_id = await poll_id_of(tribune, message.id)

    close = await emulator.invoke(mod, "poll close", poll=poll_id)
    assert "clos" in (await close.wait_reply()).content
    await emulator.wait_for(lambda: "Sondage clos" in emulator.message(message.id).embeds[0]["description"], timeout=5)
    again = await emulator.invoke(mod, "poll close", poll=poll_id)
    assert "déjà clos" in (await again.wait_reply()).content

    reopen = await emulator.invoke(mod, "poll reopen", poll=poll_id, duration="2d")
    assert "rouvert" in (await reopen.wait_reply()).content
    await emulator.wait_for(lambda: "Clôture" in emulator.message(message.id).embeds[0]["description"], timeout=5)

    listing = await emulator.invoke(mod, "poll list")
    assert "Cycle de vie ?" in (await listing.wait_reply()).embeds[0]["description"]

    delete = await emulator.invoke(mod, "poll delete", poll=poll_id)
    prompt = await delete.wait_reply()
    assert "Supprimer définitivement" in prompt.content
    confirm = await emulator.click(mod, prompt, "Supprimer")
    await confirm.wait_response()
    await emulator.wait_for(lambda: emulator.message(message.id).deleted, timeout=5)
    late = await emulator.invoke(mod, "poll close", poll=poll_id)
    assert "introuvable" in (await late.wait_reply()).content
    async with tribune.db.read() as conn, conn.execute("SELECT action FROM audit_log ORDER BY id") as cur:
        actions = [row[0] for row in await cur.fetchall()]
    assert actions == ["poll.create", "poll.close", "poll.reopen", "poll.delete"]


async def test_autocomplete_offers_recent_polls(emulator: DiscordEmulator, tribune: Tribune) -> None:
    await create_poll(emulator, question="Premier sondage ?")
    await create_poll(emulator, question="Second sondage ?")
    record = await emulator.autocomplete(emulator.members["mod"], "poll results", "poll", "Second")
    choices = await record.wait_choices()
    assert [c["name"] for c in choices] == ["#2 · Second sondage ? (ouvert)"]


async def test_closing_an_article_poll_posts_final_results_with_a_chart_in_its_thread(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    from tests.e2e.test_articles import post_seed

    await (await post_seed(emulator)).wait_reply(timeout=10)
    post = emulator.last_message("general")
    await (await emulator.click(emulator.members["alice"], post, "Crédible et pertinente")).wait_reply()
    poll_id = await poll_id_of(tribune, post.id)
    await (await emulator.invoke(emulator.members["mod"], "poll close", poll=poll_id)).wait_reply()
    thread = emulator.thread_of(post)
    await emulator.wait_for(lambda: any(m.attachments for m in emulator.messages_in(thread)), timeout=5)
    [final] = [m for m in emulator.messages_in(thread) if m.attachments]
    assert final.content.startswith("📊 Résultats définitifs")
    assert final.attachments[0].data.startswith(b"\x89PNG")
    assert "**Crédible et pertinente**\n▰▰▰▰▰▰▰▰▰▰ 1" in final.embeds[0]["description"]


async def test_the_real_bot_survives_a_gateway_reconnect(emulator: DiscordEmulator, tribune: Tribune) -> None:
    message = await create_poll(emulator, question="Après une coupure du gateway ?")
    await emulator.force_reconnect()
    vote = await emulator.click(emulator.members["alice"], message, "Oui")
    assert (await vote.wait_reply(timeout=10)).content.startswith("Vote enregistré : Oui")


async def test_an_older_render_never_stays_over_a_newer_one_from_another_process(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    """Two processes share the store: ours edits the message with 1 vote while another process records a
    second vote and renders it; our older edit lands last, so the bot edits again and the newest comes back."""
    from bot.services.recorder import VoteRecorder, VoteRequest

    message = await create_poll(emulator, question="Qui a le dernier mot ?")
    poll_id = await poll_id_of(tribune, message.id)
    with emulator.gate("PATCH", "/channels/{channel_id}/messages/{message_id}") as gate:
        await (await emulator.click(emulator.members["alice"], message, "Oui")).wait_reply()
        await asyncio.wait_for(gate.arrived.wait(), 5)  # our render (1 vote) is on its way to Discord
        other_process = VoteRecorder(tribune.db, tribune.secret, tribune.now)
        assert (await other_process.submit(VoteRequest(poll_id, emulator.members["bob"].id, 3))).accepted
        await other_process.stop()
        async with tribune.db.transaction() as conn:  # …and that process edits the message with both votes
            newest, _ = await PollStore(conn).tally_version(poll_id)
            assert await PollStore(conn).mark_rendered(poll_id, newest)
        gate.release()
    await emulator.wait_for(lambda: "2 votants" in emulator.message(message.id).embeds[0]["description"], timeout=5)
