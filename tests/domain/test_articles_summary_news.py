"""What a news summary must and must not carry (short invented articles)."""

from __future__ import annotations

from bot.articles.summary import is_quotation_only, is_summary_candidate, summarize

ARTICLE = (
    "La société Vélonor a annoncé mardi 4 mars la fermeture de son usine de Douai, qui emploie 320 salariés. "
    "Elle invoque une baisse de 40 % de ses ventes depuis 2022. "
    "Le site fabriquait des cadres de vélos depuis les années 1980 et fournissait plusieurs marques européennes. "
    "Les syndicats dénoncent une décision brutale et réclament un plan de reprise. "
    '"On ne lâchera rien." '
    "Une réunion avec la préfecture du Nord est prévue la semaine prochaine. "
    "Le climat reste tendu dans la ville."
)


def test_the_lead_sentence_with_who_what_when_is_kept() -> None:
    summary = summarize(ARTICLE, language="fr", title="Vélonor ferme son usine de Douai")
    assert summary.sentences[0].startswith("La société Vélonor a annoncé mardi 4 mars")


def test_a_pronoun_opener_only_follows_its_antecedent() -> None:
    summary = summarize(ARTICLE, language="fr", title="Vélonor ferme son usine de Douai")
    sentences = summary.sentences
    pronoun = "Elle invoque une baisse de 40 % de ses ventes depuis 2022."
    if pronoun in sentences:
        assert sentences[sentences.index(pronoun) - 1].startswith("La société Vélonor")
    # Without the sentence naming the company, "Elle" cannot stand alone.
    alone = summarize(ARTICLE.split(". ", 1)[1], language="fr")
    assert pronoun not in alone.sentences


def test_quotation_only_sentences_are_never_summary() -> None:
    assert is_quotation_only('"On ne lâchera rien, jamais, quoi qu\'il arrive."')
    assert is_quotation_only("« Nous ne lâcherons rien. »")
    assert not is_quotation_only('"On ne lâchera rien", affirme un délégué syndical de Douai.')
    assert not is_summary_candidate("« Nous ne lâcherons rien, quoi qu'il arrive, jamais. »")
    assert not any(s.startswith('"') for s in summarize(ARTICLE, language="fr").sentences)


def test_glued_junk_is_never_summary() -> None:
    assert not is_summary_candidate("Le site ferme ses portesChoqués, les salariés se sont réunis devant l'usine.")
    assert is_summary_candidate("Selon CrowdStrike, la mise à jour a bloqué des millions de machines.")


HOOKED = (
    "Coup dur pour toute la vallée. "
    "La société Brivane a annoncé jeudi 12 juin la suppression de 85 postes sur les 300 de son usine de Lorvin. "
    "La direction évoque une chute de 30 % des commandes depuis 2023. "
    "Les élus de Lorvin demandent un plan de reprise et une réunion avec l'État. "
    "Le site produit des pompes hydrauliques depuis 1974."
)


def test_a_short_hook_without_name_or_figure_is_neither_lead_nor_summary() -> None:
    summary = summarize(HOOKED, language="fr", title="Brivane supprime 85 postes à Lorvin")
    assert "Coup dur pour toute la vallée." not in summary.sentences
    assert summary.sentences[0].startswith("La société Brivane a annoncé jeudi 12 juin")


def test_up_to_four_sentences_within_the_budget() -> None:
    summary = summarize(HOOKED, language="fr", title="Brivane supprime 85 postes à Lorvin")
    assert len(summary.sentences) == 4 and len(summary.text) <= 600
    assert "30 %" in summary.text and "1974" in summary.text  # the figures come through


def test_the_lead_is_kept_when_short_sentences_could_fill_the_slots() -> None:
    from bot.articles.summary import _Scoring, _select

    # A 500-character lead and four short, well-scored sentences: together they would outweigh the lead
    # alone, but the lead states who, what and when and stays; what does not fit beside it waits.
    data = _Scoring(
        scores=[1.0, 0.9, 0.9, 0.9, 0.9],
        lengths=[500, 40, 40, 40, 40],
        vectors=[{} for _ in range(5)],
        concepts=[set() for _ in range(5)],
        title_concepts=set(),
        entities=[set() for _ in range(5)],
        lead=0,
    )
    assert _select([0, 1, 2, 3, 4], data, max_sentences=4, max_chars=600) == [0, 1, 2]
    data.lead = None
    assert _select([0, 1, 2, 3, 4], data, max_sentences=4, max_chars=600) == [1, 2, 3, 4]


def test_a_sentence_initial_capital_is_a_name_only_if_the_article_writes_it_so_elsewhere() -> None:
    from bot.articles.language import stop_words
    from bot.articles.summary import _entities, _inner_names

    sentences = ["Surtout, Orelis vend ses puces à Valmont.", "Orelis a vendu 900 puces en 2024."]
    names = _inner_names(sentences, stop_words("fr"))
    assert _entities(sentences[0], stop_words("fr"), names) == {"orelis", "valmont"}
    assert _entities(sentences[1], stop_words("fr"), names) == {"orelis", "900", "2024"}
