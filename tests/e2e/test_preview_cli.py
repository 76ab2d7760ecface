"""`python -m bot preview FILE [--json]`: what /article post would post, printed without Discord."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.__main__ import main, preview
from bot.articles.extract import extract_text
from bot.articles.pipeline import analyse
from bot.articles.preview import Overrides, resolve_polls
from bot.settings import Settings

QUESTIONS = (
    "La réussite viendra-t-elle enfin ? Prendrez-vous le tramway pour aller travailler ? "
    "Utilisez-vous le bus aujourd'hui ? Qu'en pensez-vous ?"
)
ARTICLE = f"""La ville de Lorvin inaugure son tramway

La ville de Lorvin a inauguré lundi 3 mars sa première ligne de tramway, longue de 12 kilomètres.
Les travaux ont coûté 380 millions d'euros et ont duré quatre ans.
La ligne dessert 21 stations entre la gare et le campus universitaire.
Le maire promet une deuxième ligne avant 2030.

{QUESTIONS}

Dites-le-nous dans les commentaires.
"""


@pytest.fixture
def article_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.delenv("TRIBUNE_LLM_URL", raising=False)
    path = tmp_path / "tramway.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def test_preview_prints_title_summary_questions_poll_and_keywords(
    article_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["preview", str(article_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# La ville de Lorvin inaugure son tramway")
    assert "La ville de Lorvin a inauguré lundi 3 mars" in out
    assert "[closed] Prendrez-vous le tramway pour aller travailler ?" in out
    assert "[open] Qu'en pensez-vous ?" in out
    assert "La réussite viendra-t-elle" not in out  # speculation, not a reader question
    assert "Poll 1 (scale): Prendrez-vous le tramway pour aller travailler ?" in out
    assert "Poll 2 (scale): Utilisez-vous le bus aujourd'hui ?" in out
    assert "  - Plutôt oui" in out
    assert "Opinion prompt: Qu'en pensez-vous ?" in out
    assert "Keywords:" in out


def test_preview_json_is_what_the_post_carries(article_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", str(article_file), "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    analysis = analyse(extract_text(ARTICLE))
    posted = resolve_polls(analysis, Overrides())  # what ArticlesCog.prepare puts in the post
    assert card["title"] == "La ville de Lorvin inaugure son tramway"
    assert card["summary"] == analysis.summary.sentences
    assert card["polls"] == [
        {"question": p.question, "kind": p.kind, "answers": p.answers, "detected": True} for p in posted
    ]
    assert [p["question"] for p in card["polls"]] == [
        "Prendrez-vous le tramway pour aller travailler ?",
        "Utilisez-vous le bus aujourd'hui ?",
    ]
    assert [q["text"] for q in card["questions"]] == [
        "Prendrez-vous le tramway pour aller travailler ?",
        "Utilisez-vous le bus aujourd'hui ?",
        "Qu'en pensez-vous ?",
    ]
    assert card["keywords"] == analysis.keywords


def test_preview_of_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", str(tmp_path / "absent.txt")]) == 2
    assert "Fichier introuvable" in capsys.readouterr().err


PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>La ville de Lorvin inaugure son tramway</title></head><body><article>
<h1>La ville de Lorvin inaugure son tramway</h1>
<p>La ville de Lorvin a inauguré lundi 3 mars sa première ligne de tramway, longue de 12 kilomètres.
Les travaux ont coûté 380 millions d'euros et ont duré quatre ans.</p>
<p>La ligne dessert 21 stations entre la gare et le campus universitaire.
Le maire promet une deuxième ligne avant 2030.</p>
<p>Prendrez-vous le tramway pour aller travailler ? Qu'en pensez-vous ?</p>
</article></body></html>"""


@pytest.fixture
async def local_site() -> AsyncIterator[str]:
    app = web.Application()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html", charset="utf-8")

    app.router.add_get("/tramway", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/tramway"
    await runner.cleanup()


async def test_preview_of_a_url_fetches_it_like_the_bot(local_site: str, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings.from_env({"TRIBUNE_FETCH_ALLOW": "127.0.0.1"})
    assert await preview(settings, local_site, as_json=True) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["url"] == local_site
    assert card["title"] == "La ville de Lorvin inaugure son tramway"
    assert [p["question"] for p in card["polls"]] == ["Prendrez-vous le tramway pour aller travailler ?"]
    assert card["opinion_prompt"] == "Qu'en pensez-vous ?"


async def test_preview_refuses_a_private_address_like_the_bot(
    local_site: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await preview(Settings.from_env({}), local_site, as_json=False) == 2
    err = capsys.readouterr().err
    assert "127.0.0.1" in err and "Adresse refusée" in err
