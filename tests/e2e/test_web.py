"""Public results end to end: moderators publish on the emulator, members vote, the web follows."""

from __future__ import annotations

import asyncio
import json
import re

import aiohttp

from bot.client import Tribune
from db.audit import AuditStore
from tests.discord_emulator import DiscordEmulator
from tests.e2e.test_polls import create_poll, poll_id_of

WEB_ENV = {"TRIBUNE_WEB_PORT": "0"}  # the OS picks a free port on 127.0.0.1


async def reply_of(emulator: DiscordEmulator, command: str, **options: object) -> str:
    record = await emulator.invoke(emulator.members["mod"], command, **options)
    reply = await record.wait_reply()
    assert record.ephemeral
    return reply.content or ""


async def json_of(http: aiohttp.ClientSession, url: str) -> dict[str, object]:
    async with http.get(url) as response:
        assert response.status == 200, url
        return json.loads(await response.text())


async def test_members_vote_and_the_json_and_page_follow_within_the_edit_interval(
    emulator: DiscordEmulator, run_tribune
) -> None:  # type: ignore[no-untyped-def]
    async with run_tribune(env=WEB_ENV, tally_edit_interval=0.3) as bot, aiohttp.ClientSession() as http:
        assert bot.web is not None and bot.web.host == "127.0.0.1"
        message = await create_poll(emulator, question="Le web suit-il les votes ?")
        poll_id = await poll_id_of(bot, message.id)

        refused = await reply_of(emulator, "poll publish", poll=poll_id)
        assert "désactivée sur ce serveur" in refused  # opt-in per server first

        saved = await reply_of(emulator, "settings publish-results", state="on", origins="https://www.journal.example/")
        assert "activé" in saved and "https://www.journal.example" in saved
        reply = await reply_of(emulator, "poll publish", poll=poll_id)
        urls = dict(re.findall(r"^(Page|JSON|Intégration) : (\S+)$", reply, re.MULTILINE))
        base = bot.web.base_url
        assert urls["JSON"].startswith(f"{base}/p/") and urls["JSON"].endswith(".json")
        public_id = urls["Page"].removeprefix(f"{base}/p/")
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", public_id)  # 128 random bits, not the poll's number
        assert str(message.id) not in reply and str(emulator.guild.id) not in reply
        assert f'<iframe src="{urls["Intégration"]}"' in reply and "```html" in reply
        again = await reply_of(emulator, "poll publish", poll=poll_id)
        assert urls["Page"] in again  # publishing twice keeps the same address

        document = await json_of(http, urls["JSON"])
        assert document["voters"] == 0 and document["status"] == "open"

        for name, answer in (("alice", "Oui"), ("bob", "Oui"), ("admin", "Non")):
            await (await emulator.click(emulator.members[name], message, answer)).wait_reply()
        started = asyncio.get_running_loop().time()

        async def counts() -> list[int]:
            found = await json_of(http, urls["JSON"])
            return [a["count"] for a in found["answers"]]  # type: ignore[index, union-attr]

        while await counts() != [2, 0, 0, 1, 0]:
            # The service caches for one edit interval; allow one more for a loaded machine.
            assert asyncio.get_running_loop().time() - started < 2 * bot.tally_edit_interval + 0.5
            await asyncio.sleep(0.05)
        async with http.get(urls["Page"]) as page:
            html = await page.text()
        assert 'data-voters="3"' in html and "3 votants" in html
        assert 'data-count="2"' in html and "Oui" in html
        async with http.get(urls["Intégration"]) as embed:
            assert "frame-ancestors https://www.journal.example" in embed.headers["Content-Security-Policy"]

        withdrawn = await reply_of(emulator, "poll publish", poll=poll_id, state="off")
        assert "retiré du web" in withdrawn
        async with http.get(urls["JSON"]) as gone:
            assert gone.status == 404
        async with bot.db.read() as conn:
            actions = [e.action for e in await AuditStore(conn).latest(emulator.guild.id, None, limit=10, offset=0)]
        assert {"poll.publish", "poll.unpublish", "settings.publish_results"} <= set(actions)
    async with aiohttp.ClientSession() as http:  # the service stopped with the bot
        try:
            async with http.get(urls["Page"]) as after:
                raise AssertionError(f"still serving: {after.status}")
        except aiohttp.ClientConnectionError:
            pass


