""" "Ce que disent les membres" end to end: closing message, /poll results, /digest preview, privacy."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.client import Tribune
from db.opinions import OpinionStore
from tests.conftest import FakeClock
from tests.discord_emulator import DiscordEmulator
from tests.e2e.test_opinions import give_opinion, posted_article
from tests.e2e.test_polls import poll_id_of

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "opinions" / "trainium2.json"
FOR, AGAINST = "Crédible et pertinente", "Ni crédible ni pertinente"


def texts(group: str) -> list[str]:
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))["opinions"]
    return list(dict.fromkeys(row["text"] for row in rows if row["group"] == group))


async def debate(emulator: DiscordEmulator, post, votes: bool) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Six members for (Anthropic tests the chip), six against (CUDA); returns member key → text."""
    members = emulator.add_members(12)
    written = {}
    for member, text in zip(members, texts("anthropic")[:6] + texts("cuda")[:6], strict=True):
        written[member.key] = text
    for index, (key, text) in enumerate(written.items()):
        if votes:
            await (await emulator.click(emulator.members[key], post, FOR if index < 6 else AGAINST)).wait_reply()
        await give_opinion(emulator, post, key, text)
    return written


async def final_results(emulator: DiscordEmulator, post) -> str:  # type: ignore[no-untyped-def]
    thread = emulator.thread_of(post)
    await emulator.wait_for(lambda: any(m.attachments for m in emulator.messages_in(thread)), timeout=5)
    [final] = [m for m in emulator.messages_in(thread) if m.attachments]
    return final.embeds[0]["description"]


async def test_closing_a_public_poll_tells_each_side_without_hidden_or_deleted_opinions(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    post = await posted_article(emulator)
    async with tribune.db.transaction() as conn:
        await conn.execute("UPDATE polls SET anonymous = 0 WHERE message_id = ?", (post.id,))
    written = await debate(emulator, post, votes=True)
    hidden_key = list(written)[6]
    alice_text = texts("anthropic")[6]
    await (await emulator.click(emulator.members["alice"], post, FOR)).wait_reply()
    await give_opinion(emulator, post, "alice", alice_text)
    async with tribune.db.read() as conn:
        [hidden] = await OpinionStore(conn).of_member_in_guild(emulator.guild.id, emulator.members[hidden_key].id)
    hide = await emulator.invoke(emulator.members["mod"], "opinion hide", opinion=hidden.id, reason="Test")
    await hide.wait_reply()
    forget = await emulator.invoke(emulator.members["alice"], "mydata delete")
    prompt = await forget.wait_reply()
    await (await emulator.click(emulator.members["alice"], prompt, "Tout supprimer")).wait_response()
    await emulator.wait_for(lambda: "avis" in (emulator.message(prompt.id).content or ""), timeout=5)
    poll_id = await poll_id_of(tribune, post.id)

    before = await emulator.invoke(emulator.members["bob"], "poll results", poll=poll_id)
    assert "What members say" not in str((await before.wait_reply()).embeds)  # only once the poll is closed

    await (await emulator.invoke(emulator.members["mod"], "poll close", poll=poll_id)).wait_reply()
    body = await final_results(emulator, post)
    assert "**Ce que disent les membres**" in body
    assert re.search(r"\*\*Pour\*\* · [^\n]*client[^\n]* · 3 avis\n> « ", body), body
    # Six against, one hidden by a moderator: five.
    assert re.search(r"\*\*Contre\*\* · [^\n]*cuda[^\n]* · 5 avis\n> « ", body), body
    assert written[hidden_key][:40] not in body and alice_text[:40] not in body
    assert "[lire l'avis](https://discord.com/channels/" in body

    after = await emulator.invoke(emulator.members["bob"], "poll results", poll=poll_id)
    shown = (await after.wait_reply()).embeds[0]["description"]
    assert after.ephemeral
    assert "**What members say**" in shown and re.search(r"\*\*Against\*\* · [^\n]* · 5 opinions", shown)


async def test_an_anonymous_article_poll_shows_themes_in_the_digest_preview(
    emulator: DiscordEmulator, tribune: Tribune, clock: FakeClock
) -> None:
    post = await posted_article(emulator)  # article polls are anonymous
    await debate(emulator, post, votes=True)
    clock.advance(days=1)  # the preview covers the 7 days up to the last digest hour: past the debate
    preview = await emulator.invoke(emulator.members["mod"], "digest preview")
    shown = await preview.wait_reply(timeout=10)
    body = "\n".join(embed.get("description") or "" for embed in shown.embeds)
    assert "**Ce que disent les membres**" in body
    assert re.search(r"^\*\*[^\n]*client[^\n]*\*\* · 3 avis$", body, re.M), body
    assert "**Pour** ·" not in body and "**Contre** ·" not in body and "**Partagé** ·" not in body
