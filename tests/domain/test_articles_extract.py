"""Extraction over every fixture: metadata from the HTML page, no page clutter in the text, text files."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from bot.articles.errors import ExtractError
from bot.articles.extract import extract_file, extract_html, extract_markdown, extract_text, markdown_to_text
from bot.articles.normalize import normalize_text
from bot.articles.pipeline import content_hash

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "articles"
FOLDERS = sorted(path for path in FIXTURES.iterdir() if (path / "expected.json").is_file())
HTML_FOLDERS = [path for path in FOLDERS if (path / "article.html").is_file()]

# Page furniture of the fixture pages, by language (the XPath-derived list below covers the rest).
CLUTTER_STRINGS = {
    "fr": [
        "Nous et nos partenaires utilisons des cookies",
        "Tout accepter",
        "Gérer mes cookies",
        "Articles populaires",
        "Recevez chaque matin",
        "Flash info",
        "Mots-clés",
        "Partager cet article",
        "Laisser un commentaire",
        "Répondre",
        "Les commentaires sont modérés",
        "Tous droits réservés",
        "Lecture : 3 min",
        "Publicité",
    ],
    "en": [
        "Accept all",
        "Manage cookies",
        "Popular articles",
        "Share this article",
        "Leave a comment",
        "Comments are moderated",
        "All rights reserved",
        "3 min read",
        "Advertisement",
    ],
}


@dataclass(frozen=True)
class Fixture:
    name: str
    path: Path
    expected: dict[str, Any]

    @property
    def txt(self) -> str:
        return (self.path / "article.txt").read_text(encoding="utf-8")

    @property
    def html(self) -> str:
        return (self.path / "article.html").read_text(encoding="utf-8")


def _fixture(path: Path) -> Fixture:
    return Fixture(path.name, path, json.loads((path / "expected.json").read_text(encoding="utf-8")))


def _plain(text: str) -> str:
    """Compare after normalising non-breaking spaces (expected.json uses plain spaces)."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def _clutter_by_xpath(html: str) -> list[str]:
    """Every text fragment of the page furniture long enough to be unambiguous."""
    tree = lxml.html.fromstring(html)
    xpaths = [
        "//*[@id='cookie-banner']",
        "//header[contains(@class,'site-header')]",
        "//nav",
        "//aside",
        "//*[@id='comments']",
        "//footer",
        "//*[contains(@class,'post-tags')]",
        "//*[contains(@class,'share-buttons')]",
        "//*[contains(@class,'byline')]",
    ]
    fragments: set[str] = set()
    for xpath in xpaths:
        for element in tree.xpath(xpath):
            for text in element.itertext():
                text = _plain(text)
                if len(text) >= 20:
                    fragments.add(text)
    return sorted(fragments)


@pytest.fixture(params=HTML_FOLDERS, ids=lambda path: path.name)
def html_fixture(request: pytest.FixtureRequest) -> Fixture:
    return _fixture(request.param)


@pytest.fixture(params=FOLDERS, ids=lambda path: path.name)
def any_fixture(request: pytest.FixtureRequest) -> Fixture:
    return _fixture(request.param)


def test_every_fixture_folder_is_covered() -> None:
    assert len(FOLDERS) == 8
    assert len(HTML_FOLDERS) == 7


def test_html_metadata(html_fixture: Fixture) -> None:
    article = extract_html(html_fixture.html, url=f"https://example.news/articles/{html_fixture.name}")
    expected = html_fixture.expected
    assert _plain(article.title or "") == _plain(expected["title"])
    assert article.author == expected["author"]
    assert article.date == expected["published"]
    assert article.language == expected["language"]
    assert article.site_name in {"Le Fil Tech", "Le Fil Tech International"}
    assert article.image == f"https://example.news/images/{html_fixture.name}.jpg"
    assert article.description and _plain(article.description)[:30] in _plain(article.text)
    assert article.url == f"https://example.news/articles/{html_fixture.name}"


def test_html_text_has_no_clutter(html_fixture: Fixture) -> None:
    article = extract_html(html_fixture.html)
    text = _plain(article.text)
    fragments = _clutter_by_xpath(html_fixture.html)
    assert len(fragments) >= 10  # the selectors really match the page furniture
    leaked = [fragment for fragment in fragments if fragment in text]
    assert leaked == []
    language = html_fixture.expected["language"]
    assert [s for s in CLUTTER_STRINGS[language] if s in article.text] == []
    # The inline "Dossier" box of 05 is not part of the article either.
    assert "calendrier complet des obligations" not in text


def test_html_text_is_the_article_body(html_fixture: Fixture) -> None:
    """Same words as the plain-text version of the article, headline not repeated."""
    article = extract_html(html_fixture.html)
    title, body = html_fixture.txt.split("\n\n", 1)
    assert not _plain(article.text).startswith(_plain(title))
    assert content_hash(article.text) == content_hash(body)
    assert "\n\n" in article.text  # paragraphs kept apart


