"""`python -m bot preview FILE [--json]`: what /article post would post, printed without Discord."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.articles.extract import extract_text
from bot.articles.pipeline import analyse
from bot.articles.preview import Overrides, resolve_polls

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
