"""Reader questions on real-world article endings (short invented examples in the shapes real articles take)."""

from __future__ import annotations

import pytest

from bot.articles.questions import addresses_reader, classify_question, is_closer, reader_questions, stance_options

BODY = "La ville a présenté son nouveau tramway mardi. Les travaux dureront deux ans."


@pytest.mark.parametrize(
    "closer",
    [
        "Dites-le-nous dans les commentaires.",
        "C'est à vous de trancher !",
        "Le livre est disponible en librairie depuis le 3 mars au prix de 19 euros.",
        "Par Jeanne Martin",
        "(Avec AFP)",
        "Bonne lecture !",
        "Diffusion ce soir à 21h05 sur la chaîne.",
        "Le coffret sort le 4 avril.",
        "L'émission est à revoir en replay.",
        "(Crédit photo : Lorvin Métropole)",
        "Vos avis nous intéressent.",
    ],
)
def test_question_followed_by_a_closer_is_found(closer: str) -> None:
    found = reader_questions(f"{BODY} Prendrez-vous ce tramway ? {closer}", "fr")
    assert [q.text for q in found.questions] == ["Prendrez-vous ce tramway ?"]


def test_a_plain_statement_after_the_question_still_ends_the_block() -> None:
    text = f"Prendrez-vous ce tramway ? {BODY}"
    assert reader_questions(text, "fr").questions == []


def test_a_long_factual_sentence_is_not_a_closer() -> None:
    text = (
        f"{BODY} Prendrez-vous ce tramway ? La ligne a coûté 380 millions d'euros et mobilisé 200 ouvriers "
        "pendant quatre ans sur tout le tracé, de la gare jusqu'au campus et au-delà vers la zone industrielle."
    )
    assert reader_questions(text, "fr").questions == []


def test_closers_are_not_taken_for_content() -> None:
    assert is_closer("Donnez votre avis dans les commentaires.")
    assert not is_closer("Les travaux dureront deux ans et coûteront 300 millions d'euros.")
    assert not is_closer("Pas vraiment.")
    assert not is_closer("La suite est rassurante.")


@pytest.mark.parametrize(
    "question",
    [
        "La réussite sera-t-elle au rendez-vous cette fois ?",
        "Des amendes viseront-elles les contrevenants ?",
        "Bientôt la fin des travaux ?",
        "Le maire renoncerait-il à son projet ?",
    ],
)
def test_third_person_speculation_is_not_a_reader_question(question: str) -> None:
    assert not addresses_reader(question, "fr")


@pytest.mark.parametrize(
    "question",
    [
        "Êtes-vous intéressés par ce tramway ?",
        "Selon vous, la ville a-t-elle raison ?",
        "Faut-il interdire les voitures en centre-ville ?",
        "Pourquoi la ville a-t-elle attendu ?",
        "Bus ou tramway ?",
        "Et vous ?",
    ],
)
def test_questions_put_to_the_reader(question: str) -> None:
    assert addresses_reader(question, "fr")


@pytest.mark.parametrize(
    "question", ["Cet article vous a plu ?", "Vous voulez en savoir plus ?", "Envie de recevoir nos alertes ?"]
)
def test_questions_about_the_site_are_not_reader_questions(question: str) -> None:
    assert not addresses_reader(question, "fr")
    found = reader_questions(f"{BODY} Prendrez-vous ce tramway ? {question}", "fr")
    assert [q.text for q in found.questions] == ["Prendrez-vous ce tramway ?"]


def test_the_reader_question_wins_over_the_speculation_next_to_it() -> None:
    found = reader_questions(f"{BODY} La réussite viendra-t-elle enfin ? Êtes-vous tentés par cette ligne ?", "fr")
    assert [q.text for q in found.questions] == ["Êtes-vous tentés par cette ligne ?"]
    assert found.poll.question == "Êtes-vous tentés par cette ligne ?"


def test_an_ending_without_reader_question_gives_the_default_poll() -> None:
    found = reader_questions(f"{BODY} Les raisons de ce choix ? À vous de juger !", "fr")
    assert found.questions == []
    assert not found.poll.detected


@pytest.mark.parametrize(
    "question",
    [
        "En tout cas, quel quartier attendez-vous le plus ?",
        "Alors, combien de stations auriez-vous devinées ?",
        "Et-vous, que pensez vous de ce tracé ?",
        "Bref, comment jugez-vous ce chantier ?",
    ],
)
def test_lead_ins_do_not_turn_open_questions_into_polls(question: str) -> None:
    assert classify_question(question, "fr") == "open"


def test_two_stances_become_the_answers() -> None:
    question = "Regretterez-vous l'ancien bus ou pensez-vous, au contraire, que le tramway sera plus pratique ?"
    assert classify_question(question, "fr") == "closed"
    assert stance_options(question, "fr") == ["Regretterez-vous l'ancien bus", "Le tramway sera plus pratique"]
    found = reader_questions(f"{BODY} {question}", "fr")
    assert found.poll.kind == "choice"
    assert found.poll.answers == ["Regretterez-vous l'ancien bus", "Le tramway sera plus pratique", "Sans avis"]


