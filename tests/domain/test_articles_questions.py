"""Reader questions over every fixture, their classification, the derived poll, and answer parsing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.articles.errors import PollInputError
from bot.articles.extract import Article, extract_html, extract_text
from bot.articles.questions import (
    MAX_POLL_ANSWER_CHARS,
    MAX_POLL_ANSWERS,
    MAX_POLL_QUESTION_CHARS,
    classify_question,
    default_opinion_prompt,
    default_poll,
    parse_answers,
    poll_for_question,
    reader_questions,
    validate_poll_question,
    yes_no_scale,
)
from bot.i18n import catalog

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "articles"
FOLDERS = sorted(path for path in FIXTURES.iterdir() if (path / "expected.json").is_file())
SOURCES = [
    (folder, source) for folder in FOLDERS for source in ("article.txt", "article.html") if (folder / source).is_file()
]


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def _load(folder: Path, source: str) -> tuple[Article, dict[str, Any]]:
    raw = (folder / source).read_text(encoding="utf-8")
    article = extract_text(raw) if source.endswith(".txt") else extract_html(raw)
    return article, json.loads((folder / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("folder", "source"), SOURCES, ids=lambda value: getattr(value, "name", value))
def test_reader_questions_of_fixture(folder: Path, source: str) -> None:
    article, expected = _load(folder, source)
    language = expected["language"]
    found = reader_questions(article.text, language)
    assert [_plain(q.text) for q in found.questions] == [_plain(q) for q in expected["reader_questions"]]
    assert [_plain(q.text) for q in found.closed] == [_plain(q) for q in expected["closed_questions"]]
    assert [_plain(q.text) for q in found.open] == [_plain(q) for q in expected["open_questions"]]
    texts = {_plain(q.text) for q in found.questions}
    for not_reader in expected["rhetorical_or_quoted_questions_not_reader"] + expected.get("question_headers", []):
        assert _plain(not_reader) not in texts
    # Poll and opinion prompt follow the first closed / open question, or the defaults.
    if expected["closed_questions"]:
        assert found.poll.detected
        assert _plain(found.poll.question) == _plain(expected["closed_questions"][0])
    else:
        assert not found.poll.detected
        assert found.poll == default_poll(language)
    if expected["open_questions"]:
        assert found.opinion_detected
        assert _plain(found.opinion_prompt) == _plain(expected["open_questions"][0])
    else:
        assert found.opinion_prompt == default_opinion_prompt(language)
    if "expected_poll_answers" in expected:
        assert found.poll.answers == expected["expected_poll_answers"]
        assert found.poll.kind == "matrix"
        assert found.poll.scores == [None] * 5
    assert len(found.poll.question) <= MAX_POLL_QUESTION_CHARS
    assert 2 <= len(found.poll.answers) <= MAX_POLL_ANSWERS
    assert all(len(answer) <= MAX_POLL_ANSWER_CHARS for answer in found.poll.answers)


def test_yes_no_fixture_poll_is_a_scored_scale() -> None:
    article, _ = _load(FIXTURES / "05-ai-act-premieres-interdictions", "article.html")
    poll = reader_questions(article.text, "fr").poll
    assert poll.kind == "scale" and poll.scored
    assert poll.question == "Pensez-vous que ces interdictions vont assez loin ?"
    assert poll.answers == ["Oui", "Plutôt oui", "Plutôt non", "Non", "Sans avis"]
    assert poll.scores == pytest.approx([100.0, 66.667, 33.333, 0.0, None], abs=1e-3)


def test_english_fixture_uses_english_answers() -> None:
    article, _ = _load(FIXTURES / "13-crowdstrike-global-outage", "article.txt")
    found = reader_questions(article.text, "en")
    assert found.poll.question == "Was your organization affected by the outage?"
    assert found.poll.answers == ["Yes", "Rather yes", "Rather no", "No", "No opinion"]
    assert [q.text for q in found.extra_questions] == [
        "Should security vendors be allowed to push updates to critical systems without staged rollouts?"
    ]


def test_defaults_by_language() -> None:
    french = reader_questions("Un article sans question. Il se termine ainsi.", "fr")
    assert french.questions == [] and not french.poll.detected and not french.opinion_detected
    assert french.poll.question == "Cet article vous semble-t-il crédible ?"
    assert french.poll.answers == ["Oui", "Plutôt oui", "Plutôt non", "Non", "Sans avis"]
    assert french.opinion_prompt == "Quel est votre avis sur le sujet ?"
    english = reader_questions("An article with no question. It ends here.", "en")
    assert english.poll.question == "Does this article seem credible to you?"
    assert english.poll.answers == ["Yes", "Rather yes", "Rather no", "No", "No opinion"]
    assert english.opinion_prompt == "What is your opinion on the subject?"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Sources after the questions are skipped
        ("Le texte.\n\nPensez-vous que ce soit utile ?\n\nSource : AFP", ["Pensez-vous que ce soit utile ?"]),
        ("Le texte.\n\nQu'en pensez-vous ?\n\nCrédit photo : Unsplash", ["Qu'en pensez-vous ?"]),
        # Several questions after an "Et vous ?" header
        (
            "Le texte.\n\nEt vous ?\n\nUtilisez-vous Rust ?\n\nPourquoi ?",
            ["Utilisez-vous Rust ?", "Pourquoi ?"],
        ),
        # A lone "Et vous ?" is itself the question
        ("Le texte se termine.\n\nEt vous ?", ["Et vous ?"]),
        # Rhetorical question in the body, declarative ending: nothing
        ("Faut-il s'inquiéter ? Pas vraiment. La suite est rassurante.", []),
        # Quoted question at the end is not a reader question
        ("Il conclut : « Qui paiera la facture ? »", []),
        ('He concluded: "Who will pay for this?"', []),
        # Questions glued together and to the text
        ("Le texte.Est-ce crédible ?Quel est votre avis ?", ["Est-ce crédible ?", "Quel est votre avis ?"]),
    ],
)
def test_question_block_detection(text: str, expected: list[str]) -> None:
    lang = "en" if text.startswith("He") else "fr"
    assert [q.text for q in reader_questions(text, lang).questions] == expected


@pytest.mark.parametrize(
    ("question", "lang", "kind"),
    [
        ("Pensez-vous que cette annonce est crédible ou pertinente ?", "fr", "closed"),
        ("Trouvez-vous cette mesure utile ?", "fr", "closed"),
        ("Est-ce que vous utilisez Linux ?", "fr", "closed"),
        ("Utilisez-vous un noyau temps réel dans vos projets ?", "fr", "closed"),
        ("L'AI Act risque-t-il, selon vous, de freiner l'innovation en Europe ?", "fr", "closed"),
        ("Faut-il interdire TikTok ?", "fr", "closed"),
        ("Vous utilisez Linux ?", "fr", "closed"),
        ("Android ou iOS ?", "fr", "closed"),
        ("Quel est votre avis sur le sujet ?", "fr", "open"),
        ("Qu'en pensez-vous ?", "fr", "open"),
        ("Et vous, qu'en pensez-vous ?", "fr", "open"),
        ("Que pensez-vous de l'arrivée de sched_ext dans le noyau ?", "fr", "open"),
        ("Comment votre entreprise se prépare-t-elle à ces nouvelles obligations ?", "fr", "open"),
        ("Pourquoi Intel a-t-il raté ce virage ?", "fr", "open"),
        ("Selon vous, quelles sont les principales causes de la vague de licenciements ?", "fr", "open"),
        ("Vos impressions ?", "fr", "open"),
        ("Do you think the update process should change?", "en", "closed"),
        ("Is this a good idea?", "en", "closed"),
        ("Will you upgrade?", "en", "closed"),
        ("Should vendors be liable?", "en", "closed"),
        ("What do you think?", "en", "open"),
        ("How would you handle it?", "en", "open"),
        ("Why did this happen?", "en", "open"),
        ("What lessons do you think the industry should learn from this incident?", "en", "open"),
    ],
)
def test_classification(question: str, lang: str, kind: str) -> None:
    assert classify_question(question, lang) == kind


@pytest.mark.parametrize(
    ("question", "lang", "kind", "answers"),
    [
        (
            "Pensez-vous que cette annonce est crédible ou pertinente ?",
            "fr",
            "matrix",
            [
                "Crédible et pertinente",
                "Crédible, mais pas pertinente",
                "Pertinente, mais pas crédible",
                "Ni crédible ni pertinente",
                "Sans avis",
            ],
        ),
        (
            "Trouvez-vous ces projets ambitieux ou réalistes ?",
            "fr",
            "matrix",
            [
                "Ambitieux et réalistes",
                "Ambitieux, mais pas réalistes",
                "Réalistes, mais pas ambitieux",
                "Ni ambitieux ni réalistes",
                "Sans avis",
            ],
        ),
        (
            "Do you find this announcement credible or relevant?",
            "en",
            "matrix",
            [
                "Credible and relevant",
                "Credible, but not relevant",
                "Relevant, but not credible",
                "Neither credible nor relevant",
                "No opinion",
            ],
        ),
        ("Android ou iOS ?", "fr", "choice", ["Android", "iOS", "Sans avis"]),
        ("Préférez-vous Android ou iOS ?", "fr", "choice", ["Android", "iOS", "Sans avis"]),
        (
            "Quel OS utilisez-vous : Windows, macOS ou Linux ?",
            "fr",
            "choice",
            ["Windows", "macOS", "Linux", "Sans avis"],
        ),
        ("Vous êtes plutôt chat ou chien ?", "fr", "choice", ["Chat", "Chien", "Sans avis"]),
        ("Êtes-vous pour ou contre ?", "fr", "choice", ["Pour", "Contre", "Sans avis"]),
        ("Trouvez-vous cette décision juste ou injuste ?", "fr", "choice", ["Juste", "Injuste", "Sans avis"]),
        ("Which is better: Rust, Go or Zig?", "en", "choice", ["Rust", "Go", "Zig", "No opinion"]),
        (
            "Votre organisation prévoit-elle d'utiliser des GPU Blackwell, que ce soit sur site ou via le cloud ?",
            "fr",
            "scale",
            ["Oui", "Plutôt oui", "Plutôt non", "Non", "Sans avis"],
        ),
        (
            "Was your organization affected by the outage?",
            "en",
            "scale",
            ["Yes", "Rather yes", "Rather no", "No", "No opinion"],
        ),
    ],
)
def test_poll_for_question(question: str, lang: str, kind: str, answers: list[str]) -> None:
    poll = poll_for_question(question, lang)
    assert (poll.kind, poll.answers) == (kind, answers)
    assert poll.question == question
    assert len(poll.scores) == len(poll.answers)
    assert poll.scored == (kind == "scale")
    if kind != "scale":
        assert poll.scores == [None] * len(answers)


def test_poll_respects_discord_limits() -> None:
    long_question = "Pensez-vous que " + "cette très longue question " * 20 + "a un sens ?"
    poll = poll_for_question(long_question, "fr")
    assert len(poll.question) <= MAX_POLL_QUESTION_CHARS and poll.question.endswith("…")
    many = "Quel langage préférez-vous : " + ", ".join(f"L{i}" for i in range(12)) + " ou Zig ?"
    assert poll_for_question(many, "fr").kind == "scale"  # 14 answers would exceed Discord's 10


def test_yes_no_scale() -> None:
    answers, scores = yes_no_scale("fr")
    assert answers == ["Oui", "Plutôt oui", "Plutôt non", "Non", "Sans avis"]
    assert scores[0] == 100.0 and scores[3] == 0.0 and scores[4] is None
    assert scores[0] > scores[1] > scores[2] > scores[3]
    assert yes_no_scale("en")[0] == ["Yes", "Rather yes", "Rather no", "No", "No opinion"]
    assert yes_no_scale("de")[0] == answers  # unknown language: French


@pytest.mark.parametrize(
    ("text", "answers"),
    [
        ("a; b; c", ["a", "b", "c"]),
        ("  Oui ;  Non  ", ["Oui", "Non"]),
        ("Rust;Go;", ["Rust", "Go"]),
        ("Rust\nGo\nZig", ["Rust", "Go", "Zig"]),
        (";".join(f"choix {i}" for i in range(10)), [f"choix {i}" for i in range(10)]),
        ("x" * 55 + "; y", ["x" * 55, "y"]),
    ],
)
def test_parse_answers(text: str, answers: list[str]) -> None:
    assert parse_answers(text) == answers


@pytest.mark.parametrize(
    ("text", "key", "params"),
    [
        ("", "poll.answers.too_few", {"min": 2, "count": 0}),
        ("seul", "poll.answers.too_few", {"min": 2, "count": 1}),
        (";".join(f"c{i}" for i in range(11)), "poll.answers.too_many", {"max": 10, "count": 11}),
        ("a;;b", "poll.answers.empty", {"position": 2}),
        ("Oui; oui ", "poll.answers.duplicate", {"answer": "oui"}),
        ("x" * 56 + "; y", "poll.answers.too_long", {"answer": "x" * 56, "max": 55}),
    ],
)
def test_parse_answers_errors(text: str, key: str, params: dict[str, object]) -> None:
    with pytest.raises(PollInputError) as info:
        parse_answers(text)
    assert info.value.key == key
    assert info.value.params == params
    assert key in catalog("fr") and key in catalog("en")
    assert "{" not in info.value.render("fr")


def test_validate_poll_question() -> None:
    assert validate_poll_question("  Une   question ?  ") == "Une question ?"
    with pytest.raises(PollInputError) as empty:
        validate_poll_question("   ")
    assert empty.value.key == "poll.question.empty"
    with pytest.raises(PollInputError) as long:
        validate_poll_question("x" * 301)
    assert long.value.key == "poll.question.too_long" and long.value.params == {"max": 300}
