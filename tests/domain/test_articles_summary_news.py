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