def test_html_reader_comments_are_excluded(html_fixture: Fixture) -> None:
    tree = lxml.html.fromstring(html_fixture.html)
    comments = [_plain(" ".join(node.itertext())) for node in tree.xpath("//*[contains(@class,'comment-body')]")]
    assert len(comments) == 2
    text = _plain(extract_html(html_fixture.html).text)
    for comment in comments:
        assert comment not in text
        assert comment[:40] not in text


def test_text_file_title_and_body(any_fixture: Fixture) -> None:
    article = extract_text(any_fixture.txt)
    expected = any_fixture.expected
    if expected["title"] is None:
        assert article.title is None
        assert article.text.startswith("En 2018, Amazon")
    else:
        assert _plain(article.title or "") == _plain(expected["title"])
        assert not article.text.startswith(article.title or "")
    assert article.language == expected["language"]
    assert article.author is None and article.date is None


def test_extract_file_dispatches_on_extension(any_fixture: Fixture) -> None:
    from_bytes = extract_file("article.txt", (any_fixture.path / "article.txt").read_bytes())
    assert from_bytes == extract_text(any_fixture.txt)
    if (any_fixture.path / "article.html").is_file():
        from_html = extract_file("Article.HTML", (any_fixture.path / "article.html").read_bytes())
        assert from_html.author == any_fixture.expected["author"]


def test_text_title_rules() -> None:
    assert extract_text("Un titre\n\nLe corps de l'article.").title == "Un titre"
    # Without a blank line after it, the first line is body text (like the 00 fixture).
    assert extract_text("Première phrase.\nSuite du texte.").title is None
    # A first paragraph that reads like a sentence is not a title.
    assert extract_text("Coup dur pour le secteur.\n\nLa suite.").title is None
    assert (
        extract_text("Faut-il encore apprendre le C ?\n\nLe débat reprend.").title == "Faut-il encore apprendre le C ?"
    )
    crlf = extract_text("\ufeffTitre\r\n\r\nCorps du texte.\r\n")
    assert (crlf.title, crlf.text) == ("Titre", "Corps du texte.")


def test_markdown_is_stripped() -> None:
    markdown = (
        "---\nlayout: post\n---\n"
        "# Linux 6.12 est **disponible**\n\n"
        "Le support [PREEMPT_RT](https://kernel.org) arrive *enfin* dans `sched_ext` et __le noyau__.\n\n"
        "## Et vous ?\n\n"
        "> Utilisez-vous un noyau temps réel ?\n\n"
        "- premier point\n* second point\n\n"
        "![capture](img.png)\n"
    )
    title, text = markdown_to_text(markdown)
    assert title == "Linux 6.12 est disponible"
    assert "Le support PREEMPT_RT arrive enfin dans sched_ext et le noyau." in text
    assert "Et vous ?" in text and "Utilisez-vous un noyau temps réel ?" in text
    for marker in ("#", "**", "](", "`", "> ", "![", "layout"):
        assert marker not in text
    article = extract_markdown(markdown)
    assert article.title == "Linux 6.12 est disponible"
    assert extract_file("post.md", markdown.encode()).title == "Linux 6.12 est disponible"


def test_markdown_setext_title_and_identifiers() -> None:
    title, text = markdown_to_text("Le titre\n========\n\nUne variable snake_case_name et 2*3*4.\n")
    assert title == "Le titre"
    assert text == "Une variable snake_case_name et 2*3*4."


def test_unsupported_file_and_empty_documents() -> None:
    with pytest.raises(ExtractError) as info:
        extract_file("rapport.pdf", b"%PDF-1.7")
    assert info.value.key == "extract.unsupported_file"
    assert info.value.params == {"name": "rapport.pdf"}
    with pytest.raises(ExtractError) as empty:
        extract_text("   \n\n  ")
    assert empty.value.key == "extract.empty"
    with pytest.raises(ExtractError) as no_article:
        extract_html("<html><body><nav><a href='/'>Accueil</a></nav></body></html>")
    assert no_article.value.key == "extract.empty"


def test_file_bytes_decoding() -> None:
    latin = "Titre\n\nÉté déjà là : 5 €.".encode("cp1252")
    assert extract_file("note.txt", latin).text == "Été déjà là : 5 €."
    assert extract_file("note.txt", "Titre\n\nÉté.".encode("utf-8-sig")).title == "Titre"


def test_normalised_text_of_glued_fixture_matches_html_paragraph_words() -> None:
    folder = FIXTURES / "11-linux-6-12-preempt-rt"
    glued = extract_text((folder / "article.txt").read_text(encoding="utf-8"))
    page = extract_html((folder / "article.html").read_text(encoding="utf-8"))
    assert "noyau.6.12" not in normalize_text(glued.text) and "noyau. 6.12" not in normalize_text(glued.text)
    assert "projet. 6.12 devrait" in normalize_text(glued.text)
    assert content_hash(glued.text) == content_hash(page.text)