def test_stance_with_an_opinion_verb_is_reduced_to_the_stance() -> None:
    question = "Seriez-vous déçu par la fermeture, ou pensez-vous qu'un nouveau lieu fera du bien ?"
    assert stance_options(question, "fr") == ["Déçu par la fermeture", "Un nouveau lieu fera du bien"]


def test_every_closed_question_gets_its_own_poll() -> None:
    text = f"{BODY} Trouvez-vous ce tracé judicieux ? Utilisez-vous le bus aujourd'hui ? Qu'en pensez-vous ?"
    found = reader_questions(text, "fr")
    assert [p.question for p in found.polls] == [
        "Trouvez-vous ce tracé judicieux ?",
        "Utilisez-vous le bus aujourd'hui ?",
    ]
    assert found.poll == found.polls[0]
    assert found.opinion_prompt == "Qu'en pensez-vous ?"


def test_at_most_three_polls() -> None:
    questions = " ".join(f"Aimez-vous la ligne {n} ?" for n in range(1, 6))
    assert len(reader_questions(f"{BODY} {questions}", "fr").polls) == 3


def test_no_question_means_one_default_poll() -> None:
    found = reader_questions(BODY, "fr")
    assert len(found.polls) == 1 and not found.polls[0].detected


def test_the_moderator_question_replaces_only_the_first_poll() -> None:
    from bot.articles.extract import Article
    from bot.articles.pipeline import analyse
    from bot.articles.preview import Overrides, resolve_polls

    text = f"{BODY} Trouvez-vous ce tracé judicieux ? Utilisez-vous le bus aujourd'hui ?"
    analysis = analyse(Article(title="Le tramway", text=text))
    polls = resolve_polls(analysis, Overrides(question="Faut-il un tramway ?", answers="Oui; Non"))
    assert [(p.question, p.answers) for p in polls] == [
        ("Faut-il un tramway ?", ["Oui", "Non"]),
        ("Utilisez-vous le bus aujourd'hui ?", ["Oui", "Plutôt oui", "Plutôt non", "Non", "Sans avis"]),
    ]


def test_polls_stop_at_discords_five_action_rows() -> None:
    from bot.articles.extract import Article
    from bot.articles.pipeline import analyse
    from bot.articles.preview import Overrides, resolve_polls

    # Two choice polls of 7 answers take two rows each: with the 💬/📊 row, a third poll cannot fit.
    options = "A1, B1, C1, D1, E1 ou F1"
    questions = " ".join(f"Préférez-vous {options.replace('1', str(n))} ?" for n in (1, 2, 3))
    analysis = analyse(Article(title="Le tramway", text=f"{BODY} {questions}"))
    assert len(analysis.questions.polls) == 3
    polls = resolve_polls(analysis, Overrides())
    assert [len(p.answers) for p in polls] == [7, 7]


BODY_EN = "The city unveiled its new tram line on Tuesday. Works will last two years."


@pytest.mark.parametrize(
    "question",
    [
        "Will the launch succeed this time?",
        "Won't the mayor give up in the end?",
        "Could this be the end of the project?",
        "Would the council really back down?",
        "Might the budget double again?",
        "Is the city going to cancel the line?",
        "Finally the end of the works?",
    ],
)
def test_english_third_person_speculation_is_not_a_reader_question(question: str) -> None:
    assert not addresses_reader(question, "en")


@pytest.mark.parametrize(
    "question",
    [
        "Are you interested?",
        "Will you take the tram?",
        "Would it be fair to ban cars downtown?",
        "Should the city ban cars downtown?",
        "Is the council to blame for the delay?",
        "Did the city wait too long?",
        "Could we live without cars?",
        "What do you think?",
        "Anyone else stuck in traffic?",
        "Thoughts?",
    ],
)
def test_english_questions_put_to_the_reader(question: str) -> None:
    assert addresses_reader(question, "en")


def test_the_english_reader_question_wins_over_the_speculation_next_to_it() -> None:
    found = reader_questions(f"{BODY_EN} Will the launch succeed this time? Are you interested?", "en")
    assert [q.text for q in found.questions] == ["Are you interested?"]
    assert found.poll.question == "Are you interested?"


def test_an_english_call_for_thoughts_is_the_opinion_prompt() -> None:
    found = reader_questions(f"{BODY_EN} Will you take the tram? Any thoughts?", "en")
    assert [q.text for q in found.questions] == ["Will you take the tram?", "Any thoughts?"]
    assert classify_question("Any thoughts?", "en") == "open"
    assert found.opinion_prompt == "Any thoughts?"
