"""Articles end to end: paste, file and URL sources, preview, duplicates, thread, limits."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.client import Tribune
from db.articles import ArticleStore
from db.polls import PollStore
from tests.conftest import FIXTURES
from tests.discord_emulator import DiscordEmulator

SEED = FIXTURES / "articles" / "00-trainium2" / "article.txt"
NVIDIA = FIXTURES / "articles" / "01-nvidia-blackwell-puces-ia"
MATRIX = [
    "Crédible et pertinente",
    "Crédible, mais pas pertinente",
    "Pertinente, mais pas crédible",
    "Ni crédible ni pertinente",
    "Sans avis",
]


def buttons(message) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.get("label") for c in message.walk_components() if c.get("type") == 2]


async def post_seed(emulator: DiscordEmulator, command: str = "article post", **options: object):  # type: ignore[no-untyped-def]
    record = await emulator.invoke(emulator.members["mod"], command, **options)
    modal = await record.wait_modal()
    assert modal.title == "Coller un article"
    assert modal.input("Texte de l'article").component["max_length"] == 4000  # Discord's text input limit
    submitted = await emulator.submit_modal(
        emulator.members["mod"],
        modal,
        {"Titre": "Amazon prépare Trainium 2", "Texte de l'article": SEED.read_text(encoding="utf-8")},
    )
    return submitted


async def test_pasted_seed_article_posts_summary_poll_and_thread(emulator: DiscordEmulator, tribune: Tribune) -> None:
    submitted = await post_seed(emulator)
    confirmation = await submitted.wait_reply(timeout=10)
    assert submitted.ephemeral and confirmation.content.startswith("Article publié : https://discord.com/channels/")

    post = emulator.last_message("general")
    assert post is not None
    card, results = post.embeds
    assert card["title"] == "Amazon prépare Trainium 2"
    assert "Trainium" in card["description"] and "?" not in card["description"]
    assert len(card["description"]) <= 600
    assert results["title"] == "Pensez-vous que cette annonce est crédible ou pertinente ?"
    assert buttons(post)[: len(MATRIX)] == MATRIX and buttons(post)[-1] == "Résultats"
    body = emulator.requests_matching("POST", "/channels/{channel_id}/messages")[-1].json
    assert body["allowed_mentions"] == {"parse": []}

    thread = emulator.thread_of(post)
    assert thread is not None and thread.name == "Débat : Amazon prépare Trainium 2"
    async with tribune.db.read() as conn:
        article = await ArticleStore(conn).by_message(post.id)
        poll = await PollStore(conn).by_message(post.id)
    assert article is not None and poll is not None
    assert article.thread_id == thread.id and poll.thread_id == thread.id and poll.article_id == article.id
    assert article.opinion_prompt == "Quel est votre avis sur le sujet ?"
    assert [q["text"] for q in article.questions] == [
        "Pensez-vous que cette annonce est crédible ou pertinente ?",
        "Quel est votre avis sur le sujet ?",
    ]
    vote = await emulator.click(emulator.members["alice"], post, "Crédible et pertinente")
    assert (await vote.wait_reply()).content.startswith("Vote enregistré : Crédible et pertinente")


async def test_the_same_text_twice_is_refused_with_a_link(emulator: DiscordEmulator, tribune: Tribune) -> None:
    await (await post_seed(emulator)).wait_reply(timeout=10)
    first = emulator.last_message("general")
    again = await post_seed(emulator)
    reply = await again.wait_reply(timeout=10)
    assert reply.content == (
        "Cet article a déjà été publié sur ce serveur : "
        f"https://discord.com/channels/{emulator.guild.id}/{first.channel_id}/{first.id}"
    )
    assert emulator.last_message("general").id == first.id


async def test_preview_then_publish(emulator: DiscordEmulator, tribune: Tribune) -> None:
    submitted = await post_seed(emulator, "article preview", options={"channel": "actualites"})
    preview = await submitted.wait_reply(timeout=10)
    assert submitted.ephemeral and f"<#{emulator.channel('actualites').id}>" in preview.content
    assert emulator.last_message("actualites") is None  # nothing posted yet
    publish = await emulator.click(emulator.members["mod"], preview, "Publier")
    await publish.wait_response()
    await emulator.wait_for(lambda: emulator.last_message("actualites") is not None, timeout=10)
    post = emulator.last_message("actualites")
    assert post.embeds[0]["title"] == preview.embeds[0]["title"]
    assert post.embeds[0]["description"] == preview.embeds[0]["description"]
    assert buttons(post) == buttons(emulator.message(preview.id)) or buttons(post)[: len(MATRIX)] == MATRIX
    await emulator.wait_for(lambda: "Article publié" in (emulator.message(preview.id).content or ""), timeout=5)


async def test_file_attachment_extracts_title_author_and_date(emulator: DiscordEmulator, tribune: Tribune) -> None:
    html = (NVIDIA / "article.html").read_bytes()
    expected = json.loads((NVIDIA / "expected.json").read_text(encoding="utf-8"))
    record = await emulator.invoke(emulator.members["mod"], "article post", file=("nvidia.html", html))
    await record.wait_reply(timeout=10)
    post = emulator.last_message("general")
    card = post.embeds[0]
    assert card["title"] == expected["title"]
    assert card["author"]["name"].startswith(expected["author"]) or expected["author"] in card["author"]["name"]
    assert "19 mars 2024" in card["author"]["name"]


async def test_unsupported_file_is_refused(emulator: DiscordEmulator, tribune: Tribune) -> None:
    record = await emulator.invoke(emulator.members["mod"], "article post", file=("photo.png", b"\x89PNG"))
    assert "photo.png" in (await record.wait_reply()).content
    assert emulator.last_message("general") is None


@pytest.fixture
async def news_site() -> AsyncIterator[str]:
    """A local news site serving the fixtures' HTML pages."""
    app = web.Application()

    async def page(request: web.Request) -> web.Response:
        folder = FIXTURES / "articles" / request.match_info["slug"]
        return web.Response(body=(folder / "article.html").read_bytes(), content_type="text/html", charset="utf-8")

    app.router.add_get("/articles/{slug}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_url_is_fetched_when_the_operator_allows_the_host(
    emulator: DiscordEmulator, run_tribune, news_site: str
) -> None:  # type: ignore[no-untyped-def]
    url = f"{news_site}/articles/01-nvidia-blackwell-puces-ia"
    async with run_tribune(env={"TRIBUNE_FETCH_ALLOW": "127.0.0.1"}) as bot:
        record = await emulator.invoke(emulator.members["mod"], "article post", url=url, duration="2d")
        await record.wait_reply(timeout=10)
        post = emulator.last_message("general")
        assert post.embeds[0]["url"] == url
        async with bot.db.read() as conn:
            poll = await PollStore(conn).by_message(post.id)
        assert poll is not None and (poll.closes_at - poll.created_at).days == 2
        again = await emulator.invoke(emulator.members["mod"], "article post", url=url)
        assert "déjà été publié" in (await again.wait_reply(timeout=10)).content


