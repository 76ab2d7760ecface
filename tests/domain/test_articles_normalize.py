"""Normalisation of scraped text and French-aware sentence splitting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.articles.language import detect_language
from bot.articles.normalize import normalize_text, split_sentences

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "articles"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Paragraphs glued without a space after the full stop
        ("chaque année.6 ans plus tard, Amazon annonce.", "chaque année. 6 ans plus tard, Amazon annonce."),
        (
            "à l'égard de Nvidia.Nvidia pourrait être concurrencé.",
            "à l'égard de Nvidia. Nvidia pourrait être concurrencé.",
        ),
        ("lancée en 2020.Anthropic teste la puce.", "lancée en 2020. Anthropic teste la puce."),
        ("au sein du projet.6.12 devrait devenir LTS.", "au sein du projet. 6.12 devrait devenir LTS."),
        ("connu sous le nom de PREEMPT_RT.20 ans après.", "connu sous le nom de PREEMPT_RT. 20 ans après."),
        ("Il hésite…Puis il signe.", "Il hésite… Puis il signe."),
        ("Un prix de 3,5 M€.Le marché réagit.", "Un prix de 3,5 M€. Le marché réagit."),
        ("le nom « Trainium ».Il fait référence.", "le nom « Trainium ». Il fait référence."),
        ("avec la Série X.Avec ces offres, tout change.", "avec la Série X. Avec ces offres, tout change."),
        ("le réseau passe à la 5G.Depuis mardi, tout change.", "le réseau passe à la 5G. Depuis mardi, tout change."),
        # Glued questions
        ("crédible ou pertinente ?Quel est votre avis ?", "crédible ou pertinente ? Quel est votre avis ?"),
        ("Et vous ?Utilisez-vous Linux ?", "Et vous ? Utilisez-vous Linux ?"),
        # Stray space before a full stop or a comma
        ("pour centres de données . La pénurie", "pour centres de données. La pénurie"),
        ("Amazon , Google et Meta.", "Amazon, Google et Meta."),
        # French spacing before ? ! : ; (missing, U+00A0, U+202F, several spaces)
        ("Qu'en pensez-vous?", "Qu'en pensez-vous ?"),
        ("Qu'en pensez-vous\u00a0?", "Qu'en pensez-vous ?"),
        ("Qu'en pensez-vous\u202f?", "Qu'en pensez-vous ?"),
        ("Qu'en pensez-vous   ?", "Qu'en pensez-vous ?"),
        ("Incroyable!", "Incroyable !"),
        ("Il a déclaré: c'est fini; rideau.", "Il a déclaré : c'est fini ; rideau."),
        ("Sources\u00a0: AFP", "Sources : AFP"),
        ("un prix de 30\u202f000\u00a0dollars", "un prix de 30 000 dollars"),
        ("zéro\u200blargeur et trait\u00add'union", "zérolargeur et traitd'union"),
        # Must not be broken
        ("Selon M. Macron, c'est un succès.", "Selon M. Macron, c'est un succès."),
        ("Selon M.Macron et J.K.Rowling, oui.", "Selon M.Macron et J.K.Rowling, oui."),
        ("La version 3.5 est sortie.", "La version 3.5 est sortie."),
        ("Migrer vers ASP.NET Core 8.", "Migrer vers ASP.NET Core 8."),
        ("Commandé sur amazon.fr hier.", "Commandé sur amazon.fr hier."),
        (
            "Lire https://example.com/Page.Html?x=1&y=Z:2 pour tout savoir.",
            "Lire https://example.com/Page.Html?x=1&y=Z:2 pour tout savoir.",
        ),
        ("Voir www.Example.com/A.B aussi.", "Voir www.Example.com/A.B aussi."),
        ("Écrire à contact@Example.fr maintenant.", "Écrire à contact@Example.fr maintenant."),
        ("Des langages, e.g. Python, Go, etc. Le reste suit.", "Des langages, e.g. Python, Go, etc. Le reste suit."),
        ("Character.AI et Node.JS restent.", "Character.AI et Node.JS restent."),
        ("De 04:09 à 05:27 UTC.", "De 04:09 à 05:27 UTC."),
        ("Un ratio 16:9 et 1,8 To/s.", "Un ratio 16:9 et 1,8 To/s."),
        ("Le fichier README.md et python3.13t.", "Le fichier README.md et python3.13t."),
        ("La part passe à 94 - 96 %.", "La part passe à 94 - 96 %."),
    ],
)
def test_normalize_french(raw: str, expected: str) -> None:
    assert normalize_text(raw, "fr") == expected


def test_empty_quote_sentence_is_dropped() -> None:
    raw = (
        'Dans une interview, Dave Brown, vice-président chez AWS, a déclaré : "".Nvidia domine actuellement le marché.'
    )
    assert normalize_text(raw, "fr") == "Nvidia domine actuellement le marché."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Il a déclaré : « ».", ""),
        ("Il a déclaré : “ ”. La suite.", "La suite."),
        ('Le nom "" fait référence au pipeline.', "Le nom fait référence au pipeline."),
        ('Le PDG a dit "".', "Le PDG a dit."),
    ],
)
def test_empty_quotes_are_removed_sensibly(raw: str, expected: str) -> None:
    assert normalize_text(raw, "fr") == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Was your organization affected ?", "Was your organization affected?"),
        ("Sources : CrowdStrike, Microsoft", "Sources: CrowdStrike, Microsoft"),
        ("It crashed.Millions of machines were hit.", "It crashed. Millions of machines were hit."),
        ("Wow !", "Wow!"),
        ("Read https://example.com/?q=a ! now", "Read https://example.com/?q=a! now"),
    ],
)
def test_normalize_english(raw: str, expected: str) -> None:
    assert normalize_text(raw, "en") == expected


def test_paragraphs_and_hard_wraps() -> None:
    raw = "Premier paragraphe qui\ncontinue ici.\n\n\n\nSecond paragraphe.\nEt vous ?\n- un point\n- un autre"
    assert normalize_text(raw, "fr").split("\n\n") == [
        "Premier paragraphe qui continue ici.",
        "Second paragraphe.",
        "Et vous ?",
        "- un point",
        "- un autre",
    ]


@pytest.mark.parametrize("folder", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_normalisation_is_idempotent_on_fixtures(folder: str) -> None:
    text = (FIXTURES / folder / "article.txt").read_text(encoding="utf-8")
    lang = detect_language(text)
    once = normalize_text(text, lang)
    assert normalize_text(once, lang) == once
    assert "\u00a0" not in once and "\u202f" not in once
    assert "  " not in once


def test_seed_article_is_repaired() -> None:
    text = normalize_text((FIXTURES / "00-trainium2" / "article.txt").read_text(encoding="utf-8"), "fr")
    assert "chaque année. 6 ans plus tard" in text
    assert "l'égard de Nvidia. Nvidia pourrait" in text
    assert "pertinente ? Quel est votre avis sur le sujet ?" in text
    assert "centres de données. La pénurie" in text
    assert '""' not in text and "a déclaré" not in text  # the sentence around the empty quote is gone
    assert "d'AMD et d'Intel. Actuellement" in text


# --------------------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("M. Macron a parlé. Il est parti.", ["M. Macron a parlé.", "Il est parti."]),
        ("Mme Dupont et le Dr. House arrivent. Ils parlent.", ["Mme Dupont et le Dr. House arrivent.", "Ils parlent."]),
        ("La version 3.13 sort. Python 3.14 suivra.", ["La version 3.13 sort.", "Python 3.14 suivra."]),
        (
            "Le chiffre atteint 26,3 milliards. C'est un record.",
            ["Le chiffre atteint 26,3 milliards.", "C'est un record."],
        ),
        ("George W. Bush est venu. Il est reparti.", ["George W. Bush est venu.", "Il est reparti."]),
        (
            "Elle sort avec la Série X. Avec ces offres, tout change.",
            ["Elle sort avec la Série X.", "Avec ces offres, tout change."],
        ),
        ("Voir p. 12 du rapport. La suite.", ["Voir p. 12 du rapport.", "La suite."]),
        ("Des outils, e.g. Python. Fin.", ["Des outils, e.g. Python.", "Fin."]),
        ("Il cite Go, Rust, etc. Le débat continue.", ["Il cite Go, Rust, etc.", "Le débat continue."]),
        ("Il hésite… Puis il signe. Fin.", ["Il hésite…", "Puis il signe.", "Fin."]),
        ("Il hésite... puis il signe.", ["Il hésite... puis il signe."]),
        ("Vraiment ? Oui ! Bien sûr.", ["Vraiment ?", "Oui !", "Bien sûr."]),
        ("Le langage C. Le reste.", ["Le langage C.", "Le reste."]),
        ("Au niveau 3. iOS et Android suivent.", ["Au niveau 3.", "iOS et Android suivent."]),
        (
            "Il dit : « Comment justifier cela ? Nous avons cherché. » Elle ajoute un mot.",
            ["Il dit : « Comment justifier cela ? Nous avons cherché. »", "Elle ajoute un mot."],
        ),
        (
            "Elle lance : « Pourquoi est-ce toujours aux équipes de payer ? » Elle affirme le contraire.",
            ["Elle lance : « Pourquoi est-ce toujours aux équipes de payer ? »", "Elle affirme le contraire."],
        ),
        ('He said "Stop. Now." Then he left.', ['He said "Stop. Now."', "Then he left."]),
        ("Premier.\n\nSecond paragraphe sans point", ["Premier.", "Second paragraphe sans point"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_unbalanced_quote_does_not_swallow_the_paragraph() -> None:
    text = "Il a dit « bonjour. La suite arrive. Puis la fin."
    assert split_sentences(text) == ["Il a dit « bonjour.", "La suite arrive.", "Puis la fin."]


def test_language_detection() -> None:
    assert detect_language("Le noyau Linux est disponible dans la branche principale.") == "fr"
    assert detect_language("The update was pushed to every Windows machine.") == "en"
    assert detect_language("") == "fr"
    assert detect_language("Kubernetes", hint="en-US") == "en"
    assert detect_language("Kubernetes", default="en") == "en"
