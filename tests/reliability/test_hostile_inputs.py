"""Hostile input, end to end: every refusal reaches the member, nothing odd is posted, votes keep working.

Each case runs against the real bot on the emulator with an open poll that already holds votes. While the
case is under way a member votes; afterwards the case must have had a private answer within Discord's
deadline (the emulator fails the test otherwise), nothing must have been posted or pinged, the trap must
have seen no connection, and the database must pass `PRAGMA integrity_check` with every vote intact.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.client import Tribune
from bot.i18n import catalog
from db.polls import PollStore
from tests.discord_emulator import DiscordEmulator
from tests.discord_emulator.state import MessageRecord
from tests.reliability.conftest import HostileSite, Trap

# Short fetch limits keep the slow and huge cases fast; the refusals are the same as with the defaults.
FETCH_ENV = {"TRIBUNE_FETCH_ALLOW": "127.0.0.1", "TRIBUNE_FETCH_TIMEOUT": "1", "TRIBUNE_FETCH_MAX_MB": "1"}
DISCORD_CONTENT_MAX = 2000
ANSWER_TIMEOUT = 10.0  # a deferred answer; the 3-second acknowledgement deadline is the emulator's


def refusal_start(key: str) -> str:
    """The French message of `key` up to its first placeholder: what the member must read."""
    return catalog("fr")[key].split("{", 1)[0]


@dataclass(frozen=True)
class Case:
    """One hostile input: who runs which command with what, and which refusal they must read."""

    name: str
    command: str
    options: Callable[[HostileSite, Trap], dict[str, Any]]
    refusal: str  # the catalog key of the private answer the member must read
    member: str = "mod"


def binary(size: int) -> bytes:
    return random.Random(size).randbytes(size)


ZALGO = "Z" + "\u0336\u0338\u0335" * 300


CASES = [
    Case(
        "long-answer",
        "poll create",
        lambda s, t: {"question": "Q ?", "answers": "Oui; " + "n" * 5000},
        "poll.answers.too_long",
    ),
    Case("long-duration", "poll create", lambda s, t: {"question": "Q ?", "duration": "9" * 5000}, "duration.invalid"),
    Case(
        "zero-width-question",
        "poll create",
        lambda s, t: {"question": "\u200b\u200c\u200d\u2060"},
        "poll.question.empty",
    ),
    Case(
        "rtl-marks-question",
        "poll create",
        lambda s, t: {"question": "\u202e\u202d\u200f\u200e"},
        "poll.question.empty",
    ),
    Case(
        "invisible-answer",
        "poll create",
        lambda s, t: {"question": "Q ?", "answers": "Oui; \u200b\ufeff; Non"},
        "poll.answers.empty",
    ),
    Case("zalgo-duration", "poll create", lambda s, t: {"question": "Q ?", "duration": ZALGO}, "duration.invalid"),
    Case(
        "long-timezone", "settings timezone", lambda s, t: {"name": "Europe/" + "x" * 5990}, "settings.timezone_unknown"
    ),
    Case(
        "everyone-timezone",
        "settings timezone",
        lambda s, t: {"name": "@everyone @here <@&1> <@2>"},
        "settings.timezone_unknown",
    ),
    Case("binary-txt", "article post", lambda s, t: {"file": ("notes.txt", binary(20_000))}, "extract.not_text"),
    Case("binary-md", "article post", lambda s, t: {"file": ("notes.md", b"\x00\x01" * 3000)}, "extract.not_text"),
    Case("long-url", "article post", lambda s, t: {"url": f"{s.base}/" + "a" * 5000}, "fetch.http_status"),
    Case("huge-page", "article post", lambda s, t: {"url": f"{s.base}/huge"}, "fetch.too_large"),
    Case("huge-declared", "article post", lambda s, t: {"url": f"{s.base}/huge-declared"}, "fetch.too_large"),
    Case("gzip-bomb", "article post", lambda s, t: {"url": f"{s.base}/bomb"}, "fetch.too_large"),
    Case("slow-server", "article post", lambda s, t: {"url": f"{s.base}/slow"}, "fetch.timeout"),
    Case("pdf", "article post", lambda s, t: {"url": f"{s.base}/typed/pdf"}, "fetch.content_type"),
    Case("png", "article post", lambda s, t: {"url": f"{s.base}/typed/png"}, "fetch.content_type"),
    Case("zip", "article post", lambda s, t: {"url": f"{s.base}/typed/zip"}, "fetch.content_type"),
    Case("bad-charset", "article post", lambda s, t: {"url": f"{s.base}/typed/charset"}, "extract.empty"),
    Case("broken-feed", "feed add", lambda s, t: {"url": f"{s.base}/typed/broken-feed"}, "feed.malformed"),
    # Entity feeds are well-formed enough to follow; what matters is that nothing expands or is fetched.
    Case("billion-laughs", "feed add", lambda s, t: {"url": f"{s.base}/typed/laughs"}, "feed.added"),
    Case("xxe-http", "feed add", lambda s, t: {"url": f"{s.base}/typed/xxe"}, "feed.added"),
    Case("xxe-file", "feed add", lambda s, t: {"url": f"{s.base}/typed/xxe-file"}, "feed.added"),
    Case("feed-is-pdf", "feed add", lambda s, t: {"url": f"{s.base}/typed/pdf"}, "fetch.content_type"),
]
LOOPBACK = "fetch.private_address"
# Every spelling of the trap's address, typed directly and reached through a redirect.
for index in range(len(Trap(port=1).spellings())):
    CASES.append(Case(f"loopback-{index}", "article post", lambda s, t, i=index: {"url": t.spellings()[i]}, LOOPBACK))
    CASES.append(
        Case(
            f"redirect-loopback-{index}",
            "article post",
            lambda s, t, i=index: {"url": f"{s.base}/redirect?to={t.spellings()[i]}"},
            LOOPBACK,
        )
    )
    CASES.append(Case(f"feed-loopback-{index}", "feed add", lambda s, t, i=index: {"url": t.spellings()[i]}, LOOPBACK))


@dataclass
class Arena:
    """The bot with an open poll that already holds three votes, and what the checks need."""

    bot: Tribune
    poll_message: MessageRecord
    poll_id: int
    db_path: Path
    votes: dict[int, int] = field(default_factory=dict)


@pytest.fixture
async def arena(
    emulator: DiscordEmulator, run_tribune, tribune_db_path: Path, hostile_site: HostileSite
) -> AsyncIterator[Arena]:  # type: ignore[no-untyped-def]
    async with run_tribune(env=FETCH_ENV) as bot:
        record = await emulator.invoke(emulator.members["mod"], "poll create", question="Tient-il le choc ?")
        await record.wait_reply()
        message = emulator.last_message("general")
        assert message is not None
        for member, answer in (("alice", "Oui"), ("bob", "Non"), ("mod", "Oui")):
            await (await emulator.click(emulator.members[member], message, answer)).wait_reply()
        async with bot.db.read() as conn:
            poll_id = (await PollStore(conn).by_message(message.id)).id  # type: ignore[union-attr]
        yield Arena(bot, message, poll_id, tribune_db_path, {0: 2, 3: 1})


def public_messages(emulator: DiscordEmulator) -> list[MessageRecord]:
    return [m for m in emulator.world.messages.values() if not m.flags & 64 and not m.deleted]


def pings(message: MessageRecord) -> bool:
    return bool(message.mention_ids or message.mention_role_ids or message.mention_everyone)


async def integrity(path: Path) -> str:
    def check() -> str:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            return conn.execute("PRAGMA integrity_check").fetchone()[0]

    return await asyncio.to_thread(check)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_hostile_input_is_refused_privately_and_harms_nothing(
    emulator: DiscordEmulator, arena: Arena, trap: Trap, hostile_site: HostileSite, case: Case
) -> None:
    before = {m.id for m in public_messages(emulator)}
    started = time.monotonic()
    hostile = await emulator.invoke(emulator.members[case.member], case.command, **case.options(hostile_site, trap))
    # Meanwhile a member votes and is answered as usual.
    newcomer = emulator.add_member(f"votant-{case.name}"[:32], locale="fr")
    vote = await emulator.click(newcomer, arena.poll_message, "Plutôt non")
    assert (await vote.wait_reply()).content.startswith("Vote enregistré : Plutôt non")
    reply = await hostile.wait_reply(timeout=ANSWER_TIMEOUT)
    elapsed = time.monotonic() - started

    assert hostile.ephemeral, reply.content
    assert reply.content and len(reply.content) <= DISCORD_CONTENT_MAX
    assert not reply.content.startswith(refusal_start("error.unexpected")), reply.content
    assert reply.content.startswith(refusal_start(case.refusal)), reply.content
    assert elapsed < ANSWER_TIMEOUT
    assert [m for m in public_messages(emulator) if m.id not in before] == []  # nothing posted
    assert not any(pings(m) for m in emulator.world.messages.values())
    assert trap.connections == []
    assert "lollol" not in reply.content and "root:" not in reply.content  # no entity was expanded or read

    assert await integrity(arena.db_path) == "ok"
    async with arena.bot.db.read() as conn:
        counts = await PollStore(conn).counts(arena.poll_id)
    assert counts.per_option == {**arena.votes, 2: 1} and counts.voters == 4


async def test_a_slow_site_does_not_hold_up_votes(
    emulator: DiscordEmulator, arena: Arena, hostile_site: HostileSite
) -> None:
    slow = await emulator.invoke(emulator.members["mod"], "article post", url=f"{hostile_site.base}/slow")
    await slow.wait_response()  # deferred within the deadline
    vote = await emulator.click(emulator.members["alice"], arena.poll_message, "Oui")
    await vote.wait_reply(timeout=0.8)
    assert slow.reply is None or not slow.reply.content  # the slow fetch is still under way…
    assert (await slow.wait_reply(timeout=ANSWER_TIMEOUT)).content.startswith(refusal_start("fetch.timeout"))


FORGED_IDS = ("0", "9223372036854775808", "99999999999999999999999999999999", "1" + "0" * 60)
FORGED = [
    (template, key)
    for template, key in (
        ("tribune:vote:{id}:0", "vote.poll_missing"),
        ("tribune:results:{id}", "vote.poll_missing"),
        ("tribune:opinion:{id}", "opinion.article_missing"),
        ("tribune:useful:{id}", "opinion.missing"),
        ("tribune:opinion-delete:{id}", "opinion.missing"),
    )
]


@pytest.mark.parametrize("template,key", FORGED, ids=[t.split(":")[1] for t, _ in FORGED])
async def test_forged_button_ids_read_as_unknown(
    emulator: DiscordEmulator, arena: Arena, template: str, key: str
) -> None:
    buttons = [
        {"type": 2, "style": 2, "label": forged, "custom_id": template.format(id=forged)[:100]} for forged in FORGED_IDS
    ]
    message = emulator.add_message("general", "piège", components=[{"type": 1, "components": buttons}])
    for button in buttons:
        click = await emulator.click(emulator.members["alice"], message, button["custom_id"])
        reply = await click.wait_reply()
        assert click.ephemeral and reply.content.startswith(refusal_start(key)), reply.content
    assert await integrity(arena.db_path) == "ok"
    async with arena.bot.db.read() as conn:
        assert (await PollStore(conn).counts(arena.poll_id)).per_option == arena.votes


def test_the_table_covers_every_kind_of_hostile_input() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))  # pytest ids stay unique
    wanted = {
        "long-answer",
        "long-duration",
        "long-timezone",
        "binary-txt",
        "zero-width-question",
        "huge-page",
        "gzip-bomb",
        "slow-server",
        "broken-feed",
        "billion-laughs",
        "xxe-http",
        "pdf",
        "bad-charset",
    }
    assert wanted <= set(names)
    assert sum(n.startswith("redirect-loopback-") for n in names) == len(Trap(port=1).spellings())


async def test_mentions_in_a_posted_poll_ping_nobody(emulator: DiscordEmulator, arena: Arena) -> None:
    question = "@everyone @here <@&1> <@2> ‮ Z̶a̶l̶g̶o ?"
    record = await emulator.invoke(
        emulator.members["mod"], "poll create", question=question, answers="@here; @everyone"
    )
    assert (await record.wait_reply()).content and record.ephemeral
    posted = emulator.last_message("general")
    assert posted is not None and posted.id != arena.poll_message.id
    assert posted.embeds[0]["title"].startswith("@everyone")
    assert not any(pings(m) for m in emulator.world.messages.values())


async def test_an_opinion_sent_after_its_article_post_was_deleted_is_refused(
    emulator: DiscordEmulator, arena: Arena
) -> None:
    from tests.e2e.test_opinions import posted_article

    post = await posted_article(emulator)
    click = await emulator.click(emulator.members["alice"], post, "Donner mon avis")
    modal = await click.wait_modal()
    await emulator.delete_message(post)  # deleted while the member was writing
    thread = emulator.thread_of(post)
    before = len(emulator.messages_in(thread)) if thread else 0
    submitted = await emulator.submit_modal(
        emulator.members["alice"], modal, {modal.inputs[0].custom_id: "Un avis arrivé trop tard, après la suppression."}
    )
    reply = await submitted.wait_reply(timeout=ANSWER_TIMEOUT)
    assert submitted.ephemeral and reply.content.startswith(refusal_start("opinion.article_gone")), reply.content
    assert (len(emulator.messages_in(thread)) if thread else 0) == before  # nothing landed in the orphaned thread
    async with arena.bot.db.read() as conn:
        assert await conn.execute_fetchall("SELECT id FROM opinions") == []
