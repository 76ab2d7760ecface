"""Vote clicks take the fast lane (raw gateway payload, one POST); other clicks and failures take discord.py's path."""

from __future__ import annotations

import pytest

from bot.client import Tribune
from bot.i18n import t
from bot.services.recorder import VoteOutcome, VoteRequest
from tests.discord_emulator import DiscordEmulator
from tests.e2e.test_polls import create_poll


async def test_vote_clicks_are_answered_from_the_fast_lane(emulator: DiscordEmulator, tribune: Tribune) -> None:
    message = await create_poll(emulator, question="Le fast lane tient-il ?")
    alice, bob = emulator.members["alice"], emulator.members["bob"]
    vote = await emulator.click(alice, message, "Oui")
    assert (await vote.wait_reply()).content == "Vote enregistré : Oui — cliquez à nouveau pour le retirer."
    assert vote.ephemeral and vote.response_type == 4
    english = await emulator.click(bob, message, "Non")  # the payload's locale chooses the language
    assert (await english.wait_reply()).content == "Vote recorded: Non — click again to withdraw it."
    assert tribune.polls.fast_lane_clicks == 2
    await emulator.wait_for(lambda: "2 votants" in emulator.message(message.id).embeds[0]["description"], timeout=5)

    results = await emulator.click(alice, message, "Résultats")  # not a vote: discord.py's DynamicItem path
    await results.wait_response(timeout=5)
    assert results.ephemeral and tribune.polls.fast_lane_clicks == 2


async def test_a_vote_the_fast_lane_cannot_record_is_reported_by_the_usual_error_path(
    emulator: DiscordEmulator, tribune: Tribune, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = await create_poll(emulator, question="Et si le store tombe ?")

    async def store_down(request: VoteRequest) -> VoteOutcome:
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(tribune.polls.recorder, "submit", store_down)
    vote = await emulator.click(emulator.members["alice"], message, "Oui")
    reply = await vote.wait_reply()
    assert vote.ephemeral and reply.content == t("error.unexpected", "fr")
    assert tribune.polls.fast_lane_clicks == 1  # taken, then handed back to discord.py, which reported it


async def test_a_rate_limited_answer_is_sent_again_after_the_wait_discord_asks(
    emulator: DiscordEmulator, tribune: Tribune
) -> None:
    message = await create_poll(emulator, question="Et si Discord dit 429 ?")
    emulator.callbacks_to_limit = 1  # the click's first answer is refused with retry_after
    limited_before = emulator.rate_limited_count
    vote = await emulator.click(emulator.members["alice"], message, "Oui")
    reply = await vote.wait_reply()
    assert reply.content == "Vote enregistré : Oui — cliquez à nouveau pour le retirer." and vote.ephemeral
    assert emulator.rate_limited_count == limited_before + 1 and tribune.polls.fast_lane_clicks == 1
    await emulator.wait_for(lambda: "1 votant" in emulator.message(message.id).embeds[0]["description"], timeout=5)