async def test_private_addresses_are_refused_by_default(
    emulator: DiscordEmulator, tribune: Tribune, news_site: str
) -> None:
    record = await emulator.invoke(
        emulator.members["mod"], "article post", url=f"{news_site}/articles/01-nvidia-blackwell-puces-ia"
    )
    reply = await record.wait_reply(timeout=10)
    assert "127.0.0.1" in reply.content and "Adresse refusée" in reply.content
    assert emulator.last_message("general") is None


async def test_question_and_answers_override_the_detected_poll(emulator: DiscordEmulator, tribune: Tribune) -> None:
    submitted = await post_seed(
        emulator, question="Amazon rattrapera-t-il Nvidia ?", answers="Oui; Non; Trop tôt pour le dire"
    )
    await submitted.wait_reply(timeout=10)
    post = emulator.last_message("general")
    assert post.embeds[1]["title"] == "Amazon rattrapera-t-il Nvidia ?"
    assert buttons(post)[:3] == ["Oui", "Non", "Trop tôt pour le dire"]


async def test_missing_thread_permission_is_named_before_anything_is_posted(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    emulator.deny_bot("create_public_threads", channel="general")
    record = await emulator.invoke(emulator.members["mod"], "article post")
    reply = await record.wait_reply()
    assert (
        reply.content
        == f"Il me manque la permission « Créer des fils publics » dans <#{emulator.channel('general').id}>."
    )
    assert emulator.last_message("general") is None


async def test_articles_go_to_the_configured_articles_channel(emulator: DiscordEmulator, tribune: Tribune) -> None:
    await (
        await emulator.invoke(emulator.members["mod"], "settings articles-channel", options={"channel": "actualites"})
    ).wait_reply()
    await (await post_seed(emulator)).wait_reply(timeout=10)
    assert emulator.last_message("actualites") is not None
    assert all(not m.embeds for m in emulator.messages_in("general"))


async def test_a_publish_refused_after_the_preview_reaches_the_moderator(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    # The preview's buttons sit on a TribuneView: a refusal raised by Publier goes through the one error path.
    submitted = await post_seed(emulator, "article preview", options={"channel": "actualites"})
    preview = await submitted.wait_reply(timeout=10)
    await (await post_seed(emulator)).wait_reply(timeout=10)  # the same article, posted meanwhile
    first = emulator.last_message("general")
    publish = await emulator.click(emulator.members["mod"], preview, "Publier")
    [refusal] = await publish.wait_followups(1, timeout=10)
    assert refusal.content == (
        "Cet article a déjà été publié sur ce serveur : "
        f"https://discord.com/channels/{emulator.guild.id}/{first.channel_id}/{first.id}"
    )
    assert emulator.last_message("actualites") is None
