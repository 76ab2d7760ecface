"""The whole analysis over every fixture: language, summary, keywords, questions, duplicate hash."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import bot.articles as articles
from bot.articles.errors import ArticleError
from bot.articles.extract import Article, extract_html, extract_text
from bot.articles.pipeline import analyse, content_hash
from bot.articles.summary import DEFAULT_MAX_SENTENCES
from bot.i18n import catalog, t

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "articles"
FOLDERS = sorted(path for path in FIXTURES.iterdir() if (path / "expected.json").is_file())
SOURCES = [
    (folder, source) for folder in FOLDERS for source in ("article.txt", "article.html") if (folder / source).is_file()
]
PACKAGE = Path(__file__).resolve().parents[2] / "bot" / "articles"


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


@pytest.mark.parametrize(("folder", "source"), SOURCES, ids=lambda value: getattr(value, "name", value))
def test_analyse_fixture(folder: Path, source: str) -> None:
    raw = (folder / source).read_text(encoding="utf-8")
    article = extract_text(raw) if source.endswith(".txt") else extract_html(raw)
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    analysis = analyse(article)
    assert analysis.language == expected["language"]
    assert analysis.article is article
    assert "\u00a0" not in analysis.text and "\u202f" not in analysis.text
    assert [_plain(q.text) for q in analysis.questions.questions] == [_plain(q) for q in expected["reader_questions"]]
    assert 3 <= len(analysis.summary.sentences) <= DEFAULT_MAX_SENTENCES and len(analysis.summary.text) <= 600
    assert not any(q.text in analysis.summary.text for q in analysis.questions.questions)
    assert 1 <= len(analysis.keywords) <= 5
    assert re.fullmatch(r"[0-9a-f]{64}", analysis.content_hash)
    assert analysis.content_hash == content_hash(article.text, analysis.language)


@pytest.mark.parametrize(
    "folder", [path for path in FOLDERS if (path / "article.html").is_file()], ids=lambda p: p.name
)
def test_same_article_from_html_and_text_has_the_same_hash(folder: Path) -> None:
    page = analyse(extract_html((folder / "article.html").read_text(encoding="utf-8")))
    text = analyse(extract_text((folder / "article.txt").read_text(encoding="utf-8")))
    assert page.content_hash == text.content_hash
    assert page.questions.questions == text.questions.questions


def test_hash_ignores_spacing_case_and_punctuation_but_not_words() -> None:
    base = content_hash("Nvidia domine le marché. Intel suit.")
    assert content_hash("Nvidia domine le marché.Intel suit.") == base
    assert content_hash("  nvidia DOMINE le\u00a0marché !\n\nIntel suit") == base
    assert content_hash("Nvidia domine le marché. AMD suit.") != base
    hashes = {
        analyse(extract_text((folder / "article.txt").read_text(encoding="utf-8"))).content_hash for folder in FOLDERS
    }
    assert len(hashes) == len(FOLDERS)


def test_language_falls_back_to_detection() -> None:
    english = Article(title=None, text="The update crashed millions of Windows machines. Was your team affected?")
    analysis = analyse(english)
    assert analysis.language == "en"
    assert analysis.questions.poll.answers[0] == "Yes"
    assert analysis.questions.opinion_prompt == "What is your opinion on the subject?"


def test_package_exports_are_lazy_and_resolve() -> None:
    for name in articles.__all__:
        assert getattr(articles, name) is not None
    assert articles.analyse is analyse
    with pytest.raises(AttributeError):
        _ = articles.does_not_exist


def _raised_keys() -> set[str]:
    keys: set[str] = set()
    pattern = re.compile(r"(?:Error|error)\(\s*\"([a-z_]+\.[a-z_.]+)\"")
    # The article errors are raised by the domain and by the shell's network clients (the fetcher, the LLM).
    for path in [*PACKAGE.glob("*.py"), *(PACKAGE.parent / "net").glob("*.py")]:
        keys.update(pattern.findall(path.read_text(encoding="utf-8")))
    return keys


def test_every_raised_key_has_french_and_english_messages() -> None:
    keys = _raised_keys()
    assert {"fetch.private_address", "poll.answers.too_long", "extract.empty", "feed.invalid"} <= keys
    assert keys <= catalog("fr").keys()
    assert catalog("fr").keys() == catalog("en").keys()


def test_errors_render_from_the_catalogs() -> None:
    assert t("fetch.scheme", "fr", scheme="ftp") == (
        "Adresse refusée : le protocole « ftp » n'est pas autorisé (seuls http et https le sont)."
    )
    error = ArticleError("fetch.too_large", {"max_mb": "5", "max_bytes": 5 * 1024 * 1024})
    assert error.render("fr") == "Page trop volumineuse : la limite est de 5 Mo."
    assert "Page too large" in error.render("en") or "5" in error.render("en")
    assert "fetch.too_large" in str(error) and "max_mb" in repr(error)


def test_domain_never_imports_discord() -> None:
    # The article errors are raised by the domain and by the shell's network clients (the fetcher, the LLM).
    for path in [*PACKAGE.glob("*.py"), *(PACKAGE.parent / "net").glob("*.py")]:
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(?:import|from)\s+discord\b", source, re.MULTILINE), path.name
