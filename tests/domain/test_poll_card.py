"""The view models a poll message is drawn from: a preview's cards come from specs, never from forged rows."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.articles.questions import PollSpec, yes_no_scale
from bot.polls.card import PollCard, debated_questions
from bot.polls.visibility import Shown

CLOSES = datetime(2026, 12, 8, 9, tzinfo=UTC)


def test_a_card_from_a_spec_has_its_answers_no_votes_and_no_id() -> None:
    labels, scores = yes_no_scale("fr")
    card = PollCard.from_spec(PollSpec("Faut-il un tram ?", labels, "scale", scores), CLOSES)
    assert card.poll_id is None and not card.closed and card.closes_at == CLOSES
    assert card.answers == tuple(enumerate(labels))
    assert card.tally.voters == 0 and [a.count for a in card.tally.answers] == [0] * len(labels)
    assert [a.score for a in card.tally.answers] == scores  # the scale's scores reach the tally
    assert card.public_shown is Shown.FULL  # a new article poll shows live counts, as the post does


def test_the_public_sees_what_the_results_mode_allows() -> None:
    base = PollCard.from_spec(PollSpec("Oui ou non ?", ["Oui", "Non"], "choice", [None, None]), CLOSES)
    assert PollCard(**{**vars(base), "results_visibility": "after_close"}).public_shown is Shown.NOTHING
    closed = PollCard(**{**vars(base), "results_visibility": "after_close", "closed": True})
    assert closed.public_shown is Shown.FULL
    assert PollCard(**{**vars(base), "results_visibility": "after_vote"}).public_shown is Shown.VOTERS


def test_the_debate_prompt_is_the_open_questions_only() -> None:
    questions = [
        {"text": "Pensez-vous que c'est crédible ?", "kind": "closed"},
        {"text": "Quel est votre avis ?", "kind": "open"},
        {"text": "", "kind": "open"},
    ]
    assert debated_questions(questions) == ("Quel est votre avis ?",)
