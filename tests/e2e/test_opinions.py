"""Opinions end to end: modal, thread post, edits, useful marks, moderation, cooldown, lost threads."""

from __future__ import annotations

import pytest

from bot.client import Tribune
from db.opinions import OpinionStore
from tests.discord_emulator import DiscordEmulator, EmulatorError
from tests.e2e.test_articles import buttons, post_seed

OPINION = "Je trouve l'annonce crédible, mais Nvidia garde une avance énorme sur le logiciel."


async def posted_article(emulator: DiscordEmulator):  # type: ignore[no-untyped-def]
    await (await post_seed(emulator)).wait_reply(timeout=10)
    post = emulator.last_message("general")
    assert "Donner mon avis" in buttons(post)
    return post


async def give_opinion(emulator: DiscordEmulator, post, member: str, text: str):  # type: ignore[no-untyped-def]
    click = await emulator.click(emulator.members[member], post, "Donner mon avis")
    modal = await click.wait_modal()
    field = modal.inputs[0].custom_id  # labelled in the member's language
    submitted = await emulator.submit_modal(emulator.members[member], modal, {field: text})
    reply = await submitted.wait_reply(timeout=10)
    return modal, submitted, reply


def thread_messages(emulator: DiscordEmulator, post):  # type: ignore[no-untyped-def]
    thread = emulator.thread_of(post)
    assert thread is not None
    return [m for m in emulator.messages_in(thread) if m.embeds]


