"""An article that asks several closed questions: one poll each in the article's message, apart in every way."""

from __future__ import annotations

from typing import Any

from bot.client import Tribune
from db.articles import ArticleStore
from db.polls import Poll, PollStore
from tests.discord_emulator import DiscordEmulator

ARTICLE = (
    "La ville de Lorvin a inauguré lundi 3 mars sa première ligne de tramway, longue de 12 kilomètres. "
    "Les travaux ont coûté 380 millions d'euros et ont duré quatre ans. "
    "La ligne dessert 21 stations entre la gare et le campus universitaire. "
    "Le maire promet une deuxième ligne avant 2030, si les finances le permettent.\n\n"
    "La réussite viendra-t-elle enfin ? Trouvez-vous ce tracé judicieux ? "
    "Prendrez-vous le tramway pour aller travailler ? Qu'en pensez-vous ?\n\n"
    "Dites-le-nous dans les commentaires."
)
FIRST = "Trouvez-vous ce tracé judicieux ?"
SECOND = "Prendrez-vous le tramway pour aller travailler ?"


async def post_article(emulator: DiscordEmulator) -> Any:
    record = await emulator.invoke(emulator.members["mod"], "article post")
    modal = await record.wait_modal()
    submitted = await emulator.submit_modal(
        emulator.members["mod"], modal, {"Titre": "Lorvin inaugure son tramway", "Texte de l'article": ARTICLE}
    )
    await submitted.wait_reply(timeout=10)
    post = emulator.last_message("general")
    assert post is not None
    return post


async def polls_of(bot: Tribune, message_id: int) -> list[Poll]:
    async with bot.db.read() as conn:
        return await PollStore(conn).of_message(message_id)


async def vote(emulator: DiscordEmulator, member: str, post: Any, poll: Poll, position: int) -> str:
    click = await emulator.click(emulator.members[member], post, f"tribune:vote:{poll.id}:{position}")
    return (await click.wait_reply()).content


async def test_each_closed_question_is_its_own_poll_in_the_article_message(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    post = await post_article(emulator)
    card, first, second = post.embeds
    assert card["title"] == "Lorvin inaugure son tramway"
    assert card["fields"] == [{"name": "💬 En débat", "value": "Qu'en pensez-vous ?", "inline": False}]
    assert (first["title"], second["title"]) == (FIRST, SECOND)
    rows = [[c.get("label") for c in row["components"]] for row in post.components]
    assert rows == [
        ["Oui", "Plutôt oui", "Plutôt non", "Non", "Sans avis"],
        ["Oui", "Plutôt oui", "Plutôt non", "Non", "Sans avis"],
        ["Donner mon avis", "Résultats 1", "Résultats 2"],
    ]
    polls = await polls_of(tribune, post.id)
    assert [p.question for p in polls] == [FIRST, SECOND]
    async with tribune.db.read() as conn:
        article = await ArticleStore(conn).by_message(post.id)
    assert article is not None and article.opinion_prompt == "Qu'en pensez-vous ?"
    assert all(p.article_id == article.id and p.thread_id == article.thread_id for p in polls)
    assert "sera-t-il" not in " ".join(e.get("title", "") for e in post.embeds)  # speculation: no poll


async def test_votes_on_each_poll_are_counted_apart_and_survive_a_restart(
    emulator: DiscordEmulator, run_tribune
) -> None:  # type: ignore[no-untyped-def]
    async with run_tribune() as bot:
        post = await post_article(emulator)
        first, second = await polls_of(bot, post.id)
        assert (await vote(emulator, "alice", post, first, 0)).startswith("Vote enregistré : Oui")
        assert (await vote(emulator, "alice", post, second, 3)).startswith("Vote enregistré : Non")
        assert (await vote(emulator, "admin", post, second, 3)).startswith("Vote enregistré : Non")
        await emulator.wait_for(lambda: "2 votants" in (emulator.message(post.id).embeds[2].get("description") or ""))
        shown = emulator.message(post.id).embeds
        assert "1 votant" in shown[1]["description"] and "2 votants" not in shown[1]["description"]
        assert [e["title"] for e in shown[1:]] == [FIRST, SECOND]  # the edit kept both polls
    async with run_tribune() as bot:
        assert (await vote(emulator, "mod", post, first, 1)).startswith("Vote enregistré : Plutôt oui")
        async with bot.db.read() as conn:
            store = PollStore(conn)
            assert (await store.counts(first.id)).per_option == {0: 1, 1: 1}
            assert (await store.counts(second.id)).per_option == {3: 2}
        await emulator.wait_for(lambda: "2 votants" in (emulator.message(post.id).embeds[1].get("description") or ""))
        assert len(emulator.message(post.id).embeds) == 3


async def test_results_and_deletion_of_one_poll_leave_the_other(emulator: DiscordEmulator, tribune: Tribune) -> None:
    post = await post_article(emulator)
    first, second = await polls_of(tribune, post.id)
    results = await emulator.click(emulator.members["alice"], post, "Résultats 2")
    assert (await results.wait_reply()).embeds[0]["title"] == SECOND
    await tribune.polls.close(first.id)  # type: ignore[union-attr]
    await emulator.wait_for(lambda: "Sondage clos" in (emulator.message(post.id).embeds[1].get("description") or ""))
    shown = emulator.message(post.id)
    votes = {
        c["custom_id"]: c.get("disabled", False) for c in shown.walk_components() if "vote" in c.get("custom_id", "")
    }
    assert all(votes[f"tribune:vote:{first.id}:{i}"] for i in range(5))
    assert not any(votes[f"tribune:vote:{second.id}:{i}"] for i in range(5))
    assert "Sondage clos" not in shown.embeds[2]["description"]
