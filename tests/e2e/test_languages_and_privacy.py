"""French first, English too; members' data under their control (export, delete, pseudonymous votes)."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.client import Tribune
from db.opinions import OpinionStore
from db.polls import PollStore
from tests.discord_emulator import DiscordEmulator
from tests.e2e.test_opinions import OPINION, give_opinion, posted_article, thread_messages
from tests.e2e.test_polls import create_poll, poll_id_of

DISCORD_NAME = re.compile(r"^[-_'\w]{1,32}$")


def walk(entries: list[dict[str, Any]], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    for entry in entries:
        here = f"{path} {entry['name']}".strip()
        found.append((here, entry))
        found += walk(entry.get("options") or [], here)
        for choice in entry.get("choices") or []:
            found.append((f"{here} = {choice['name']}", choice))
    return found


async def test_every_command_option_and_choice_has_a_french_name_and_description(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    everything = walk(emulator.commands())
    assert len(everything) > 80
    for path, entry in everything:
        french = (entry.get("name_localizations") or {}).get("fr")
        assert french, f"no French name for {path}"
        if "description" in entry:
            assert (entry.get("description_localizations") or {}).get("fr"), f"no French description for {path}"
            assert 1 <= len(entry["description_localizations"]["fr"]) <= 100, path
        if "value" not in entry:  # command and option names follow Discord's naming rule
            assert DISCORD_NAME.match(french) and french == french.lower(), (path, french)
    names = {path: entry["name_localizations"]["fr"] for path, entry in everything}
    assert names["poll"] == "sondage" and names["poll create"] == "créer"
    assert names["opinion hide"] == "masquer" and names["settings"] == "réglages" and names["mydata"] == "mes-données"


async def test_ephemeral_replies_follow_the_member_and_posts_follow_the_server(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    french_post = await create_poll(emulator, question="Langue du serveur ?")
    assert "Résultats" in str(french_post.components)
    await (await emulator.invoke(emulator.members["mod"], "settings language", language="en")).wait_reply()
    english_post = await create_poll(emulator, question="Server language?")
    labels = [c.get("label") for c in english_post.walk_components() if c.get("type") == 2]
    assert labels == ["Yes", "Rather yes", "Rather no", "No", "No opinion", "Results"]
    assert "Closes" in english_post.embeds[0]["description"]
    fr = await emulator.click(emulator.members["alice"], english_post, "Yes")  # alice's client is French
    assert (await fr.wait_reply()).content.startswith("Vote enregistré : Yes")
    en = await emulator.click(emulator.members["bob"], french_post, "Non")  # bob's is en-US
    assert (await en.wait_reply()).content.startswith("Vote recorded: Non")
    await emulator.wait_for(lambda: "1 voter" in emulator.message(english_post.id).embeds[0]["description"], timeout=5)
    # A post edited after the switch is rebuilt in the server's new language too.
    await emulator.wait_for(lambda: "1 voter" in emulator.message(french_post.id).embeds[0]["description"], timeout=5)


async def test_export_contains_exactly_the_members_data(emulator: DiscordEmulator, tribune: Tribune) -> None:
    post = await posted_article(emulator)
    poll = await create_poll(emulator, question="Sondage public ?", anonymous=False)
    alice, bob = emulator.members["alice"], emulator.members["bob"]
    await (await emulator.click(alice, post, "Sans avis")).wait_reply()
    await (await emulator.click(alice, poll, "Non")).wait_reply()
    await (await emulator.click(bob, poll, "Oui")).wait_reply()
    await give_opinion(emulator, post, "alice", OPINION)
    await give_opinion(emulator, post, "bob", "L'avis de Bob, qui ne doit pas apparaître.")
    bob_message = thread_messages(emulator, post)[-1]
    await (await emulator.click(alice, bob_message, "Utile (0)")).wait_reply()

    record = await emulator.invoke(alice, "mydata export")
    await record.wait_reply()
    assert record.ephemeral
    data = json.loads(record.attachments[0].data)
    assert data["member_id"] == str(alice.id)
    assert sorted((v["question"], v["answer"], v["anonymous_poll"]) for v in data["votes"]) == [
        ("Pensez-vous que cette annonce est crédible ou pertinente ?", "Sans avis", True),
        ("Sondage public ?", "Non", False),
    ]
    assert [o["text"] for o in data["opinions"]] == [OPINION]
    assert len(data["useful_marks_given"]) == 1
    assert "Bob" not in json.dumps(data) and str(bob.id) not in json.dumps(data)


async def test_delete_removes_votes_opinions_marks_and_updates_tallies(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    post = await posted_article(emulator)
    alice, bob = emulator.members["alice"], emulator.members["bob"]
    await (await emulator.click(alice, post, "Sans avis")).wait_reply()
    await (await emulator.click(bob, post, "Sans avis")).wait_reply()
    await give_opinion(emulator, post, "alice", OPINION)
    await give_opinion(emulator, post, "bob", "L'avis de Bob reste en place après tout ça.")
    alice_message, bob_message = thread_messages(emulator, post)
    await (await emulator.click(alice, bob_message, "Utile (0)")).wait_reply()
    await emulator.wait_for(lambda: "2 votants" in emulator.message(post.id).embeds[1]["description"], timeout=5)

    record = await emulator.invoke(alice, "mydata delete")
    prompt = await record.wait_reply()
    assert "Supprimer définitivement" in prompt.content
    confirm = await emulator.click(alice, prompt, "Tout supprimer")
    await confirm.wait_response()
    await emulator.wait_for(
        lambda: "1 vote(s), 1 avis et 1 marque(s)" in (emulator.message(prompt.id).content or ""), timeout=5
    )
    await emulator.wait_for(lambda: "\n1 votant\n" in emulator.message(post.id).embeds[1]["description"], timeout=5)
    assert emulator.message(alice_message.id).deleted
    await emulator.wait_for(lambda: "Utile (0)" in str(emulator.message(bob_message.id).components), timeout=5)
    async with tribune.db.read() as conn:
        assert await OpinionStore(conn).of_member_in_guild(emulator.guild.id, alice.id) == []
        assert (await PollStore(conn).counts(await poll_id_of(tribune, post.id))).voters == 1
        async with conn.execute("SELECT actor_id, action, target, details FROM audit_log") as cur:
            assert [tuple(r) for r in await cur.fetchall()][-1] == (alice.id, "mydata.delete", None, "{}")


async def test_the_votes_table_of_an_anonymous_poll_holds_no_member_id(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    message = await create_poll(emulator, question="Anonyme par défaut ?")
    members = [emulator.members["alice"], emulator.members["bob"], emulator.members["mod"]]
    for member in members:
        await (await emulator.click(member, message, "Oui")).wait_reply()
    async with tribune.db.read() as conn, conn.execute("SELECT voter FROM votes") as cur:
        stored = " ".join(r[0] for r in await cur.fetchall())
    for member in members:
        assert str(member.id) not in stored