async def test_switching_publishing_off_hides_every_published_poll(emulator: DiscordEmulator, run_tribune) -> None:  # type: ignore[no-untyped-def]
    async with run_tribune(env=WEB_ENV) as bot, aiohttp.ClientSession() as http:
        message = await create_poll(emulator, question="Éteindre la publication ?")
        poll_id = await poll_id_of(bot, message.id)
        await reply_of(emulator, "settings publish-results", state="on")
        reply = await reply_of(emulator, "poll publish", poll=poll_id)
        json_url = re.search(r"^JSON : (\S+)$", reply, re.MULTILINE).group(1)  # type: ignore[union-attr]
        assert (await json_of(http, json_url))["question"] == "Éteindre la publication ?"
        await reply_of(emulator, "settings publish-results", state="off")
        # No waiting: the cached results must not outlive the decision to stop publishing.
        async with http.get(json_url) as gone:
            assert gone.status == 404


async def test_without_a_port_there_is_no_web_service(emulator: DiscordEmulator, tribune: Tribune) -> None:
    assert tribune.web is None
    invalid = await reply_of(emulator, "settings publish-results", state="on", origins="javascript:alert(1)")
    assert "invalide" in invalid
    await reply_of(emulator, "settings publish-results", state="on")
    message = await create_poll(emulator, question="Publié sans service web ?")
    reply = await reply_of(emulator, "poll publish", poll=await poll_id_of(tribune, message.id))
    assert "TRIBUNE_PUBLIC_URL" in reply  # the links cannot be complete: the moderator is told what to set


async def test_a_busy_port_leaves_the_bot_running_without_the_web_service(
    emulator: DiscordEmulator, run_tribune, caplog
) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with run_tribune(env={"TRIBUNE_WEB_PORT": str(port)}) as bot:
            assert bot.web is None
            assert "could not listen on 127.0.0.1:" in caplog.text
            message = await create_poll(emulator, question="Le bot tourne-t-il quand même ?")
            vote = await emulator.click(emulator.members["alice"], message, "Oui")
            assert (await vote.wait_reply()).content.startswith("Vote enregistré : Oui")


async def test_article_page_follows_moderation_of_its_opinions(emulator: DiscordEmulator, run_tribune) -> None:  # type: ignore[no-untyped-def]
    from db.opinions import OpinionStore
    from tests.e2e.test_opinions import give_opinion, posted_article

    async with run_tribune(env=WEB_ENV) as bot, aiohttp.ClientSession() as http:
        post = await posted_article(emulator)
        poll_id = await poll_id_of(bot, post.id)
        await give_opinion(emulator, post, "alice", "Une annonce crédible, les chiffres se tiennent.")
        await give_opinion(emulator, post, "bob", "Trop tôt pour juger, attendons les essais.")
        await reply_of(emulator, "settings publish-results", state="on", opinions=True)
        reply = await reply_of(emulator, "poll publish", poll=poll_id)
        article_url = re.search(r"^Page de l'article : (\S+)$", reply, re.MULTILINE).group(1)  # type: ignore[union-attr]

        async def page() -> str:
            async with http.get(article_url) as response:
                assert response.status == 200
                return await response.text()

        html = await page()
        assert "Amazon prépare Trainium 2" in html and "Pensez-vous que cette annonce" in html
        assert "les chiffres se tiennent" in html and "attendons les essais" in html
        for member in ("alice", "bob"):
            assert str(emulator.members[member].id) not in html and emulator.members[member].name not in html

        async with bot.db.read() as conn:
            [hidden] = await OpinionStore(conn).of_member_in_guild(emulator.guild.id, emulator.members["bob"].id)
        await reply_of(emulator, "opinion hide", opinion=hidden.id, reason="Hors sujet")
        started = asyncio.get_running_loop().time()
        while "attendons les essais" in await page():
            assert asyncio.get_running_loop().time() - started < 2, "a hidden opinion stayed on the web"
            await asyncio.sleep(0.05)
        assert "les chiffres se tiennent" in await page() and "Hors sujet" not in await page()
