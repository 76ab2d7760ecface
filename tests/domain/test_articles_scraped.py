"""Segmentation of scraped text: glued intertitles, related links, bullets, navigation, truncated titles."""

from __future__ import annotations

import pytest

from bot.articles.extract import extract_text
from bot.articles.normalize import normalize_text, split_glued_headings, split_paragraphs, split_sentences


@pytest.mark.parametrize(
    ("text", "paragraphs"),
    [
        (
            "La mairie ouvre une enquêteSurpris, les habitants réagissent.",
            ["La mairie ouvre une enquête", "Surpris, les habitants réagissent."],
        ),
        (
            "Le bilan de GaspardAssumant son choix, il répond.",
            ["Le bilan de Gaspard", "Assumant son choix, il répond."],
        ),
        ("Le réseau testéAinsi, la ville gagne du temps.", ["Le réseau testé", "Ainsi, la ville gagne du temps."]),
        (
            'Il lance : "Le tram, c\'est fini"Gaspard rebondit.',
            ['Il lance : "Le tram, c\'est fini"', "Gaspard rebondit."],
        ),
        ("Il lance « c'est fini »Gaspard rebondit.", ["Il lance « c'est fini »", "Gaspard rebondit."]),
    ],
)
def test_glued_intertitles_are_cut(text: str, paragraphs: list[str]) -> None:
    assert split_paragraphs(normalize_text(text, "fr")) == paragraphs


@pytest.mark.parametrize(
    "text",
    [
        "Il joue sur PlayStation 5 et sur iPhone.",
        "Le client de McDonald's parle à M. Macron.",
        "Python 3.5 et ASP.NET tournent sur amazon.fr.",
        "Selon CrowdStrike, YouTube et LinkedIn sont touchés.",
        "Le joueur LeBron et l'acteur DiCaprio.",
        'Le titre "Shallow" est repris par "Lady Gaga" en concert.',
    ],
)
def test_names_are_not_cut(text: str) -> None:
    assert split_glued_headings(text) == [text]
    assert normalize_text(text, "fr") == text


def test_sentence_glued_after_a_full_stop_and_a_one_letter_word() -> None:
    assert split_sentences(normalize_text("Le tri est fait.A partir de lundi, tout change.", "fr")) == [
        "Le tri est fait.",
        "A partir de lundi, tout change.",
    ]
    assert split_sentences(normalize_text("Le tri est fait.L'usine ferme.", "fr")) == [
        "Le tri est fait.",
        "L'usine ferme.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Le début.\n>> LIRE AUSSI - Un autre article du site\nLa suite.",
        "Le début.\nÀ lire aussi : un autre article\nLa suite.",
        "Le début.>> LIRE AUSSI - Un autre article du siteLa suite.",
        "Le début.\nAccueil > Actualité > Ville\nLa suite.",
        "Le début.\nPartager sur Facebook\nLa suite.",
    ],
)
def test_related_links_and_navigation_are_dropped(text: str) -> None:
    assert split_paragraphs(normalize_text(text, "fr")) == ["Le début.", "La suite."]


def test_lire_aussi_in_a_sentence_is_kept() -> None:
    text = "On peut lire aussi le rapport complet en ligne."
    assert normalize_text(text, "fr") == text


def test_bullets_lose_their_marker() -> None:
    assert split_paragraphs(normalize_text("Les mesures :\n• 45 postes supprimés.\n• Un budget doublé.", "fr")) == [
        "Les mesures :",
        "45 postes supprimés.",
        "Un budget doublé.",
    ]


def test_rubric_markers_are_dropped() -> None:
    assert normalize_text("Voici le test !- RÉVISIONS -Questions et réponses.", "fr") == (
        "Voici le test ! Questions et réponses."
    )


def test_a_title_cut_short_is_still_the_title() -> None:
    article = extract_text(
        "Le tramway modifie son tracé et reviendra...\n\nLe tramway reviendra lundi. Il roulera tôt."
    )
    assert article.title == "Le tramway modifie son tracé et reviendra..."
    assert article.text.startswith("Le tramway reviendra lundi.")
