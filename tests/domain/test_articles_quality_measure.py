"""The key-fact measure of ``python -m bench quality``: the same language-neutral folding for both sides."""

from __future__ import annotations

import pytest

from bench.quality import fact_scores, neutral, oracle, reachable, salient


@pytest.mark.parametrize(
    ("written", "same_as"),
    [
        ("1,5 million", "1.5 million"),
        ("8 500 postes", "8500 postes"),
        ("8,500 jobs", "8500 jobs"),
        ("30\u202f000 euros", "30000 euros"),
        ("Nébulo Électronique", "nebulo electronique"),
        ("Orelis's chips", "Orelis chips"),
    ],
)
def test_neutral_folding(written: str, same_as: str) -> None:
    assert neutral(written) == neutral(same_as)


def test_salient_words_are_names_and_figures_without_function_words() -> None:
    assert salient("The studio « Les Cendres » cut 45 jobs at Orelis's plant in 2023.") == {
        "cendres",
        "45",
        "orelis",
        "2023",
    }


def test_a_fact_written_in_english_is_held_by_the_french_text() -> None:
    fact = salient("In all, Orelis sold 1.5 million chips to Valmont's hosts, 8,500 of them in France.")
    summary = "Orelis a vendu 1,5 million de puces aux hébergeurs de Valmont, dont 8 500 en France."
    assert fact == {"orelis", "1.5", "valmont", "8500", "france"}
    assert fact_scores([fact], summary) == (5, 5, 1)


def test_words_the_article_never_contains_are_left_out_for_both_sides() -> None:
    article = "Orelis présente une puce d'IA. Elle sort en 2025 à Valmont."
    facts, dropped = reachable([salient("Today Orelis unveils an AI chip, out in 2025 at Valmont"), {"gpu"}], article)
    assert facts == [{"orelis", "2025", "valmont"}] and dropped == 2  # "AI" and "GPU" are nowhere in it


def test_the_oracle_never_takes_a_question() -> None:
    facts = [{"orelis", "2025"}]
    sentences = ["Orelis sortira-t-elle sa puce en 2025 ?", "Orelis présente une puce.", "Elle sort en 2025."]
    assert oracle(facts, sentences) == (2, 1)
    assert oracle(facts, sentences[:1]) == (0, 0)