async def test_submit_posts_in_the_thread_and_resubmit_edits_in_place(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    post = await posted_article(emulator)
    modal, submitted, reply = await give_opinion(emulator, post, "alice", OPINION)
    assert modal.title == "Quel est votre avis sur le sujet ?"
    field = modal.input("Votre avis")
    assert (field.component["min_length"], field.component["max_length"]) == (10, 1500)
    assert field.component["placeholder"] == "Quel est votre avis sur le sujet ?"
    assert submitted.ephemeral and reply.content == "✅ Avis publié dans le fil de discussion."
    [message] = thread_messages(emulator, post)
    embed = message.embeds[0]
    assert embed["description"] == OPINION
    alice = emulator.members["alice"]
    assert embed["author"]["name"] == (alice.nick or alice.user.global_name or alice.user.username)
    assert "fields" not in embed  # anonymous poll: no stance next to the opinion
    assert "Utile (0)" in buttons(message)

    modal, _, reply = await give_opinion(emulator, post, "alice", "Finalement, je suis plus sceptique que prévu.")
    assert modal.input("Votre avis").component["value"] == OPINION  # pre-filled with the current opinion
    assert reply.content == "✅ Avis modifié."
    [edited] = thread_messages(emulator, post)
    assert edited.id == message.id
    assert edited.embeds[0]["description"] == "Finalement, je suis plus sceptique que prévu."
    assert "modifié" in edited.embeds[0]["footer"]["text"]
    async with tribune.db.read() as conn:
        assert len(await OpinionStore(conn).of_member_in_guild(emulator.guild.id, emulator.members["alice"].id)) == 1


async def test_stance_is_shown_only_for_a_public_poll(emulator: DiscordEmulator, tribune: Tribune) -> None:
    post = await posted_article(emulator)
    async with tribune.db.transaction() as conn:
        await conn.execute("UPDATE polls SET anonymous = 0 WHERE message_id = ?", (post.id,))
    await (await emulator.click(emulator.members["alice"], post, "Ni crédible ni pertinente")).wait_reply()
    await give_opinion(emulator, post, "alice", OPINION)
    [message] = thread_messages(emulator, post)
    assert message.embeds[0]["fields"][0]["name"] == "A voté : Ni crédible ni pertinente"


async def test_modal_limits_refuse_too_short_and_too_long_texts(emulator: DiscordEmulator, tribune: Tribune) -> None:
    post = await posted_article(emulator)
    for text in ("9 chars!!", "x" * 1501):
        click = await emulator.click(emulator.members["alice"], post, "Donner mon avis")
        modal = await click.wait_modal()
        with pytest.raises(EmulatorError, match="outside"):
            await emulator.submit_modal(emulator.members["alice"], modal, {"Votre avis": text})
    assert thread_messages(emulator, post) == []


async def test_mentions_ping_nobody_and_masked_links_show_their_target(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    post = await posted_article(emulator)
    text = "@everyone regardez [la source officielle](https://phishing.example/login) <@&123>"
    await give_opinion(emulator, post, "alice", text)
    [message] = thread_messages(emulator, post)
    assert "la source officielle (https://phishing.example/login)" in message.embeds[0]["description"]
    thread = emulator.thread_of(post)
    body = [
        r.json
        for r in emulator.requests_matching("POST", "/channels/{channel_id}/messages")
        if r.path.endswith(f"/{thread.id}/messages")
    ][-1]
    assert body["allowed_mentions"] == {"parse": []}


async def test_useful_toggle_and_own_opinion_refused(emulator: DiscordEmulator, tribune: Tribune) -> None:
    post = await posted_article(emulator)
    await give_opinion(emulator, post, "alice", OPINION)
    [message] = thread_messages(emulator, post)
    own = await emulator.click(emulator.members["alice"], message, "Utile (0)")
    assert (await own.wait_reply()).content == "Vous ne pouvez pas marquer votre propre avis comme utile."
    mark = await emulator.click(emulator.members["bob"], message, "Utile (0)")
    assert "useful" in (await mark.wait_reply()).content
    await emulator.wait_for(lambda: "Utile (1)" in buttons(emulator.message(message.id)), timeout=5)
    unmark = await emulator.click(emulator.members["bob"], emulator.message(message.id), "Utile (1)")
    await unmark.wait_reply()
    await emulator.wait_for(lambda: "Utile (0)" in buttons(emulator.message(message.id)), timeout=5)


async def test_hide_and_restore_by_a_moderator(emulator: DiscordEmulator, tribune: Tribune) -> None:
    post = await posted_article(emulator)
    await give_opinion(emulator, post, "alice", OPINION)
    [message] = thread_messages(emulator, post)
    async with tribune.db.read() as conn:
        [opinion] = await OpinionStore(conn).of_member_in_guild(emulator.guild.id, emulator.members["alice"].id)
    hide = await emulator.invoke(emulator.members["mod"], "opinion hide", opinion=opinion.id, reason="Hors sujet")
    assert (await hide.wait_reply()).content == f"Avis n°{opinion.id} masqué."
    await emulator.wait_for(
        lambda: "masqué par la modération" in emulator.message(message.id).embeds[0]["description"], timeout=5
    )
    masked = emulator.message(message.id)
    assert OPINION not in str(masked.embeds) and "Hors sujet" not in str(masked.embeds) and not buttons(masked)
    listing = await emulator.invoke(emulator.members["mod"], "opinion list", article=opinion.article_id)
    assert "masqué (Hors sujet)" in (await listing.wait_reply()).embeds[0]["description"]
    async with tribune.db.read() as conn:
        assert await OpinionStore(conn).most_useful(opinion.article_id) == []
    restore = await emulator.invoke(emulator.members["mod"], "opinion restore", opinion=opinion.id)
    await restore.wait_reply()
    await emulator.wait_for(lambda: emulator.message(message.id).embeds[0]["description"] == OPINION, timeout=5)
    async with tribune.db.read() as conn, conn.execute("SELECT action FROM audit_log ORDER BY id") as cur:
        assert [r[0] for r in await cur.fetchall()][-2:] == ["opinion.hide", "opinion.restore"]


async def test_deleted_thread_is_re_created(emulator: DiscordEmulator, tribune: Tribune) -> None:
    post = await posted_article(emulator)
    old = emulator.thread_of(post)
    emulator.delete_thread(old)
    _, _, reply = await give_opinion(emulator, post, "alice", OPINION)
    assert reply.content == "✅ Avis publié dans le fil de discussion."
    new = emulator.thread_of(post)
    # Discord gives a message's thread the message's id: the new thread is a live one with the same id.
    assert new is not None and not new.deleted and new.name == "Débat : Amazon prépare Trainium 2"
    assert old.id == new.id and len([c for c in emulator.threads() if c.id == new.id]) >= 1
    assert len(thread_messages(emulator, post)) == 1


async def test_archived_thread_is_reopened(emulator: DiscordEmulator, tribune: Tribune) -> None:
    post = await posted_article(emulator)
    thread = emulator.thread_of(post)
    emulator.archive_thread(thread)
    await give_opinion(emulator, post, "alice", OPINION)
    assert not emulator.channel(thread.id).archived
    assert len(thread_messages(emulator, post)) == 1


async def test_opinion_is_kept_when_the_bot_cannot_post_in_the_thread(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    post = await posted_article(emulator)
    emulator.deny_bot("send_messages_in_threads", channel="general")
    _, _, reply = await give_opinion(emulator, post, "alice", OPINION)
    assert "pas pu le publier" in reply.content
    async with tribune.db.read() as conn:
        assert len(await OpinionStore(conn).of_member_in_guild(emulator.guild.id, emulator.members["alice"].id)) == 1


async def test_cooldown_after_three_quick_submissions(emulator: DiscordEmulator, tribune: Tribune) -> None:
    post = await posted_article(emulator)
    for i in range(3):
        await give_opinion(emulator, post, "alice", f"Version {i} de mon avis sur le sujet.")
    click = await emulator.click(emulator.members["alice"], post, "Donner mon avis")
    reply = await click.wait_reply()
    assert click.ephemeral and "réessayez dans" in reply.content


async def test_author_deletes_their_opinion_from_the_confirmation(emulator: DiscordEmulator, tribune: Tribune) -> None:
    post = await posted_article(emulator)
    _, _, reply = await give_opinion(emulator, post, "alice", OPINION)
    [message] = thread_messages(emulator, post)
    delete = await emulator.click(emulator.members["alice"], reply, "Supprimer mon avis")
    await delete.wait_response()
    await emulator.wait_for(lambda: emulator.message(message.id).deleted, timeout=5)
    async with tribune.db.read() as conn:
        assert await OpinionStore(conn).of_member_in_guild(emulator.guild.id, emulator.members["alice"].id) == []
