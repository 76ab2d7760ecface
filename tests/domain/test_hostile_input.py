"""Hostile or broken input refused in the domain: binary files, invisible-only polls, broken feeds."""

from __future__ import annotations

import random

import pytest

from bot.articles.encoding import is_mostly_text
from bot.articles.errors import ExtractError, FeedError, PollInputError
from bot.articles.extract import extract_file
from bot.articles.feeds import parse_feed
from bot.articles.questions import parse_answers, validate_poll_question

ARTICLE = "Le conseil municipal a voté le budget.\n\nLes débats ont duré trois heures, dans le calme.\n"


def random_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize("seed", range(5))
def test_binary_garbage_in_a_text_file_is_refused(seed: int) -> None:
    with pytest.raises(ExtractError) as refused:
        extract_file("notes.txt", random_bytes(4000, seed))
    assert refused.value.key == "extract.not_text" and refused.value.params == {"name": "notes.txt"}


def test_a_real_text_file_still_reads_in_every_usual_encoding() -> None:
    for data in (ARTICLE.encode("utf-8"), ARTICLE.encode("cp1252"), ARTICLE.encode("utf-16")):
        assert "trois heures" in extract_file("article.txt", data).text


def test_a_few_stray_control_characters_do_not_make_text_binary() -> None:
    assert is_mostly_text(ARTICLE * 5 + "\x0b\x00")
    assert is_mostly_text("Bonjour\u200b le\u2060 monde")  # zero-width characters are formatting, not binary
    assert not is_mostly_text("\x00\x01\x02\x03 texte")
    assert not is_mostly_text("\ufffd" * 10 + "abc")


@pytest.mark.parametrize("question", ["\u200b\u200b", "\u2060\ufeff \u200d", "\u202e\u202d", "\x00\x07"])
def test_a_question_of_invisible_characters_is_refused(question: str) -> None:
    with pytest.raises(PollInputError) as refused:
        validate_poll_question(question)
    assert refused.value.key == "poll.question.empty"


def test_an_invisible_answer_is_refused_with_its_position() -> None:
    with pytest.raises(PollInputError) as refused:
        parse_answers("Oui; \u200b\u200c; Non")
    assert refused.value.key == "poll.answers.empty" and refused.value.params == {"position": 2}


def test_zalgo_and_right_to_left_text_with_letters_is_kept() -> None:
    assert validate_poll_question("Z\u0336a\u0336l\u0336g\u0336o ?").startswith("Z")
    assert parse_answers("\u202eiuO; Non") == ["\u202eiuO", "Non"]


@pytest.mark.parametrize(
    "document",
    [
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Coupé',
        '<rss version="2.0"><channel><title>A & B</title></chan></rss>',
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><<entry>',
    ],
)
def test_broken_xml_is_refused_with_the_parsers_reason(document: str) -> None:
    with pytest.raises(FeedError) as refused:
        parse_feed(document)
    assert refused.value.key in ("feed.malformed", "feed.invalid")
    if refused.value.key == "feed.malformed":
        assert refused.value.params["reason"]


def test_a_truncated_rss_document_is_malformed_not_an_empty_feed() -> None:
    with pytest.raises(FeedError) as refused:
        parse_feed('<?xml version="1.0"?><rss version="2.0"><channel><title>Coupé')
    assert refused.value.key == "feed.malformed"
    assert "line" in refused.value.params["reason"] or ":" in refused.value.params["reason"]


def test_a_well_formed_feed_without_items_is_still_accepted() -> None:
    feed = parse_feed('<?xml version="1.0"?><rss version="2.0"><channel><title>Vide</title></channel></rss>')
    assert feed.title == "Vide" and feed.entries == []
